package agent

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/metrics"
	"github.com/icloudmon/icloudmon/notify"
	"github.com/icloudmon/icloudmon/store"
)

// pingLog records what a healthchecks/webhook receiver got.
type pingLog struct {
	mu   sync.Mutex
	hits []string // "path?rid=…" or "path"
	body []string
}

func newPingServer(t *testing.T) (*httptest.Server, *pingLog) {
	t.Helper()
	l := &pingLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		hit := r.URL.Path
		if rid := r.URL.Query().Get("rid"); rid != "" {
			hit += "?rid=" + rid
		}
		l.hits = append(l.hits, hit)
		l.body = append(l.body, string(b))
		l.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return srv, l
}

func (l *pingLog) all() ([]string, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.hits...), append([]string(nil), l.body...)
}

func newNotifyAgent(t *testing.T, db *store.DB, reg *prometheus.Registry, opts notify.Options, cloud CloudSource) *Agent {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.Location = time.UTC
	n, err := notify.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	var m *metrics.Metrics
	if reg != nil {
		if m, err = metrics.New(reg, metrics.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	a, err := New(t.Context(), Options{Accounts: []Account{{Name: "alice", Cloud: cloud}}, Policy: checks.DefaultPolicy(),
		DB: db, Interval: time.Hour, Now: func() time.Time { return cycleNow }, Notifier: n, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Issue 22 item 2: the counters alerts and panels use exist at 0 as soon
// as the agent is built, before any cycle, sign-in or notification.
func TestNewCreatesCountersAtZero(t *testing.T) {
	hook, _ := newPingServer(t)
	reg := prometheus.NewRegistry()
	newNotifyAgent(t, openDB(t), reg, notify.Options{WebhookURL: hook.URL + "/hook", HealthchecksURL: hook.URL + "/hc"},
		stubCloud{healthyCloud})
	want := `# HELP icloudmon_notifications_total Notifications sent, by notifier and result (ok or error).
# TYPE icloudmon_notifications_total counter
icloudmon_notifications_total{notifier="healthchecks",result="error"} 0
icloudmon_notifications_total{notifier="healthchecks",result="ok"} 0
icloudmon_notifications_total{notifier="webhook",result="error"} 0
icloudmon_notifications_total{notifier="webhook",result="ok"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "icloudmon_notifications_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "icloudmon_signin_attempts_total"); n < 10 {
		t.Errorf("signin_attempts_total has %d series before any sign-in, want one per outcome at 0", n)
	}
	if n := testutil.CollectAndCount(reg, "icloudmon_icloud_failed_requests_total"); n != 1 {
		t.Errorf("icloud_failed_requests_total has %d series, want alice's at 0", n)
	}
}

// Issue 22 item 4: a cycle interrupted by shutdown ends its healthchecks
// run (same rid) with an explained /log instead of leaving /start open,
// and pages nobody (/fail is for cycles that broke).
func TestInterruptedCycleEndsItsHealthchecksRun(t *testing.T) {
	hc, pings := newPingServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	a := newNotifyAgent(t, openDB(t), nil, notify.Options{HealthchecksURL: hc.URL + "/ping/uuid"},
		stubCloud{func(obs *checks.Observation) {
			cancel() // SIGTERM while iCloud is being read
			obs.Auth = checks.AuthObservation{Kind: checks.AuthNetworkError, Message: "context canceled"}
		}})
	if _, err := a.RunCycle(ctx, "alice"); err == nil {
		t.Fatal("an interrupted cycle returned no error")
	}
	hits, bodies := pings.all()
	if len(hits) != 2 || !strings.HasPrefix(hits[0], "/ping/uuid/start?rid=") {
		t.Fatalf("pings = %v; want /start then one end ping", hits)
	}
	rid := strings.TrimPrefix(hits[0], "/ping/uuid/start?rid=")
	if hits[1] != "/ping/uuid/log?rid="+rid {
		t.Errorf("end ping = %q, want /log with the run id %s of the /start", hits[1], rid)
	}
	if !strings.Contains(bodies[1], "interrupted") {
		t.Errorf("end ping body %q does not say the cycle was interrupted", bodies[1])
	}
}

// Issue 22 item 4: a cycle that dies of a bug sends /fail with its run id
// before the panic goes on.
func TestPanickingCycleSendsFail(t *testing.T) {
	hc, pings := newPingServer(t)
	a := newNotifyAgent(t, openDB(t), nil, notify.Options{HealthchecksURL: hc.URL + "/ping/uuid"},
		stubCloud{func(*checks.Observation) { panic("parser bug") }})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		_, _ = a.RunCycle(t.Context(), "alice")
	}()
	hits, bodies := pings.all()
	if len(hits) != 2 || !strings.HasPrefix(hits[1], "/ping/uuid/fail?rid=") ||
		strings.TrimPrefix(hits[0], "/ping/uuid/start") != strings.TrimPrefix(hits[1], "/ping/uuid/fail") {
		t.Fatalf("pings = %v; want /start and /fail with the same rid", hits)
	}
	if !strings.Contains(bodies[1], "parser bug") {
		t.Errorf("/fail body %q does not carry the cause", bodies[1])
	}
}

// Issue 22 item 4: messages held back by quiet hours go out when quiet
// hours end, not at the next cycle (an interval later).
func TestNotifyFlusherReleasesQuietHoursMessages(t *testing.T) {
	hook, got := newPingServer(t)
	var mu sync.Mutex
	now := time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a := newNotifyAgent(t, openDB(t), nil, notify.Options{WebhookURL: hook.URL + "/hook", QuietHours: "22:00-07:00", Now: clock},
		stubCloud{func(obs *checks.Observation) {
			healthyCloud(obs)
			obs.Auth = checks.AuthObservation{Kind: checks.AuthPasswordRejected, Message: "rejected"}
		}})
	if _, err := a.RunCycle(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	if hits, _ := got.all(); len(hits) != 0 {
		t.Fatalf("sent during quiet hours: %v", hits)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { a.RunNotifyFlusher(ctx, 5*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	time.Sleep(30 * time.Millisecond)
	if hits, _ := got.all(); len(hits) != 0 {
		t.Fatalf("the flusher sent during quiet hours: %v", hits)
	}
	mu.Lock()
	now = now.Add(8*time.Hour + 30*time.Minute) // 07:30, quiet hours are over
	mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if hits, bodies := got.all(); len(hits) > 0 {
			if !strings.Contains(bodies[0], "auth") {
				t.Errorf("released message %q does not carry the held-back auth change", bodies[0])
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the held-back message was not released after quiet hours")
}
