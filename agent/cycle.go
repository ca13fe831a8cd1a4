package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/history"
	"github.com/icloudmon/icloudmon/metrics"
	"github.com/icloudmon/icloudmon/notify"
	"github.com/icloudmon/icloudmon/photo"
	"github.com/icloudmon/icloudmon/store"
)

// CloudSource is the iCloud side of one account.
type CloudSource interface {
	// ObserveCloud signs in — never waiting for a person — and fills the
	// cloud part of obs: Auth, SessionExpiry, Libraries, RecentlyDeleted
	// and Storage. Failures are recorded in obs.Auth (and leave the data
	// they prevented absent), not returned. It returns the assets folders
	// are matched against, or nil when the libraries could not be read.
	ObserveCloud(ctx context.Context, obs *checks.Observation) *CloudAssets
}

// CloudAssets are the cloud assets a folder is matched against. Each
// asset's Library (its zone) says which folders look for it: a folder
// holds only the libraries it names.
type CloudAssets struct {
	// Newest are the newest assets of the monitored libraries.
	Newest []photo.Asset
	// Deleted are the Recently Deleted items.
	Deleted []photo.Asset
}

// FolderSource is one local import folder.
type FolderSource interface {
	// ObserveFolder refreshes the folder's index and matches assets against
	// it. assets is nil when the cloud side could not be read (the folder
	// is then only health-checked). The returned map holds, by asset ID,
	// the confidence that this folder has a copy of each Recently Deleted
	// item it looked for (items of libraries it does not hold are absent).
	ObserveFolder(ctx context.Context, assets *CloudAssets) (checks.FolderObservation, map[string]photo.Confidence)
}

// folderScanner is a FolderSource that can refresh its index before the
// assets are known; the next ObserveFolder then matches against that scan
// instead of scanning again.
type folderScanner interface {
	ScanFolder(ctx context.Context)
}

// Account is one monitored Apple ID with its folders.
type Account struct {
	Name    string
	Cloud   CloudSource
	Folders []FolderSource
	// HiddenCovered is true when hidden items are imported too.
	HiddenCovered bool
	// Hidden is the rule for hidden items no folder holds (accounts[].hidden).
	Hidden checks.HiddenMode
}

// Agent runs check cycles and keeps the last report of every account.
type Agent struct {
	accounts []Account
	policy   checks.Policy
	db       *store.DB
	metrics  *metrics.Metrics // may be nil
	notifier *notify.Notifier // may be nil
	log      *slog.Logger
	now      func() time.Time
	health   *health

	retention time.Duration

	mu         sync.Mutex
	last       map[string]checks.AccountReport
	lastAt     map[string]time.Time
	lastPruned time.Time
}

// Options configures an Agent. DB is required; Metrics and Notifier are
// optional.
type Options struct {
	Accounts []Account
	Policy   checks.Policy
	DB       *store.DB
	Metrics  *metrics.Metrics
	Notifier *notify.Notifier
	Logger   *slog.Logger
	// Interval is the check cadence; /healthz uses it.
	Interval time.Duration
	// HistoryRetention is how long history points are kept (pruned once a
	// day); zero keeps the policy's upload history window plus a day.
	HistoryRetention time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// NoLastReports leaves the reports of the previous process unread:
	// for a one-shot command, which shows only the reports of its own
	// cycles (Report is then empty until one finishes).
	NoLastReports bool
}

// New builds an agent. Unless NoLastReports is set, it loads each
// account's last report from the store so /api/status and /metrics have
// something to show before the first cycle of this process finishes.
func New(ctx context.Context, opts Options) (*Agent, error) {
	if opts.DB == nil {
		return nil, fmt.Errorf("agent: no database given")
	}
	a := &Agent{
		accounts: opts.Accounts, policy: opts.Policy, db: opts.DB,
		metrics: opts.Metrics, notifier: opts.Notifier, retention: opts.HistoryRetention,
		log: opts.Logger, now: opts.Now,
		last: map[string]checks.AccountReport{}, lastAt: map[string]time.Time{},
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if floor := a.policy.UploadHistory + 24*time.Hour; a.retention < floor {
		a.retention = floor // adaptive checks need their window
	}
	a.health = newHealth(opts.Interval, a.AccountNames(), a.now)
	if a.metrics != nil {
		// Counters that alerts and panels use exist at 0 before the first
		// event, or increase() misses that event.
		var notifiers []string
		if a.notifier != nil {
			notifiers = a.notifier.Notifiers()
		}
		a.metrics.Init(a.AccountNames(), notifiers)
	}
	if !opts.NoLastReports {
		a.loadLastReports(ctx)
	}
	return a, nil
}

// AccountNames lists the accounts in configuration order.
func (a *Agent) AccountNames() []string {
	names := make([]string, len(a.accounts))
	for i, acct := range a.accounts {
		names[i] = acct.Name
	}
	return names
}

func (a *Agent) account(name string) (Account, bool) {
	for _, acct := range a.accounts {
		if acct.Name == name {
			return acct, true
		}
	}
	return Account{}, false
}

// RunCycle runs one cycle for the named account and returns its report.
// It is safe for different accounts concurrently.
func (a *Agent) RunCycle(ctx context.Context, name string) (checks.AccountReport, error) {
	acct, ok := a.account(name)
	if !ok {
		return checks.AccountReport{}, fmt.Errorf("no account named %q in the configuration", name)
	}
	start := a.now()
	var cycle *notify.Cycle
	if a.notifier != nil {
		var results []notify.Result
		cycle, results = a.notifier.Start(ctx, name)
		a.countNotifications(results)
		// A cycle that dies of a bug ends its healthchecks run with /fail
		// (and Uptime Kuma down) instead of leaving a /start with no end.
		defer func() {
			if p := recover(); p != nil {
				a.endCycle(ctx, func(ctx context.Context) []notify.Result {
					return cycle.Failed(ctx, fmt.Errorf("internal error in the cycle of %s: %v", name, p))
				})
				panic(p)
			}
		}()
	}
	ahead := a.readHistoryAhead(ctx, name, start)
	defer ahead.stop()
	obs := a.observe(ctx, acct)
	if errors.Is(ctx.Err(), context.Canceled) {
		// Shutdown or reload: what was observed is incomplete and must not
		// be recorded or announced as a verdict. The healthchecks run gets
		// an explained end (not /fail: a restart is no failure).
		if cycle != nil {
			a.endCycle(ctx, func(ctx context.Context) []notify.Result { return cycle.Interrupted(ctx, nil) })
		}
		return checks.AccountReport{}, fmt.Errorf("cycle of %s interrupted: %w", name, ctx.Err())
	}
	// A cycle that ran out of time is still recorded (its checks say what
	// could not be read), on a context of its own.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	// Ages and the history's time line follow Apple's clock when this
	// machine's is off (checks.CheckTime); the report keeps local time.
	at := checks.CheckTime(obs, start)
	if at != start {
		a.log.Warn("this machine's clock is off from Apple's; judging ages on Apple's time (turn on NTP)",
			"account", name, "offset", at.Sub(start).Round(time.Second))
		if !obs.Auth.RetryAfter.IsZero() { // measured on this machine's clock
			obs.Auth.RetryAfter = obs.Auth.RetryAfter.Add(at.Sub(start))
		}
	}
	hist := a.historyAt(rctx, ahead, name, obs.Owner, at)
	rep := checks.Evaluate(obs, a.policy, hist, at)
	a.record(rctx, obs, hist, rep, start, at)
	a.publish(rctx, cycle, rep, time.Since(start))
	return rep, nil
}

// recordTimeout bounds storing and announcing a cycle's result.
const recordTimeout = 30 * time.Second

// Cycle adapts RunCycle to the scheduler; errors are logged.
func (a *Agent) Cycle(ctx context.Context, name string) {
	rep, err := a.RunCycle(ctx, name)
	switch {
	case errors.Is(err, context.Canceled):
		a.log.Info("cycle interrupted", "account", name)
		return
	case err != nil:
		a.log.Error("cycle failed", "account", name, "err", err)
		return
	}
	a.log.Info("cycle finished", "account", name, "status", rep.Status.String())
}

// observe gathers the observation: cloud first, then every folder.
func (a *Agent) observe(ctx context.Context, acct Account) checks.Observation {
	obs := checks.Observation{Account: acct.Name, HiddenCovered: acct.HiddenCovered, Hidden: acct.Hidden}
	// The folders are scanned while iCloud is read (the scan does not need
	// the assets; the requests mostly wait): one after the other, as below.
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		for _, f := range acct.Folders {
			if s, ok := f.(folderScanner); ok {
				s.ScanFolder(ctx)
			}
		}
	}()
	assets := acct.Cloud.ObserveCloud(ctx, &obs)
	<-scanned
	var deleted []checks.DeletedItem
	if obs.RecentlyDeleted != nil {
		deleted = obs.RecentlyDeleted.Items
	}
	for _, f := range acct.Folders {
		fo, copies := f.ObserveFolder(ctx, assets)
		obs.Folders = append(obs.Folders, fo)
		for i := range deleted {
			if c, ok := copies[deleted[i].ID]; ok && c.Rank() > deleted[i].LocalCopy.Rank() {
				deleted[i].LocalCopy = c
			}
		}
	}
	if au, ok := acct.Cloud.(auditor); ok && obs.Audit != nil {
		au.compareAudit(ctx, &obs, acct.Folders, a.policy.Grace)
	}
	return obs
}

// loadHistory reads the stored history points within the longest window
// any check needs. A read failure is logged and yields an empty history:
// adaptive checks then fall back to their static thresholds. What was
// recorded for another iCloud account (owner) is left out.
func (a *Agent) loadHistory(ctx context.Context, name, owner string, now time.Time) checks.History {
	points, err := a.readHistory(ctx, name, a.historySince(now))
	if err != nil {
		a.log.Warn("history unavailable; using static thresholds", "account", name, "err", err)
		return checks.History{}
	}
	return a.buildHistory(points, owner, now)
}

// historySince is the start of the longest window any check needs at now.
func (a *Agent) historySince(now time.Time) time.Time {
	return now.Add(-a.policy.UploadHistory - 24*time.Hour)
}

// storedPoint is a decoded history point with the time of its row.
type storedPoint struct {
	at time.Time
	p  checks.HistoryPoint
}

// readHistory reads and decodes the points of name since since; an
// unreadable point is logged and skipped.
func (a *Agent) readHistory(ctx context.Context, name string, since time.Time) ([]storedPoint, error) {
	rows, err := a.db.History(ctx, name, since)
	if err != nil {
		return nil, err
	}
	points := make([]storedPoint, 0, len(rows))
	for _, r := range rows {
		p, err := history.DecodePoint(r.Data)
		if err != nil {
			a.log.Warn("skipping an unreadable history point", "account", name, "at", r.At, "err", err)
			continue
		}
		points = append(points, storedPoint{at: r.At, p: p})
	}
	return points, nil
}

// buildHistory builds the checks' history at now from the points of rows
// dated at or after historySince(now).
func (a *Agent) buildHistory(points []storedPoint, owner string, now time.Time) checks.History {
	since := a.historySince(now)
	ps := make([]checks.HistoryPoint, 0, len(points))
	for _, sp := range points {
		if !sp.at.Before(since) {
			ps = append(ps, sp.p)
		}
	}
	return checks.BuildHistory(checks.OfOwner(ps, owner), a.policy, now)
}

// record persists the history point (dated at, the check time), the
// report (dated now, this machine's clock) and, once a day, the pruning of
// old history, in one transaction; failures are logged, the report is
// still served and notified.
func (a *Agent) record(ctx context.Context, obs checks.Observation, hist checks.History, rep checks.AccountReport, now, at time.Time) {
	hp := checks.NewHistoryPoint(obs, hist, at)
	hp.UploadAlert = checks.UploadAlerted(rep)
	rec := store.CycleRecord{Account: obs.Account, At: at, ReportAt: now}
	var err error
	rec.Point, err = json.Marshal(history.Record{
		HistoryPoint:      hp,
		Status:            rep.Status.String(),
		ICloudNewestAdded: rep.Observed.ICloudNewestAdded,
		LocalNewest:       rep.Observed.LocalNewest,
		StorageUsed:       rep.Observed.StorageUsedBytes,
		StorageTotal:      rep.Observed.StorageTotalBytes,
	})
	if err != nil {
		rec.Point = nil
		a.log.Error("could not record history", "account", obs.Account, "err", err)
	}
	if rec.Report, err = json.Marshal(rep); err != nil {
		rec.Report = nil
		a.log.Error("could not store the report", "account", obs.Account, "err", err)
	}
	a.mu.Lock()
	if now.Sub(a.lastPruned) >= 24*time.Hour {
		a.lastPruned = now
		rec.PruneBefore = at.Add(-a.retention)
	}
	a.mu.Unlock()
	if n, err := a.db.RecordCycle(ctx, rec); err != nil {
		a.log.Error("could not record history and the report (is data_dir writable and not full?)",
			"account", obs.Account, "err", err)
	} else if n > 0 {
		a.log.Debug("pruned old history", "points", n, "retention", a.retention)
	}
	a.mu.Lock()
	a.last[obs.Account] = rep
	a.lastAt[obs.Account] = now
	a.mu.Unlock()
	a.health.cycleFinished(obs.Account)
}

// publish hands the new state to metrics and notifications.
func (a *Agent) publish(ctx context.Context, cycle *notify.Cycle, rep checks.AccountReport, dur time.Duration) {
	if a.metrics != nil {
		a.metrics.SetReport(a.Report())
		a.metrics.ObserveRun(rep.Name, dur, rep.Observed.Up)
		if rep.Observed.Up {
			a.metrics.SetLastSuccess(rep.Name, a.now())
		}
	}
	if cycle == nil {
		return
	}
	results, err := cycle.Done(ctx, checks.NewReport(a.now(), rep))
	a.countNotifications(results)
	if err != nil {
		a.log.Warn("some notifications failed", "account", rep.Name, "err", err)
	}
}

// endCycle sends a cycle's end pings on a context of their own: the
// cycle's context may already be cancelled.
func (a *Agent) endCycle(ctx context.Context, end func(context.Context) []notify.Result) {
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endPingTimeout)
	defer cancel()
	a.countNotifications(end(ectx))
}

// endPingTimeout bounds the end pings of an interrupted cycle, so a
// shutdown is not held up by an unreachable ping server.
const endPingTimeout = 5 * time.Second

func (a *Agent) countNotifications(results []notify.Result) {
	if a.metrics == nil {
		return
	}
	for _, r := range results {
		a.metrics.ObserveNotification(r.Notifier, r.Err)
	}
}

// Report assembles the last report of every account (configuration
// order); accounts that never finished a cycle are absent.
func (a *Agent) Report() checks.Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	var accounts []checks.AccountReport
	var latest time.Time
	for _, acct := range a.accounts {
		if r, ok := a.last[acct.Name]; ok {
			accounts = append(accounts, r)
		}
		if t := a.lastAt[acct.Name]; t.After(latest) {
			latest = t
		}
	}
	if latest.IsZero() {
		latest = a.now()
	}
	return checks.NewReport(latest, accounts...)
}

// loadLastReports restores the reports of the previous process.
func (a *Agent) loadLastReports(ctx context.Context) {
	for _, acct := range a.accounts {
		at, data, ok, err := a.db.LastReport(ctx, acct.Name)
		if err != nil || !ok {
			continue
		}
		var rep checks.AccountReport
		if json.Unmarshal(data, &rep) == nil && rep.Name == acct.Name {
			a.last[acct.Name] = rep
			a.lastAt[acct.Name] = at
		}
	}
}
