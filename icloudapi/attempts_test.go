package icloudapi

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// memRecord is a SignInRecord shared by the clients of one test, as the
// file in data_dir is shared by processes: one holder at a time.
type memRecord struct {
	sem      chan struct{}
	mu       sync.Mutex
	data     []byte
	writeErr error
}

func newMemRecord() *memRecord { return &memRecord{sem: make(chan struct{}, 1)} }

func (r *memRecord) Lock(ctx context.Context) (func(), error) {
	select {
	case r.sem <- struct{}{}:
		return func() { <-r.sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (r *memRecord) Read() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.data, nil
}

func (r *memRecord) Write(b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.writeErr != nil {
		return r.writeErr
	}
	r.data = append([]byte(nil), b...)
	return nil
}

// record decodes what was written last.
func (r *memRecord) record(t *testing.T) signInRecord {
	t.Helper()
	var rec signInRecord
	if b, _ := r.Read(); b != nil {
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("the record does not decode: %v", err)
		}
	}
	return rec
}

// TestSharedRecordWrongPasswordSentOnce: eight clients, each fresh like a
// separate `verify` process with no saved session, sign in at once with a
// wrong password through one shared record: Apple sees the password once,
// and every client reports the rejection.
func TestSharedRecordWrongPasswordSentOnce(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{})
	e.opts.SignIns = newMemRecord()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		c := e.client(nil)
		wg.Go(func() { errs[i] = c.Authenticate(context.Background(), "not the password") })
	}
	wg.Wait()
	if n := e.srv.Count(pComplete); n != 1 {
		t.Errorf("signin/complete sent %d times, want 1", n)
	}
	if n := srpAttempts(e.srv); n != 1 {
		t.Errorf("%d SRP attempts, want 1", n)
	}
	for i, err := range errs {
		if !errors.Is(err, ErrPasswordRejected) {
			t.Errorf("client %d: %v, want %v", i, err, ErrPasswordRejected)
		}
	}
}

// TestSharedRecordBudget: the 3-failure budget counts the failures of
// every client sharing the record, although none of them restored a
// session from the others; an accepted sign-in lands in the record as
// accepted, and interactive sign-ins are recorded but not refused.
func TestSharedRecordBudget(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{})
	rec := newMemRecord()
	e.opts.SignIns = rec
	ctx := context.Background()
	for i := range signInBudget {
		wantKind(t, e.client(nil).Authenticate(ctx, "wrong-"+string(rune('a'+i))), ErrPasswordRejected)
	}
	wantKind(t, e.client(nil).Authenticate(ctx, testPassword), ErrSignInBudget)
	if n := srpAttempts(e.srv); n != signInBudget {
		t.Errorf("%d SRP attempts, want %d", n, signInBudget)
	}
	c := e.client(nil)
	if err := c.SignIn(ctx, testPassword); err != nil {
		t.Fatalf("interactive sign-in: %v", err)
	}
	r := rec.record(t)
	if len(r.Attempts) != signInBudget || len(r.SignIns) != 1 || r.Rejected == nil {
		t.Errorf("record: %d failed, %d accepted, rejected %v; want %d, 1, the last wrong password",
			len(r.Attempts), len(r.SignIns), r.Rejected != nil, signInBudget)
	}
	// A day later the failures have left the window.
	e.testClock.Add(budgetWindow)
	c2 := e.client(nil)
	if err := c2.Authenticate(ctx, testPassword); err != nil {
		t.Fatalf("after 24 h: %v", err)
	}
	if r := rec.record(t); len(r.Attempts) != 0 || len(r.SignIns) != 1 {
		t.Errorf("after 24 h the record holds %d failed and %d accepted attempts, want 0 and 1", len(r.Attempts), len(r.SignIns))
	}
}

// TestAttemptRecordedBeforeSent: the attempt is in the shared record
// before signin/init goes out (read when the authorize step, which comes
// first, is answered), and an attempt cut off after Apple answered init
// (the process cancelled or killed there) stays recorded as failed.
func TestAttemptRecordedBeforeSent(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{})
	rec := newMemRecord()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var beforeInit, afterInit []time.Time
	e.opts.SignIns = rec
	e.opts.Observe = func(endpoint string, _ int) {
		switch endpoint {
		case "authorize":
			beforeInit = rec.record(t).Attempts
		case "signin_init":
			afterInit = rec.record(t).Attempts
			cancel()
		}
	}
	c := e.client(nil)
	if err := c.Authenticate(ctx, testPassword); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
	if e.srv.Count(pInit) != 1 || e.srv.Count(pComplete) != 0 {
		t.Fatalf("%d inits, %d completes; want 1 and 0", e.srv.Count(pInit), e.srv.Count(pComplete))
	}
	if len(beforeInit) != 1 || len(afterInit) != 1 {
		t.Errorf("attempts recorded before init: %d, while init was answered: %d; want 1 and 1", len(beforeInit), len(afterInit))
	}
	wantFailedAttempts(t, rec, c, 1, "after the cut-off attempt")
}

// wantFailedAttempts checks that both the stored record and the client
// count n failed sign-in attempts (when: the situation, for the message).
func wantFailedAttempts(t *testing.T, rec *memRecord, c *Client, n int, when string) {
	t.Helper()
	if r := rec.record(t); len(r.Attempts) != n {
		t.Errorf("%s the record holds %d failed attempts, want %d", when, len(r.Attempts), n)
	}
	if got := c.SignInAttempts(); got != n {
		t.Errorf("%s SignInAttempts() = %d, want %d", when, got, n)
	}
}

// TestAttemptTakenBackWhenNothingReachedApple: while Apple cannot be
// reached at all, sign-in attempts are taken back (no proof was sent,
// nothing was answered), so an outage does not use up the budget and
// pause sign-ins for a day after the network is back.
func TestAttemptTakenBackWhenNothingReachedApple(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{})
	rec := newMemRecord()
	e.opts.SignIns = rec
	e.srv.Close() // connection refused from now on
	c := e.client(nil)
	for i := range signInBudget + 2 {
		err := c.Authenticate(context.Background(), testPassword)
		if err == nil || errors.Is(err, ErrSignInBudget) {
			t.Fatalf("try %d: %v, want a network error", i+1, err)
		}
	}
	wantFailedAttempts(t, rec, c, 0, "after an outage")
}

// TestAttemptNotRecordedNotMade: when the record cannot be written, no
// attempt is made (nothing is sent) and the error says what to fix.
func TestAttemptNotRecordedNotMade(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{})
	rec := newMemRecord()
	rec.writeErr = errors.New("read-only file system")
	e.opts.SignIns = rec
	ae := wantAPIError(t, e.client(nil).Authenticate(context.Background(), testPassword), ErrSignInBudget)
	if n := len(e.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent although the attempt could not be recorded", n)
	}
	t.Logf("%s (%s)", ae.Message, ae.Remediation)
}

// TestSharedRecordSeededFromSession: the first client to use the record
// seeds it from its saved session (blobs from before the record existed
// carry the budget), so an upgrade does not forget a rejected password:
// a process without that session does not send it again.
func TestSharedRecordSeededFromSession(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{})
	ctx := context.Background()
	old := e.client(nil)
	wantKind(t, old.Authenticate(ctx, "not the password"), ErrPasswordRejected)
	blob := sessionBlob(t, old)

	rec := newMemRecord()
	e.opts.SignIns = rec
	if err := e.client(blob).Authenticate(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	if r := rec.record(t); len(r.Attempts) != 1 || len(r.SignIns) != 1 || r.Rejected == nil {
		t.Fatalf("seeded record: %d failed, %d accepted, rejected %v; want 1, 1, true", len(r.Attempts), len(r.SignIns), r.Rejected != nil)
	}
	wantKind(t, e.client(nil).Authenticate(ctx, "not the password"), ErrPasswordRejected)
	if n := e.srv.Count(pComplete); n != 2 {
		t.Errorf("signin/complete sent %d times, want 2 (the rejected password only once)", n)
	}
}
