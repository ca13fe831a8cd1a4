package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// exchange is one recorded request and Apple's answer to it.
type exchange struct {
	Method string `json:"method"`
	Path   string `json:"path"` // URL path, without the query
	// Contains, if set, must occur in the request body (tells the
	// CloudKit queries to the same path apart).
	Contains string            `json:"contains,omitempty"`
	Status   int               `json:"status"`
	Headers  map[string]string `json:"headers,omitempty"`
	// Cookies are Set-Cookie lines, one cookie each (use Max-Age for a
	// lifetime relative to the run).
	Cookies []string `json:"cookies,omitempty"`
	// Body is a file relative to the case directory; "" sends no body.
	Body string `json:"body,omitempty"`
	Note string `json:"note,omitempty"`
}

// replay serves a case's exchanges strictly in order. It has no knowledge
// of the client: it compares method, path and an optional body substring,
// and answers with the recorded status, headers and body.
type replay struct {
	srv  *httptest.Server
	dir  string
	now  time.Time
	list []exchange

	// date, if set, is Apple's clock: every answer's Date header (else
	// net/http stamps the wall clock).
	date func() time.Time

	mu       sync.Mutex
	next     int
	restarts int
	failures []string
	seen     []string
}

func newReplay(dir string, list []exchange, now time.Time) *replay {
	r := &replay{dir: dir, list: list, now: now}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	return r
}

func (r *replay) URL() string { return r.srv.URL }

func (r *replay) Close() { r.srv.Close() }

func (r *replay) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if r.date != nil {
		w.Header().Set("Date", r.date().UTC().Format(http.TimeFormat))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	got := req.Method + " " + req.URL.Path
	r.seen = append(r.seen, got)
	if r.next >= len(r.list) {
		r.failures = append(r.failures, fmt.Sprintf("request %d: unexpected %s: all %d recorded exchanges were already served", len(r.seen), got, len(r.list)))
		http.Error(w, "conformance replay: no more recorded exchanges", http.StatusTeapot)
		return
	}
	ex := r.list[r.next]
	if r.srpRestart(got) {
		ex = r.list[r.next-1] // a new init right after an init: serve it again
		r.next--
	}
	want := ex.Method + " " + ex.Path
	if got != want || !bytes.Contains(body, []byte(ex.Contains)) {
		r.failures = append(r.failures, fmt.Sprintf("request %d: got %s (body %.120q), expected exchange %d: %s containing %q (%s)",
			len(r.seen), got, body, r.next+1, want, ex.Contains, ex.Note))
		http.Error(w, "conformance replay: unexpected request", http.StatusTeapot)
		return
	}
	r.next++
	var out []byte
	if ex.Body != "" {
		b, err := os.ReadFile(filepath.Join(r.dir, ex.Body))
		if err != nil {
			r.failures = append(r.failures, fmt.Sprintf("exchange %d: body file: %v", r.next, err))
			http.Error(w, "conformance replay: missing body file", http.StatusInternalServerError)
			return
		}
		if b, err = include(r.dir, b); err != nil {
			r.failures = append(r.failures, fmt.Sprintf("exchange %d: %v", r.next, err))
			http.Error(w, "conformance replay: missing included file", http.StatusInternalServerError)
			return
		}
		out = expand(b, r.srv.URL, r.now)
		if json.Valid(out) {
			w.Header().Set("Content-Type", "application/json")
		}
	}
	for k, v := range ex.Headers {
		w.Header().Set(k, string(expand([]byte(v), r.srv.URL, r.now)))
	}
	for _, c := range ex.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	w.WriteHeader(ex.Status)
	_, _ = w.Write(out)
}

// srpRestart reports whether got is a new signin/init straight after an
// answered one. An SRP client may start the exchange again before it sends
// any proof (a client whose value has a leading zero byte does, about 1 in
// 256 times); Apple answers every init afresh, so the replay serves the
// recorded init again, at most maxSRPRestarts times in a row.
func (r *replay) srpRestart(got string) bool {
	const initPath = "POST /appleauth/auth/signin/init"
	if got != initPath || r.next == 0 || r.restarts >= maxSRPRestarts {
		return false
	}
	prev := r.list[r.next-1]
	if prev.Method+" "+prev.Path != initPath || r.seen[len(r.seen)-2] != initPath {
		return false
	}
	r.restarts++
	return true
}

const maxSRPRestarts = 3

// problems lists every mismatch, and the exchanges never asked for.
func (r *replay) problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := append([]string(nil), r.failures...)
	if r.next < len(r.list) {
		var rest []string
		for i := r.next; i < len(r.list); i++ {
			rest = append(rest, fmt.Sprintf("%d: %s %s %s", i+1, r.list[i].Method, r.list[i].Path, r.list[i].Note))
		}
		out = append(out, "recorded exchanges never requested:\n    "+strings.Join(rest, "\n    "))
	}
	if len(out) > 0 {
		out = append(out, "requests seen:\n    "+strings.Join(r.seen, "\n    "))
	}
	return out
}

// Placeholders of the recorded bodies: {{SERVER}} is the replay server's
// origin (Apple's hosts in the recordings), "{{ms:-2d3h}}" (with its
// quotes) becomes the epoch milliseconds of now-2d3h, {{unix:+1h}} epoch
// seconds.
var (
	includeRE = regexp.MustCompile(`\{\{include:([^}]+)\}\}`)
	msRE      = regexp.MustCompile(`"\{\{ms:([^}]+)\}\}"`)
	unixRE    = regexp.MustCompile(`\{\{unix:([^}]+)\}\}`)
)

// include replaces each {{include:path}} of a body by the content of that
// file (relative to dir, not itself expanded for includes): the multi-day
// cases write each recorded record once and list it in the pages of the
// days it exists on.
func include(dir string, b []byte) ([]byte, error) {
	var err error
	out := includeRE.ReplaceAllFunc(b, func(m []byte) []byte {
		part, e := os.ReadFile(filepath.Join(dir, string(includeRE.FindSubmatch(m)[1])))
		if e != nil && err == nil {
			err = fmt.Errorf("body include: %w", e)
		}
		return bytes.TrimSpace(part)
	})
	return out, err
}

func expand(b []byte, server string, now time.Time) []byte {
	b = bytes.ReplaceAll(b, []byte("{{SERVER}}"), []byte(server))
	b = msRE.ReplaceAllFunc(b, func(m []byte) []byte {
		d := mustRel(string(msRE.FindSubmatch(m)[1]))
		return []byte(strconv.FormatInt(now.Add(d).UnixMilli(), 10))
	})
	return unixRE.ReplaceAllFunc(b, func(m []byte) []byte {
		d := mustRel(string(unixRE.FindSubmatch(m)[1]))
		return []byte(strconv.FormatInt(now.Add(d).Unix(), 10))
	})
}

// parseRel parses a signed offset with an optional day part: "-2d3h",
// "+30d", "-90m", "0".
func parseRel(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "" {
		return 0, nil
	}
	sign := time.Duration(1)
	switch s[0] {
	case '-':
		sign, s = -1, s[1:]
	case '+':
		s = s[1:]
	}
	var d time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil {
			return 0, fmt.Errorf("offset %q: %w", s, err)
		}
		d, s = time.Duration(days)*24*time.Hour, s[i+1:]
	}
	if s != "" {
		rest, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("offset %q: %w", s, err)
		}
		d += rest
	}
	return sign * d, nil
}

func mustRel(s string) time.Duration {
	d, err := parseRel(s)
	if err != nil {
		panic(err) // a broken case file; the test reports the panic with the case
	}
	return d
}
