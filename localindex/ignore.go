package localindex

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// DefaultIgnore lists the junk skipped unless Options.NoDefaultIgnore is set:
// NAS thumbnails and recycle bins, macOS metadata, partial downloads and
// adjustment sidecars. Patterns are matched case-insensitively against the
// base name (see Options.Ignore).
var DefaultIgnore = []string{
	".DS_Store", "._*", "@eaDir", "#recycle", "#snapshot", ".thumbnails",
	"*.part", "*.tmp", "*.aae", "Thumbs.db", "desktop.ini", ".@__thumb",
	".Trashes", ".Spotlight-V100", ".fseventsd", "$RECYCLE.BIN",
	"System Volume Information", "lost+found",
}

// ignorer decides which names and relative paths the scan skips. Simple
// patterns (exact names, "*suffix", "prefix*") avoid glob matching, which
// matters on a cold scan of 200 000 files.
type ignorer struct {
	exact    map[string]bool
	first    [256]bool // first bytes of the exact names: most names skip the map lookup
	prefixes []string
	suffixes []string
	globs    []string // other patterns without '/', matched against the base name
	rel      []string // patterns with '/', matched against the slash path from the root
}

// newIgnorer validates the patterns; a broken pattern is a configuration error.
func newIgnorer(defaults bool, extra []string) (*ignorer, error) {
	ig := &ignorer{exact: map[string]bool{}}
	pats := append([]string(nil), extra...)
	if defaults {
		pats = append(pats, DefaultIgnore...)
	}
	for _, p := range pats {
		lp := strings.ToLower(strings.Trim(p, "/"))
		if _, err := path.Match(lp, ""); err != nil || lp == "" {
			return nil, fmt.Errorf("ignore pattern %q is not a valid glob (use *, ? and [...]): %w", p, errBadPattern(err))
		}
		ig.add(lp)
	}
	return ig, nil
}

func errBadPattern(err error) error {
	if err != nil {
		return err
	}
	return path.ErrBadPattern
}

func (ig *ignorer) add(lp string) {
	meta := strings.IndexAny(lp, "*?[\\")
	switch {
	case strings.Contains(lp, "/"):
		ig.rel = append(ig.rel, lp)
	case meta < 0:
		ig.exact[lp] = true
		ig.first[lp[0]] = true
	case meta == 0 && !strings.ContainsAny(lp[1:], "*?[\\") && lp[0] == '*':
		ig.suffixes = append(ig.suffixes, lp[1:])
	case meta == len(lp)-1 && lp[meta] == '*':
		ig.prefixes = append(ig.prefixes, lp[:meta])
	default:
		ig.globs = append(ig.globs, lp)
	}
}

// skip reports whether the entry name inside the directory rel is ignored.
func (ig *ignorer) skip(rel, name string) bool {
	var buf [256]byte
	return ig.skipLower(rel, lowerInto(buf[:0], name))
}

// skipBytes is skip for a name that is still in a getdents64 answer.
func (ig *ignorer) skipBytes(rel string, name []byte) bool {
	var buf [256]byte
	return ig.skipLower(rel, lowerBytesInto(buf[:0], name))
}

// skipLower is skip with the name already lower-cased.
func (ig *ignorer) skipLower(rel string, ln []byte) bool {
	if len(ln) > 0 && ig.first[ln[0]] && ig.exact[string(ln)] {
		return true
	}
	for _, s := range ig.suffixes {
		if bytes.HasSuffix(ln, []byte(s)) {
			return true
		}
	}
	for _, p := range ig.prefixes {
		if bytes.HasPrefix(ln, []byte(p)) {
			return true
		}
	}
	for _, p := range ig.globs {
		if ok, _ := path.Match(p, string(ln)); ok {
			return true
		}
	}
	return ig.skipRel(rel, string(ln))
}

func (ig *ignorer) skipRel(rel, lname string) bool {
	if len(ig.rel) == 0 {
		return false
	}
	full := strings.ToLower(path.Join(rel, lname))
	for _, p := range ig.rel {
		if ok, _ := path.Match(p, full); ok {
			return true
		}
	}
	return false
}

// lowerInto appends the ASCII-lower-cased name to dst. Non-ASCII bytes are
// kept; the patterns that matter (junk names) are ASCII.
func lowerInto(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// lowerBytesInto is lowerInto for a byte slice.
func lowerBytesInto(dst, s []byte) []byte {
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
