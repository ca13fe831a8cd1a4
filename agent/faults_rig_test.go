package agent

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// faultyPhotos wraps the fake's Photos handler with faults the fake has no
// hook for: connection resets, non-JSON bodies, oversized bodies and
// rewritten (schema-drifted) answers.
type faultyPhotos struct {
	inner http.Handler

	mu    sync.Mutex
	fault *extraFault
}

// extraFault applies to requests whose path ends in Path ("" = all), Times
// times (0 = for ever).
type extraFault struct {
	Path  string
	Times int
	// Reset closes the connection without an answer.
	Reset bool
	// ContentType and Body replace the answer when Body is set.
	ContentType, Body string
	// BodyBytes answers a JSON-looking body of this many bytes.
	BodyBytes int
	// Rewrite edits every record's fields of a real answer.
	Rewrite func(rec map[string]any)
	// Before runs before the request is answered (e.g. expiring cookies).
	Before func()
	// Status answers this status with an empty JSON object, with a
	// Retry-After header when RetryAfter is set.
	Status     int
	RetryAfter string
	// Delay holds the answer back (until the client gives up).
	Delay time.Duration
}

func (f *faultyPhotos) set(x *extraFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = x
}

func (f *faultyPhotos) take(path string) *extraFault {
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.fault
	if x == nil || x.Path != "" && !strings.HasSuffix(path, x.Path) {
		return nil
	}
	if x.Times == 1 {
		f.fault = nil
	} else if x.Times > 1 {
		x.Times--
	}
	return x
}

func (f *faultyPhotos) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := f.take(r.URL.Path)
	if x != nil && x.Delay > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(x.Delay):
		}
	}
	switch {
	case x == nil, x.Delay > 0 && x.Status == 0:
		f.inner.ServeHTTP(w, r)
	case x.Before != nil:
		x.Before()
		f.inner.ServeHTTP(w, r)
	case x.Reset:
		resetConn(w)
	case x.Status != 0:
		w.Header().Set("Content-Type", "application/json")
		if x.RetryAfter != "" {
			w.Header().Set("Retry-After", x.RetryAfter)
		}
		w.WriteHeader(x.Status)
		_, _ = w.Write([]byte(`{}`))
	case x.BodyBytes > 0:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"records":[` + strings.Repeat(`{"recordName":"x"},`, x.BodyBytes/19) + `{}]}`))
	case x.Rewrite != nil:
		rewrite(w, r, f.inner, x.Rewrite)
	default:
		w.Header().Set("Content-Type", x.ContentType)
		_, _ = w.Write([]byte(x.Body))
	}
}

func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// rewrite serves the real answer with every record's fields edited.
func rewrite(w http.ResponseWriter, r *http.Request, inner http.Handler, edit func(map[string]any)) {
	rec := httptest.NewRecorder()
	inner.ServeHTTP(rec, r)
	var body map[string]any
	if json.Unmarshal(rec.Body.Bytes(), &body) != nil {
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	if records, ok := body["records"].([]any); ok {
		for _, x := range records {
			if m, ok := x.(map[string]any); ok {
				edit(m)
			}
		}
	}
	body["unexpectedTopLevel"] = map[string]any{"added": "by a future API"}
	var out bytes.Buffer
	_ = json.NewEncoder(&out).Encode(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rec.Code)
	_, _ = w.Write(out.Bytes())
}

// fields returns a record's fields map (nil when absent).
func fields(rec map[string]any) map[string]any {
	f, _ := rec["fields"].(map[string]any)
	return f
}
