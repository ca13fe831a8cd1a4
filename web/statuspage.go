package web

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/icloudmon/icloudmon/checks"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are parsed when first served, not when the binary starts: about
// 1 ms of every command, verify too, which serves no page.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").ParseFS(templateFS, "templates/*.html"))
})

// statusPage is the data of templates/status.html.
type statusPage struct {
	Status string
	// Headline is one sentence for the family: everything is backed up,
	// or the most urgent problem. More says how many other problems the
	// cards below list.
	Headline     string
	More         string
	CheckedAt    string // local time
	TimeZone     string
	CSRF, Notice string
	Accounts     []accountCard
}

type accountCard struct {
	Name     string // the configured label (ids, URLs)
	Display  string // the label for people
	Status   string
	Checked  bool
	Reauth   bool
	Problems []checkRow // not ok, worst first
	OK       []checkRow
	Missing  []missingRow
	Session  string // the sign-in countdown
	Storage  *storageBar
	Charts   accountCharts
	// ChartsOpen unfolds the charts: always for an account with a problem,
	// and for every account of a small family (a family of five sees the
	// problem cards first, not fifteen charts).
	ChartsOpen bool
	// Clock says that the NAS clock is off from Apple's ("" when not).
	Clock string
	// Audit is the whole-library audit (auditchart.go); nil when off.
	Audit *auditCard
}

type checkRow struct {
	ID, Label, Status, Summary, Remediation string
}

type missingRow struct {
	Filename, Added, PurgeAt, Folder string
}

// storageBar is the iCloud storage of an account in Apple's units.
type storageBar struct {
	Used, Total, Free string
	// UsedPercent is 0..100, for the bar's width.
	UsedPercent float64
	Status      string
}

// chartDays is the span of the status page charts.
const chartDays = 30

// chartsOpenUpTo is the number of accounts up to which every card shows
// its charts unfolded.
const chartsOpenUpTo = 2

// serveStatusPage renders the status page from the last reports and the
// stored history; it never triggers an Apple request. Times are shown in
// the process's local time zone (TZ).
func (s *server) serveStatusPage(w http.ResponseWriter, r *http.Request) {
	rep := s.report()
	now := s.agent.Now()
	hist := func(name string) []chartPoint { return s.chartHistory(r.Context(), name, chartDays) }
	page := buildStatusPage(rep, s.agent.AccountNames(), hist, now, time.Local)
	page.CSRF, page.Notice = s.auth.CSRF(), noticeText(r.URL.Query().Get("notice"))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	if err := pages().ExecuteTemplate(w, "status.html", page); err != nil {
		s.log.Error("rendering the status page", "err", err)
	}
}

// buildStatusPage assembles the page: cards of accounts with problems
// first, problems first within each card.
func buildStatusPage(rep checks.Report, names []string, hist func(string) []chartPoint, now time.Time, loc *time.Location) statusPage {
	page := statusPage{Status: rep.Status.String(), CheckedAt: fmtLocal(rep.CheckedAt, loc), TimeZone: zoneName(now, loc)}
	byName := map[string]checks.AccountReport{}
	for _, a := range rep.Accounts {
		byName[a.Name] = a
	}
	var problems []problem
	for _, name := range names {
		a, ok := byName[name]
		card := accountCard{Name: name, Display: displayName(name), Status: checks.StatusUnknown.String(), Checked: ok}
		end := now
		if ok {
			var off time.Duration
			off, card.Clock = checks.ClockNotice(a.Observed)
			end = now.Add(off) // ages and history are on Apple's time
			card.Status, card.Reauth = a.Status.String(), a.Observed.ReauthRequired
			card.Problems, card.OK = checkRows(a)
			card.Missing = missingRows(a, loc)
			card.Session = sessionText(a.Observed, end, loc)
			card.Storage = newStorageBar(a)
			card.Audit = newAuditCard(a, loc)
			problems = append(problems, accountProblems(a, end, loc)...)
		}
		if hist != nil {
			card.Charts = buildCharts(hist(name), end, chartDays, loc)
		}
		card.ChartsOpen = len(names) <= chartsOpenUpTo || card.Status != checks.StatusOK.String()
		page.Accounts = append(page.Accounts, card)
	}
	slices.SortStableFunc(page.Accounts, func(a, b accountCard) int {
		return statusRank(b.Status) - statusRank(a.Status)
	})
	page.Headline, page.More = headline(names, byName, problems)
	return page
}

// statusRank orders statuses by urgency: critical, warning, unknown, ok.
func statusRank(s string) int {
	switch s {
	case "critical":
		return 3
	case "warning":
		return 2
	case "unknown":
		return 1
	}
	return 0
}

// checkRows splits an account's checks into problems (worst first, then
// in report order) and the ok ones.
func checkRows(a checks.AccountReport) (problems, ok []checkRow) {
	for _, c := range a.Checks {
		row := checkRow{ID: string(c.ID), Label: checkLabel(c.ID), Status: c.Status.String(), Summary: c.Summary}
		if c.Pending {
			row.Status = statusPending
		}
		if c.Status == checks.StatusOK {
			ok = append(ok, row)
			continue
		}
		row.Remediation = c.Remediation
		problems = append(problems, row)
	}
	slices.SortStableFunc(problems, func(a, b checkRow) int { return statusRank(b.Status) - statusRank(a.Status) })
	return problems, ok
}

// checkLabel names a check for people; the id stays in small print for
// alert rules.
func checkLabel(id checks.CheckID) string {
	switch id {
	case checks.CheckAuth:
		return "Signed in to iCloud"
	case checks.CheckSessionExpiry:
		return "Sign-in still valid"
	case checks.CheckICloudUpload:
		return "Phone uploads to iCloud"
	case checks.CheckStorage:
		return "iCloud storage"
	case checks.CheckLocalCopy:
		return "Newest photos copied"
	case checks.CheckRecentlyDeleted:
		return "Recently Deleted"
	case checks.CheckLibraryCoverage:
		return "Every library copied"
	case checks.CheckFolder:
		return "Photo folder"
	case checks.CheckIndexing:
		return "iCloud indexing"
	case checks.CheckLibraryAudit:
		return "Every photo copied"
	}
	return string(id)
}

// problem is one non-ok check, with its sentence for the headline.
type problem struct {
	rank     int
	sentence string
}

// accountProblems are the headline sentences of an account's problems,
// in report order.
func accountProblems(a checks.AccountReport, now time.Time, loc *time.Location) []problem {
	var out []problem
	for _, c := range a.Checks {
		if c.Status == checks.StatusOK || c.Pending { // a pending check is shown, not a problem
			continue
		}
		out = append(out, problem{rank: statusRank(c.Status.String()), sentence: problemSentence(a, c, now, loc)})
	}
	return out
}

// problemSentence says in one sentence, for the family, what is wrong.
func problemSentence(a checks.AccountReport, c checks.CheckResult, now time.Time, loc *time.Location) string {
	n, o := displayName(a.Name), a.Observed
	if c.Status == checks.StatusUnknown && c.ID != checks.CheckAuth {
		return fmt.Sprintf("icloudmon could not check %s for %s", strings.ToLower(checkLabel(c.ID)), n)
	}
	switch c.ID {
	case checks.CheckAuth:
		if o.ReauthRequired {
			return fmt.Sprintf("%s must sign in to iCloud again, so that the photos can be checked", n)
		}
		if c.Status == checks.StatusUnknown {
			return fmt.Sprintf("icloudmon could not reach iCloud for %s", n)
		}
		return fmt.Sprintf("icloudmon cannot sign in to the iCloud of %s", n)
	case checks.CheckSessionExpiry:
		if !o.SessionExpiry.IsZero() && o.SessionExpiry.After(now) {
			return fmt.Sprintf("%s must sign in to iCloud again within %s", n, humanDuration(o.SessionExpiry.Sub(now)))
		}
		return fmt.Sprintf("%s must sign in to iCloud again", n)
	case checks.CheckICloudUpload:
		if !o.ICloudNewestAdded.IsZero() && now.After(o.ICloudNewestAdded) {
			return fmt.Sprintf("%s's iPhone has not uploaded a photo for %s", n, humanDuration(now.Sub(o.ICloudNewestAdded)))
		}
		return fmt.Sprintf("%s's iPhone does not seem to upload photos to iCloud", n)
	case checks.CheckStorage:
		if b := newStorageBar(a); b != nil {
			return fmt.Sprintf("The iCloud storage of %s is almost full: %s free of %s", n, b.Free, b.Total)
		}
		return fmt.Sprintf("The iCloud storage of %s is almost full", n)
	case checks.CheckLocalCopy:
		if c.Details != nil && len(c.Details.Missing) > 0 {
			return fmt.Sprintf("%s of %s %s not copied to the NAS yet",
				countNoun(len(c.Details.Missing), "new photo", "new photos"), n, isAre(len(c.Details.Missing)))
		}
		return fmt.Sprintf("The newest photos of %s are not copied to the NAS yet", n)
	case checks.CheckRecentlyDeleted:
		k := 1
		if o.RecentlyDeletedUnprotected != nil && *o.RecentlyDeletedUnprotected > 0 {
			k = *o.RecentlyDeletedUnprotected
		}
		s := fmt.Sprintf("%s deleted by %s and never copied", countNoun(k, "photo", "photos"), n)
		if !o.RecentlyDeletedNextPurge.IsZero() {
			return fmt.Sprintf("%s will be erased for good on %s", s, fmtLocal(o.RecentlyDeletedNextPurge, loc))
		}
		return fmt.Sprintf("%s will be erased for good soon", s)
	case checks.CheckLibraryCoverage:
		return fmt.Sprintf("Some photos of %s are in a library (or the Hidden album) that no folder copies", n)
	case checks.CheckFolder:
		return fmt.Sprintf("The photo folder of %s on the NAS has a problem", n)
	case checks.CheckIndexing:
		return fmt.Sprintf("iCloud is still preparing the library of %s", n)
	case checks.CheckLibraryAudit:
		if c.Details != nil && len(c.Details.Missing) > 0 {
			k := len(c.Details.Missing)
			return fmt.Sprintf("%s of %s %s in iCloud but not on the NAS", countNoun(k, "photo", "photos"), n, isAre(k))
		}
		return fmt.Sprintf("Some photos of %s are in iCloud but not on the NAS", n)
	}
	return fmt.Sprintf("%s: %s", n, c.Summary)
}

// headline is the page's first sentence: all good for the whole family,
// or the most urgent problem and how many more there are.
func headline(names []string, byName map[string]checks.AccountReport, problems []problem) (string, string) {
	if len(names) == 0 {
		return "No iCloud account is configured yet", ""
	}
	slices.SortStableFunc(problems, func(a, b problem) int { return b.rank - a.rank })
	if len(problems) > 0 {
		more := ""
		switch k := len(problems) - 1; {
		case k == 1:
			more = "1 more problem below."
		case k > 1:
			more = fmt.Sprintf("%d more problems below.", k)
		}
		return problems[0].sentence, more
	}
	var waiting []string
	for _, n := range names {
		if _, ok := byName[n]; !ok {
			waiting = append(waiting, displayName(n))
		}
	}
	if len(waiting) > 0 {
		return fmt.Sprintf("The first check of %s has not finished yet", joinNames(waiting)), ""
	}
	display := make([]string, len(names))
	for i, n := range names {
		display[i] = displayName(n)
	}
	return fmt.Sprintf("All photos of %s are backed up", joinNames(display)), ""
}

// joinNames joins "Alice", "Alice and Bob", "Alice, Bob and Carol".
func joinNames(n []string) string {
	switch len(n) {
	case 0:
		return ""
	case 1:
		return n[0]
	}
	return strings.Join(n[:len(n)-1], ", ") + " and " + n[len(n)-1]
}

// displayName capitalizes the account label ("alice" -> "Alice").
func displayName(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	if size == 0 {
		return name
	}
	return string(unicode.ToUpper(r)) + name[size:]
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// humanDuration prints a duration the way people say it: "10 days",
// "1 day", "5 hours", "20 minutes".
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return countNoun(int(d/(24*time.Hour)), "day", "days")
	case d >= 2*time.Hour:
		return countNoun(int(d/time.Hour), "hour", "hours")
	case d >= 2*time.Minute:
		return countNoun(int(d/time.Minute), "minute", "minutes")
	}
	return "a minute"
}

// fmtLocal prints an instant in loc for people: "Sun 6 Dec 16:51 CET".
func fmtLocal(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// zoneName is the name of loc at now, for the page footer.
func zoneName(now time.Time, loc *time.Location) string {
	name, _ := now.In(loc).Zone()
	if loc.String() != "Local" && loc.String() != name {
		return loc.String() + " (" + name + ")"
	}
	return name
}

// sessionText is the sign-in countdown.
func sessionText(o checks.Observed, now time.Time, loc *time.Location) string {
	switch {
	case o.ReauthRequired:
		return "A new sign-in is needed now."
	case o.SessionExpiry.IsZero():
		return ""
	case !o.SessionExpiry.After(now):
		return "The sign-in expired " + fmtLocal(o.SessionExpiry, loc) + "."
	}
	return fmt.Sprintf("Sign-in valid for %s more (until %s).", humanDuration(o.SessionExpiry.Sub(now)), fmtLocal(o.SessionExpiry, loc))
}

// Apple states plan sizes in GB but counts them in units of 1024³ bytes:
// the free 5 GB tier reports totalStorageInBytes 5368709120 (5×1024³), so
// a 200 GB plan is 214748364800 bytes. The page uses the same units, so
// the plan shows as 200 GB and not as 214.7 GB.
const gib = 1 << 30

// fmtAppleBytes prints bytes in Apple's storage units (checks.FormatBytes).
func fmtAppleBytes(b int64) string { return checks.FormatBytes(b) }

// newStorageBar is nil when storage was not read.
func newStorageBar(a checks.AccountReport) *storageBar {
	o := a.Observed
	if o.StorageUsedBytes == nil || o.StorageTotalBytes == nil || *o.StorageTotalBytes <= 0 {
		return nil
	}
	used, total := *o.StorageUsedBytes, *o.StorageTotalBytes
	pct := min(max(float64(used)/float64(total)*100, 0), 100)
	st := checks.StatusOK.String()
	if c, ok := a.Check(checks.CheckStorage); ok {
		st = c.Status.String()
	}
	return &storageBar{Used: fmtAppleBytes(used), Total: fmtAppleBytes(total), Free: fmtAppleBytes(max(total-used, 0)),
		UsedPercent: float64(int(pct*10)) / 10, Status: st}
}

// missingRows lists the items of local_copy and recently_deleted that
// have no local copy.
func missingRows(a checks.AccountReport, loc *time.Location) []missingRow {
	var out []missingRow
	for _, id := range []checks.CheckID{checks.CheckLocalCopy, checks.CheckRecentlyDeleted} {
		if c, ok := a.Check(id); ok && c.Details != nil {
			for _, it := range c.Details.Missing {
				out = append(out, missingRow{Filename: it.Filename, Added: fmtLocal(it.Added, loc),
					PurgeAt: fmtLocal(it.PurgeAt, loc), Folder: it.Folder})
			}
		}
	}
	return out
}

func noticeText(code string) string {
	switch code {
	case "queued":
		return "A check was started; this page refreshes on its own."
	case "skipped":
		return "A check is already running or ran moments ago; try again in a few minutes."
	}
	return ""
}
