package metrics

import (
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/checks"
)

// namespace prefixes every metric name (design §6).
const namespace = "icloudmon"

// Label values used when the caller's value is unusable.
const (
	// CodeError is the code label of a request that got no HTTP answer
	// (DNS, TCP, TLS or timeout trouble).
	CodeError = "error"
	// labelOther replaces a notifier or endpoint name that does not look
	// like a short identifier, so that a URL (which may carry a token or
	// an account number) can never become a label value.
	labelOther = "other"
	// resultNone is the result label of a sign-in with no recorded outcome.
	resultNone = "none"
)

// Notification result label values.
const (
	ResultOK    = "ok"
	ResultError = "error"
)

// Options configures New. The zero value is usable.
type Options struct {
	// Version and Revision label icloudmon_build_info; empty means
	// "unknown".
	Version  string
	Revision string
	// Now returns the current time for the run timestamps; nil means
	// time.Now. Tests inject a fixed clock.
	Now func() time.Time
}

// Metrics owns every icloudmon metric. The report-derived gauges are built at
// scrape time from the last Report given to SetReport; the agent's own
// counters and run gauges are updated through the Observe methods. All
// methods are safe for concurrent use; none of them, and no scrape, ever
// talks to Apple.
type Metrics struct {
	now    func() time.Time
	report *reportCollector

	requests       *prometheus.CounterVec
	failedRequests *prometheus.CounterVec
	signInAttempts *prometheus.CounterVec
	notifications  *prometheus.CounterVec
	lastRun        prometheus.Gauge
	lastSuccess    *prometheus.GaugeVec
	runDuration    *prometheus.GaugeVec

	mu sync.Mutex // serialises ObserveRun: last_run is the time of the latest call
}

// New creates the metrics and registers them on reg, the registry the agent
// serves on /metrics. The global default registry is refused: library code
// that registers there leaks state between tests and programs. New fails
// when reg already holds icloudmon metrics.
func New(reg prometheus.Registerer, opts Options) (*Metrics, error) {
	if reg == nil || reg == prometheus.DefaultRegisterer {
		return nil, errors.New("metrics: pass the agent's own registry (prometheus.NewRegistry), not nil or the global one")
	}
	m := newMetrics(opts)
	m.lastRun.Set(unixSeconds(m.now()))
	var done []prometheus.Collector
	for _, c := range m.collectors(opts) {
		if err := reg.Register(c); err != nil {
			for _, d := range done {
				reg.Unregister(d) // leave reg as it was
			}
			return nil, fmt.Errorf("register icloudmon metrics (was New called twice on one registry?): %w", err)
		}
		done = append(done, c)
	}
	return m, nil
}

func newMetrics(opts Options) *Metrics {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Metrics{
		now:    now,
		report: newReportCollector(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "icloud_requests_total",
			Help: "Requests sent to iCloud web services, by account, endpoint and HTTP status code (\"error\" when no answer came).",
		}, []string{"account", "endpoint", "code"}),
		failedRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "icloud_failed_requests_total",
			Help: "Requests to iCloud web services that got no answer or an answer other than 2xx, by account; exists at 0 from start-up so that the first failure shows in increase() and rate().",
		}, []string{"account"}),
		signInAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "signin_attempts_total",
			Help: "Password (SRP) sign-in attempts the agent made, by account and outcome.",
		}, []string{"account", "result"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "notifications_total",
			Help: "Notifications sent, by notifier and result (ok or error).",
		}, []string{"notifier", "result"}),
		lastRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "last_run_timestamp_seconds",
			Help: "Unix time when the agent last finished a check cycle for any account (its start time before the first cycle).",
		}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "last_success_timestamp_seconds",
			Help: "Unix time of the last check cycle that could sign in and read iCloud for the account.",
		}, []string{"account"}),
		runDuration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "run_duration_seconds",
			Help: "Duration of the last check cycle of the account.",
		}, []string{"account"}),
	}
}

func (m *Metrics) collectors(opts Options) []prometheus.Collector {
	return []prometheus.Collector{
		m.report, m.requests, m.failedRequests, m.signInAttempts, m.notifications,
		m.lastRun, m.lastSuccess, m.runDuration, buildInfo(opts),
	}
}

func buildInfo(opts Options) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1; labels carry the version, VCS revision and Go version of icloudmon.",
		ConstLabels: prometheus.Labels{
			"version":   orUnknown(opts.Version),
			"revision":  orUnknown(opts.Revision),
			"goversion": runtime.Version(),
		},
	})
	g.Set(1)
	return g
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// SetReport makes r the report that scrapes expose. Series of accounts,
// libraries and folders absent from r disappear at the next scrape. The
// report is kept, not copied: do not modify it afterwards.
func (m *Metrics) SetReport(r checks.Report) { m.report.set(r) }

// ObserveRequest counts one request to iCloud. endpoint is a short, fixed
// name such as "validate", "accountLogin" or "records/query" (never a URL
// with a query); code is the HTTP status, or 0 or less when no answer came.
func (m *Metrics) ObserveRequest(account, endpoint string, code int) {
	c := CodeError
	if code > 0 {
		c = strconv.Itoa(code)
	}
	m.requests.WithLabelValues(account, safeName(endpoint), c).Inc()
	if code < 200 || code > 299 {
		m.failedRequests.WithLabelValues(account).Inc()
	}
}

// SignInResults are the result label values of
// icloudmon_signin_attempts_total that Init creates at 0: every sign-in
// outcome kind (checks' auth table).
var SignInResults = checks.AuthKinds()

// Init creates, at 0, the counter series that alerts and dashboard panels
// use, for every label value known at start-up: the sign-in outcomes and
// failed requests of each account, and both results of each notifier. A
// counter series that first appears at 1 hides that first event from
// increase() and rate() (Prometheus has no earlier sample to compare
// with), so a first notification failure or sign-in would never alert or
// show. Calling Init again adds series and never resets one.
func (m *Metrics) Init(accounts, notifiers []string) {
	for _, a := range accounts {
		m.failedRequests.WithLabelValues(a)
		for _, r := range SignInResults {
			m.signInAttempts.WithLabelValues(a, safeName(string(r)))
		}
	}
	for _, n := range notifiers {
		m.notifications.WithLabelValues(safeName(n), ResultOK)
		m.notifications.WithLabelValues(safeName(n), ResultError)
	}
}

// ObserveSignIn counts one password (SRP) sign-in attempt and its outcome.
func (m *Metrics) ObserveSignIn(account string, result checks.AuthKind) {
	r := string(result)
	if r == "" {
		r = resultNone
	}
	m.signInAttempts.WithLabelValues(account, safeName(r)).Inc()
}

// ObserveNotification counts one notification sent through notifier (a
// service name such as "ntfy" or "healthchecks", never its URL); err is the
// delivery error, nil on success.
func (m *Metrics) ObserveNotification(notifier string, err error) {
	result := ResultOK
	if err != nil {
		result = ResultError
	}
	m.notifications.WithLabelValues(safeName(notifier), result).Inc()
}

// ObserveRun records a finished check cycle of account: its duration, the
// time of the last run and, when ok (iCloud could be signed in to and
// read), the time of the last success.
func (m *Metrics) ObserveRun(account string, dur time.Duration, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := unixSeconds(m.now())
	m.runDuration.WithLabelValues(account).Set(dur.Seconds())
	m.lastRun.Set(now)
	if ok {
		m.lastSuccess.WithLabelValues(account).Set(now)
	}
}

// SetLastSuccess restores the last successful cycle of account, for example
// from the store after a restart, so that "time since last success" alerts
// keep working across restarts. A zero t is ignored.
func (m *Metrics) SetLastSuccess(account string, t time.Time) {
	if t.IsZero() {
		return
	}
	m.lastSuccess.WithLabelValues(account).Set(unixSeconds(t))
}

// safeNameRE and maxSafeName: the length is checked apart, as a counted
// repetition ({1,64}) compiles to hundreds of instructions when the binary
// starts.
var safeNameRE = regexp.MustCompile(`^[A-Za-z0-9_.+/-]+$`)

const maxSafeName = 64

// safeName returns s if it looks like a short identifier and "other"
// otherwise, so that URLs, tokens or e-mail addresses never become labels.
func safeName(s string) string {
	if len(s) <= maxSafeName && safeNameRE.MatchString(s) && !looksLikeURL(s) {
		return s
	}
	return labelOther
}

func looksLikeURL(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '/' && s[i+1] == '/' {
			return true
		}
	}
	return false
}

// unixSeconds converts t to fractional Unix seconds.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}
