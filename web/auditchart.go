package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// auditCard is the whole-library audit (library_audit) on an account's
// card, below the check rows that give its verdict: the missing photos by
// month taken and a link to the full list as CSV. Nil when the audit is
// off.
type auditCard struct {
	Status  string // ok, warning, unknown or pending
	Missing int
	// Chart is the bar chart of missing photos per month taken; empty
	// when nothing is missing.
	Chart template.HTML
	// Undated counts missing photos without a taken date (not charted).
	Undated int
	// CSV is the link to the list of every missing photo.
	CSV string
}

// newAuditCard builds the audit block of an account's card.
func newAuditCard(a checks.AccountReport, loc *time.Location) *auditCard {
	c, ok := a.Check(checks.CheckLibraryAudit)
	if !ok {
		return nil
	}
	card := &auditCard{Status: c.Status.String()}
	if c.Pending {
		card.Status = statusPending
	}
	if c.Details != nil && len(c.Details.Missing) > 0 {
		card.Missing = len(c.Details.Missing)
		card.Chart, card.Undated = auditChart(c.Details.Missing, loc)
		card.CSV = "/api/audit.csv?account=" + url.QueryEscape(a.Name)
	}
	return card
}

// statusPending is how the page shows a check that is unknown only
// because its first pass runs (checks.CheckResult.Pending).
const statusPending = "pending"

// auditChart draws the missing photos per month taken as inline SVG bars,
// from the month of the oldest to the month of the newest (months without
// a missing photo are empty slots, so a lost year stands out), with a year
// under the axis. It returns the number of photos without a taken date,
// which it cannot place.
func auditChart(items []checks.Item, loc *time.Location) (template.HTML, int) {
	if loc == nil {
		loc = time.UTC
	}
	perMonth := map[time.Time]int{}
	var first, last time.Time
	undated := 0
	for _, it := range items {
		if it.Taken.IsZero() {
			undated++
			continue
		}
		t := it.Taken.In(loc)
		m := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		perMonth[m]++
		if first.IsZero() || m.Before(first) {
			first = m
		}
		if m.After(last) {
			last = m
		}
	}
	if len(perMonth) == 0 {
		return "", undated
	}
	n := monthsBetween(first, last) + 1
	top := 0
	for _, v := range perMonth {
		top = max(top, v)
	}
	step, yMax := niceScale(float64(top))
	plotW, plotH := chartW-chartPadL-chartPadR, chartH-chartPadT-chartPadB
	slot := plotW / float64(n)
	barW := min(max(slot-1, 1), 40)
	y := func(v float64) float64 { return chartPadT + plotH*(1-v/yMax) }
	label := "Photos in iCloud with no local copy, by month taken"

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" data-series="audit" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`, chartW, chartH, label)
	fmt.Fprintf(&b, `<title>%s</title>`, label)
	fmt.Fprintf(&b, `<text class="unit" x="2" y="%.1f" font-size="%.0f">missing photos</text>`, chartFont+2, chartFont)
	for v := 0.0; v <= yMax+step/2; v += step {
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, chartPadL, y(v), chartW-chartPadR, y(v))
		fmt.Fprintf(&b, `<text class="tick ytick" x="%.1f" y="%.1f" font-size="%.0f" text-anchor="end">%.0f</text>`,
			chartPadL-4, y(v)+chartFont/3, chartFont, v)
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, chartPadL, chartPadT, chartPadL, chartH-chartPadB)
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, chartPadL, chartH-chartPadB, chartW-chartPadR, chartH-chartPadB)
	every := yearLabelEvery(slot * 12)
	for i := range n {
		m := first.AddDate(0, i, 0)
		x := chartPadL + slot*float64(i)
		if i == 0 || m.Month() == time.January {
			if m.Year()%every == 0 || i == 0 && n < 12 {
				fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x, chartH-chartPadB, x, chartH-chartPadB+4)
				fmt.Fprintf(&b, `<text class="tick xtick" x="%.1f" y="%.1f" font-size="%.0f" text-anchor="start">%d</text>`,
					min(x, chartW-chartPadR-30), chartH-6, chartFont, m.Year())
			}
		}
		v := perMonth[m]
		if v == 0 {
			continue
		}
		word := "photos"
		if v == 1 {
			word = "photo"
		}
		fmt.Fprintf(&b, `<rect class="pt bar audit" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %d %s</title></rect>`,
			x+(slot-barW)/2, y(float64(v)), barW, y(0)-y(float64(v)), m.Format("January 2006"), v, word)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), undated //nolint:gosec // numbers, dates and fixed markup only
}

// monthsBetween counts whole months from a to b (both first of a month).
func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

// yearLabelEvery labels every year, or every 2nd, 5th, 10th… so that
// labels (about 30 units wide) keep a gap.
func yearLabelEvery(yearWidth float64) int {
	for _, k := range []int{1, 2, 5, 10, 20, 50} {
		if yearWidth*float64(k) >= 40 {
			return k
		}
	}
	return 100
}

// serveAuditCSV answers GET /api/audit.csv?account=NAME with every photo
// that the last whole-library audit found in no local folder, one row
// each (checks.AuditCSVHeader); without account, every account's. It
// reads the last report only (never asks Apple). An account whose audit
// is off is 404; one without a verdict yet (the first fill runs, or the
// list could not be updated) is 503 with the reason, so that a script
// never mistakes "not known" for "nothing missing".
func (s *server) serveAuditCSV(w http.ResponseWriter, r *http.Request) {
	account := r.URL.Query().Get("account")
	if account != "" && !s.agentKnows(account) {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": fmt.Sprintf("no account named %q", account)})
		return
	}
	rep := s.report()
	var rows [][]string
	found := false
	for _, a := range rep.Accounts {
		if account != "" && a.Name != account {
			continue
		}
		c, ok := a.Check(checks.CheckLibraryAudit)
		if !ok {
			continue
		}
		found = true
		if c.Status != checks.StatusOK && c.Status != checks.StatusWarning {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": fmt.Sprintf("the whole-library audit of %s has no verdict yet: %s", a.Name, c.Summary)})
			return
		}
		if c.Details != nil {
			for _, it := range c.Details.Missing {
				rows = append(rows, checks.AuditCSVRecord(a.Name, it))
			}
		}
	}
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "the whole-library audit is off (or has not run yet) for this account; see the audit settings in CONFIGURATION.md"})
		return
	}
	name := "icloudmon-missing.csv"
	if account != "" {
		name = "icloudmon-missing-" + fileSafe(account) + ".csv"
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write(checks.AuditCSVHeader) // a write error means the client went away
	_ = cw.WriteAll(rows)
}

// fileSafe keeps letters, digits, dot, dash and underscore of a name for
// a download's file name.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return r
		}
		return '_'
	}, s)
}
