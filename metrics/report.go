package metrics

import (
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/checks"
)

// reportDescs describes the metrics derived from a Report (design §6).
type reportDescs struct {
	up, checkStatus, reauth, sessionExpiry        *prometheus.Desc
	newestAdded, newestTaken, assets, hidden      *prometheus.Desc
	localNewest, localFiles, missing, lag         *prometheus.Desc
	deleted, deletedUnprotected, deletedNextPurge *prometheus.Desc
	storageUsed, storageTotal                     *prometheus.Desc
	clockOffset                                   *prometheus.Desc
	checkPending                                  *prometheus.Desc
	auditMirrored, auditMissing, auditFillRatio   *prometheus.Desc
	auditLastComplete                             *prometheus.Desc
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

func newReportDescs() reportDescs {
	acc := []string{"account"}
	lib := []string{"account", "library"}
	fol := []string{"account", "folder"}
	return reportDescs{
		up:            desc("up", "1 if the last check cycle could sign in to iCloud and read the account, 0 otherwise.", acc...),
		checkStatus:   desc("check_status", "Status of a check: 0 ok, 1 warning, 2 critical, 3 unknown.", "account", "check"),
		reauth:        desc("reauth_required", "1 if a new sign-in (2FA code, or the password when none is stored) is needed before the account can be checked.", acc...),
		sessionExpiry: desc("session_expiry_timestamp_seconds", "Unix time when the saved iCloud session or trust expires and a new 2FA sign-in is needed.", acc...),
		newestAdded:   desc("icloud_newest_added_timestamp_seconds", "Unix time when the newest asset was added to the iCloud library.", lib...),
		newestTaken:   desc("icloud_newest_taken_timestamp_seconds", "Capture time (Unix) of the newest asset in the iCloud library.", lib...),
		assets:        desc("icloud_assets", "Number of assets in the iCloud library.", lib...),
		hidden:        desc("icloud_hidden_assets", "Number of hidden assets (Photos › Hidden) in the iCloud library; most importers skip them.", lib...),
		localNewest:   desc("local_newest_timestamp_seconds", "Unix time of the newest file in the local folder.", fol...),
		localFiles:    desc("local_files", "Number of media files in the local folder.", fol...),
		missing:       desc("missing_assets", "Newest iCloud assets past the grace period that have no copy in the local folder.", fol...),
		lag:           desc("local_lag_seconds", "Added-time distance between the newest iCloud asset and the newest one with a local copy.", fol...),
		deleted:       desc("recently_deleted_assets", "Number of items in Recently Deleted.", acc...),
		deletedUnprotected: desc("recently_deleted_unprotected_assets",
			"Items in Recently Deleted that have no local copy.", acc...),
		deletedNextPurge: desc("recently_deleted_next_purge_timestamp_seconds",
			"Unix time when iCloud purges the next Recently Deleted item that has no local copy.", acc...),
		storageUsed:  desc("storage_used_bytes", "iCloud storage used by the account, in bytes.", acc...),
		storageTotal: desc("storage_total_bytes", "iCloud storage available to the account (plan size), in bytes.", acc...),
		clockOffset: desc("clock_offset_seconds", "Apple's clock minus this machine's clock, from the Date header of Apple's answers "+
			"(positive: this machine's clock is behind). Beyond 5 minutes ages are computed on Apple's time; fix NTP.", acc...),
		checkPending: desc("check_pending", "1 while a check is unknown only because a first pass over several cycles is under way "+
			"(library_audit's first fill); such a check sets no account status and sends no notification. Absent otherwise.", "account", "check"),
		auditMirrored: desc("audit_mirrored_assets", "Assets of the library in the whole-library audit's list (the metadata mirror).", lib...),
		auditMissing: desc("audit_missing_assets", "Assets of the library that the whole-library audit compared and found in no local folder; "+
			"absent until the first fill of the library is complete.", lib...),
		auditFillRatio: desc("audit_fill_ratio", "Progress of the whole-library audit's first fill of the library, 0 to 1 (1 once filled); "+
			"absent while filling when Apple's count is unknown.", lib...),
		auditLastComplete: desc("audit_last_complete_timestamp_seconds", "Unix time of the last complete comparison of the whole library with the local folders.", lib...),
	}
}

func (d reportDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{
		d.up, d.checkStatus, d.reauth, d.sessionExpiry,
		d.newestAdded, d.newestTaken, d.assets, d.hidden,
		d.localNewest, d.localFiles, d.missing, d.lag,
		d.deleted, d.deletedUnprotected, d.deletedNextPurge,
		d.storageUsed, d.storageTotal, d.clockOffset,
		d.checkPending, d.auditMirrored, d.auditMissing, d.auditFillRatio, d.auditLastComplete,
	}
}

// reportCollector is a prometheus.Collector that turns the last Report into
// const metrics at scrape time, so nothing goes stale and series of accounts,
// libraries or folders that disappear vanish with the next report.
type reportCollector struct {
	d reportDescs

	mu     sync.RWMutex
	report *checks.Report
}

func newReportCollector() *reportCollector {
	return &reportCollector{d: newReportDescs()}
}

func (c *reportCollector) set(r checks.Report) {
	c.mu.Lock()
	c.report = &r
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *reportCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.d.all() {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *reportCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.RLock()
	r := c.report
	c.mu.RUnlock()
	if r == nil {
		return
	}
	e := emitter{ch: ch, seen: map[string]bool{}}
	for _, a := range r.Accounts {
		if e.seen["account\x00"+a.Name] {
			continue // a duplicate account would make the whole scrape fail
		}
		e.seen["account\x00"+a.Name] = true
		c.collectAccount(&e, a)
	}
}

func (c *reportCollector) collectAccount(e *emitter, a checks.AccountReport) {
	o := a.Observed
	e.gauge(c.d.up, boolValue(o.Up), a.Name)
	e.gauge(c.d.reauth, boolValue(needsSignIn(o)), a.Name)
	for _, cr := range a.Checks {
		e.gaugeOnce(c.d.checkStatus, float64(cr.Status.Value()), a.Name, string(cr.ID))
		if cr.Pending {
			e.gaugeOnce(c.d.checkPending, 1, a.Name, string(cr.ID))
		}
	}
	e.timestamp(c.d.sessionExpiry, o.SessionExpiry, a.Name)
	e.optInt64(c.d.storageUsed, o.StorageUsedBytes, a.Name)
	e.optInt64(c.d.storageTotal, o.StorageTotalBytes, a.Name)
	e.optInt(c.d.deleted, o.RecentlyDeleted, a.Name)
	e.optInt(c.d.deletedUnprotected, o.RecentlyDeletedUnprotected, a.Name)
	e.timestamp(c.d.deletedNextPurge, o.RecentlyDeletedNextPurge, a.Name)
	if o.ClockOffsetSeconds != nil {
		e.gauge(c.d.clockOffset, *o.ClockOffsetSeconds, a.Name)
	}
	for _, l := range o.Libraries {
		c.collectLibrary(e, a.Name, l)
	}
	for _, f := range o.Folders {
		c.collectFolder(e, a.Name, f)
	}
	for _, f := range o.Audit {
		c.collectAudit(e, a.Name, f)
	}
}

// collectAudit exports the whole-library audit facts of one library
// (never a file name: those are in the report and `icloudmon audit`).
func (c *reportCollector) collectAudit(e *emitter, account string, f checks.AuditFacts) {
	if !e.first("audit", account, f.Library) {
		return
	}
	e.gauge(c.d.auditMirrored, float64(f.Mirrored), account, f.Library)
	e.optInt(c.d.auditMissing, f.Missing, account, f.Library)
	if f.FillRatio != nil {
		e.gauge(c.d.auditFillRatio, *f.FillRatio, account, f.Library)
	}
	e.timestamp(c.d.auditLastComplete, f.LastComplete, account, f.Library)
}

func (c *reportCollector) collectLibrary(e *emitter, account string, l checks.LibraryFacts) {
	if !e.first("library", account, l.Name) {
		return
	}
	e.timestamp(c.d.newestAdded, l.NewestAdded, account, l.Name)
	e.timestamp(c.d.newestTaken, l.NewestTaken, account, l.Name)
	e.optInt(c.d.assets, l.Assets, account, l.Name)
	e.optInt(c.d.hidden, l.Hidden, account, l.Name)
}

func (c *reportCollector) collectFolder(e *emitter, account string, f checks.FolderFacts) {
	if !e.first("folder", account, f.Name) {
		return
	}
	e.timestamp(c.d.localNewest, f.LocalNewest, account, f.Name)
	e.optInt(c.d.localFiles, f.Files, account, f.Name)
	e.optInt(c.d.missing, f.Missing, account, f.Name)
	if f.LagSeconds != nil {
		e.gauge(c.d.lag, *f.LagSeconds, account, f.Name)
	}
}

// emitter sends const gauges and skips facts that are not known (nil or
// zero time), so an unknown value is an absent series, never a false 0.
type emitter struct {
	ch   chan<- prometheus.Metric
	seen map[string]bool
}

// first reports whether the (kind, labels) key is new; later duplicates are
// skipped because a repeated series would make the whole scrape fail.
func (e *emitter) first(kind string, labels ...string) bool {
	k := kind
	for _, l := range labels {
		k += "\x00" + l
	}
	if e.seen[k] {
		return false
	}
	e.seen[k] = true
	return true
}

func (e *emitter) gauge(d *prometheus.Desc, v float64, labels ...string) {
	for i, l := range labels {
		labels[i] = strings.ToValidUTF8(l, "\uFFFD")
	}
	m, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, err) // unreachable with valid UTF-8 and fixed label counts
	}
	e.ch <- m
}

func (e *emitter) gaugeOnce(d *prometheus.Desc, v float64, labels ...string) {
	if e.first(d.String(), labels...) {
		e.gauge(d, v, labels...)
	}
}

func (e *emitter) timestamp(d *prometheus.Desc, t time.Time, labels ...string) {
	if !t.IsZero() {
		e.gauge(d, unixSeconds(t), labels...)
	}
}

func (e *emitter) optInt(d *prometheus.Desc, v *int, labels ...string) {
	if v != nil {
		e.gauge(d, float64(*v), labels...)
	}
}

func (e *emitter) optInt64(d *prometheus.Desc, v *int64, labels ...string) {
	if v != nil {
		e.gauge(d, float64(*v), labels...)
	}
}

// needsSignIn reports whether a new sign-in by a person fixes the account:
// Apple wants a 2FA code, or there is no session and no stored password.
// Other blockers (password rejected, account locked, web access off, …)
// show as a critical auth check instead, so that alerts can tell people
// the right thing to do. Without an auth kind (a report from an older
// version) the report's own ReauthRequired flag decides.
func needsSignIn(o checks.Observed) bool {
	switch o.Auth {
	case checks.AuthReauthRequired, checks.AuthPasswordMissing:
		return true
	case checks.AuthNone:
		return o.ReauthRequired
	}
	return false
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
