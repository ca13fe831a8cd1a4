package checks

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

func TestCheckTimeFollowsAppleBeyondTolerance(t *testing.T) {
	local := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	d := func(x time.Duration) *time.Duration { return &x }
	for _, tc := range []struct {
		off  *time.Duration
		want time.Time
	}{
		{nil, local},
		{d(ClockTolerance), local},
		{d(-ClockTolerance), local},
		{d(ClockTolerance + time.Second), local.Add(ClockTolerance + time.Second)},
		{d(-10 * day), local.Add(-10 * day)},
	} {
		t.Run(fmt.Sprint(durOrNil(tc.off)), func(t *testing.T) {
			if got := CheckTime(Observation{ClockOffset: tc.off}, local); !got.Equal(tc.want) {
				t.Errorf("offset %v: check time %v, want %v", tc.off, got, tc.want)
			}
		})
	}
}

// The age checks say the NAS clock is off, the others do not, and the
// statuses are those of the ages on Apple's time.
func TestEvaluateNotesTheClockOnAgeChecks(t *testing.T) {
	apple := time.Date(2026, 5, 11, 12, 0, 0, 0, time.UTC)
	off := 10 * day
	obs := Observation{Account: "a", Auth: AuthObservation{Kind: AuthOK}, ClockOffset: &off,
		SessionExpiry: apple.Add(20 * day),
		Libraries: []LibraryObservation{{Name: "personal", Listed: true, Monitored: true, Indexing: IndexingFinished,
			Newest: []photo.Asset{{ID: "1", Filename: "IMG_1.HEIC", Added: apple.Add(-10 * day), Taken: apple.Add(-10 * day)}}}}}
	rep := Evaluate(obs, DefaultPolicy(), History{}, CheckTime(obs, apple.Add(-off)))
	up, _ := rep.Check(CheckICloudUpload)
	if up.Status != StatusCritical {
		t.Errorf("icloud_upload %s (%s), want critical: 10 days on Apple's time", up.Status, up.Summary)
	}
	judgesAge := map[CheckID]bool{CheckICloudUpload: true, CheckLocalCopy: true, CheckSessionExpiry: true, CheckRecentlyDeleted: true}
	for _, c := range rep.Checks {
		says := strings.Contains(c.Summary, "the NAS clock is 10 days behind Apple's: check NTP")
		if says != judgesAge[c.ID] {
			t.Errorf("%s: mentions the clock %v, want %v (%q)", c.ID, says, judgesAge[c.ID], c.Summary)
		}
	}
	if o := rep.Observed.ClockOffsetSeconds; o == nil || *o != off.Seconds() {
		t.Errorf("observed offset %v, want %v", o, off.Seconds())
	}
	if _, s := ClockNotice(rep.Observed); !strings.HasPrefix(s, "The NAS clock is 10 days behind Apple's: check NTP") {
		t.Errorf("ClockNotice %q", s)
	}
	small := 2 * time.Minute
	if _, s := ClockNotice(Observed{ClockOffsetSeconds: ptrF(small.Seconds())}); s != "" {
		t.Errorf("ClockNotice for 2 min: %q, want none", s)
	}
}

func ptrF(f float64) *float64 { return &f }

// durOrNil names an optional offset in a test name.
func durOrNil(d *time.Duration) any {
	if d == nil {
		return "no offset"
	}
	return *d
}
