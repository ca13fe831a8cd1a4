package icloudapi

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestCloudKitErrorsAtTableStatus: a CloudKit error of the whole request
// comes with the status of Apple's error table; its serverErrorCode, reason
// and retryAfter are read whatever the status.
func TestCloudKitErrorsAtTableStatus(t *testing.T) {
	tests := []struct {
		code, reason string
		retryAfter   int // body retryAfter
		kind         error
		wait         time.Duration
		requests     int // changes/database requests
	}{
		{"BAD_REQUEST", "Invalid request", 0, ErrProtocol, 0, 1},
		{"ACCESS_DENIED", "private db access disabled for this account", 0, ErrThrottled, accessDeniedBackoff, 1},
		{"ZONE_NOT_FOUND", "Zone does not exist", 0, ErrNotActivated, 0, 1},
		{"NOT_FOUND", "not found", 0, ErrProtocol, 0, 1},
		{"THROTTLED", "Request throttled", 3600, ErrThrottled, time.Hour, 1},
		{"THROTTLED", "Request throttled", 0, ErrThrottled, throttledBackoff, 1},
		{"TRY_AGAIN_LATER", "try again", 600, ErrThrottled, 10 * time.Minute, 1},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			e := smallEnv(t)
			e.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", CKError: tt.code, Reason: tt.reason,
				TableStatus: true, RetryAfterBody: tt.retryAfter})
			before := e.count("/changes/database")
			_, err := e.snapErr(SnapshotOptions{})
			ae := wantPhotosErr(t, err, tt.kind)
			if ae.Code != tt.code || ae.Status != fakeicloud.CloudKitStatus(tt.code) || ae.RetryAfter != tt.wait {
				t.Errorf("code %q status %d retryAfter %v", ae.Code, ae.Status, ae.RetryAfter)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("the reason is not named: %v", err)
			}
			if n := e.count("/changes/database") - before; n != tt.requests {
				t.Errorf("%d changes/database requests, want %d", n, tt.requests)
			}
		})
	}
}

// TestCloudKitSessionErrorsRevalidate: 401 AUTHENTICATION_FAILED and 421
// AUTHENTICATION_REQUIRED re-validate the session once, then the read goes on.
func TestCloudKitSessionErrorsRevalidate(t *testing.T) {
	for _, code := range []string{"AUTHENTICATION_FAILED", "AUTHENTICATION_REQUIRED"} {
		t.Run(code, func(t *testing.T) {
			e := smallEnv(t)
			e.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", CKError: code, Reason: "x", TableStatus: true, Times: 1})
			before := e.count("/validate")
			if _, err := e.snapErr(SnapshotOptions{}); err != nil {
				t.Fatal(err)
			}
			if n := e.count("/validate") - before; n != 1 {
				t.Errorf("%d validations, want 1", n)
			}
			// Refused again after the re-validation: the session error names
			// CloudKit's code.
			e.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", CKError: code, Reason: "x", TableStatus: true, Times: 2})
			_, err := e.snapErr(SnapshotOptions{})
			if ae := wantPhotosErr(t, err, ErrSessionExpired); !strings.Contains(ae.Message, code) || ae.Code != code {
				t.Errorf("message %q code %q", ae.Message, ae.Code)
			}
		})
	}
}

// TestRefusedSyncTokenRebaselinesAndIsDropped: a token CloudKit refuses with
// 400 BAD_REQUEST starts a fresh baseline in the same snapshot, is sent only
// once, and is removed from Previous even when the baseline then fails.
func TestRefusedSyncTokenRebaselinesAndIsDropped(t *testing.T) {
	e := smallEnv(t)
	first, _ := e.snap(SnapshotOptions{})
	old := first.DBTokens["private"]
	e.lib.ForgetSyncTokens()
	e.photos.ResetLog()
	next, err := e.snapErr(SnapshotOptions{Previous: first})
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, r := range e.photos.Requests() {
		if strings.Contains(r.Body, old) {
			sent++
		}
	}
	if sent != 1 || !next.Changed || next.DBTokens["private"] == old || next.DBTokens["private"] == "" {
		t.Errorf("refused token sent %d times; changed=%v token=%q", sent, next.Changed, next.DBTokens["private"])
	}
	if _, ok := first.DBTokens["private"]; ok {
		t.Error("the refused token is still in Previous")
	}

	// The token is refused again and the fresh baseline is throttled: the
	// snapshot fails, but the refused token is gone from Previous all the
	// same, so the next run does not send it again.
	e.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", CKError: "BAD_REQUEST", Reason: "Unknown sync continuation type", TableStatus: true, Times: 1})
	e.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", CKError: "THROTTLED", Reason: "x", TableStatus: true, RetryAfterBody: 3600, Times: 1})
	if _, err := e.snapErr(SnapshotOptions{Previous: next}); !errors.Is(err, ErrThrottled) {
		t.Fatalf("err = %v", err)
	}
	if tok, ok := next.DBTokens["private"]; ok {
		t.Errorf("the refused token %q is still in Previous after a failed baseline", tok)
	}
}

// TestSharedIndexErrorLeavesPersonalLibrary: 400 "Index has invalid data"
// on the Shared Library makes that library unreadable with the reason; the
// personal library is read, and the refusal is not asked again for hours.
func TestSharedIndexErrorLeavesPersonalLibrary(t *testing.T) {
	e := smallEnv(t)
	e.lib.SetSharedIndexErrors(true)
	s, err := e.snapErr(SnapshotOptions{Libraries: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	p, sh := s.Library("PrimarySync"), s.Library(fakeicloud.SharedZone)
	if p == nil || p.Error != "" || len(p.Newest) != 50 {
		t.Fatalf("personal library: %+v", p)
	}
	if sh == nil || sh.ErrorCode != "BAD_REQUEST" || !strings.Contains(sh.Error, "Index has invalid data") || sh.Skipped == "" {
		t.Fatalf("shared library: %+v", sh)
	}
	e.now = e.now.Add(time.Hour)
	again, n := e.snap(SnapshotOptions{Libraries: []string{"all"}, Previous: s})
	if l := again.Library(fakeicloud.SharedZone); l == nil || l.Error == "" || n > 2 {
		t.Errorf("an hour later: %d requests, shared %+v", n, l)
	}
	e.lib.SetSharedIndexErrors(false)
	e.now = e.now.Add(failedLibraryRetry)
	later, _ := e.snap(SnapshotOptions{Libraries: []string{"all"}, Previous: again})
	if l := later.Library(fakeicloud.SharedZone); l == nil || l.Error != "" || len(l.Newest) == 0 {
		t.Errorf("after the retry delay: %+v", l)
	}
}

// TestSharedCountsAskOnlyWhatOthersAsk: on a Shared Library only the library
// and added-date counts are asked, one count per batch entry.
func TestSharedCountsAskOnlyWhatOthersAsk(t *testing.T) {
	stub := &stubPoster{answers: []string{`{"batch":[{"records":[]},{"records":[]},{"records":[]},{"records":[]},{"records":[]},{"records":[]}]}`}}
	r := &photosReader{c: stub, ck: "https://ck.example", sleep: sleepCtx}
	_, _, err := r.counts(context.Background(), dbPrivate, []Zone{{Name: "PrimarySync", Database: dbPrivate}, {Name: "SharedSync-1", Database: dbPrivate}})
	if err != nil {
		t.Fatal(err)
	}
	body := stub.bodies[0]
	if strings.Count(body, "SharedSync-1") != 2 || strings.Count(body, `"indexCountID"`) != 6 {
		t.Errorf("batch = %s", body)
	}
}

// TestRedirectToPlainHTTPRefused: a read never follows a redirect from
// https to http, nor retries it, and says so.
func TestRedirectToPlainHTTPRefused(t *testing.T) {
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		plainHits.Add(1)
		_, _ = w.Write([]byte(`{"zones":[]}`))
	}))
	defer plain.Close()
	var tlsHits atomic.Int32
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tlsHits.Add(1)
		http.Redirect(w, r, plain.URL+"/zones/list", http.StatusTemporaryRedirect)
	}))
	defer secure.Close()
	pool := x509.NewCertPool()
	pool.AddCert(secure.Certificate())
	c, err := New(Options{AppleID: "alice@example.com", RootCAs: pool, RetryWait: time.Millisecond, RetryMaxWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	err = c.postJSON(context.Background(), "ck_zones", secure.URL+"/zones/list", struct{}{}, &out)
	if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "plain-http") {
		t.Errorf("err = %v", err)
	}
	if plainHits.Load() != 0 || tlsHits.Load() != 1 {
		t.Errorf("plain server hit %d times, https server %d times", plainHits.Load(), tlsHits.Load())
	}
}

// TestSharedDatabaseCountFailureLeavesPersonal: a refused count batch of the
// shared database (which holds only a Shared Library the account takes
// part in) leaves that library unreadable, not the snapshot.
func TestSharedDatabaseCountFailureLeavesPersonal(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 8, Assets: 300, Now: photosNow})
	lib.SetSharedParticipant(true)
	e := newPhotosEnv(t, lib)
	e.photos.Inject(fakeicloud.PhotosFault{Path: "shared/internal/records/query/batch", CKError: "BAD_REQUEST", Reason: "Index has invalid data", TableStatus: true})
	s, err := e.snapErr(SnapshotOptions{Libraries: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := s.Library("PrimarySync"); p == nil || p.Error != "" || len(p.Newest) != 50 {
		t.Errorf("personal: %+v", p)
	}
	if sh := s.Library(fakeicloud.SharedZone); sh == nil || !strings.Contains(sh.Error, "Index has invalid data") {
		t.Errorf("shared: %+v", sh)
	}
}

// TestRedirectOnSharedLibraryFailsTheSnapshot: a plain-http redirect is
// not a library's problem: it stops the snapshot instead of being reported
// as one unreadable library.
func TestRedirectOnSharedLibraryFailsTheSnapshot(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 8, Assets: 300, Now: photosNow})
	lib.SetSharedParticipant(true)
	e := newPhotosEnv(t, lib)
	e.photos.Inject(fakeicloud.PhotosFault{Path: "shared/records/query", Redirect: "http://127.0.0.1:9/x"})
	_, err := e.snapErr(SnapshotOptions{Libraries: []string{"all"}})
	if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "plain-http") {
		t.Errorf("err = %v", err)
	}
}
