package notify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// Defaults of Options.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultRemindEvery = 24 * time.Hour
	DefaultFlapWindow  = 6 * time.Hour
	DefaultFlapChanges = 4
	// DefaultUnknownAfter is how long a check must stay unknown before
	// people are told.
	DefaultUnknownAfter = 6 * time.Hour
)

// Options configure a Notifier. URLs are secrets: they are never logged and
// never appear in errors or results.
type Options struct {
	// URLs are shoutrrr service URLs: ntfy://, gotify://, telegram://,
	// discord://, slack://, pushover://, matrix://, smtp://,
	// generic+https://… (notify.urls).
	URLs []string
	// WebhookURL receives the JSON Event of every message (notify.webhook_url).
	WebhookURL string
	// HealthchecksURL is a healthchecks.io ping URL; UptimeKumaURL an
	// Uptime Kuma push URL. Either may contain "{account}", replaced by the
	// account of a per-account cycle.
	HealthchecksURL string
	UptimeKumaURL   string
	// RemindEvery is how often a still-failing check is repeated
	// (default 24h).
	RemindEvery time.Duration
	// QuietHours is "HH:MM-HH:MM" in Location, or empty. Non-urgent
	// messages are held back and sent, coalesced, when quiet hours end.
	QuietHours string
	// QuietHoursCritical lets changes to critical break quiet hours. (A
	// final reminder breaks them only when its deadline comes first.)
	QuietHoursCritical bool
	// Location is the time zone of quiet hours and of times in messages
	// (default time.Local).
	Location *time.Location
	// BaseURL is the agent's web address as people reach it
	// ("https://nas.example:9877"); messages link to its status page and
	// re-auth page. Empty: no links.
	BaseURL string
	// Timeout bounds each send (default 10s).
	Timeout time.Duration
	// HTTPClient carries the transport (extra CA, proxy); its Timeout is
	// replaced by Timeout. Default: a client with the default transport.
	HTTPClient *http.Client
	// RootCAs verify SMTP servers (smtp:// URLs); nil means the system
	// roots. Pass the same pool as HTTPClient's transport.
	RootCAs *x509.CertPool
	// FlapWindow and FlapChanges: a check whose status changed FlapChanges
	// times within FlapWindow is flapping; one message says so and further
	// changes are held back until it is stable for FlapWindow (defaults 6h,
	// 4). A change to a worse status than the episode has shown still goes
	// out.
	FlapWindow  time.Duration
	FlapChanges int
	// UnknownAfter is how long a check must stay unknown (iCloud could not
	// be read) before that is announced (default 6h); until then the last
	// announced status stands and nothing is sent. Unknown is announced
	// once, never reminded.
	UnknownAfter time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives one line per send and per problem; nil discards
	// them (design §8). It never receives a URL.
	Logger *slog.Logger
}

// Notifier sends notifications and pings and runs the alert state machine.
// It is safe for concurrent use; cycles of different accounts may overlap.
type Notifier struct {
	kv       KV
	targets  []target
	hc       *healthchecks
	kuma     *uptimeKuma
	machine  machine
	links    linker
	loc      *time.Location
	timeout  time.Duration
	now      func() time.Time
	log      *slog.Logger
	mu       sync.Mutex // serialises load → decide → save of account states
	accounts map[string]bool
	// lastStatus is each account's latest status, for shared ping URLs.
	lastStatus map[string]checks.Status
}

// New validates opts and builds a Notifier that keeps its alert state in kv.
// Errors name the offending setting but never contain a URL.
func New(kv KV, opts Options) (*Notifier, error) {
	if kv == nil {
		return nil, errors.New("notify: no state store given")
	}
	opts = withDefaults(opts)
	quiet, err := ParseQuietHours(opts.QuietHours, opts.Location)
	if err != nil {
		return nil, fmt.Errorf("notify.quiet_hours: %w", err)
	}
	n := &Notifier{
		kv: kv, loc: opts.Location, timeout: opts.Timeout, now: opts.Now, log: opts.Logger,
		links: linker{base: strings.TrimSuffix(opts.BaseURL, "/")}, accounts: map[string]bool{},
		lastStatus: map[string]checks.Status{},
	}
	n.machine = machine{
		remindEvery: opts.RemindEvery, unknownAfter: opts.UnknownAfter, flapWindow: opts.FlapWindow, flapChanges: opts.FlapChanges,
		quiet: quiet, quietCritical: opts.QuietHoursCritical, link: n.links.forCheck,
	}
	if err := n.buildTargets(opts); err != nil {
		return nil, err
	}
	return n, nil
}

// Check validates opts exactly as New does (quiet hours, every URL as its
// service parses it, TLS verification never switched off), without a state
// store or any network traffic: `config check` refuses what `run` would.
func Check(opts Options) error {
	_, err := New(discardKV{}, opts)
	return err
}

// discardKV is the state store of Check, which never sends.
type discardKV struct{}

func (discardKV) Get(context.Context, string, string) ([]byte, bool, error) { return nil, false, nil }
func (discardKV) Put(context.Context, string, string, []byte) error         { return nil }

// withDefaults fills the unset options.
func withDefaults(o Options) Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RemindEvery <= 0 {
		o.RemindEvery = DefaultRemindEvery
	}
	if o.UnknownAfter <= 0 {
		o.UnknownAfter = DefaultUnknownAfter
	}
	if o.FlapWindow <= 0 {
		o.FlapWindow = DefaultFlapWindow
	}
	if o.FlapChanges <= 1 {
		o.FlapChanges = DefaultFlapChanges
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	client := &http.Client{}
	if o.HTTPClient != nil {
		*client = *o.HTTPClient
	}
	client.Timeout = o.Timeout
	if client.CheckRedirect == nil {
		client.CheckRedirect = noDowngrade
	}
	o.HTTPClient = client
	return o
}

// buildTargets prepares every configured target.
func (n *Notifier) buildTargets(o Options) error {
	for i, raw := range o.URLs {
		var t target
		var err error
		if serviceName(raw) == "smtp" && !skipsVerification(raw) {
			t, err = newMailTarget(raw, i+1, o.RootCAs)
		} else {
			t, err = newShoutrrrTarget(raw, i+1, o.HTTPClient, o.Timeout)
		}
		if err != nil {
			return err
		}
		n.targets = append(n.targets, t)
	}
	if o.WebhookURL != "" {
		if err := validateHTTPURL(o.WebhookURL, "notify.webhook_url"); err != nil {
			return err
		}
		n.targets = append(n.targets, &webhookTarget{url: o.WebhookURL, client: o.HTTPClient, red: newRedactor(o.WebhookURL, true)})
	}
	if o.HealthchecksURL != "" {
		if err := validateHTTPURL(o.HealthchecksURL, "notify.healthchecks_url"); err != nil {
			return err
		}
		n.hc = &healthchecks{base: o.HealthchecksURL, client: o.HTTPClient, red: newRedactor(o.HealthchecksURL, true)}
	}
	if o.UptimeKumaURL != "" {
		if err := validateHTTPURL(o.UptimeKumaURL, "notify.uptime_kuma_url"); err != nil {
			return err
		}
		n.kuma = &uptimeKuma{base: o.UptimeKumaURL, client: o.HTTPClient, red: newRedactor(o.UptimeKumaURL, true)}
	}
	return nil
}

// Notify runs the alert state machine over rep and sends at most one
// message per account to every target. The decision is saved BEFORE the
// message is sent (at-most-once): a crash or restart between the two loses
// that message rather than repeating it, and a send that fails is counted
// in the results, not retried; reminders repeat what is still wrong.
//
// An error means some account's state could not be read or saved; no
// message was sent for that account. The results cover every send made.
func (n *Notifier) Notify(ctx context.Context, rep checks.Report) ([]Result, error) {
	now := n.now()
	var results []Result
	var errs []error
	for _, a := range rep.Accounts {
		v := viewOf(a)
		rs, err := n.decide(ctx, v.Name, func(st *accountState) []Reason { return n.machine.step(st, v, now) })
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, n.deliver(ctx, v.Name, rs, now)...)
	}
	return results, errors.Join(errs...)
}

// Flush sends the messages that quiet hours held back, once they are over.
// The agent may call it on a timer; Notify flushes too.
func (n *Notifier) Flush(ctx context.Context) ([]Result, error) {
	now := n.now()
	var results []Result
	var errs []error
	for _, account := range n.knownAccounts() {
		rs, err := n.decide(ctx, account, func(st *accountState) []Reason {
			if len(st.Pending) == 0 || n.machine.quiet.Contains(now) {
				return nil
			}
			return n.machine.release(st, nil, now)
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, n.deliver(ctx, account, rs, now)...)
	}
	return results, errors.Join(errs...)
}

// knownAccounts lists the accounts seen since start, sorted.
func (n *Notifier) knownAccounts() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]string, 0, len(n.accounts))
	for a := range n.accounts {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// decide loads the state of account, lets f update it and pick the reasons
// to send, and saves it before returning them.
func (n *Notifier) decide(ctx context.Context, account string, f func(*accountState) []Reason) ([]Reason, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.accounts[account] = true
	st, err := loadState(ctx, n.kv, account)
	if errors.Is(err, errCorruptState) {
		n.log.Error("notify: alert state unreadable, rebuilding it", "account", account, "err", err)
		st, err = newAccountState(), nil
	}
	if err != nil {
		return nil, err
	}
	rs := f(st)
	if err := saveState(ctx, n.kv, account, st); err != nil {
		return nil, err
	}
	return rs, nil
}

// deliver renders rs into one message and sends it to every target.
func (n *Notifier) deliver(ctx context.Context, account string, rs []Reason, now time.Time) []Result {
	if len(rs) == 0 || len(n.targets) == 0 {
		return nil
	}
	m := buildMessage(account, rs, now, n.loc, n.links)
	results := fanOut(ctx, n.targets, m, account, n.timeout)
	n.logResults("notification", results, "account", account, "reasons", len(rs))
	return results
}

// logResults logs one line per result; never a URL.
func (n *Notifier) logResults(what string, results []Result, attrs ...any) {
	for _, r := range results {
		args := append([]any{"target", r.Target, "duration", r.Duration}, attrs...)
		if r.Err != nil {
			n.log.Warn("notify: "+what+" failed", append(args, "err", r.Err)...)
			continue
		}
		n.log.Info("notify: "+what+" sent", args...)
	}
}

// Targets names every configured target in send order ("ntfy#1",
// "webhook", "healthchecks", "uptime_kuma"); never a URL.
func (n *Notifier) Targets() []string {
	var out []string
	for _, t := range n.targets {
		out = append(out, t.name())
	}
	if n.hc != nil {
		out = append(out, "healthchecks")
	}
	if n.kuma != nil {
		out = append(out, "uptime_kuma")
	}
	return out
}

// Notifiers lists the distinct `notifier` label values of the configured
// targets and pings ("ntfy", "webhook", "healthchecks"…), sorted, so that
// their counters can exist at 0 from start-up.
func (n *Notifier) Notifiers() []string {
	seen := map[string]bool{}
	for _, t := range n.targets {
		seen[t.notifier()] = true
	}
	if n.hc != nil {
		seen["healthchecks"] = true
	}
	if n.kuma != nil {
		seen["uptime_kuma"] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Test sends a test message to every target, a /log ping to healthchecks
// and an "up" push to Uptime Kuma, and reports each result
// (`icloudmon notify test`). It does not touch the alert state.
func (n *Notifier) Test(ctx context.Context) []Result {
	now := n.now()
	m := testMessage(now, n.links)
	results := fanOut(ctx, n.targets, m, "", n.timeout)
	if n.hc != nil {
		results = append(results, n.pingResult(ctx, "healthchecks", func(ctx context.Context) error {
			return n.hc.ping(ctx, "test", "/log", "", m.Body)
		}))
	}
	if n.kuma != nil {
		results = append(results, n.pingResult(ctx, "uptime_kuma", func(ctx context.Context) error {
			return n.kuma.push(ctx, "test", true, "icloudmon test message", 0)
		}))
	}
	n.logResults("test message", results)
	return results
}

// pingResult runs one ping within the timeout and records it.
func (n *Notifier) pingResult(ctx context.Context, notifier string, f func(context.Context) error) Result {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	start := time.Now()
	err := f(ctx)
	return Result{Notifier: notifier, Target: notifier, Err: err, Duration: time.Since(start)}
}
