package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/cmd/icloudmon/internal/sysroots"
	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/localindex"
	"github.com/icloudmon/icloudmon/metrics"
	"github.com/icloudmon/icloudmon/notify"
	"github.com/icloudmon/icloudmon/store"
)

// app is everything built from one configuration.
type app struct {
	cfg      *configs.Config
	log      *slog.Logger
	db       *store.DB
	reg      *prometheus.Registry
	metrics  *metrics.Metrics
	notifier *notify.Notifier
	sessions *credstore.SessionStore
	agent    *agent.Agent
	roots    *x509.CertPool
	// scanned is closed when the folder scans started by build
	// (buildOptions.scanEarly) are done; stopScans stops them.
	scanned   chan struct{}
	stopScans context.CancelFunc
}

// newLogger builds the slog logger of log_level and log_format.
func newLogger(cfg *configs.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens data_dir/icloudmon.db, explaining what to do when it
// cannot. quick_check reads the whole file, so a command runs it only when
// the last one that passed is a day old (docs/performance.md); the daemon
// (openStoreRepairing) runs it on every start.
func openStore(cfg *configs.Config) (*store.DB, error) {
	return openStoreWith(cfg, store.Options{QuickCheckEvery: quickCheckEvery})
}

// quickCheckEvery is how often a command runs PRAGMA quick_check on Open.
const quickCheckEvery = 24 * time.Hour

func openStoreWith(cfg *configs.Config, o store.Options) (*store.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create data_dir %s (mount a writable volume there or set data_dir): %w", cfg.DataDir, err)
	}
	return store.OpenWith(filepath.Join(cfg.DataDir, store.FileName), o)
}

// openStoreRepairing is openStore for the daemon: a corrupt database is
// moved aside (never deleted) and a new one started, so the daemon keeps
// monitoring. The folder index is rebuilt by the next scan; history and
// alert state start afresh, which is logged loudly.
func openStoreRepairing(cfg *configs.Config, log *slog.Logger) (*store.DB, error) {
	db, err := openStoreWith(cfg, store.Options{})
	if !errors.Is(err, store.ErrCorrupt) {
		return db, err
	}
	moved, merr := store.MoveAside(filepath.Join(cfg.DataDir, store.FileName))
	if merr != nil {
		return nil, fmt.Errorf("%w; moving it aside failed too: %w", err, merr)
	}
	log.Error("the database was corrupt and was moved aside; starting a new one: the folder index is rebuilt, "+
		"but history (adaptive upload thresholds) and notification state start afresh, so you may get "+
		"notifications again for problems you already knew about", "moved_to", moved, "err", err)
	return openStoreWith(cfg, store.Options{})
}

// buildOptions adapt the wiring to one-shot commands.
type buildOptions struct {
	repairStore bool   // move a corrupt database aside (daemon only)
	only        string // monitor only this account ("" = all)
	noCache     bool   // ignore cached snapshots, rescan folders fully
	noNotify    bool   // send no notifications or pings
	// scanEarly starts scanning the folders as soon as the store is open,
	// while the rest is built (verify: the scan does not wait for the
	// system's TLS roots); ctx bounds the scans.
	scanEarly bool
	// noLastReports: the command shows only the reports of its own cycles
	// (verify), so the agent does not read the previous process's.
	noLastReports bool
	// sessions is where sessions are kept (default auto: the OS keychain
	// when it works, else data_dir/sessions).
	sessions credstore.Mode
	// minGap overrides the shortest time between manual checks (demo).
	minGap time.Duration
}

func (o buildOptions) manualGap() time.Duration {
	if o.minGap > 0 {
		return o.minGap
	}
	return manualGap
}

// build wires the agent from the configuration.
func build(ctx context.Context, cfg *configs.Config, log *slog.Logger, opts buildOptions) (*app, error) {
	rt := &app{cfg: cfg, log: log, reg: metrics.NewRegistry()}
	var err error
	if opts.repairStore {
		rt.db, err = openStoreRepairing(cfg, log)
	} else {
		rt.db, err = openStore(cfg)
	}
	if err != nil {
		return nil, err
	}
	folders, err := rt.folders(opts)
	if err != nil {
		return nil, rt.closeWith(err)
	}
	if opts.scanEarly {
		rt.scanned, rt.stopScans = rt.scanFolders(ctx, folders)
	}
	ver, rev, _ := buildInfo()
	if rt.metrics, err = metrics.New(rt.reg, metrics.Options{Version: ver, Revision: rev}); err != nil {
		return nil, rt.closeWith(err)
	}
	if rt.sessions, err = credstore.NewSessionStore(cfg.DataDir, opts.sessions, log); err != nil {
		return nil, rt.closeWith(err)
	}
	if rt.roots, err = trustedRoots(cfg.TLS.CAFile); err != nil {
		return nil, rt.closeWith(err)
	}
	if !opts.noNotify {
		if rt.notifier, err = newNotifier(cfg, rt.db, log, rt.roots); err != nil {
			return nil, rt.closeWith(err)
		}
	}
	accounts, err := rt.accounts(opts, folders)
	if err != nil {
		return nil, rt.closeWith(err)
	}
	rt.agent, err = agent.New(ctx, agent.Options{
		Accounts: accounts, Policy: checks.Policy(cfg.Checks), DB: rt.db,
		Metrics: rt.metrics, Notifier: rt.notifier, Logger: log, Interval: cfg.Interval,
		HistoryRetention: cfg.HistoryRetention, Now: clockNow, NoLastReports: opts.noLastReports})
	if err != nil {
		return nil, rt.closeWith(err)
	}
	return rt, nil
}

func (rt *app) closeWith(err error) error {
	rt.Close()
	return err
}

// Close releases the database, once the scans build started are done (a
// scan that the cycle did not use, after an error, is stopped).
func (rt *app) Close() {
	if rt.scanned != nil {
		rt.stopScans()
		<-rt.scanned
	}
	if rt.db != nil {
		if err := rt.db.Close(); err != nil {
			rt.log.Warn("closing the database", "err", err)
		}
	}
}

// newNotifier builds the notifier of cfg. roots (system roots plus
// tls.ca_file, nil for the system roots) verify every notification and
// ping server, like the iCloud endpoints: a self-hosted ntfy, Gotify,
// webhook or Healthchecks behind a private CA works with tls.ca_file.
func newNotifier(cfg *configs.Config, db *store.DB, log *slog.Logger, roots *x509.CertPool) (*notify.Notifier, error) {
	return notify.New(db, notifyOptions(cfg, log, roots))
}

// notifyOptions maps the configuration onto notify.Options; `config
// check` validates the same options that `run` uses.
func notifyOptions(cfg *configs.Config, log *slog.Logger, roots *x509.CertPool) notify.Options {
	n := cfg.Notify
	urls := make([]string, len(n.URLs))
	for i, u := range n.URLs {
		urls[i] = u.Reveal()
	}
	return notify.Options{
		URLs: urls, WebhookURL: n.WebhookURL.Reveal(),
		HealthchecksURL: n.HealthchecksURL.Reveal(), UptimeKumaURL: n.UptimeKumaURL.Reveal(),
		RemindEvery: n.RemindEvery, QuietHours: n.QuietHours, QuietHoursCritical: n.QuietHoursCritical,
		BaseURL: strings.TrimRight(cfg.Web.ExternalURL, "/"), Logger: log,
		HTTPClient: notifyClient(roots), RootCAs: roots,
	}
}

// notifyClient is the HTTP client of notifications and pings: the default
// transport (proxy from the environment, HTTP/2) with roots as trust
// anchors. Its timeout is set by notify.
func notifyClient(roots *x509.CertPool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if roots != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}
}

// scanFolders scans the folders of the first account (whose cycle comes
// next; a later account's folders are scanned at its cycle, as before) one
// after the other in a goroutine (see agent.Folder.ScanFolder); the channel
// is closed when they are done.
func (rt *app) scanFolders(ctx context.Context, folders map[string][]*agent.Folder) (chan struct{}, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var all []*agent.Folder
	for _, a := range rt.cfg.Accounts {
		if fs, ok := folders[a.Name]; ok {
			all = fs
			break
		}
	}
	go func() {
		defer close(done)
		for _, f := range all {
			f.ScanFolder(ctx)
		}
	}()
	return done, cancel
}

// folders builds the folders of the accounts build wires, by account.
func (rt *app) folders(opts buildOptions) (map[string][]*agent.Folder, error) {
	out := map[string][]*agent.Folder{}
	for _, a := range rt.cfg.Accounts {
		if opts.only != "" && a.Name != opts.only {
			continue
		}
		fs, err := rt.accountFolders(a, opts.noCache)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.Name, err)
		}
		out[a.Name] = fs
	}
	return out, nil
}

// accountFolders builds the folders of one account.
func (rt *app) accountFolders(a configs.Account, noCache bool) ([]*agent.Folder, error) {
	var out []*agent.Folder
	for _, f := range a.Folders {
		layout, ok := configs.LayoutNamed(f.Layout)
		if !ok && f.Layout != "" { // "" is auto; Validate rejects anything else
			return nil, fmt.Errorf("folder %s: layout %q is unknown", f.Name, f.Layout)
		}
		out = append(out, &agent.Folder{
			Name: f.Name, Path: f.Path, KV: rt.db, Logger: rt.log, Renditions: f.Renditions,
			Importer: layout.Importer, ImporterHint: layout.Hint, RenamesFiles: layout.RenamesFiles,
			Libraries: folderLibraries(f.Libraries),
			Tolerance: rt.cfg.Checks.CaptureTolerance, FullScan: noCache,
			Options: localindex.Options{Ignore: f.Ignore, ShrinkFraction: rt.cfg.Checks.FolderShrink, Now: clockNow},
		})
	}
	return out, nil
}

// accounts builds the agent's account sources.
func (rt *app) accounts(opts buildOptions, folders map[string][]*agent.Folder) ([]agent.Account, error) {
	roots := rt.roots
	var out []agent.Account
	for _, a := range rt.cfg.Accounts {
		if opts.only != "" && a.Name != opts.only {
			continue
		}
		acct, err := rt.accountWith(a, roots, opts.noCache, folders[a.Name])
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.Name, err)
		}
		out = append(out, acct)
	}
	if opts.only != "" && len(out) == 0 {
		return nil, fmt.Errorf("no account named %q in the configuration", opts.only)
	}
	return out, nil
}

// account builds the agent's source of one account.
func (rt *app) account(a configs.Account, roots *x509.CertPool, noCache bool) (agent.Account, error) {
	folders, err := rt.accountFolders(a, noCache)
	if err != nil {
		return agent.Account{}, err
	}
	return rt.accountWith(a, roots, noCache, folders)
}

// accountWith is account with its folders built.
func (rt *app) accountWith(a configs.Account, roots *x509.CertPool, noCache bool, folders []*agent.Folder) (agent.Account, error) {
	client, err := newICloudClient(a, roots, rt.log, rt.metrics, rt.cfg.DataDir)
	if err != nil {
		return agent.Account{}, err
	}
	cloud := &agent.ICloud{
		Account: a.Name, Client: client, Sessions: rt.sessions, DB: rt.db,
		Password: passwordFunc(a, rt.log), Libraries: cloudLibraries(a.Libraries), Newest: rt.cfg.Checks.Newest,
		Logger: rt.log, NoCache: noCache, Now: clockNow, OnSignIn: func(kind checks.AuthKind) { rt.metrics.ObserveSignIn(a.Name, kind) },
		Audit: auditOptions(rt.cfg.Audit),
	}
	acct := agent.Account{Name: a.Name, Cloud: cloud,
		HiddenCovered: slices.Contains(a.Libraries, configs.LibraryHidden) || slices.Contains(a.Libraries, configs.LibraryAll),
		Hidden:        checks.HiddenMode(a.Hidden)}
	for _, f := range folders {
		acct.Folders = append(acct.Folders, f)
	}
	return acct, nil
}

// auditOptions are the audit's settings; nil (no mirror) when it is off.
func auditOptions(a configs.Audit) *agent.AuditOptions {
	if !a.Enabled {
		return nil
	}
	return &agent.AuditOptions{RequestsPerDay: a.RequestsPerDay, RequestsPerCycle: a.RequestsPerCycle,
		IncludeHidden: a.IncludeHidden, Since: a.SinceDay()}
}

// cloudLibraries are the libraries read from iCloud: "hidden" only says
// that the folders hold hidden items too.
func cloudLibraries(libs []string) []string {
	out := slices.DeleteFunc(slices.Clone(libs), func(l string) bool { return l == configs.LibraryHidden })
	if len(out) == 0 {
		out = []string{configs.LibraryPersonal}
	}
	return out
}

// folderLibraries are the library names a folder holds; nil (every
// library of the account) for "all".
func folderLibraries(libs []string) []string {
	if len(libs) == 0 || slices.Contains(libs, configs.LibraryAll) {
		return nil
	}
	return slices.Clone(libs)
}

// newClient builds a fresh iCloud client for the named account, as the
// web re-auth pages need one per sign-in.
func (rt *app) newClient(name string) (*icloudapi.Client, error) {
	for _, a := range rt.cfg.Accounts {
		if a.Name == name {
			return newICloudClient(a, rt.roots, rt.log, rt.metrics, rt.cfg.DataDir)
		}
	}
	return nil, fmt.Errorf("no account named %q", name)
}

// newICloudClient builds the account's client. Every process on dataDir
// (daemon, verify, login, the re-auth page) shares the account's sign-in
// record there, so the sign-in budget and a rejected password hold across
// all of them.
func newICloudClient(a configs.Account, roots *x509.CertPool, log *slog.Logger, m *metrics.Metrics, dataDir string) (*icloudapi.Client, error) {
	return icloudapi.New(icloudapi.Options{
		AppleID: a.AppleID, Region: a.Region,
		AuthURL: a.Endpoints.Auth, SetupURL: a.Endpoints.Setup, HomeURL: a.Endpoints.Home,
		RootCAs: roots, Logger: log.With("account", a.Name), Now: clockNow,
		Observe: func(endpoint string, code int) { m.ObserveRequest(a.Name, endpoint, code) },
		SignIns: credstore.NewSignIns(dataDir, a.Name),
	})
}

// passwordFunc looks the password up in the configured sources each time
// a sign-in may be needed; "" when none has it. The notes of the lookup (a
// password file readable by every user) are logged as warnings, each
// once; when no password is found the agent logs why.
func passwordFunc(a configs.Account, log *slog.Logger) agent.PasswordFunc {
	var mu sync.Mutex
	logged := map[string]bool{}
	return func(ctx context.Context) (string, error) {
		pw, err := credstore.LookupPassword(ctx, passwordOptions(a))
		mu.Lock()
		for _, n := range pw.Notes {
			if err == nil && !logged[n] && log != nil {
				logged[n] = true
				log.Warn("password source", "account", a.Name, "note", n)
			}
		}
		mu.Unlock()
		if err != nil {
			return "", err
		}
		return pw.Value.Reveal(), nil
	}
}

func passwordOptions(a configs.Account) credstore.PasswordOptions {
	return credstore.PasswordOptions{Account: a.Name, AppleID: a.AppleID,
		Keyring: a.Password.Keyring, File: a.Password.File, Env: a.Password.Env}
}

// warmSystemRoots starts loading the system's TLS roots in the background
// (sysroots: the roots crypto/x509 loads, each certificate parsed once
// where Debian's layout made crypto/x509 parse it three times; for verify
// the load already started in sysroots' init). trustedRoots, or extraRoots
// with a tls.ca_file, would do it on the way to the first request. Started when
// verify begins, the load runs while the configuration is read, the store
// opened and the folder scans started, and whoever needs the roots then
// waits for that same load.
func warmSystemRoots() { sysroots.Start() }

// trustedRoots are the roots that verify Apple's and the notification
// servers' certificates: extraRoots with a tls.ca_file; without one the
// system's from sysroots.Default, so that crypto/tls does not load them a
// second time its own way (nil on platforms whose own verifier checks
// servers, as before).
func trustedRoots(caFile string) (*x509.CertPool, error) {
	roots, err := extraRoots(caFile)
	if roots == nil && err == nil {
		roots = sysroots.Default()
	}
	return roots, err
}

// extraRoots returns the system roots plus tls.ca_file, or nil for the
// system roots alone.
func extraRoots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("tls.ca_file: %w", err)
	}
	pool, err := sysroots.Pool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("tls.ca_file holds no PEM certificate")
	}
	return pool, nil
}
