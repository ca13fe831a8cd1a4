package browser_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/internal/demo"
)

// pageFacts is what the status page shows, read from the DOM.
type pageFacts struct {
	Headline string `json:"headline"`
	// Statuses are the data-status of every check row, in DOM order.
	Statuses []string `json:"statuses"`
	// TodoShown is true when the first problem's "What to do" is rendered
	// open (not collapsed, has a height, inside the viewport's width).
	TodoShown   bool   `json:"todoShown"`
	TodoText    string `json:"todoText"`
	ScrollW     int    `json:"scrollW"`
	ClientW     int    `json:"clientW"`
	WidestRight int    `json:"widestRight"`
	Text        string `json:"text"`
	Charts      []struct {
		Class   string  `json:"class"`
		Points  int     `json:"points"`
		XTicks  int     `json:"xticks"`
		YTicks  int     `json:"yticks"`
		Unit    string  `json:"unit"`
		Label   string  `json:"label"`
		FontPx  float64 `json:"fontPx"`
		Visible bool    `json:"visible"`
	} `json:"charts"`
}

const readPage = `JSON.stringify((() => {
  const q = s => document.querySelector(s);
  const todo = q('.problem .todo');
  let widest = 0;
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > widest) widest = Math.ceil(r.right);
  }
  return {
    headline: q('#headline') ? q('#headline').innerText.trim() : '',
    statuses: [...document.querySelectorAll('.check')].map(e => e.dataset.status),
    todoShown: !!todo && todo.getBoundingClientRect().height > 20 && !todo.closest('details:not([open])') &&
      getComputedStyle(todo).display !== 'none' && getComputedStyle(todo).visibility !== 'hidden',
    todoText: todo ? todo.innerText : '',
    scrollW: document.documentElement.scrollWidth,
    clientW: document.documentElement.clientWidth,
    widestRight: widest,
    text: document.body.innerText,
    charts: [...document.querySelectorAll('svg.chart')].map(s => ({
      class: s.dataset.series || '',
      points: s.querySelectorAll('.pt').length,
      xticks: s.querySelectorAll('.xtick').length,
      yticks: s.querySelectorAll('.ytick').length,
      unit: s.querySelector('.unit') ? s.querySelector('.unit').textContent : '',
      label: s.getAttribute('aria-label') || '',
      visible: s.getBoundingClientRect().height > 50,
      fontPx: s.getBoundingClientRect().width / s.viewBox.baseVal.width * parseFloat(s.querySelector('.xtick').getAttribute('font-size')),
    })),
  };
})())`

// setWidth makes the page width px wide, a phone (touch, viewport meta)
// below 500 px.
func (b *browser) setWidth(px int) {
	b.t.Helper()
	err := b.page.call("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": px, "height": 900, "deviceScaleFactor": 1, "mobile": px < 500}, nil)
	if err != nil {
		b.t.Fatal(err)
	}
}

// TestBrowserStatusPageScenarios opens the status page of every demo
// scenario at 1280 and 390 px, as a parent would, and checks from the DOM
// that it says what is wrong first: the headline sentence, problems before
// the fine checks with their "what to do" open, no sideways scrolling on
// a phone, and charts with data and labelled axes, readable on a phone.
func TestBrowserStatusPageScenarios(t *testing.T) {
	b := startBrowser(t)
	t.Logf("screenshots go to %s", b.artifacts)
	want := map[string]struct {
		headline string // part of the headline sentence
		problem  bool   // a problem is listed (with what to do)
		chart    string // the chart that tells the story, with ≥ 2 points
		text     []string
	}{
		"healthy": {headline: "All photos of Demo are backed up", chart: "uploads"},
		"stalled": {headline: "Demo's iPhone has not uploaded a photo for 10 days", problem: true, chart: "uploads"},
		"behind":  {headline: "new photos of Demo are not copied to the NAS yet", problem: true, chart: "lag", text: []string{"days behind"}},
		"storage": {headline: "The iCloud storage of Demo is almost full: 1 GB free of 200 GB", problem: true, chart: "storage",
			text: []string{"199 GB of 200 GB used"}},
		"deleted": {headline: "will be erased for good on", problem: true, chart: "uploads"},
		"reauth":  {headline: "Demo must sign in to iCloud again", problem: true, chart: "lag", text: []string{"Sign in again"}},
		"gaps": {headline: "5 photos of Demo are in iCloud but not on the NAS", problem: true, chart: "audit",
			text: []string{"Missing photos by month taken", "Download the list of all 5 (CSV)"}},
	}
	for _, scenario := range demo.Scenarios {
		w, ok := want[scenario]
		if !ok {
			t.Fatalf("no expectation for the demo scenario %q", scenario)
		}
		t.Run(scenario, func(t *testing.T) {
			parent := b.t
			b.t = t
			defer func() { b.t = parent }()
			d := startDaemon(t, scenario)
			d.cycle(t)
			for _, width := range []int{1280, 390} {
				b.setWidth(width)
				b.navigate(d.url + "/?token=" + webToken)
				b.waitFor("the status page", "document.querySelector('#account-demo') && document.querySelector('#headline')")
				b.screenshot("status-" + scenario + "-" + map[int]string{1280: "1280", 390: "390"}[width])
				raw, err := b.page.eval(readPage)
				if err != nil {
					t.Fatal(err)
				}
				var f pageFacts
				if err := json.Unmarshal([]byte(raw), &f); err != nil {
					t.Fatalf("reading the page: %v (%s)", err, raw)
				}
				checkPage(t, width, f, w.headline, w.problem, w.chart, w.text)
			}
			if scenario == "gaps" {
				checkAuditBlock(t, b)
			}
		})
	}
}

func checkPage(t *testing.T, width int, f pageFacts, headline string, problem bool, story string, text []string) {
	t.Helper()
	if !strings.Contains(f.Headline, headline) {
		t.Errorf("%d px: headline %q, want it to say %q", width, f.Headline, headline)
	}
	if len(f.Statuses) != 10 {
		t.Errorf("%d px: %d check rows, want 10 (library_audit included)", width, len(f.Statuses))
	}
	seenOK := false
	for i, s := range f.Statuses {
		if s == "ok" {
			seenOK = true
		} else if seenOK {
			t.Errorf("%d px: check %d (%s) comes after a fine one; problems go first: %v", width, i, s, f.Statuses)
		}
	}
	if problem {
		if len(f.Statuses) == 0 || f.Statuses[0] == "ok" {
			t.Errorf("%d px: the first check row is %v, want the problem", width, f.Statuses)
		}
		if !f.TodoShown || !strings.Contains(f.TodoText, "What to do") {
			t.Errorf("%d px: the first problem's 'What to do' is not shown open (%q)", width, f.TodoText)
		}
	} else if len(f.Statuses) > 0 && f.Statuses[0] != "ok" {
		t.Errorf("%d px: healthy demo lists a problem: %v", width, f.Statuses)
	}
	if width < 500 && (f.ScrollW > f.ClientW || f.WidestRight > f.ClientW) {
		t.Errorf("%d px: the page scrolls sideways (scroll width %d, widest element ends at %d, viewport %d)",
			width, f.ScrollW, f.WidestRight, f.ClientW)
	}
	found := false
	for _, c := range f.Charts {
		if c.XTicks < 2 || c.YTicks < 2 || c.Unit == "" || c.Label == "" {
			t.Errorf("%d px: chart %q lacks labelled axes: %+v", width, c.Label, c)
		}
		if width < 500 && c.FontPx < 10 {
			t.Errorf("%d px: chart %q text is %.1f px, want at least 10", width, c.Label, c.FontPx)
		}
		if c.Class == story && c.Points >= 2 && c.Visible {
			found = true
		}
	}
	if !found {
		t.Errorf("%d px: no visible %s chart with at least two data points: %+v", width, story, f.Charts)
	}
	for _, s := range text {
		if !strings.Contains(f.Text, s) {
			t.Errorf("%d px: the page does not show %q", width, s)
		}
	}
}

// readAudit reads the audit block of the status page: one bar per month
// with missing photos in its chart, and its CSV link.
const readAudit = `JSON.stringify((() => {
  const block = document.querySelector('.audit-block');
  if (!block) return {};
  const link = block.querySelector('a[href*="/api/audit.csv"]');
  return {
    bars: block.querySelectorAll('svg.chart[data-series="audit"] rect.bar').length,
    titles: [...block.querySelectorAll('svg.chart rect.bar title')].map(e => e.textContent),
    href: link ? link.getAttribute('href') : '',
  };
})())`

// checkAuditBlock: the "gaps" demo's status page charts its old missing
// photos by month (2019-03: 2, 2019-08: 1, 2021-05: 2), and clicking its
// CSV link downloads one row per missing photo, exactly demo.GapPhotos.
// The page's policy forbids scripts to fetch, so the test clicks the link
// as a person would and reads the downloaded file.
func checkAuditBlock(t *testing.T, b *browser) {
	t.Helper()
	raw, err := b.page.eval(readAudit)
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Bars   int      `json:"bars"`
		Titles []string `json:"titles"`
		Href   string   `json:"href"`
	}
	if err := json.Unmarshal([]byte(raw), &a); err != nil {
		t.Fatalf("reading the audit block: %v (%s)", err, raw)
	}
	wantTitles := []string{"March 2019: 2 photos", "August 2019: 1 photo", "May 2021: 2 photos"}
	if a.Bars != len(wantTitles) || !slices.Equal(a.Titles, wantTitles) {
		t.Errorf("audit chart has %d bars %q, want %q", a.Bars, a.Titles, wantTitles)
	}
	if a.Href == "" {
		t.Fatalf("the audit block has no CSV link: %s", raw)
	}
	dir := t.TempDir()
	if err := b.page.call("Page.setDownloadBehavior", map[string]any{"behavior": "allow", "downloadPath": dir}, nil); err != nil {
		t.Fatal(err)
	}
	b.click(`.audit-block a[href*="/api/audit.csv"]`)
	path := filepath.Join(dir, "icloudmon-missing-demo.csv")
	var body []byte
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if body, err = os.ReadFile(path); err == nil && len(body) > 0 {
			break
		}
	}
	if len(body) == 0 {
		names, _ := os.ReadDir(dir)
		t.Fatalf("clicking the CSV link %s downloaded nothing to %s (download folder: %v)", a.Href, path, names)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 1 {
		t.Fatalf("the CSV link %s gave no CSV: %v\n%s", a.Href, err, body)
	}
	col := slices.Index(rows[0], "filename")
	if col < 0 {
		t.Fatalf("the CSV has no filename column: %v", rows[0])
	}
	var got, want []string
	for _, r := range rows[1:] {
		got = append(got, r[col])
	}
	for _, p := range demo.GapPhotos() {
		want = append(want, p.Filename)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the CSV lists %v, want the gap photos %v", got, want)
	}
}
