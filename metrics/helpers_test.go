package metrics_test

import (
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/metrics"
)

// now is the fixed clock of every test.
var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// sampleReport is a two-account report with every observed fact set for
// alice and a mostly unknown bob (signed out, nothing read).
func sampleReport() checks.Report {
	alice := checks.AccountReport{
		Name:   "alice",
		Status: checks.StatusWarning,
		Checks: []checks.CheckResult{
			{ID: checks.CheckAuth, Status: checks.StatusOK},
			{ID: checks.CheckSessionExpiry, Status: checks.StatusWarning},
			{ID: checks.CheckICloudUpload, Status: checks.StatusOK},
			{ID: checks.CheckStorage, Status: checks.StatusCritical},
			{ID: checks.CheckLocalCopy, Status: checks.StatusWarning},
			{ID: checks.CheckRecentlyDeleted, Status: checks.StatusOK},
			{ID: checks.CheckLibraryCoverage, Status: checks.StatusWarning},
			{ID: checks.CheckFolder, Status: checks.StatusOK},
			{ID: checks.CheckIndexing, Status: checks.StatusOK},
			{ID: checks.CheckLibraryAudit, Status: checks.StatusUnknown, Pending: true},
		},
		Observed: checks.Observed{
			Up:                         true,
			Auth:                       checks.AuthOK,
			SessionExpiry:              now.Add(5 * 24 * time.Hour),
			ICloudNewestAdded:          now.Add(-2 * time.Hour),
			ICloudNewestTaken:          now.Add(-3 * time.Hour),
			LocalNewest:                now.Add(-26 * time.Hour),
			StorageUsedBytes:           ptr(int64(49_000_000_000)),
			StorageTotalBytes:          ptr(int64(50_000_000_000)),
			StorageFreeRatio:           ptr(0.02),
			RecentlyDeleted:            ptr(7),
			RecentlyDeletedUnprotected: ptr(2),
			RecentlyDeletedNextPurge:   now.Add(6 * 24 * time.Hour),
			ClockOffsetSeconds:         ptr(-864000.0),
			Libraries: []checks.LibraryFacts{
				{Name: "personal", Monitored: true, NewestAdded: now.Add(-2 * time.Hour), NewestTaken: now.Add(-3 * time.Hour), Assets: ptr(12345), Hidden: ptr(23)},
				{Name: "shared", Monitored: false, NewestAdded: now.Add(-72 * time.Hour), NewestTaken: now.Add(-80 * time.Hour), Assets: ptr(321)},
			},
			Folders: []checks.FolderFacts{
				{Name: "icloudpd", Path: "/photos/alice", LocalNewest: now.Add(-26 * time.Hour), Files: ptr(12001), Missing: ptr(3), LagSeconds: ptr(86400.0)},
				{Name: "immich", Path: "/photos/immich", LocalNewest: now.Add(-2 * time.Hour), Files: ptr(12300), Missing: ptr(0), LagSeconds: ptr(0.0)},
			},
			Audit: []checks.AuditFacts{
				{Library: "personal", Filled: true, Mirrored: 12345, Expected: ptr(12345), FillRatio: ptr(1.0), Compared: 12300, Excluded: 45,
					Missing: ptr(7), LastComplete: now.Add(-10 * time.Minute)},
				{Library: "shared", Mirrored: 100, Expected: ptr(400), FillRatio: ptr(0.25), Paused: true, ResumeAt: now.Add(time.Hour)},
			},
		},
	}
	bob := checks.AccountReport{
		Name:   "bob",
		Status: checks.StatusCritical,
		Checks: []checks.CheckResult{
			{ID: checks.CheckAuth, Status: checks.StatusCritical},
			{ID: checks.CheckLocalCopy, Status: checks.StatusUnknown},
		},
		Observed: checks.Observed{
			Auth:           checks.AuthReauthRequired,
			ReauthRequired: true,
			Folders:        []checks.FolderFacts{{Name: "bob", Path: "/photos/bob", Files: ptr(900)}},
		},
	}
	return checks.Report{Status: checks.StatusCritical, CheckedAt: now, Accounts: []checks.AccountReport{alice, bob}}
}

// newMetrics returns metrics on a fresh registry with a fixed clock.
func newMetrics(t testing.TB) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Version: "1.2.3", Revision: "abc1234", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m, reg
}

// fullMetrics returns metrics where every metric family has at least one
// series: the sample report plus one call of every Observe method.
func fullMetrics(t testing.TB) (*metrics.Metrics, *prometheus.Registry) {
	t.Helper()
	m, reg := newMetrics(t)
	m.SetReport(sampleReport())
	m.ObserveRequest("alice", "validate", 200)
	m.ObserveRequest("alice", "records/query", 200)
	m.ObserveRequest("alice", "records/query", 200)
	m.ObserveRequest("bob", "validate", 421)
	m.ObserveRequest("bob", "validate", 0)
	m.ObserveSignIn("bob", checks.AuthReauthRequired)
	m.ObserveSignIn("alice", checks.AuthOK)
	m.ObserveNotification("ntfy", nil)
	m.ObserveNotification("ntfy", errors.New("connection refused"))
	m.ObserveRun("alice", 2500*time.Millisecond, true)
	m.ObserveRun("bob", 300*time.Millisecond, false)
	return m, reg
}

// exportedNames gathers reg and returns the metric family names, sorted.
func exportedNames(t testing.TB, reg prometheus.Gatherer) []string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	sort.Strings(names)
	return names
}

// definedNames is the set of metric names the exporter defines, taken from
// a fully populated registry.
func definedNames(t *testing.T) map[string]bool {
	t.Helper()
	_, reg := fullMetrics(t)
	set := map[string]bool{}
	for _, n := range exportedNames(t, reg) {
		set[n] = true
	}
	return set
}
