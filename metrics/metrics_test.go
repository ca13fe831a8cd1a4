package metrics_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// designMetrics is the list of design §6, the contract of this package.
var designMetrics = []string{
	"icloudmon_audit_fill_ratio",                      // issue 20: whole-library audit
	"icloudmon_audit_last_complete_timestamp_seconds", // issue 20
	"icloudmon_audit_mirrored_assets",                 // issue 20
	"icloudmon_audit_missing_assets",                  // issue 20
	"icloudmon_build_info",
	"icloudmon_check_pending", // issue 20: a first pass under way (library_audit)
	"icloudmon_check_status",
	"icloudmon_clock_offset_seconds", // issue 26: the NAS clock against Apple's
	"icloudmon_icloud_assets",
	"icloudmon_icloud_failed_requests_total", // issue 22: exists at 0 from start-up
	"icloudmon_icloud_hidden_assets",         // docs/design.md §8 addition
	"icloudmon_icloud_newest_added_timestamp_seconds",
	"icloudmon_icloud_newest_taken_timestamp_seconds",
	"icloudmon_icloud_requests_total",
	"icloudmon_last_run_timestamp_seconds",
	"icloudmon_last_success_timestamp_seconds",
	"icloudmon_local_files",
	"icloudmon_local_lag_seconds",
	"icloudmon_local_newest_timestamp_seconds",
	"icloudmon_missing_assets",
	"icloudmon_notifications_total",
	"icloudmon_reauth_required",
	"icloudmon_recently_deleted_assets",
	"icloudmon_recently_deleted_next_purge_timestamp_seconds",
	"icloudmon_recently_deleted_unprotected_assets",
	"icloudmon_run_duration_seconds",
	"icloudmon_session_expiry_timestamp_seconds",
	"icloudmon_signin_attempts_total",
	"icloudmon_storage_total_bytes",
	"icloudmon_storage_used_bytes",
	"icloudmon_up",
}

func TestEveryDesignMetricIsExported(t *testing.T) {
	_, reg := fullMetrics(t)
	if diff := cmp.Diff(designMetrics, exportedNames(t, reg)); diff != "" {
		t.Errorf("exported metric names differ from design §6 (-want +got):\n%s", diff)
	}
}

func TestPromlintClean(t *testing.T) {
	_, reg := fullMetrics(t)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatalf("GatherAndLint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// goldenNames are all metrics except build_info, whose goversion label
// depends on the toolchain (TestBuildInfo covers it).
func goldenNames() []string {
	var names []string
	for _, n := range designMetrics {
		if n != "icloudmon_build_info" {
			names = append(names, n)
		}
	}
	return names
}

func TestGoldenExposition(t *testing.T) {
	tests := []struct {
		name  string
		setup func(m *metrics.Metrics)
	}{
		{"full", func(*metrics.Metrics) {}},
		{"alice_only", func(m *metrics.Metrics) {
			r := sampleReport()
			r.Accounts = r.Accounts[:1]
			r.Accounts[0].Observed.Folders = r.Accounts[0].Observed.Folders[1:]
			m.SetReport(r)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, reg := fullMetrics(t)
			tt.setup(m)
			golden := filepath.Join("testdata", tt.name+".prom")
			if *update {
				writeGolden(t, reg, golden)
			}
			f, err := os.Open(golden)
			if err != nil {
				t.Fatalf("open golden file (run go test -update to create it): %v", err)
			}
			defer f.Close()
			if err := testutil.GatherAndCompare(reg, f, goldenNames()...); err != nil {
				t.Error(err)
			}
		})
	}
}

func writeGolden(t *testing.T, reg prometheus.Gatherer, path string) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if mf.GetName() == "icloudmon_build_info" {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBuildInfo(t *testing.T) {
	_, reg := newMetrics(t)
	want := fmt.Sprintf(`# HELP icloudmon_build_info Always 1; labels carry the version, VCS revision and Go version of icloudmon.
# TYPE icloudmon_build_info gauge
icloudmon_build_info{goversion=%q,revision="abc1234",version="1.2.3"} 1
`, runtime.Version())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "icloudmon_build_info"); err != nil {
		t.Error(err)
	}
}

func TestNoReportMeansNoReportSeries(t *testing.T) {
	m, reg := newMetrics(t)
	m.ObserveRun("alice", time.Second, true)
	got := exportedNames(t, reg)
	want := []string{
		"icloudmon_build_info",
		"icloudmon_last_run_timestamp_seconds",
		"icloudmon_last_success_timestamp_seconds",
		"icloudmon_run_duration_seconds",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("before the first report (-want +got):\n%s", diff)
	}
}

func TestDisappearedAccountsAndFoldersVanish(t *testing.T) {
	m, reg := fullMetrics(t)
	if n := testutil.CollectAndCount(reg, "icloudmon_up"); n != 2 {
		t.Fatalf("icloudmon_up series before = %d, want 2", n)
	}
	r := sampleReport()
	r.Accounts = r.Accounts[:1]
	r.Accounts[0].Observed.Folders = r.Accounts[0].Observed.Folders[:1]
	r.Accounts[0].Observed.Libraries = nil
	r.Accounts[0].Observed.Audit = r.Accounts[0].Observed.Audit[:1]
	m.SetReport(r)
	for name, want := range map[string]int{
		"icloudmon_up":                                    1,
		"icloudmon_check_status":                          10,
		"icloudmon_check_pending":                         1,
		"icloudmon_audit_mirrored_assets":                 1,
		"icloudmon_audit_fill_ratio":                      1,
		"icloudmon_local_files":                           1,
		"icloudmon_missing_assets":                        1,
		"icloudmon_icloud_assets":                         0,
		"icloudmon_icloud_newest_added_timestamp_seconds": 0,
	} {
		if got := testutil.CollectAndCount(reg, name); got != want {
			t.Errorf("%s: %d series, want %d", name, got, want)
		}
	}
}

func TestUnknownFactsAreAbsentNotZero(t *testing.T) {
	m, reg := newMetrics(t)
	m.SetReport(checks.Report{Accounts: []checks.AccountReport{{
		Name: "carol",
		Observed: checks.Observed{Folders: []checks.FolderFacts{{Name: "nas"}},
			Libraries: []checks.LibraryFacts{{Name: "personal"}}},
	}}})
	got := exportedNames(t, reg)
	want := []string{"icloudmon_build_info", "icloudmon_last_run_timestamp_seconds", "icloudmon_reauth_required", "icloudmon_up"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("with nothing known (-want +got):\n%s", diff)
	}
}

func TestDuplicateLabelsDoNotBreakTheScrape(t *testing.T) {
	m, reg := newMetrics(t)
	r := sampleReport()
	a := r.Accounts[0]
	a.Observed.Folders = append(a.Observed.Folders, a.Observed.Folders[0])
	a.Observed.Libraries = append(a.Observed.Libraries, a.Observed.Libraries[0])
	a.Checks = append(a.Checks, a.Checks[0])
	r.Accounts = append(r.Accounts, a)
	m.SetReport(r)
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("Gather with duplicate accounts/folders: %v", err)
	}
	if n := testutil.CollectAndCount(reg, "icloudmon_local_files"); n != 3 {
		t.Errorf("icloudmon_local_files: %d series, want 3 (duplicates dropped)", n)
	}
}

func TestInvalidUTF8LabelIsRepaired(t *testing.T) {
	m, reg := newMetrics(t)
	m.SetReport(checks.Report{Accounts: []checks.AccountReport{{Name: "bad\xffname"}}})
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("Gather: %v", err)
	}
	if n := testutil.CollectAndCount(reg, "icloudmon_up"); n != 1 {
		t.Errorf("icloudmon_up: %d series, want 1", n)
	}
}

func TestLabelsNeverCarryURLsOrAddresses(t *testing.T) {
	m, reg := newMetrics(t)
	m.ObserveNotification("ntfy://user:secret@ntfy.example/topic", nil)
	m.ObserveNotification("alice@example.com", nil)
	m.ObserveRequest("alice", "https://p42-ckdatabasews.icloud.com/database/1?dsid=123456", 200)
	m.ObserveSignIn("alice", checks.AuthKind("weird kind with spaces"))
	m.ObserveSignIn("alice", checks.AuthNone)
	want := `# HELP icloudmon_notifications_total Notifications sent, by notifier and result (ok or error).
# TYPE icloudmon_notifications_total counter
icloudmon_notifications_total{notifier="other",result="ok"} 2
# HELP icloudmon_icloud_requests_total Requests sent to iCloud web services, by account, endpoint and HTTP status code ("error" when no answer came).
# TYPE icloudmon_icloud_requests_total counter
icloudmon_icloud_requests_total{account="alice",code="200",endpoint="other"} 1
# HELP icloudmon_signin_attempts_total Password (SRP) sign-in attempts the agent made, by account and outcome.
# TYPE icloudmon_signin_attempts_total counter
icloudmon_signin_attempts_total{account="alice",result="none"} 1
icloudmon_signin_attempts_total{account="alice",result="other"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"icloudmon_notifications_total", "icloudmon_icloud_requests_total", "icloudmon_signin_attempts_total"); err != nil {
		t.Error(err)
	}
}

func TestObserveRun(t *testing.T) {
	clock := now.Add(-time.Minute)
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := testutil.ToFloat64(gaugeOf(t, reg, "icloudmon_last_run_timestamp_seconds")), float64(clock.Unix()); got != want {
		t.Errorf("last run before any cycle = %v, want the start time %v", got, want)
	}
	clock = now
	m.ObserveRun("alice", 2*time.Second, true)
	clock = now.Add(time.Hour)
	m.ObserveRun("alice", 3*time.Second, false)
	m.SetLastSuccess("bob", now.Add(-48*time.Hour))
	m.SetLastSuccess("carol", time.Time{})
	want := fmt.Sprintf(`# HELP icloudmon_last_run_timestamp_seconds Unix time when the agent last finished a check cycle for any account (its start time before the first cycle).
# TYPE icloudmon_last_run_timestamp_seconds gauge
icloudmon_last_run_timestamp_seconds %d
# HELP icloudmon_last_success_timestamp_seconds Unix time of the last check cycle that could sign in and read iCloud for the account.
# TYPE icloudmon_last_success_timestamp_seconds gauge
icloudmon_last_success_timestamp_seconds{account="alice"} %d
icloudmon_last_success_timestamp_seconds{account="bob"} %d
# HELP icloudmon_run_duration_seconds Duration of the last check cycle of the account.
# TYPE icloudmon_run_duration_seconds gauge
icloudmon_run_duration_seconds{account="alice"} 3
`, now.Add(time.Hour).Unix(), now.Unix(), now.Add(-48*time.Hour).Unix())
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"icloudmon_last_run_timestamp_seconds", "icloudmon_last_success_timestamp_seconds", "icloudmon_run_duration_seconds"); err != nil {
		t.Error(err)
	}
}

// gaugeOf returns the value of the single series of name as a Collector
// that ToFloat64 accepts.
func gaugeOf(t *testing.T, reg prometheus.Gatherer, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "copy"})
			g.Set(mf.GetMetric()[0].GetGauge().GetValue())
			return g
		}
	}
	t.Fatalf("no single series %s", name)
	return nil
}

func TestNewRefusesNilDefaultAndDoubleRegistration(t *testing.T) {
	if _, err := metrics.New(nil, metrics.Options{}); err == nil {
		t.Error("New(nil) succeeded, want an error")
	}
	if _, err := metrics.New(prometheus.DefaultRegisterer, metrics.Options{}); err == nil {
		t.Error("New(DefaultRegisterer) succeeded, want an error")
	}
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg, metrics.Options{}); err != nil {
		t.Fatalf("first New: %v", err)
	}
	if _, err := metrics.New(reg, metrics.Options{}); err == nil {
		t.Error("second New on the same registry succeeded, want an error")
	}
	// A failed New leaves the registry as it was.
	partial := prometheus.NewRegistry()
	clash := prometheus.NewGauge(prometheus.GaugeOpts{Name: "icloudmon_last_run_timestamp_seconds",
		Help: "Unix time when the agent last finished a check cycle for any account (its start time before the first cycle)."})
	partial.MustRegister(clash)
	if _, err := metrics.New(partial, metrics.Options{}); err == nil {
		t.Fatal("New on a registry with a clashing metric succeeded, want an error")
	}
	partial.Unregister(clash)
	if _, err := metrics.New(partial, metrics.Options{}); err != nil {
		t.Errorf("New after removing the clash: %v (a failed New left collectors behind)", err)
	}
}

func TestHandlerServesExposition(t *testing.T) {
	_, reg := fullMetrics(t)
	srv := httptest.NewServer(metrics.Handler(reg, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", resp.StatusCode, body)
	}
	for _, want := range []string{`icloudmon_up{account="alice"} 1`, `icloudmon_check_status{account="bob",check="auth"} 2`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q", want)
		}
	}
}

func TestNewRegistryHasRuntimeMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	if _, err := metrics.New(reg, metrics.Options{}); err != nil {
		t.Fatal(err)
	}
	names := exportedNames(t, reg)
	if !contains(names, "go_goroutines") || !contains(names, "icloudmon_build_info") {
		t.Errorf("NewRegistry metrics = %v, want go_goroutines and icloudmon_build_info", names)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestConcurrentReportsAndScrapes(t *testing.T) {
	m, reg := fullMetrics(t)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				m.SetReport(sampleReport())
				m.ObserveRequest("alice", "validate", 200+i)
				m.ObserveRun("alice", time.Duration(j)*time.Millisecond, j%2 == 0)
				if _, err := reg.Gather(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestReauthRequiredOnlyWhenASignInFixesIt(t *testing.T) {
	tests := []struct {
		auth   checks.AuthKind
		reauth bool // Observed.ReauthRequired as checks sets it (any blocker)
		want   float64
	}{
		{checks.AuthOK, false, 0},
		{checks.AuthReauthRequired, true, 1},
		{checks.AuthPasswordMissing, true, 1},
		{checks.AuthPasswordRejected, true, 0},
		{checks.AuthLocked, true, 0},
		{checks.AuthWebAccessDisabled, true, 0},
		{checks.AuthThrottled, false, 0},
		{checks.AuthNone, true, 1},
		{checks.AuthNone, false, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.auth, tt.reauth), func(t *testing.T) {
			m, reg := newMetrics(t)
			m.SetReport(checks.Report{Accounts: []checks.AccountReport{{
				Name: "alice", Observed: checks.Observed{Auth: tt.auth, ReauthRequired: tt.reauth},
			}}})
			if got := testutil.ToFloat64(gaugeOf(t, reg, "icloudmon_reauth_required")); got != tt.want {
				t.Errorf("icloudmon_reauth_required = %v, want %v", got, tt.want)
			}
		})
	}
}

// Issue 22 item 2: a counter series that first appears at 1 hides that
// first event from increase(); Init creates the series alerts and panels
// use at 0 before anything happened.
func TestInitCreatesCountersAtZero(t *testing.T) {
	m, reg := newMetrics(t)
	m.Init([]string{"alice", "bob"}, []string{"ntfy", "healthchecks"})
	want := `# HELP icloudmon_notifications_total Notifications sent, by notifier and result (ok or error).
# TYPE icloudmon_notifications_total counter
icloudmon_notifications_total{notifier="healthchecks",result="error"} 0
icloudmon_notifications_total{notifier="healthchecks",result="ok"} 0
icloudmon_notifications_total{notifier="ntfy",result="error"} 0
icloudmon_notifications_total{notifier="ntfy",result="ok"} 0
# HELP icloudmon_icloud_failed_requests_total Requests to iCloud web services that got no answer or an answer other than 2xx, by account; exists at 0 from start-up so that the first failure shows in increase() and rate().
# TYPE icloudmon_icloud_failed_requests_total counter
icloudmon_icloud_failed_requests_total{account="alice"} 0
icloudmon_icloud_failed_requests_total{account="bob"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"icloudmon_notifications_total", "icloudmon_icloud_failed_requests_total"); err != nil {
		t.Error(err)
	}
	for _, acct := range []string{"alice", "bob"} {
		for _, r := range []string{"ok", "reauth_required", "password_rejected", "locked", "throttled", "network_error"} {
			if v := counterValue(t, reg, "icloudmon_signin_attempts_total", map[string]string{"account": acct, "result": r}); v != 0 {
				t.Errorf("signin_attempts{%s,%s} = %v, want 0", acct, r, v)
			}
		}
	}
	// Events count on top of the zero series; Init again resets nothing.
	m.ObserveNotification("ntfy", errors.New("refused"))
	m.ObserveRequest("alice", "validate", 503)
	m.ObserveRequest("alice", "validate", 0)
	m.ObserveRequest("alice", "validate", 200)
	m.Init([]string{"alice"}, []string{"ntfy"})
	if v := counterValue(t, reg, "icloudmon_notifications_total", map[string]string{"notifier": "ntfy", "result": "error"}); v != 1 {
		t.Errorf("ntfy errors after one failure and a second Init = %v, want 1", v)
	}
	if v := counterValue(t, reg, "icloudmon_icloud_failed_requests_total", map[string]string{"account": "alice"}); v != 2 {
		t.Errorf("failed requests of alice = %v, want 2 (a 503 and no answer; the 200 is not a failure)", v)
	}
}

// counterValue is the value of the counter series name{labels}; the test
// fails when that series does not exist.
func counterValue(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue series
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}
