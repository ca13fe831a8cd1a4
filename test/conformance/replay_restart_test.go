package conformance

import (
	"strings"
	"testing"
	"time"
)

// TestReplayServesAnSRPRestart: a new signin/init straight after an
// answered one is served the recorded init again (a client may restart
// before sending a proof), a few times at most; anything else out of order
// is still a mismatch.
func TestReplayServesAnSRPRestart(t *testing.T) {
	list := []exchange{
		{Method: "POST", Path: "/appleauth/auth/signin/init", Status: 200},
		{Method: "POST", Path: "/appleauth/auth/signin/complete", Status: 200},
	}
	send := func(r *replay, paths ...string) {
		t.Helper()
		c := r.srv.Client()
		for _, p := range paths {
			resp, err := c.Post(r.URL()+p, "application/json", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
		}
	}
	const initP, completeP = "/appleauth/auth/signin/init", "/appleauth/auth/signin/complete"

	r := newReplay(t.TempDir(), list, time.Now())
	defer r.Close()
	send(r, initP, initP, initP, completeP)
	if p := r.problems(); len(p) != 0 {
		t.Errorf("two restarts: %v", p)
	}

	r2 := newReplay(t.TempDir(), list, time.Now())
	defer r2.Close()
	send(r2, initP, initP, initP, initP, initP, completeP)
	if p := r2.problems(); len(p) == 0 {
		t.Error("four restarts in a row were accepted")
	}

	r3 := newReplay(t.TempDir(), list, time.Now())
	defer r3.Close()
	send(r3, initP, completeP, initP)
	if p := r3.problems(); len(p) == 0 || !strings.Contains(strings.Join(p, "\n"), "request 3") {
		t.Errorf("an init after the exchange ended was accepted: %v", p)
	}
}
