package icloudapi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

func smallEnv(t *testing.T) *photosEnv {
	t.Helper()
	return newPhotosEnv(t, fakeicloud.Generate(fakeicloud.GenOptions{Seed: 8, Assets: 300, Now: photosNow}))
}

func (e *photosEnv) snapErr(opts SnapshotOptions) (*PhotosSnapshot, error) {
	e.t.Helper()
	return e.c.PhotosSnapshot(context.Background(), opts)
}

func (e *photosEnv) count(suffix string) int {
	n := 0
	for _, r := range e.srv.Requests() {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func wantPhotosErr(t *testing.T, err, kind error) *Error {
	t.Helper()
	var ae *Error
	if !errors.Is(err, kind) || !errors.As(err, &ae) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
	return ae
}

func TestSnapshotTransientHTTPErrorsAreRetried(t *testing.T) {
	for _, status := range []int{429, 503} {
		e := smallEnv(t)
		e.photos.Inject(fakeicloud.PhotosFault{Path: "records/query", Status: status, Times: 1})
		s, err := e.snapErr(SnapshotOptions{})
		if err != nil || len(s.Library("PrimarySync").Newest) != 50 {
			t.Fatalf("%d once: %v", status, err)
		}
		if e.count("/records/query") != 4 { // indexing + (503, retry) + deleted
			t.Errorf("%d: %d queries, want 4 (one retry)", status, e.count("/records/query"))
		}
	}
}

func TestSnapshotLongRetryAfterIsThrottled(t *testing.T) {
	e := smallEnv(t)
	e.photos.Inject(fakeicloud.PhotosFault{Path: "zones/list", Status: 503, RetryAfter: "120"})
	_, err := e.snapErr(SnapshotOptions{})
	if ae := wantPhotosErr(t, err, ErrThrottled); ae.RetryAfter != 120*time.Second {
		t.Errorf("RetryAfter = %v, want 120s", ae.RetryAfter)
	}
	if n := e.count("/zones/list"); n != 1 {
		t.Errorf("%d zones/list requests; a long Retry-After must not be waited for or hammered", n)
	}
}

func TestSnapshot421RevalidatesOnce(t *testing.T) {
	e := smallEnv(t)
	e.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", Status: 421, Times: 1})
	validates := e.count("/validate")
	if _, err := e.snapErr(SnapshotOptions{}); err != nil {
		t.Fatalf("one 421: %v", err)
	}
	if n := e.count("/validate") - validates; n != 1 {
		t.Errorf("%d validate calls after a 421, want 1", n)
	}

	e.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", Status: 421})
	validates = e.count("/validate")
	_, err := e.snapErr(SnapshotOptions{})
	_ = wantPhotosErr(t, err, ErrSessionExpired)
	if n := e.count("/validate") - validates; n != 1 {
		t.Errorf("%d validate calls for a persistent 421, want exactly 1", n)
	}
}

func TestSnapshotTimeoutIsRetried(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 8, Assets: 300, Now: photosNow})
	e := newPhotosEnv(t, lib)
	c, err := New(Options{AppleID: "alice@example.com", AuthURL: e.srv.AuthURL(), SetupURL: e.srv.SetupURL(), HomeURL: e.srv.HomeURL(),
		RootCAs: e.srv.CertPool(), RetryWait: time.Millisecond, RetryMaxWait: 50 * time.Millisecond, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SignIn(context.Background(), photosPassword); err != nil {
		t.Fatal(err)
	}
	e.photos.Inject(fakeicloud.PhotosFault{Path: "storageUsageInfo", Delay: 5 * time.Second, Times: 1})
	s, err := c.PhotosSnapshot(context.Background(), SnapshotOptions{})
	if err != nil || s.Storage == nil {
		t.Fatalf("timeout once: %v %+v", err, s)
	}
}

func TestSnapshotMalformedAnswers(t *testing.T) {
	for name, f := range map[string]fakeicloud.PhotosFault{
		"truncated": fakeicloud.FaultTruncatedJSON,
		"drifted":   fakeicloud.FaultDriftedJSON,
	} {
		t.Run(name, func(t *testing.T) {
			e := smallEnv(t)
			f.Path = "records/query"
			e.photos.Inject(f)
			s, err := e.snapErr(SnapshotOptions{})
			if s != nil {
				t.Errorf("a snapshot was returned: %+v", s)
			}
			ae := wantPhotosErr(t, err, ErrProtocol)
			if ae.Remediation == "" {
				t.Error("no remediation")
			}
		})
	}
}

func TestSnapshotStorageFailureIsReportedNotFatal(t *testing.T) {
	e := smallEnv(t)
	e.photos.Inject(fakeicloud.PhotosFault{Path: "storageUsageInfo", Body: `{"quotaStatus":{}}`})
	s, err := e.snapErr(SnapshotOptions{})
	if err != nil || s.Storage != nil || !strings.Contains(s.StorageError, "storageUsageInfo") {
		t.Fatalf("err %v, storage %+v, storage error %q", err, s.Storage, s.StorageError)
	}
	if len(s.Library("PrimarySync").Newest) != 50 {
		t.Error("the library was lost because storage failed")
	}
}

func TestSnapshotBodyLevelErrors(t *testing.T) {
	tests := []struct {
		code, reason string
		adp          bool
		kind         error
		retryAfter   time.Duration
		help         string
	}{
		{"ZONE_NOT_FOUND", "Zone 'PrimarySync' does not exist", false, ErrNotActivated, 0, "icloud.com"},
		{"AUTHENTICATION_FAILED", "no auth method found", false, ErrNotActivated, 0, "icloud.com"},
		{"ACCESS_DENIED", "private db access disabled for this account", false, ErrThrottled, 6 * time.Hour, "Access iCloud Data on the Web"},
		{"ACCESS_DENIED", "private db access disabled for this account", true, ErrWebAccessDisabled, 6 * time.Hour, "Advanced Data Protection"},
		{"QUOTA_EXCEEDED", "odd", false, ErrProtocol, 0, "update"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			e := smallEnv(t)
			e.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", CKError: tt.code, Reason: tt.reason})
			if tt.adp {
				e.srv.Update(func(sc *fakeicloud.Scenario) { sc.ADP = true })
			}
			_, err := e.snapErr(SnapshotOptions{})
			ae := wantPhotosErr(t, err, tt.kind)
			if ae.Code != tt.code || ae.RetryAfter != tt.retryAfter || !strings.Contains(ae.Remediation, tt.help) {
				t.Errorf("code %q retryAfter %v remediation %q", ae.Code, ae.RetryAfter, ae.Remediation)
			}
			if n := e.count("/changes/database"); n != 1 {
				t.Errorf("%d changes/database requests; %s must not be retried", n, tt.code)
			}
		})
	}
}

func TestSnapshotRetryableBodyErrorIsRetried(t *testing.T) {
	old := bodyRetryBase
	bodyRetryBase = time.Millisecond
	t.Cleanup(func() { bodyRetryBase = old })
	e := smallEnv(t)
	e.photos.Inject(fakeicloud.PhotosFault{Path: "internal/records/query/batch", CKError: "RETRY_LATER", Reason: "try again", Times: 2})
	if _, err := e.snapErr(SnapshotOptions{}); err != nil {
		t.Fatalf("RETRY_LATER twice: %v", err)
	}
	if n := e.count("/query/batch"); n != 3 {
		t.Errorf("%d batch requests, want 3", n)
	}
	e.photos.Inject(fakeicloud.PhotosFault{Path: "internal/records/query/batch", CKError: "THROTTLED", Reason: "slow down"})
	_, err := e.snapErr(SnapshotOptions{})
	_ = wantPhotosErr(t, err, ErrThrottled)
}

func TestSnapshotForgottenSyncTokenRebaselines(t *testing.T) {
	e := smallEnv(t)
	s, _ := e.snap(SnapshotOptions{})
	s.DBTokens["private"] = "bm90LWEtdG9rZW4="
	next, n := e.snap(SnapshotOptions{Previous: s})
	if !next.Changed || next.DBTokens["private"] == s.DBTokens["private"] {
		t.Errorf("changed=%v token=%q", next.Changed, next.DBTokens["private"])
	}
	t.Logf("re-baseline after a forgotten token: %d requests", n)
	if again, n := e.snap(SnapshotOptions{Previous: next}); again.Changed || n > 2 {
		t.Errorf("after re-baseline: changed=%v, %d requests", again.Changed, n)
	}
}

func TestSnapshotIndexingNotFinished(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 8, Assets: 300, Now: photosNow})
	lib.SetIndexing(fakeicloud.PrimaryZone, "RUNNING")
	e := newPhotosEnv(t, lib)
	s, _ := e.snap(SnapshotOptions{})
	l := s.Library("PrimarySync")
	if l.Indexing.Finished() || l.Indexing.State != "RUNNING" || len(l.Newest) != 0 || l.Skipped == "" {
		t.Fatalf("library = %+v", l)
	}
	lib.SetIndexing(fakeicloud.PrimaryZone, "FINISHED")
	s2, _ := e.snap(SnapshotOptions{Previous: s})
	if l := s2.Library("PrimarySync"); !l.Indexing.Finished() || len(l.Newest) != 50 {
		t.Errorf("after indexing finished: %+v", l.Indexing)
	}
}

// TestNoMutatingEndpointInClient: the package source names no CloudKit
// path that writes (records/modify, zones/modify, uploads, subscriptions).
func TestNoMutatingEndpointInClient(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"/modify", "records/modify", "upload", "subscriptions/", "zones/delete", "records/delete"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s mentions %q", f, bad)
			}
		}
	}
}
