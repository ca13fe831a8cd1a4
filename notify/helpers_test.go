package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/checks"
)

// memKV is an in-memory KV.
type memKV struct {
	mu      sync.Mutex
	data    map[string][]byte
	failPut error
	puts    int
}

func newMemKV() *memKV { return &memKV{data: map[string][]byte{}} }

func (m *memKV) Get(_ context.Context, ns, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.data[ns+"\x00"+key]
	return append([]byte(nil), v...), ok, nil
}

func (m *memKV) Put(_ context.Context, ns, key string, val []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPut != nil {
		return m.failPut
	}
	m.puts++
	m.data[ns+"\x00"+key] = append([]byte(nil), val...)
	return nil
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// recorder is a target that keeps every message it gets.
type recorder struct {
	mu   sync.Mutex
	msgs []sentMessage
	fail error
}

type sentMessage struct {
	at time.Time
	m  message
}

func (r *recorder) notifier() string { return "recorder" }
func (r *recorder) name() string     { return "recorder#1" }

func (r *recorder) send(_ context.Context, m message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, sentMessage{at: m.Event.Time, m: m})
	return r.fail
}

func (r *recorder) all() []sentMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sentMessage(nil), r.msgs...)
}

// t0 is the start of every simulated timeline: a Sunday, midday UTC.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// harness is a Notifier wired to a recorder, an in-memory KV and a clock.
type harness struct {
	t     *testing.T
	kv    *memKV
	clock *clock
	rec   *recorder
	opts  Options
	n     *Notifier
	logs  *bytes.Buffer
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, kv: newMemKV(), clock: &clock{t: t0}, rec: &recorder{}, opts: opts, logs: &bytes.Buffer{}}
	h.restart()
	return h
}

// wantMessages fails the test unless the messages sent so far, summarised,
// are want.
func (h *harness) wantMessages(want []got) {
	h.t.Helper()
	if diff := cmp.Diff(want, summarise(h.rec.all())); diff != "" {
		h.t.Fatalf("messages (-want +got):\n%s", diff)
	}
}

// restart builds a new Notifier over the same KV, as after a process
// restart.
func (h *harness) restart() {
	h.t.Helper()
	opts := h.opts
	opts.Now = h.clock.Now
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	opts.Logger = slog.New(slog.NewTextHandler(h.logs, nil))
	n, err := New(h.kv, opts)
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	n.targets = append(n.targets, h.rec)
	h.n = n
}

// cycle runs Notify at time at with the report built by rep.
func (h *harness) cycle(at time.Time, rep checks.Report) []Result {
	h.t.Helper()
	h.clock.Set(at)
	rep.CheckedAt = at
	res, err := h.n.Notify(context.Background(), rep)
	if err != nil {
		h.t.Fatalf("Notify at %s: %v", at, err)
	}
	return res
}

// acct builds an account report from check statuses; other checks are ok.
type acct struct {
	name     string
	statuses map[checks.CheckID]checks.Status
	session  time.Time
	purge    time.Time
}

func (a acct) report() checks.AccountReport {
	ar := checks.AccountReport{Name: a.name, Status: checks.StatusOK, Observed: checks.Observed{SessionExpiry: a.session}}
	for _, id := range checks.AllChecks() {
		st, ok := a.statuses[id]
		if !ok {
			st = checks.StatusOK
		}
		cr := checks.CheckResult{ID: id, Status: st, Summary: string(id) + " is " + st.String()}
		if st != checks.StatusOK {
			cr.Remediation = "fix " + string(id) + " on the iPhone"
		}
		if id == checks.CheckRecentlyDeleted && !a.purge.IsZero() {
			cr.Details = &checks.Details{Missing: []checks.Item{{Filename: "IMG_1.HEIC", PurgeAt: a.purge}}}
			unprotected := 1
			ar.Observed.RecentlyDeletedUnprotected, ar.Observed.RecentlyDeletedNextPurge = &unprotected, a.purge
		}
		ar.Checks = append(ar.Checks, cr)
		ar.Status = checks.Worst(ar.Status, st)
	}
	return ar
}

func rep(accounts ...acct) checks.Report {
	r := checks.Report{Status: checks.StatusOK, CheckedAt: t0}
	for _, a := range accounts {
		ar := a.report()
		r.Accounts = append(r.Accounts, ar)
		r.Status = checks.Worst(r.Status, ar.Status)
	}
	return r
}

// one is an account "alice" with one check set to st.
func one(id checks.CheckID, st checks.Status) acct {
	return acct{name: "alice", statuses: map[checks.CheckID]checks.Status{id: st}}
}

// got summarises a sent message for comparisons: time, then kind:check:from>to
// for each reason.
type got struct {
	At      time.Time
	Reasons []string
}

func summarise(ms []sentMessage) []got {
	var out []got
	for _, s := range ms {
		g := got{At: s.at}
		for _, r := range s.m.Event.Reasons {
			g.Reasons = append(g.Reasons, string(r.Kind)+":"+r.Check+":"+r.From+">"+r.To)
		}
		out = append(out, g)
	}
	return out
}

var errBoom = errors.New("boom")
