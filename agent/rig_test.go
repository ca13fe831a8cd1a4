package agent

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/demo"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
	"github.com/icloudmon/icloudmon/notify"
	"github.com/icloudmon/icloudmon/store"
)

// rigSessions is an in-memory SessionStore.
type rigSessions struct {
	mu    sync.Mutex
	blobs map[string][]byte
	// saveErr, when set, fails every Save (an unwritable sessions dir).
	saveErr error
	saves   int // successful saves
}

func (m *rigSessions) Load(_ context.Context, account string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[account]
	if !ok {
		return nil, credstore.ErrNotFound
	}
	return append([]byte(nil), b...), nil
}

func (m *rigSessions) Save(_ context.Context, account string, blob []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saveErr != nil {
		return m.saveErr
	}
	if m.blobs == nil {
		m.blobs = map[string][]byte{}
	}
	m.blobs[account] = append([]byte(nil), blob...)
	m.saves++
	return nil
}

// rigClock is a settable clock shared by the agent, the client and the fake.
type rigClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rigClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rigClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rig is the real agent (agent.New + ICloud over an icloudapi.Client + a
// Folder) against the in-process fake iCloud and a generated folder.
type rig struct {
	t        *testing.T
	clock    *rigClock
	server   *fakeicloud.Server
	photos   *fakeicloud.PhotosHandler
	extra    *faultyPhotos
	lib      *fakeicloud.Library
	dir      string
	photoDir string
	db       *store.DB
	client   *icloudapi.Client
	cloud    *ICloud
	folder   *Folder
	agent    *Agent
	sessions *rigSessions
	password string
}

type rigOptions struct {
	scenario string // demo scenario shaping the library and folder (default healthy)
	password string // "" = the right one
	timeout  time.Duration
	maxBody  int64
	clock    *rigClock
	// serverSkew puts the fake's clock (Apple's, which dates the library)
	// ahead of (or behind) the agent's, like a NAS whose clock is off.
	serverSkew time.Duration
	// policy replaces checks.DefaultPolicy.
	policy *checks.Policy
	// webhook, when set, gets a notifier sending JSON events there.
	webhook string
	// hidden, when set, is the account's rule for hidden items, which are
	// then not covered (by default the rig's account imports them).
	hidden checks.HiddenMode
	// audit switches the whole-library audit on (nil: off).
	audit *AuditOptions
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	if o.scenario == "" {
		o.scenario = "healthy"
	}
	if o.clock == nil {
		o.clock = &rigClock{t: time.Now().UTC().Truncate(time.Second)}
	}
	now := o.clock.Now()
	r := &rig{t: t, clock: o.clock, dir: t.TempDir(), sessions: &rigSessions{}}
	// The library is dated on Apple's clock: with serverSkew it is the
	// agent's (the NAS's) clock that is off.
	now = now.Add(o.serverSkew)
	anchor := now
	if o.scenario == "stalled" {
		anchor = now.Add(-10 * 24 * time.Hour)
	}
	r.lib = fakeicloud.Generate(fakeicloud.GenOptions{Seed: 7, Assets: demo.Assets, Now: anchor})
	skip, err := demo.ApplyScenario(o.scenario, r.lib, now)
	if err != nil {
		t.Fatal(err)
	}
	r.photoDir = filepath.Join(r.dir, "photos")
	if err := demo.WriteFolder(r.photoDir, filepath.Join(r.photoDir, "Shared Library"), r.lib, skip); err != nil {
		t.Fatal(err)
	}
	r.photos = fakeicloud.NewPhotosHandler(r.lib)
	r.extra = &faultyPhotos{inner: r.photos}
	serverNow := r.clock.Now
	if o.serverSkew != 0 {
		serverNow = func() time.Time { return r.clock.Now().Add(o.serverSkew) }
	}
	r.server = fakeicloud.New(fakeicloud.Options{Scenario: demo.FakeScenario(o.scenario), Photos: r.extra, Now: serverNow})
	t.Cleanup(r.server.Close)
	r.password = o.password
	if r.password == "" {
		r.password = demo.Password
	}
	r.db, err = store.Open(filepath.Join(r.dir, "data", "icloudmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.db.Close() })
	r.build(o)
	return r
}

// build (re)creates client, sources and agent: a "process restart".
func (r *rig) build(o rigOptions) {
	r.t.Helper()
	if o.timeout == 0 {
		o.timeout = 5 * time.Second
	}
	var err error
	r.client, err = icloudapi.New(icloudapi.Options{
		AppleID: demo.AppleID, AuthURL: r.server.AuthURL(), SetupURL: r.server.SetupURL(), HomeURL: r.server.HomeURL(),
		RootCAs: r.server.CertPool(), Now: r.clock.Now, Retries: 2, RetryWait: time.Millisecond,
		RetryMaxWait: 50 * time.Millisecond, Timeout: o.timeout, MaxBodyBytes: o.maxBody,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.cloud = &ICloud{Account: demo.Account, Client: r.client, Sessions: r.sessions, DB: r.db, Now: r.clock.Now,
		Password:  func(context.Context) (string, error) { return r.password, nil },
		Libraries: []string{"all"}, Newest: 50, Audit: o.audit}
	r.folder = &Folder{Name: "photos", Path: r.photoDir, Importer: "icloudpd", KV: r.db, Tolerance: 2 * time.Second}
	policy := checks.DefaultPolicy()
	if o.policy != nil {
		policy = *o.policy
	}
	var notifier *notify.Notifier
	if o.webhook != "" {
		notifier, err = notify.New(r.db, notify.Options{WebhookURL: o.webhook, Now: r.clock.Now, Location: time.UTC,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			r.t.Fatal(err)
		}
	}
	r.agent, err = New(r.t.Context(), Options{
		Accounts: []Account{{Name: demo.Account, Cloud: r.cloud, Folders: []FolderSource{r.folder},
			HiddenCovered: o.hidden == "", Hidden: o.hidden}},
		Policy: policy, DB: r.db, Interval: 10 * time.Minute, Now: r.clock.Now, Notifier: notifier,
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

// cycle runs one agent cycle and fails the test on an agent error.
func (r *rig) cycle() checks.AccountReport {
	r.t.Helper()
	rep, err := r.agent.RunCycle(r.t.Context(), demo.Account)
	if err != nil {
		r.t.Fatalf("RunCycle: %v", err)
	}
	return rep
}

// status returns the status of one check id ("absent" when missing).
func status(rep checks.AccountReport, id checks.CheckID) string {
	c, ok := rep.Check(id)
	if !ok {
		return "absent"
	}
	return c.Status.String()
}

// requests counts the fake's logged requests.
func (r *rig) requests() int { return len(r.server.Requests()) }
