package checks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// weeks runs the agent's loop (BuildHistory → Evaluate → NewHistoryPoint
// with UploadAlerted, stored as JSON) every 6 hours from start to end over
// a phone that uploads once a day at noon, except on the days in quiet.
// It returns the icloud_upload status of the noon cycle of every day.
func weeks(t *testing.T, start time.Time, days int, quiet func(day int) bool) []Status {
	t.Helper()
	p := DefaultPolicy()
	var stored [][]byte
	var uploads []time.Time // newest last
	var noon []Status
	for c := 0; c < days*4; c++ {
		at := start.Add(time.Duration(c) * 6 * time.Hour)
		d := c / 4
		if c%4 == 2 && !quiet(d) { // the day's upload, just before the noon cycle
			uploads = append(uploads, at.Add(-10*time.Minute))
		}
		var points []HistoryPoint
		for _, b := range stored {
			var hp HistoryPoint
			if err := json.Unmarshal(b, &hp); err != nil {
				t.Fatal(err)
			}
			points = append(points, hp)
		}
		hist := BuildHistory(points, p, at)
		newest := make([]time.Time, 0, 20)
		for i := len(uploads) - 1; i >= 0 && len(newest) < 20; i-- {
			newest = append(newest, uploads[i])
		}
		o := withAssets(healthyObs(), assetsAt(newest))
		o.SessionExpiry = at.Add(40 * day)
		rep := Evaluate(o, p, hist, at)
		hp := NewHistoryPoint(o, hist, at)
		hp.UploadAlert = UploadAlerted(rep)
		b, err := json.Marshal(hp)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, b)
		if c%4 == 2 {
			up, _ := rep.Check(CheckICloudUpload)
			noon = append(noon, up.Status)
		}
	}
	return noon
}

func statusLine(ss []Status) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(map[Status]string{StatusOK: ".", StatusWarning: "w", StatusCritical: "C", StatusUnknown: "?"}[s])
	}
	return b.String()
}

// Issue 26: the adaptive threshold learned the stall it alerted on. After
// a week-long stall had ended, its gap became "usual" and lifted the
// warning to the 7-day ceiling, so the next 4-day stall was not reported.
// Gaps during which the check was in alert are left out of learning.
func TestAdaptiveLearningLeavesOutAlertedStalls(t *testing.T) {
	start := now.Add(-60 * day).Truncate(day)
	// Daily uploads; quiet days 20-26 (a 7-day stall) and 40-44.
	quiet := func(d int) bool { return (d >= 20 && d < 27) || (d >= 40 && d < 45) }
	got := statusLine(weeks(t, start, 46, quiet))
	// From the first day of the daemon the static 3 d/7 d apply, learned
	// after 8 gaps: 1 day × 2 = 2 d, floored at 3 d. The 7-day stall
	// (last upload day 19): warning from day 22, critical day 26; ok
	// again with the upload of day 27. The second stall (last upload day
	// 39) must warn from day 42 again.
	want := strings.Repeat(".", 22) + "wwww" + "C" + strings.Repeat(".", 15) + "www" + "."
	if got != want {
		t.Errorf("noon statuses per day\n got %s\nwant %s\n(. ok, w warning, C critical)", got, want)
	}
}

// The learned warning never goes beyond upload_critical, nor critical
// beyond upload_critical + (upload_critical − upload_warning), however
// long the usual gaps are.
func TestAdaptiveThresholdsHaveACeiling(t *testing.T) {
	p := DefaultPolicy()
	for _, g := range []time.Duration{5 * day, 9 * day} {
		d := uploadThresholdsFor(t, repeat(g, 9), p)
		w, c := time.Duration(d.WarningAfterSeconds*float64(time.Second)), time.Duration(d.CriticalAfterSeconds*float64(time.Second))
		if w > p.UploadCritical || c > 2*p.UploadCritical-p.UploadWarning {
			t.Errorf("gaps of %v: warning after %v, critical after %v; ceiling %v and %v", g, w, c, p.UploadCritical, 2*p.UploadCritical-p.UploadWarning)
		}
		if !d.Adaptive {
			t.Errorf("gaps of %v: not adaptive (%s)", g, fmt.Sprint(d))
		}
	}
}
