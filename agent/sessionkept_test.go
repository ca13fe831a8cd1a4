package agent

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// TestSessionsNotKeptAreReportedNotBlind: when the session does not
// survive from one run to the next, each hourly run signs in again with
// the password. That must neither pause checking for a day (successful
// sign-ins do not lock an Apple ID) nor pass silently: auth warns with the
// fix from the second run on, and every run still reads iCloud.
func TestSessionsNotKeptAreReportedNotBlind(t *testing.T) {
	cases := []struct {
		name  string
		setup func(r *rig)
		each  func(r *rig) // before every run
		why   string
	}{
		{"session cannot be saved", func(r *rig) {
			r.sessions.saveErr = errors.New("open /data/sessions/alice.json: permission denied")
		}, nil, "could not be saved"},
		{"session gone at start", nil, func(r *rig) {
			r.sessions.mu.Lock()
			r.sessions.blobs = nil // a keyring or sessions dir that forgets
			r.sessions.mu.Unlock()
		}, "gone at start"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, rigOptions{})
			if tc.setup != nil {
				tc.setup(r)
			}
			warned := 0
			for run := range 8 {
				if tc.each != nil && run > 0 {
					tc.each(r)
				}
				r.build(rigOptions{}) // a one-shot run: a new process
				rep := r.cycle()
				if got := status(rep, checks.CheckICloudUpload); got == "unknown" {
					a, _ := rep.Check(checks.CheckAuth)
					t.Fatalf("run %d: iCloud was not read (auth: %s)", run, a.Summary)
				}
				a, _ := rep.Check(checks.CheckAuth)
				if run == 0 {
					continue
				}
				if a.Status != checks.StatusWarning || !strings.Contains(a.Summary, "not being kept") ||
					!strings.Contains(a.Summary, tc.why) || !strings.Contains(a.Remediation, "/data") {
					t.Errorf("run %d: auth %s %q (fix %q), want a warning saying the session is not kept", run, a.Status, a.Summary, a.Remediation)
				} else {
					warned++
				}
				r.clock.Advance(time.Hour)
			}
			if warned == 0 {
				t.Error("never warned")
			}
		})
	}
}
