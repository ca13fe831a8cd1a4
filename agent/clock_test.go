package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/demo"
)

// Issue 26: with the NAS clock 10 days slow, a 10-day upload stall was
// judged on the NAS clock (the newest upload looked brand new) and was
// reported ok. Apple's Date header gives its time; ages follow it.
func TestNASClockBehindStallIsStillCritical(t *testing.T) {
	const tenDays = 10 * 24 * time.Hour
	// "stalled": nothing reached iCloud for 10 days of Apple's time, and
	// the fake (Apple) is 10 days ahead of the agent's clock.
	r := newRig(t, rigOptions{scenario: "stalled", serverSkew: tenDays})
	for cycle := range 3 { // the first is a one-shot verify; the rest a daemon's
		rep := r.cycle()
		up, _ := rep.Check(checks.CheckICloudUpload)
		if up.Status != checks.StatusCritical {
			t.Fatalf("cycle %d: icloud_upload %s (%s), want critical: 10 days without uploads on Apple's time", cycle, up.Status, up.Summary)
		}
		for _, id := range []checks.CheckID{checks.CheckICloudUpload, checks.CheckSessionExpiry, checks.CheckLocalCopy, checks.CheckRecentlyDeleted} {
			c, _ := rep.Check(id)
			if !strings.Contains(c.Summary, "the NAS clock is 10 days behind Apple's: check NTP") {
				t.Errorf("cycle %d: %s does not say the clock is off: %q", cycle, id, c.Summary)
			}
		}
		if o := rep.Observed.ClockOffsetSeconds; o == nil || *o < tenDays.Seconds()-60 || *o > tenDays.Seconds()+60 {
			t.Errorf("cycle %d: observed clock offset %v, want about %v s", cycle, o, tenDays.Seconds())
		}
		r.clock.Advance(time.Hour)
	}
	// The history is dated on Apple's time, so the daemon's later cycles
	// learn from points that are in the past, not 10 days in the future.
	rows, err := r.db.History(t.Context(), demo.Account, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if d := row.At.Sub(r.clock.Now()); d < tenDays-4*time.Hour || d > tenDays+time.Minute {
			t.Errorf("a history point is dated %v from the agent's clock, want Apple's time (about +10 days)", d)
		}
	}
}

// Within the tolerance nothing is said and the agent's clock is used.
func TestSmallClockOffsetIsIgnored(t *testing.T) {
	r := newRig(t, rigOptions{serverSkew: 90 * time.Second})
	rep := r.cycle()
	for _, c := range rep.Checks {
		if strings.Contains(c.Summary, "NAS clock") {
			t.Errorf("%s mentions the clock for a 90 s offset: %q", c.ID, c.Summary)
		}
	}
	rows, err := r.db.History(t.Context(), demo.Account, time.Time{})
	if err != nil || len(rows) != 1 || !rows[0].At.Equal(r.clock.Now()) {
		t.Errorf("history %v (%v): want one point at the agent's clock %v", rows, err, r.clock.Now())
	}
}

// Apple's Retry-After is counted from this machine's clock; with the
// cycle judged on Apple's time, the "next try" must move along, or a
// throttle announced for an hour from now would look long past.
func TestRetryAfterFollowsAppleTime(t *testing.T) {
	r := newRig(t, rigOptions{serverSkew: 10 * 24 * time.Hour})
	r.cycle()
	r.clock.Advance(10 * time.Minute)
	r.extra.set(&extraFault{Status: 429, RetryAfter: "3600"})
	rep := r.cycle()
	c, _ := rep.Check(checks.CheckAuth)
	if !strings.Contains(c.Summary, "next try") {
		t.Errorf("auth under a 1-hour Retry-After does not say when the next try is: %s %q", c.Status, c.Summary)
	}
}
