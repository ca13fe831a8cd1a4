package checks

import (
	"fmt"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	h := time.Hour
	ds := []time.Duration{5 * h, 1 * h, 3 * h, 2 * h, 4 * h}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0, 1 * h}, {0.5, 3 * h}, {1, 5 * h}, {0.25, 2 * h}, {0.99, 4*h + 57*time.Minute + 36*time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.q), func(t *testing.T) {
			if got := quantile(ds, tt.q); got != tt.want {
				t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if ds[0] != 5*h {
		t.Error("quantile sorted its input in place")
	}
	if quantile(nil, 0.99) != 0 {
		t.Error("quantile of nothing is not 0")
	}
}

func TestUploadEventsJoinBursts(t *testing.T) {
	base := now.Add(-10 * day)
	var times []time.Time
	for i := range 300 { // a holiday import: 300 uploads 10 s apart
		times = append(times, base.Add(time.Duration(i)*10*time.Second))
	}
	times = append(times,
		base.Add(2*day), base.Add(2*day), // duplicate
		base.Add(3*day), base.Add(3*day+50*time.Minute), // two uploads within the burst window
		base.Add(-100*day), // outside the window
		now.Add(time.Hour), // in the future
		time.Time{},        // undated
	)
	evs := uploadEvents(times, now.Add(-90*day), now)
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3: %v", len(evs), evs)
	}
	if got := evs[0].end.Sub(evs[0].start); got != 299*10*time.Second {
		t.Errorf("burst event spans %v, want 49m50s", got)
	}
	gaps := eventGaps(evs)
	want := []time.Duration{2*day - 299*10*time.Second, day}
	if len(gaps) != 2 || gaps[0] != want[0] || gaps[1] != want[1] {
		t.Errorf("gaps = %v, want %v", gaps, want)
	}
}

// uploadThresholdsFor evaluates an account whose history has the given
// gaps between single uploads, ending 1 h ago.
func uploadThresholdsFor(t *testing.T, gaps []time.Duration, p Policy) UploadDetails {
	t.Helper()
	at := now.Add(-time.Hour)
	times := []time.Time{at}
	for _, g := range gaps {
		at = at.Add(-g)
		times = append(times, at)
	}
	o := withAssets(healthyObs(), assetsAt(times[:1]))
	a := Evaluate(o, p, History{Uploads: times, LastSuccess: now}, now)
	c, _ := a.Check(CheckICloudUpload)
	if c.Details == nil || c.Details.Upload == nil {
		t.Fatal("no upload details")
	}
	return *c.Details.Upload
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestAdaptiveThresholds(t *testing.T) {
	p := DefaultPolicy()
	secs := func(d time.Duration) float64 { return d.Seconds() }
	tests := []struct {
		name               string
		gaps               []time.Duration
		adaptive           bool
		warnAfter, critAft time.Duration
	}{
		{"cold start with 7 gaps", repeat(7*day, 7), false, 3 * day, 7 * day},
		{"8 gaps are enough", repeat(2*day, 8), true, 4 * day, 8 * day},
		{"hourly photographer floors at upload_warning", repeat(2*time.Hour, 40), true, 3 * day, 7 * day},
		{"ten-day photographer ceilings at upload_critical", repeat(10*day, 8), true, 7 * day, 11 * day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := uploadThresholdsFor(t, tt.gaps, p)
			if u.Adaptive != tt.adaptive || u.WarningAfterSeconds != secs(tt.warnAfter) || u.CriticalAfterSeconds != secs(tt.critAft) {
				t.Errorf("got adaptive=%v warn=%vs crit=%vs, want %v %vs %vs", u.Adaptive, u.WarningAfterSeconds,
					u.CriticalAfterSeconds, tt.adaptive, secs(tt.warnAfter), secs(tt.critAft))
			}
		})
	}
}

func TestUploadGapIsNotLearnedFromTheOpenStall(t *testing.T) {
	// A daily photographer whose phone stopped 6 days ago: the open gap must
	// not count as a learned gap, so the warning point stays at 3 days.
	o, h := stalled(6*day, day, 2*time.Hour)
	a := Evaluate(o, DefaultPolicy(), h, now)
	c, _ := a.Check(CheckICloudUpload)
	if c.Status != StatusWarning || c.Details.Upload.WarningAfterSeconds != (3*day).Seconds() {
		t.Errorf("got %s with warning after %vs", c.Status, c.Details.Upload.WarningAfterSeconds)
	}
}

func TestSharedLibraryDoesNotMaskAStall(t *testing.T) {
	o, h := stalled(8*day, day, 2*time.Hour)
	fresh := assetsEvery(5, now.Add(-time.Hour), time.Hour)
	for i := range fresh {
		fresh[i].ID = "shared-" + fresh[i].ID
	}
	o.Libraries = append(o.Libraries, LibraryObservation{Name: "shared", Zone: "SharedSync-1", Shared: true, Monitored: true,
		Indexing: IndexingFinished, Listed: true, Newest: fresh, AssetCount: ptr(5), HiddenCount: ptr(0)})
	a := Evaluate(o, DefaultPolicy(), h, now)
	if c, _ := a.Check(CheckICloudUpload); c.Status != StatusCritical {
		t.Errorf("icloud_upload = %s (%s): a Shared Library upload by someone else hid this phone's stall", c.Status, c.Summary)
	}
}
