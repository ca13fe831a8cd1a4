package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/checks"
)

// auditItems returns missing items: n taken in each given month.
func auditItems(months map[time.Time]int) []checks.Item {
	var out []checks.Item
	i := 0
	for m, n := range months {
		for range n {
			out = append(out, checks.Item{ID: fmt.Sprintf("r%d", i), Filename: fmt.Sprintf("IMG_%04d.JPG", i), Library: "personal",
				Taken: m.Add(time.Duration(i) * time.Hour), Added: m.AddDate(0, 0, 3), Size: 1000})
			i++
		}
	}
	return out
}

func month(y int, m time.Month) time.Time { return time.Date(y, m, 5, 12, 0, 0, 0, time.UTC) }

// withAudit adds a library_audit result to a.
func withAudit(a checks.AccountReport, st checks.Status, pending bool, items []checks.Item) checks.AccountReport {
	a.Checks = append(append([]checks.CheckResult(nil), a.Checks...), checks.CheckResult{
		ID: checks.CheckLibraryAudit, Status: st, Pending: pending, Summary: "audit summary",
		Details: &checks.Details{Missing: items},
	})
	if !pending && st.WorseThan(a.Status) {
		a.Status = st
	}
	return a
}

func TestAuditChartByMonth(t *testing.T) {
	items := auditItems(map[time.Time]int{month(2019, 1): 2, month(2019, 3): 1, month(2021, 6): 7})
	items = append(items, checks.Item{Filename: "undated.JPG", Library: "personal"})
	h, undated := auditChart(items, time.UTC)
	if undated != 1 {
		t.Errorf("undated %d, want 1", undated)
	}
	root := parseChart(t, h)
	points, xticks, yticks, unit, outside := chartFacts(t, root)
	if points != 3 || unit != "missing photos" || yticks < 2 || len(outside) > 0 {
		t.Errorf("points %d (want one bar per month with photos), unit %q, yticks %d, outside %v", points, unit, yticks, outside)
	}
	if xticks != 3 { // 2019, 2020, 2021
		t.Errorf("%d year labels, want 3", xticks)
	}
	var titles []string
	var heights []float64
	root.walk(func(n svgNode) {
		if n.XMLName.Local == "rect" && strings.Contains(n.attr("class"), "audit") {
			heights = append(heights, n.num(t, "height"))
			for _, c := range n.Nodes {
				titles = append(titles, c.Text)
			}
		}
	})
	if strings.Join(titles, "|") != "January 2019: 2 photos|March 2019: 1 photo|June 2021: 7 photos" {
		t.Errorf("bar titles %q", titles)
	}
	if len(heights) == 3 && !(heights[2] > heights[0] && heights[0] > heights[1]) {
		t.Errorf("bar heights %v do not follow the counts 2, 1, 7", heights)
	}
	if h, n := auditChart(nil, time.UTC); h != "" || n != 0 {
		t.Errorf("no items: %q", h)
	}
}

// TestAuditChartLongSpan: twenty years of months stay inside the chart
// and the year labels do not crowd.
func TestAuditChartLongSpan(t *testing.T) {
	months := map[time.Time]int{}
	for y := 2005; y <= 2025; y++ {
		months[month(y, time.Month(1+y%12))] = y - 2000
	}
	root := parseChart(t, mustChart(t, auditItems(months)))
	points, xticks, _, _, outside := chartFacts(t, root)
	if points != 21 || len(outside) > 0 || xticks > 11 || xticks < 4 {
		t.Errorf("points %d, year labels %d, outside %v", points, xticks, outside)
	}
}

func mustChart(t *testing.T, items []checks.Item) template.HTML {
	t.Helper()
	h, _ := auditChart(items, time.UTC)
	return h
}

func TestStatusPageShowsTheAudit(t *testing.T) {
	items := auditItems(map[time.Time]int{month(2019, 1): 2, month(2020, 2): 1})
	alice := withAudit(okAccount("alice"), checks.StatusWarning, false, items)
	p := pageOf([]string{"alice"}, time.UTC, alice)
	card := p.Accounts[0]
	if card.Audit == nil || card.Audit.Missing != 3 || card.Audit.CSV != "/api/audit.csv?account=alice" || card.Audit.Chart == "" {
		t.Fatalf("audit card %+v", card.Audit)
	}
	if p.Headline != "3 photos of Alice are in iCloud but not on the NAS" {
		t.Errorf("headline %q", p.Headline)
	}
	var b bytes.Buffer
	if err := pages().ExecuteTemplate(&b, "status.html", p); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{`data-series="audit"`, `href="/api/audit.csv?account=alice"`, "Download the list of all 3 (CSV)", "Missing photos by month taken"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// The audit's missing photos are not listed one by one on the page
	// (there can be thousands): the chart and the CSV carry them.
	if strings.Contains(html, "IMG_0000.JPG") {
		t.Error("the page lists audit items one by one")
	}

	// Without the audit, nothing of it shows.
	p = pageOf([]string{"alice"}, time.UTC, okAccount("alice"))
	if p.Accounts[0].Audit != nil {
		t.Errorf("audit card without the audit: %+v", p.Accounts[0].Audit)
	}
}

// TestStatusPagePendingAudit: while the first fill runs the page says so,
// and the account is still "all backed up" for the headline.
func TestStatusPagePendingAudit(t *testing.T) {
	alice := withAudit(okAccount("alice"), checks.StatusUnknown, true, nil)
	p := pageOf([]string{"alice"}, time.UTC, alice)
	card := p.Accounts[0]
	if p.Headline != "All photos of Alice are backed up" || card.Status != "ok" {
		t.Errorf("headline %q, card %s", p.Headline, card.Status)
	}
	if card.Audit == nil || card.Audit.Status != statusPending || card.Audit.CSV != "" {
		t.Errorf("audit card %+v", card.Audit)
	}
	if len(card.Problems) != 1 || card.Problems[0].Status != statusPending {
		t.Errorf("problems %+v, want the pending check shown as pending", card.Problems)
	}
}

func TestServeAuditCSV(t *testing.T) {
	s := newTestServer(t)
	var last *checks.AccountReport
	h, err := newHandler(ServerOptions{Agent: s.agent, Scheduler: s.sched, Gatherer: prometheus.NewRegistry(), WebToken: testToken},
		func() checks.Report {
			rep := s.agent.Report()
			if last != nil {
				rep.Accounts[0] = *last
			}
			return rep
		})
	if err != nil {
		t.Fatal(err)
	}
	s.h = h
	setLast := func(a checks.AccountReport) { last = &a }
	base := s.agent.Report().Accounts[0]
	base.Checks = base.Checks[:len(checks.AllChecks())]

	if rec := s.do(http.MethodGet, "/api/audit.csv?account=alice", nil, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", rec.Code)
	}
	if rec := s.do(http.MethodGet, "/api/audit.csv?account=alice", nil, bearer); rec.Code != http.StatusNotFound ||
		!strings.Contains(rec.Body.String(), "audit is off") {
		t.Errorf("audit off: %d %s", rec.Code, rec.Body)
	}
	if rec := s.do(http.MethodGet, "/api/audit.csv?account=zoe", nil, bearer); rec.Code != http.StatusNotFound {
		t.Errorf("unknown account: %d", rec.Code)
	}

	setLast(withAudit(base, checks.StatusUnknown, true, nil))
	if rec := s.do(http.MethodGet, "/api/audit.csv?account=alice", nil, bearer); rec.Code != http.StatusServiceUnavailable ||
		!strings.Contains(rec.Body.String(), "no verdict yet") {
		t.Errorf("pending: %d %s", rec.Code, rec.Body)
	}

	items := auditItems(map[time.Time]int{month(2019, 1): 2})
	items[0].Filename = "=cmd|' /C calc'!A0"
	setLast(withAudit(base, checks.StatusWarning, false, items))
	rec := s.do(http.MethodGet, "/api/audit.csv?account=alice", nil, bearer)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" ||
		rec.Header().Get("Content-Disposition") != `attachment; filename="icloudmon-missing-alice.csv"` {
		t.Fatalf("csv: %d %v", rec.Code, rec.Header())
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(checks.AuditCSVHeader, ",") || rows[1][0] != "alice" {
		t.Fatalf("rows %q", rows)
	}
	if !strings.HasPrefix(rows[1][2], "'=") && !strings.HasPrefix(rows[2][2], "'=") {
		t.Errorf("a formula-looking file name is not defused: %q", rows)
	}
	// Every account when none is named.
	if rec := s.do(http.MethodGet, "/api/audit.csv", nil, bearer); rec.Code != http.StatusOK || strings.Count(rec.Body.String(), "\n") != 3 {
		t.Errorf("all accounts: %d %q", rec.Code, rec.Body)
	}
}
