package metrics_test

import (
	"fmt"
	"testing"

	"github.com/icloudmon/icloudmon/checks"
)

// BenchmarkGather measures one scrape of a large household: 10 accounts,
// each with 2 libraries and 3 folders, plus the agent's counters.
func BenchmarkGather(b *testing.B) {
	m, reg := fullMetrics(b)
	base := sampleReport().Accounts[0]
	var r checks.Report
	for i := range 10 {
		a := base
		a.Name = fmt.Sprintf("account%d", i)
		a.Observed.Folders = append(a.Observed.Folders, checks.FolderFacts{Name: "nas", Files: ptr(10), Missing: ptr(0)})
		r.Accounts = append(r.Accounts, a)
	}
	m.SetReport(r)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
