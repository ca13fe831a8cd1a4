package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/demo"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// storedToken returns the private database's sync token of the stored
// Photos snapshot.
func (r *rig) storedToken() string {
	r.t.Helper()
	data, ok, err := r.db.Get(context.Background(), snapshotNS, demo.Account)
	if err != nil || !ok {
		r.t.Fatalf("no stored snapshot: %v", err)
	}
	var s icloudapi.PhotosSnapshot
	if err := json.Unmarshal(data, &s); err != nil {
		r.t.Fatal(err)
	}
	return s.DBTokens["private"]
}

// sentWith counts the Photos requests whose body holds s.
func (r *rig) sentWith(s string) int {
	n := 0
	for _, q := range r.photos.Requests() {
		if strings.Contains(q.Body, s) {
			n++
		}
	}
	return n
}

// TestForgottenSyncTokenRebaselinesInTheSameCycle: CloudKit refuses the
// stored token (400 BAD_REQUEST): the same cycle reads a fresh baseline and
// judges the account, and no later run sends the refused token again, also
// when the baseline failed.
func TestForgottenSyncTokenRebaselinesInTheSameCycle(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.cycle()
	old := r.storedToken()
	r.lib.ForgetSyncTokens()
	r.photos.ResetLog()
	rep := r.cycle()
	if status(rep, checks.CheckAuth) != "ok" || status(rep, checks.CheckICloudUpload) != "ok" || status(rep, checks.CheckLocalCopy) == "unknown" {
		t.Fatalf("cycle after a refused token: auth %s, icloud_upload %s, local_copy %s", status(rep, checks.CheckAuth),
			status(rep, checks.CheckICloudUpload), status(rep, checks.CheckLocalCopy))
	}
	if n := r.sentWith(old); n != 1 {
		t.Errorf("the refused token was sent %d times in the cycle, want 1", n)
	}
	if tok := r.storedToken(); tok == old || tok == "" {
		t.Errorf("stored token after the baseline: %q", tok)
	}

	// Refused again, and the baseline is throttled: the cycle fails, but a
	// new process does not send the refused token.
	refused := r.storedToken()
	r.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", CKError: "BAD_REQUEST", Reason: "Unknown sync continuation type", TableStatus: true, Times: 1})
	r.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", CKError: "THROTTLED", Reason: "Request throttled", TableStatus: true, RetryAfterBody: 60, Times: 1})
	if rep := r.cycle(); status(rep, checks.CheckAuth) == "ok" {
		t.Fatal("the throttled baseline was reported ok")
	}
	r.clock.Advance(2 * time.Minute)
	r.photos.ResetLog()
	r.build(rigOptions{})
	if rep := r.cycle(); status(rep, checks.CheckAuth) != "ok" {
		t.Fatalf("next run: auth %s", status(rep, checks.CheckAuth))
	}
	if n := r.sentWith(refused); n != 0 {
		t.Errorf("a new process sent the refused token %d times", n)
	}
}

// TestThrottledAccountIsLeftAloneByTheNextVerify: a 429 THROTTLED with
// retryAfter is stored; an immediate second one-shot run (a new process on
// the same data dir) sends nothing to Apple and reports the throttling;
// once the wait is over the account is read again.
func TestThrottledAccountIsLeftAloneByTheNextVerify(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.cycle()
	r.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", CKError: "THROTTLED", Reason: "Request throttled", TableStatus: true, RetryAfterBody: 3600, Times: 1})
	r.build(rigOptions{})
	rep := r.cycle()
	if status(rep, checks.CheckAuth) == "ok" {
		t.Fatal("a throttled read was reported ok")
	}
	r.server.ResetRequests()
	r.build(rigOptions{}) // the next `verify` from cron
	rep = r.cycle()
	if n := r.requests(); n != 0 {
		t.Errorf("the run after THROTTLED sent %d requests to Apple: %v", n, r.server.Requests())
	}
	auth, _ := rep.Check(checks.CheckAuth)
	if auth.Status == checks.StatusOK || !strings.Contains(auth.Summary, "THROTTLED") && !strings.Contains(auth.Summary, "Request throttled") {
		t.Errorf("auth while backing off: %s %q", auth.Status, auth.Summary)
	}
	r.clock.Advance(61 * time.Minute)
	r.build(rigOptions{})
	if rep := r.cycle(); status(rep, checks.CheckAuth) != "ok" || r.requests() == 0 {
		t.Errorf("after the wait: auth %s, %d requests", status(rep, checks.CheckAuth), r.requests())
	}
}

// TestSharedSyncIndexErrorLeavesPersonalJudged: the Shared Library's
// queries answer 400 "Index has invalid data"; that library is unknown with
// the reason and the personal library is still judged.
func TestSharedSyncIndexErrorLeavesPersonalJudged(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.lib.SetSharedIndexErrors(true)
	rep := r.cycle()
	for _, id := range []checks.CheckID{checks.CheckAuth, checks.CheckICloudUpload, checks.CheckStorage, checks.CheckRecentlyDeleted} {
		if s := status(rep, id); s != "ok" {
			c, _ := rep.Check(id)
			t.Errorf("%s = %s (%s); the personal library must still be judged", id, s, c.Summary)
		}
	}
	idx, _ := rep.Check(checks.CheckIndexing)
	if idx.Status != checks.StatusUnknown || !strings.Contains(idx.Summary, "shared") || !strings.Contains(idx.Summary, "Index has invalid data") {
		t.Errorf("indexing = %s %q", idx.Status, idx.Summary)
	}
	lc, _ := rep.Check(checks.CheckLocalCopy)
	if !strings.Contains(lc.Summary, "shared") {
		t.Errorf("local_copy does not name the unread library: %s %q", lc.Status, lc.Summary)
	}
}

// TestRedirectToPlainHTTPIsRefused: an https answer that redirects to plain
// http is not followed; the cycle says why and nothing reaches the http
// server.
func TestRedirectToPlainHTTPIsRefused(t *testing.T) {
	var hits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"zones":[],"syncToken":"x","moreComing":false}`))
	}))
	defer plain.Close()
	r := newRig(t, rigOptions{})
	r.cycle()
	r.photos.Inject(fakeicloud.PhotosFault{Path: "changes/database", Redirect: plain.URL + "/changes/database", Times: 1})
	rep := r.cycle()
	auth, _ := rep.Check(checks.CheckAuth)
	if auth.Status == checks.StatusOK || !strings.Contains(auth.Summary, "plain-http") {
		t.Errorf("auth = %s %q", auth.Status, auth.Summary)
	}
	if hits.Load() != 0 {
		t.Errorf("the plain-http server got %d requests", hits.Load())
	}
}
