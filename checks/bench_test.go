package checks

import (
	"testing"
	"time"
)

// BenchmarkEvaluate measures one account with 50 newest assets, one folder
// and 90 days of daily upload history.
func BenchmarkEvaluate(b *testing.B) {
	obs, hist := stalled(4*day, day, 4*time.Hour)
	p := DefaultPolicy()
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(obs, p, hist, now)
	}
}

// BenchmarkBuildHistory measures rebuilding History from 90 days of hourly
// points (2,160 points).
func BenchmarkBuildHistory(b *testing.B) {
	var pts []HistoryPoint
	for i := range 90 * 24 {
		at := now.Add(-time.Duration(i) * time.Hour)
		pts = append(pts, HistoryPoint{At: at, Auth: AuthOK, Uploads: []time.Time{at.Add(-time.Minute)},
			FolderFiles: map[string]int{folderPath: 12000 - i}})
	}
	p := DefaultPolicy()
	b.ReportAllocs()
	for b.Loop() {
		BuildHistory(pts, p, now)
	}
}
