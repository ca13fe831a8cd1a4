package agent

import (
	"embed"
	"html/template"
	"net/http"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

//go:embed templates/*.html
var templateFS embed.FS

var pageFuncs = template.FuncMap{
	"fmtTime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
}

var pages = template.Must(template.New("").Funcs(pageFuncs).ParseFS(templateFS, "templates/*.html"))

// statusPage is the data of templates/status.html.
type statusPage struct {
	Status    string
	CheckedAt string
	CSRF      string
	Notice    string
	Accounts  []accountCard
}

type accountCard struct {
	Name    string
	Status  string
	Checked bool
	Reauth  bool
	// Clock says that the NAS clock is off from Apple's ("" when not).
	Clock   string
	Checks  []checks.CheckResult
	Missing []checks.Item
	Chart   template.HTML
}

// chartDays is the span of the status page chart.
const chartDays = 30

// serveStatusPage renders the status page from the last reports and the
// stored history; it never triggers an Apple request.
func (s *server) serveStatusPage(w http.ResponseWriter, r *http.Request) {
	rep := s.agent.Report()
	page := statusPage{Status: rep.Status.String(), CheckedAt: rep.CheckedAt.Format(time.RFC3339),
		CSRF: s.auth.CSRF(), Notice: noticeText(r.URL.Query().Get("notice"))}
	now := s.agent.now()
	byName := map[string]checks.AccountReport{}
	for _, a := range rep.Accounts {
		byName[a.Name] = a
	}
	for _, name := range s.agent.AccountNames() {
		a, ok := byName[name]
		card := accountCard{Name: name, Status: "unknown", Checked: ok}
		end := now
		if ok {
			card.Status, card.Checks, card.Reauth = a.Status.String(), a.Checks, a.Observed.ReauthRequired
			card.Missing = missingItems(a)
			var off time.Duration
			off, card.Clock = checks.ClockNotice(a.Observed)
			end = now.Add(off) // history is dated on Apple's time
		}
		points := s.agent.chartHistory(r.Context(), name, chartDays)
		card.Chart = renderChart(points, end.Add(-chartDays*24*time.Hour), end)
		page.Accounts = append(page.Accounts, card)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	if err := pages.ExecuteTemplate(w, "status.html", page); err != nil {
		s.log.Error("rendering the status page", "err", err)
	}
}

// missingItems lists the items of local_copy and recently_deleted that
// have no local copy.
func missingItems(a checks.AccountReport) []checks.Item {
	var out []checks.Item
	for _, id := range []checks.CheckID{checks.CheckLocalCopy, checks.CheckRecentlyDeleted} {
		if c, ok := a.Check(id); ok && c.Details != nil {
			out = append(out, c.Details.Missing...)
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
