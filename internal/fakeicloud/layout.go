package fakeicloud

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// writeCloudKit writes a CloudKit (ckdatabasews) answer laid out as Apple
// lays it out. The recorded answers (icloudpd's cassettes) are not compact:
// CloudKit's web service pretty-prints with a space on both sides of each
// colon, two spaces of indent per enclosing object, arrays kept on the line
// of their brackets ("[ {", "}, {", "} ]") and empty containers as "{ }"
// and "[ ]". That whitespace is about 38 % of a 200-record page, so a fake
// that answered compactly would understate every byte count. The setup and
// idmsa hosts answer compactly, which writeJSON keeps.
func writeCloudKit(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // CloudKit does not escape <, > and &
	if err := enc.Encode(v); err != nil {
		writeJSON(w, http.StatusInternalServerError, ckErr("INTERNAL_ERROR", err.Error()))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(appleLayout(bytes.TrimSpace(buf.Bytes())))
}

// appleLayout re-lays compact JSON (as encoding/json writes it) in
// CloudKit's pretty layout. The input must be valid compact JSON.
func appleLayout(compact []byte) []byte {
	out := make([]byte, 0, len(compact)+len(compact)/2)
	var stack []byte // '{' or '[' of each open container
	depth := 0       // open objects: the indent is two spaces per object
	newline := func() {
		out = append(out, '\n')
		for range depth {
			out = append(out, ' ', ' ')
		}
	}
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		switch c {
		case '"':
			j := i + 1
			for j < len(compact) && compact[j] != '"' {
				if compact[j] == '\\' {
					j++
				}
				j++
			}
			out = append(out, compact[i:min(j+1, len(compact))]...)
			i = j
		case '{', '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if i+1 < len(compact) && compact[i+1] == closer {
				out = append(out, c, ' ', closer)
				i++
				continue
			}
			stack = append(stack, c)
			if c == '{' {
				depth++
				out = append(out, '{')
				newline()
			} else {
				out = append(out, '[', ' ')
			}
		case '}':
			depth--
			stack = stack[:len(stack)-1]
			newline()
			out = append(out, '}')
		case ']':
			stack = stack[:len(stack)-1]
			out = append(out, ' ', ']')
		case ',':
			out = append(out, ',')
			if len(stack) > 0 && stack[len(stack)-1] == '{' {
				newline()
			} else {
				out = append(out, ' ')
			}
		case ':':
			out = append(out, ' ', ':', ' ')
		default:
			out = append(out, c)
		}
	}
	return out
}
