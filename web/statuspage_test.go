package web

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html/template"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without a zone database

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/demo"
	"github.com/icloudmon/icloudmon/store"
)

var pageNow = time.Date(2026, 12, 6, 15, 51, 34, 0, time.UTC)

// okAccount is a report of name with every check ok.
func okAccount(name string) checks.AccountReport {
	a := checks.AccountReport{Name: name, Status: checks.StatusOK}
	for _, id := range checks.AllChecks() {
		a.Checks = append(a.Checks, checks.CheckResult{ID: id, Status: checks.StatusOK, Summary: "fine"})
	}
	return a
}

// withProblem sets check id of a to status.
func withProblem(a checks.AccountReport, id checks.CheckID, st checks.Status, remedy string) checks.AccountReport {
	a.Checks = append([]checks.CheckResult(nil), a.Checks...)
	for i := range a.Checks {
		if a.Checks[i].ID == id {
			a.Checks[i].Status, a.Checks[i].Summary, a.Checks[i].Remediation = st, "not fine", remedy
		}
	}
	if st > a.Status {
		a.Status = st
	}
	return a
}

func pageOf(names []string, loc *time.Location, accounts ...checks.AccountReport) statusPage {
	return buildStatusPage(checks.NewReport(pageNow, accounts...), names, nil, pageNow, loc)
}

func TestHeadlineSentence(t *testing.T) {
	alice, bob := okAccount("alice"), okAccount("bob")
	stalled := withProblem(bob, checks.CheckICloudUpload, checks.StatusCritical, "check the phone")
	stalled.Observed.ICloudNewestAdded = pageNow.Add(-10*24*time.Hour - 3*time.Hour)
	behind := withProblem(alice, checks.CheckLocalCopy, checks.StatusWarning, "check the importer")
	for _, tc := range []struct {
		name     string
		names    []string
		accounts []checks.AccountReport
		want     string
		more     string
	}{
		{"all fine", []string{"alice", "bob"}, []checks.AccountReport{alice, bob}, "All photos of Alice and Bob are backed up", ""},
		{"family of five", []string{"alice", "bob", "carol", "dave", "eve"},
			[]checks.AccountReport{alice, bob, okAccount("carol"), okAccount("dave"), okAccount("eve")},
			"All photos of Alice, Bob, Carol, Dave and Eve are backed up", ""},
		{"stall", []string{"alice", "bob"}, []checks.AccountReport{alice, stalled}, "Bob's iPhone has not uploaded a photo for 10 days", ""},
		{"the critical one first", []string{"alice", "bob"}, []checks.AccountReport{behind, stalled},
			"Bob's iPhone has not uploaded a photo for 10 days", "1 more problem below."},
		{"not checked yet", []string{"alice", "bob"}, []checks.AccountReport{alice}, "The first check of Bob has not finished yet", ""},
		{"no accounts", nil, nil, "No iCloud account is configured yet", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pageOf(tc.names, time.UTC, tc.accounts...)
			if p.Headline != tc.want || p.More != tc.more {
				t.Errorf("headline %q / %q, want %q / %q", p.Headline, p.More, tc.want, tc.more)
			}
		})
	}
}

func TestProblemSentences(t *testing.T) {
	used, total := int64(199)<<30, int64(200)<<30
	full := withProblem(okAccount("bob"), checks.CheckStorage, checks.StatusCritical, "buy space")
	full.Observed.StorageUsedBytes, full.Observed.StorageTotalBytes = &used, &total
	reauth := withProblem(okAccount("bob"), checks.CheckAuth, checks.StatusCritical, "sign in")
	reauth.Observed.ReauthRequired = true
	purge := withProblem(okAccount("bob"), checks.CheckRecentlyDeleted, checks.StatusCritical, "recover it")
	one := 1
	purge.Observed.RecentlyDeletedUnprotected = &one
	purge.Observed.RecentlyDeletedNextPurge = pageNow.Add(24 * time.Hour)
	unknown := withProblem(okAccount("bob"), checks.CheckFolder, checks.StatusUnknown, "")
	for _, tc := range []struct {
		a    checks.AccountReport
		want string
	}{
		{full, "The iCloud storage of Bob is almost full: 1 GB free of 200 GB"},
		{reauth, "Bob must sign in to iCloud again, so that the photos can be checked"},
		{purge, "1 photo deleted by Bob and never copied will be erased for good on Mon 7 Dec 2026 15:51 UTC"},
		{unknown, "icloudmon could not check photo folder for Bob"},
	} {
		if p := pageOf([]string{"bob"}, time.UTC, tc.a); p.Headline != tc.want {
			t.Errorf("headline %q, want %q", p.Headline, tc.want)
		}
	}
}

// TestStatusPageProblemsFirst: problems (worst first) come before the
// fine checks, with their remediation; accounts with problems come first.
func TestStatusPageProblemsFirst(t *testing.T) {
	bob := withProblem(okAccount("bob"), checks.CheckLocalCopy, checks.StatusWarning, "restart the importer")
	bob = withProblem(bob, checks.CheckFolder, checks.StatusCritical, "mount the disk")
	p := pageOf([]string{"alice", "bob"}, time.UTC, okAccount("alice"), bob)
	if p.Accounts[0].Name != "bob" {
		t.Errorf("cards in order %s, %s; the one with problems goes first", p.Accounts[0].Name, p.Accounts[1].Name)
	}
	probs := p.Accounts[0].Problems
	if len(probs) != 2 || probs[0].ID != "folder" || probs[1].ID != "local_copy" || probs[0].Remediation != "mount the disk" {
		t.Errorf("problems %+v, want folder (critical) then local_copy (warning) with their remediation", probs)
	}
	if probs[0].Label != "Photo folder" || len(p.Accounts[0].OK) != 7 {
		t.Errorf("label %q, %d ok rows", probs[0].Label, len(p.Accounts[0].OK))
	}
	var html bytes.Buffer
	if err := pages().ExecuteTemplate(&html, "status.html", p); err != nil {
		t.Fatal(err)
	}
	body := html.String()
	iFolder, iLocal, iOK := strings.Index(body, `data-check="folder"`), strings.Index(body, `data-check="local_copy"`), strings.Index(body, `data-check="auth"`)
	if iFolder < 0 || iFolder > iLocal || iLocal > iOK {
		t.Errorf("rows not problem-first: folder at %d, local_copy at %d, auth (ok) at %d", iFolder, iLocal, iOK)
	}
	if !strings.Contains(body, "What to do") || strings.Contains(body, "<details><summary>What to do") {
		t.Error("the remediation is missing or collapsed")
	}
}

// TestStatusPageFamilyOfFive: with five accounts the card with a problem
// comes first with its charts unfolded; the fine ones fold theirs away.
func TestStatusPageFamilyOfFive(t *testing.T) {
	names := []string{"alice", "bob", "carol", "dave", "eve"}
	var accounts []checks.AccountReport
	for _, n := range names {
		accounts = append(accounts, okAccount(n))
	}
	accounts[3] = withProblem(accounts[3], checks.CheckStorage, checks.StatusWarning, "buy space")
	hist := func(string) []chartPoint { return nil }
	p := buildStatusPage(checks.NewReport(pageNow, accounts...), names, hist, pageNow, time.UTC)
	var order []string
	for _, c := range p.Accounts {
		order = append(order, c.Name)
		if c.ChartsOpen != (c.Name == "dave") {
			t.Errorf("%s: charts open %v", c.Name, c.ChartsOpen)
		}
	}
	if strings.Join(order, " ") != "dave alice bob carol eve" {
		t.Errorf("card order %v", order)
	}
	two := buildStatusPage(checks.NewReport(pageNow, accounts[:2]...), names[:2], hist, pageNow, time.UTC)
	if !two.Accounts[0].ChartsOpen || !two.Accounts[1].ChartsOpen {
		t.Error("a family of two should see every chart")
	}
}

func TestFmtAppleBytes(t *testing.T) {
	for _, tc := range []struct {
		b    int64
		want string
	}{
		{200 << 30, "200 GB"},       // Apple's 200 GB plan as the API reports it
		{5368709120, "5 GB"},        // the free tier (totalStorageInBytes of pyicloud's recorded answer)
		{2 << 40, "2 TB"},           // the 2 TB plan
		{50 << 30, "50 GB"},         // the 50 GB plan
		{33_200_000_000, "30.9 GB"}, // decimal bytes print in Apple's units
		{512 << 20, "512 MB"},
		{1 << 30, "1 GB"},
		{1536 << 20, "1.5 GB"},
		{0, "0 bytes"},
	} {
		if got := fmtAppleBytes(tc.b); got != tc.want {
			t.Errorf("fmtAppleBytes(%d) = %q, want %q", tc.b, got, tc.want)
		}
	}
	used, total := int64(30_900_000_000), int64(200)<<30
	a := okAccount("bob")
	a.Observed.StorageUsedBytes, a.Observed.StorageTotalBytes = &used, &total
	bar := newStorageBar(a)
	if bar == nil || bar.Total != "200 GB" || bar.Used != "28.8 GB" || bar.Free != "171 GB" || bar.UsedPercent != 14.3 {
		t.Errorf("storage bar %+v", bar)
	}
}

func TestStatusPageLocalTime(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	a := withProblem(okAccount("bob"), checks.CheckSessionExpiry, checks.StatusWarning, "sign in soon")
	a.Observed.SessionExpiry = pageNow.Add(5*24*time.Hour + time.Hour)
	a.Checks[5].Details = &checks.Details{Missing: []checks.Item{{Filename: "IMG_1.HEIC", PurgeAt: pageNow.Add(24 * time.Hour)}}}
	p := buildStatusPage(checks.NewReport(pageNow, a), []string{"bob"}, nil, pageNow, berlin)
	if p.CheckedAt != "Sun 6 Dec 2026 16:51 CET" {
		t.Errorf("checked at %q, want Berlin time", p.CheckedAt)
	}
	if want := "Sign-in valid for 5 days more (until Fri 11 Dec 2026 17:51 CET)."; p.Accounts[0].Session != want {
		t.Errorf("session %q, want %q", p.Accounts[0].Session, want)
	}
	if len(p.Accounts[0].Missing) != 1 || p.Accounts[0].Missing[0].PurgeAt != "Mon 7 Dec 2026 16:51 CET" {
		t.Errorf("missing %+v", p.Accounts[0].Missing)
	}
	if p.TimeZone != "Europe/Berlin (CET)" {
		t.Errorf("time zone %q", p.TimeZone)
	}
	summer := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	if got := fmtLocal(summer, berlin); got != "Wed 1 Jul 2026 12:00 CEST" {
		t.Errorf("summer time %q", got)
	}
}

// svgDoc is the parsed chart.
type svgNode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Nodes   []svgNode  `xml:",any"`
}

func (n svgNode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n svgNode) num(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

func (n svgNode) walk(f func(svgNode)) {
	f(n)
	for _, c := range n.Nodes {
		c.walk(f)
	}
}

func parseChart(t *testing.T, h template.HTML) svgNode {
	t.Helper()
	var root svgNode
	if err := xml.Unmarshal([]byte(h), &root); err != nil {
		t.Fatalf("chart is not well-formed: %v\n%s", err, h)
	}
	if root.XMLName.Local != "svg" || root.attr("viewBox") != "0 0 360 170" {
		t.Fatalf("root <%s viewBox=%q>", root.XMLName.Local, root.attr("viewBox"))
	}
	return root
}

// chartFacts counts the data points, axis labels and anything outside the
// viewBox.
func chartFacts(t *testing.T, root svgNode) (points, xticks, yticks int, unit string, outside []string) {
	t.Helper()
	in := func(x, y float64) bool { return x >= 0 && x <= chartW && y >= 0 && y <= chartH }
	root.walk(func(n svgNode) {
		class := n.attr("class")
		classes := strings.Fields(class)
		switch n.XMLName.Local {
		case "circle":
			if !in(n.num(t, "cx")-n.num(t, "r"), n.num(t, "cy")-n.num(t, "r")) || !in(n.num(t, "cx")+n.num(t, "r"), n.num(t, "cy")+n.num(t, "r")) {
				outside = append(outside, "circle "+n.attr("cx")+","+n.attr("cy"))
			}
		case "rect":
			x, y, w, h := n.num(t, "x"), n.num(t, "y"), n.num(t, "width"), n.num(t, "height")
			if w < 0 || h < 0 || !in(x, y) || !in(x+w, y+h) {
				outside = append(outside, "rect "+n.attr("x")+","+n.attr("y"))
			}
		case "text":
			// An estimate of the label's extent: 0.6 em a character.
			x, w := n.num(t, "x"), 0.6*chartFont*float64(len([]rune(n.Text)))
			switch n.attr("text-anchor") {
			case "middle":
				x -= w / 2
			case "end":
				x -= w
			}
			if !in(x, n.num(t, "y")) || !in(x+w, n.num(t, "y")-chartFont) {
				outside = append(outside, "text "+n.Text)
			}
		case "polyline":
			for _, xy := range strings.Fields(n.attr("points")) {
				x, _ := strconv.ParseFloat(strings.Split(xy, ",")[0], 64)
				y, _ := strconv.ParseFloat(strings.Split(xy, ",")[1], 64)
				if !in(x, y) {
					outside = append(outside, "polyline "+xy)
				}
			}
		}
		switch {
		case slices.Contains(classes, "pt"):
			points++
		case slices.Contains(classes, "xtick"):
			xticks++
		case slices.Contains(classes, "ytick"):
			yticks++
		case class == "unit":
			unit = n.Text
		}
	})
	return points, xticks, yticks, unit, outside
}

func TestChartSVG(t *testing.T) {
	from := pageNow.Add(-30 * 24 * time.Hour)
	var line []chartValue
	for i := range 30 {
		// Values up to a peak: the top point must stay inside (the old
		// chart cut its dot off at the top).
		line = append(line, chartValue{At: from.Add(time.Duration(i)*24*time.Hour + time.Hour), V: float64(i * i)})
	}
	line = append(line, chartValue{At: from.Add(-time.Hour), V: 1e9}, chartValue{At: pageNow.Add(time.Hour), V: 5}) // outside the span: dropped
	root := parseChart(t, renderChart(chartSpec{Label: "test", Unit: "days behind", From: from, To: pageNow, Line: line, Class: "lag"}))
	points, xticks, yticks, unit, outside := chartFacts(t, root)
	if points != 30 || xticks < 4 || yticks < 3 || unit != "days behind" || len(outside) > 0 {
		t.Errorf("line chart: %d points, %d x ticks, %d y ticks, unit %q, outside the viewBox: %v", points, xticks, yticks, unit, outside)
	}
	top := 0.0
	root.walk(func(n svgNode) {
		if n.attr("class") == "tick ytick" {
			v, _ := strconv.ParseFloat(n.Text, 64)
			top = max(top, v)
		}
	})
	if top < 29*29 {
		t.Errorf("the y axis ends at %v, below the largest value %d", top, 29*29)
	}

	bars := uploadsPerDay([]chartPoint{{Uploads: []time.Time{from.Add(30 * time.Hour), from.Add(31 * time.Hour), from.Add(80 * time.Hour)}}}, from, pageNow, time.UTC)
	root = parseChart(t, renderChart(chartSpec{Label: "uploads", Unit: "added per day", From: from, To: pageNow, Bars: bars, Class: "uploads"}))
	points, xticks, yticks, _, outside = chartFacts(t, root)
	if points != 2 || xticks < 4 || yticks < 2 || len(outside) > 0 {
		t.Errorf("bar chart: %d bars, %d x ticks, %d y ticks, outside: %v", points, xticks, yticks, outside)
	}

	one := renderChart(chartSpec{Label: "fresh", Unit: "GB free", From: from, To: pageNow, Line: line[:1], Class: "storage"})
	points, xticks, _, _, _ = chartFacts(t, parseChart(t, one))
	if points != 0 || xticks < 4 || !strings.Contains(string(one), "Too little history yet") {
		t.Errorf("a one-point chart should say the history is too short: %s", one)
	}
}

// TestChartsTellTheStory: the uploads chart shows a stall as empty days
// with a labelled gap, the lag and storage charts use their units.
func TestChartsTellTheStory(t *testing.T) {
	var pts []chartPoint
	for d := 30; d >= 0; d-- {
		at := pageNow.Add(-time.Duration(d) * 24 * time.Hour)
		p := chartPoint{At: at, StorageUsed: int64(170+d) << 30, StorageTotal: 200 << 30}
		if d >= 10 {
			p.Uploads = []time.Time{at.Add(-time.Hour)}
			p.ICloud, p.LocalNewest = at.Add(-time.Hour), at.Add(-time.Hour)
		} else {
			p.ICloud, p.LocalNewest = pageNow.Add(-10*24*time.Hour-time.Hour), pageNow.Add(-10*24*time.Hour-time.Hour)
		}
		pts = append(pts, p)
	}
	c := buildCharts(pts, pageNow, 30, time.UTC)
	up := string(c.Uploads)
	if !strings.Contains(up, `class="gap"`) || !strings.Contains(up, "none for 10 days") {
		t.Errorf("the uploads chart does not mark the 10-day stall:\n%s", up)
	}
	days := uploadsPerDay(pts, pageNow.Add(-30*24*time.Hour), pageNow, time.UTC)
	for _, d := range days[len(days)-9:] {
		if d.V != 0 {
			t.Errorf("day %s has %v uploads during the stall", d.At, d.V)
		}
	}
	if !strings.Contains(string(c.Storage), "GB free") || !strings.Contains(string(c.Lag), "hours behind") {
		t.Errorf("units missing: %s / %s", c.Storage, c.Lag)
	}
}

// TestDemoSeedTellsTheStory: the seeded 30 days show each scenario's story
// in the charts, and steer no check.
func TestDemoSeedTellsTheStory(t *testing.T) {
	for _, scenario := range []string{"stalled", "behind", "storage"} {
		t.Run(scenario, func(t *testing.T) {
			dir := t.TempDir()
			d, err := demo.Start(demo.Options{Scenario: scenario, Dir: dir, Now: pageNow})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			db, err := store.Open(filepath.Join(dir, "h.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for range 2 { // the second call finds history and adds nothing
				if err := d.SeedHistory(t.Context(), db, demo.Account); err != nil {
					t.Fatal(err)
				}
			}
			rows, err := db.History(t.Context(), demo.Account, pageNow.Add(-31*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 119 {
				t.Fatalf("%d seeded points, want 119 (30 days, every 6 h)", len(rows))
			}
			var hp []checks.HistoryPoint
			for _, r := range rows {
				var p checks.HistoryPoint
				if err := json.Unmarshal(r.Data, &p); err != nil {
					t.Fatal(err)
				}
				hp = append(hp, p)
			}
			if h := checks.BuildHistory(hp, checks.DefaultPolicy(), pageNow); len(h.Uploads) > 0 || !h.LastSuccess.IsZero() || len(h.FolderFiles) > 0 {
				t.Errorf("the invented history steers the checks: %+v", h)
			}
			pts := chartPoints(rows)
			first, last := pts[0], pts[len(pts)-1]
			switch scenario {
			case "stalled":
				days := uploadsPerDay(pts, pageNow.Add(-30*24*time.Hour), pageNow, time.UTC)
				total, recent := 0.0, 0.0
				for i, d := range days {
					total += d.V
					if i >= len(days)-9 {
						recent += d.V
					}
				}
				if total < 5 || recent != 0 {
					t.Errorf("uploads: %v in 30 days, %v in the last 9; want a visible stall", total, recent)
				}
			case "behind":
				if lag := last.ICloud.Sub(last.LocalNewest); first.ICloud.Sub(first.LocalNewest) != 0 || lag < 3*24*time.Hour {
					t.Errorf("lag from %s to %s; want it to grow to days", first.ICloud.Sub(first.LocalNewest), lag)
				}
			case "storage":
				freeFirst, freeLast := first.StorageTotal-first.StorageUsed, last.StorageTotal-last.StorageUsed
				if first.StorageTotal != 200<<30 || freeLast >= freeFirst || freeLast > 2<<30 {
					t.Errorf("free storage from %d to %d of %d; want it filling up", freeFirst, freeLast, first.StorageTotal)
				}
			}
		})
	}
}
