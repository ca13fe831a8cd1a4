package history

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/icloudmon/icloudmon/checks"
)

// DecodePoint decodes the checks' point of a stored Record, with the result
// and errors of json.Unmarshal into a checks.HistoryPoint. Every cycle
// (and every `verify`) reads the points of the upload window, 2 160 of
// them for 90 days of hourly cycles, and encoding/json took 6-8 µs a point
// (BenchmarkDecodePoint); the records the agent writes are flat objects of
// plain strings, integers and booleans, which a direct scan reads in a
// third of that.
// Anything else (an escape in a string, a null, a nested value it does not
// expect, a key differing only in case, a duplicate key, a malformed
// record) is left to encoding/json, so the two never disagree.
func DecodePoint(b []byte) (checks.HistoryPoint, error) {
	var p checks.HistoryPoint
	if fastPoint(b, &p) {
		return p, nil
	}
	p = checks.HistoryPoint{}
	err := json.Unmarshal(b, &p)
	return p, err
}

// The JSON keys of checks.HistoryPoint (TestPointKeysAreTheFields holds
// them to its tags: a field added there must be decoded here).
const (
	keyAt = iota
	keyAuth
	keyUploads
	keyFolderFiles
	keyHidden
	keyOwner
	keyUploadAlert
)

var pointKeys = [...]string{keyAt: "at", keyAuth: "auth", keyUploads: "uploads", keyFolderFiles: "folder_files",
	keyHidden: "hidden", keyOwner: "owner", keyUploadAlert: "upload_alert"}

// pointKey returns the index of k in pointKeys, -1 for another key, and
// false for a key that encoding/json might match to one of them though it
// differs (in case, or in a non-ASCII letter that folds to an ASCII one).
func pointKey(k []byte) (int, bool) {
	for i, n := range pointKeys {
		if string(k) == n {
			return i, true
		}
	}
	for _, c := range k {
		if c >= utf8.RuneSelf {
			return -1, false
		}
	}
	for _, n := range pointKeys {
		if len(n) == len(k) && asciiEqualFold(n, k) {
			return -1, false
		}
	}
	return -1, true
}

func asciiEqualFold(a string, b []byte) bool {
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// fastPoint decodes b into p when b has the shape the agent writes; false
// means "use encoding/json" (p may then hold part of the result).
func fastPoint(b []byte, p *checks.HistoryPoint) bool {
	s := scanner{b: b}
	if !s.byte('{') {
		return false
	}
	var met uint
	for first := true; ; first = false {
		// at the start or after a member (a comma is followed by a key)
		if s.byte('}') {
			break
		}
		if !first && !s.byte(',') {
			return false
		}
		key, ok := s.raw()
		if !ok || !s.byte(':') {
			return false
		}
		idx, ok := pointKey(key)
		if !ok {
			return false
		}
		if idx < 0 {
			if !s.skipScalar() {
				return false
			}
			continue
		}
		if met&(1<<idx) != 0 {
			return false
		}
		met |= 1 << idx
		if !s.field(idx, p) {
			return false
		}
	}
	s.space()
	return s.i == len(s.b)
}

// field decodes the value of the known key (its index in pointKeys) into p.
func (s *scanner) field(key int, p *checks.HistoryPoint) bool {
	var ok bool
	switch key {
	case keyAt:
		p.At, ok = s.time()
	case keyAuth:
		var v string
		v, ok = s.str()
		p.Auth = checks.AuthKind(v)
	case keyOwner:
		p.Owner, ok = s.str()
	case keyUploadAlert:
		p.UploadAlert, ok = s.bool()
	case keyUploads:
		p.Uploads, ok = s.times()
	case keyFolderFiles:
		p.FolderFiles, ok = s.counts()
	case keyHidden:
		p.Hidden, ok = s.counts()
	}
	return ok
}

// scanner reads JSON from b at i.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// byte consumes c after white space, if it is next.
func (s *scanner) byte(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string without escapes, control characters or invalid
// UTF-8 (encoding/json would rewrite those).
func (s *scanner) str() (string, bool) {
	v, ok := s.raw()
	return string(v), ok
}

// raw is str's bytes, in b.
func (s *scanner) raw() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		c := s.b[s.i]
		if c == '"' {
			v := s.b[start:s.i]
			s.i++
			return v, utf8.Valid(v)
		}
		if c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	return nil, false
}

// time reads a time as the agent writes it, in UTC:
// 2006-01-02T15:04:05.999999999Z (time.RFC3339Nano). Any other form,
// which encoding/json may read differently from time.Parse (it is
// stricter, and an offset may take the local zone), is left to it.
func (s *scanner) time() (time.Time, bool) {
	v, ok := s.raw()
	const whole = len("2006-01-02T15:04:05Z")
	if !ok || len(v) < whole || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' || v[len(v)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day, hour, minute, sec := num(v[0:4]), num(v[5:7]), num(v[8:10]), num(v[11:13]), num(v[14:16]), num(v[17:19])
	nsec, frac := 0, v[19:len(v)-1]
	if len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		nsec = num(frac[1:])
		for range 10 - len(frac) {
			nsec *= 10
		}
	}
	if min(year, month, day, hour, minute, sec, nsec) < 0 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	// only the canonical form (no trailing zeros, a real date): what
	// encoding/json reads the same
	var buf [40]byte
	if !bytes.Equal(t.AppendFormat(buf[:0], time.RFC3339Nano), v) {
		return time.Time{}, false
	}
	return t, true
}

func (s *scanner) bool() (bool, bool) {
	s.space()
	switch {
	case bytes.HasPrefix(s.b[s.i:], []byte("false")):
		s.i += 5
		return false, s.delimited()
	case bytes.HasPrefix(s.b[s.i:], []byte("true")):
		s.i += 4
		return true, s.delimited()
	}
	return false, false
}

// delimited reports whether a literal or number just read ends there.
func (s *scanner) delimited() bool {
	s.space()
	return s.i < len(s.b) && (s.b[s.i] == ',' || s.b[s.i] == '}' || s.b[s.i] == ']')
}

// times reads an array of times (never empty: the writer omits it then).
func (s *scanner) times() ([]time.Time, bool) {
	if !s.byte('[') {
		return nil, false
	}
	var out []time.Time
	for {
		t, ok := s.time()
		if !ok {
			return nil, false
		}
		out = append(out, t)
		if s.byte(']') {
			return out, true
		}
		if !s.byte(',') {
			return nil, false
		}
	}
}

// counts reads an object of integers (never empty).
func (s *scanner) counts() (map[string]int, bool) {
	if !s.byte('{') {
		return nil, false
	}
	out := map[string]int{}
	for {
		k, ok := s.str()
		if !ok || !s.byte(':') {
			return nil, false
		}
		if _, dup := out[k]; dup {
			return nil, false
		}
		n, ok := s.int()
		if !ok {
			return nil, false
		}
		out[k] = n
		if s.byte('}') {
			return out, true
		}
		if !s.byte(',') {
			return nil, false
		}
	}
}

// int reads an integer: an optional minus, then 0 or digits not starting
// with 0, within int.
func (s *scanner) int() (int, bool) {
	s.space()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i == digits || s.b[digits] == '0' && s.i-digits > 1 || !s.delimited() {
		return 0, false
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	return n, err == nil
}

// skipScalar skips a string, an integer or a boolean (the other members
// of a Record the checks do not read).
func (s *scanner) skipScalar() bool {
	s.space()
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, ok := s.raw()
		return ok
	case 't', 'f':
		_, ok := s.bool()
		return ok
	default:
		_, ok := s.int()
		return ok
	}
}
