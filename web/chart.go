package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"strings"
	"time"

	"github.com/icloudmon/icloudmon/history"
	"github.com/icloudmon/icloudmon/store"
)

// chartPoint is one recorded cycle, as the status page charts need it.
type chartPoint struct {
	At          time.Time
	ICloud      time.Time
	LocalNewest time.Time
	// Uploads are the added times of uploads first seen in this cycle.
	Uploads []time.Time
	// StorageUsed and StorageTotal are bytes; 0 when not read.
	StorageUsed, StorageTotal int64
}

// chartHistory reads the last days of history records of account.
func (s *server) chartHistory(ctx context.Context, account string, days int) []chartPoint {
	since := s.agent.Now().Add(-time.Duration(days) * 24 * time.Hour)
	rows, err := s.agent.History(ctx, account, since)
	if err != nil {
		s.log.Warn("chart history unavailable", "account", account, "err", err)
		return nil
	}
	return chartPoints(rows)
}

// chartPoints decodes stored history records; unreadable ones are skipped.
func chartPoints(rows []store.HistoryPoint) []chartPoint {
	out := make([]chartPoint, 0, len(rows))
	for _, r := range rows {
		var rec history.Record
		if json.Unmarshal(r.Data, &rec) != nil {
			continue
		}
		p := chartPoint{At: r.At, ICloud: rec.ICloudNewestAdded, LocalNewest: rec.LocalNewest,
			Uploads: append(rec.Uploads, rec.DrawnUploads...)}
		if rec.StorageUsed != nil && rec.StorageTotal != nil {
			p.StorageUsed, p.StorageTotal = *rec.StorageUsed, *rec.StorageTotal
		}
		out = append(out, p)
	}
	return out
}

// Chart geometry in viewBox units. The viewBox is about as wide as a phone
// column, so that 12-unit text stays near 12 px at 390 px.
const (
	chartW, chartH = 360.0, 170.0
	chartPadL      = 40.0 // y tick labels
	chartPadR      = 10.0
	chartPadT      = 22.0 // the y axis unit
	chartPadB      = 24.0 // x tick labels
	chartFont      = 12.0
)

// chartValue is one value at one instant.
type chartValue struct {
	At time.Time
	V  float64
}

// chartSpec describes one chart: bars (one per day, starting at At) or a
// line, against time from From to To in Loc.
type chartSpec struct {
	Label    string // aria-label and <title>
	Unit     string // printed above the y axis: "photos a day", "days behind"
	From, To time.Time
	Loc      *time.Location
	Bars     []chartValue // per day, At is the start of the day
	Line     []chartValue
	Class    string // CSS class of the series
	// Gap, when not zero, shades the time from Gap to To (no uploads
	// since) and labels it with GapLabel.
	Gap      time.Time
	GapLabel string
	// Format prints a y tick value.
	Format func(float64) string
}

// renderChart draws the chart as inline SVG (no external assets, no
// script): axes, ticks with units, the data as bars or a line with a dot
// per point. With fewer than two data points it says that the history is
// still too short, instead of a chart that tells nothing.
func renderChart(c chartSpec) template.HTML {
	if c.Loc == nil {
		c.Loc = time.UTC
	}
	if c.Format == nil {
		c.Format = func(v float64) string { return trimFloat(v) }
	}
	if !c.To.After(c.From) {
		return ""
	}
	data := c.Line
	if c.Bars != nil {
		data = c.Bars
	}
	var pts []chartValue
	for _, p := range data {
		if !p.At.Before(c.From) && !p.At.After(c.To) && !math.IsNaN(p.V) && !math.IsInf(p.V, 0) {
			pts = append(pts, chartValue{At: p.At, V: max(p.V, 0)})
		}
	}
	top := 0.0
	for _, p := range pts {
		top = max(top, p.V)
	}
	step, yMax := niceScale(top)
	plotW, plotH := chartW-chartPadL-chartPadR, chartH-chartPadT-chartPadB
	span := c.To.Sub(c.From).Seconds()
	x := func(t time.Time) float64 { return chartPadL + plotW*t.Sub(c.From).Seconds()/span }
	y := func(v float64) float64 { return chartPadT + plotH*(1-v/yMax) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" data-series="%s" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s">`,
		template.HTMLEscapeString(c.Class), chartW, chartH, template.HTMLEscapeString(c.Label))
	fmt.Fprintf(&b, `<title>%s</title>`, template.HTMLEscapeString(c.Label))
	// y axis: unit, grid lines and tick labels.
	fmt.Fprintf(&b, `<text class="unit" x="%.1f" y="%.1f" font-size="%.0f">%s</text>`, 2.0, chartFont+2, chartFont, template.HTMLEscapeString(c.Unit))
	for v := 0.0; v <= yMax+step/2; v += step {
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, chartPadL, y(v), chartW-chartPadR, y(v))
		fmt.Fprintf(&b, `<text class="tick ytick" x="%.1f" y="%.1f" font-size="%.0f" text-anchor="end">%s</text>`,
			chartPadL-4, y(v)+chartFont/3, chartFont, template.HTMLEscapeString(c.Format(v)))
	}
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, chartPadL, chartPadT, chartPadL, chartH-chartPadB)
	fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, chartPadL, chartH-chartPadB, chartW-chartPadR, chartH-chartPadB)
	// x axis: a date label every week, counted back from To. A label
	// that would run past an edge is aligned to it instead.
	for _, t := range xTicks(c.From, c.To, c.Loc) {
		tx, anchor := x(t), "middle"
		switch {
		case tx < 20:
			tx, anchor = 1, "start"
		case tx > chartW-20:
			tx, anchor = chartW-1, "end"
		}
		fmt.Fprintf(&b, `<line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x(t), chartH-chartPadB, x(t), chartH-chartPadB+4)
		fmt.Fprintf(&b, `<text class="tick xtick" x="%.1f" y="%.1f" font-size="%.0f" text-anchor="%s">%s</text>`,
			tx, chartH-6, chartFont, anchor, t.In(c.Loc).Format("Jan 2"))
	}
	if !c.Gap.IsZero() && c.Gap.After(c.From) && c.Gap.Before(c.To) {
		fmt.Fprintf(&b, `<rect class="gap" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`, x(c.Gap), chartPadT, x(c.To)-x(c.Gap), plotH)
		fmt.Fprintf(&b, `<text class="gaplabel" x="%.1f" y="%.1f" font-size="%.0f" text-anchor="end">%s</text>`,
			chartW-chartPadR-3, chartPadT+chartFont+2, chartFont, template.HTMLEscapeString(c.GapLabel))
	}
	switch {
	case len(pts) < 2:
		fmt.Fprintf(&b, `<text class="empty" x="%.1f" y="%.1f" font-size="%.0f" text-anchor="middle">Too little history yet;</text>`,
			chartPadL+plotW/2, chartPadT+plotH/2-2, chartFont)
		fmt.Fprintf(&b, `<text class="empty" x="%.1f" y="%.1f" font-size="%.0f" text-anchor="middle">it fills in with every check</text>`,
			chartPadL+plotW/2, chartPadT+plotH/2+chartFont+2, chartFont)
	case c.Bars != nil:
		barW := max(plotW*(24*time.Hour).Seconds()/span-1, 1)
		for _, p := range pts {
			if p.V <= 0 {
				continue
			}
			bx := min(x(p.At), chartW-chartPadR-barW)
			fmt.Fprintf(&b, `<rect class="pt bar %s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s: %s</title></rect>`,
				c.Class, bx, y(p.V), barW, y(0)-y(p.V), p.At.In(c.Loc).Format("Mon Jan 2"), c.Format(p.V))
		}
	default:
		coords := make([]string, len(pts))
		for i, p := range pts {
			coords[i] = fmt.Sprintf("%.1f,%.1f", x(p.At), y(p.V))
		}
		fmt.Fprintf(&b, `<polyline class="%s" points="%s"/>`, c.Class, strings.Join(coords, " "))
		for _, p := range pts {
			fmt.Fprintf(&b, `<circle class="pt %s" cx="%.1f" cy="%.1f" r="2.5"><title>%s: %s</title></circle>`,
				c.Class, x(p.At), y(p.V), p.At.In(c.Loc).Format("Mon Jan 2 15:04"), c.Format(p.V))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers, escaped labels and fixed markup only
}

// niceScale returns a tick step of 1, 2 or 5 times a power of ten and the
// top of the y axis (a multiple of step, at least top, at most 5 ticks).
func niceScale(top float64) (step, yMax float64) {
	if top <= 0 {
		return 1, 1
	}
	raw := top / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		step = m * mag
		if raw <= step {
			break
		}
	}
	if step < 1 && top >= 1 {
		step = 1
	}
	return step, math.Ceil(top/step-1e-9) * step
}

// xTicks are local midnights, one a week, the last one at or before to.
func xTicks(from, to time.Time, loc *time.Location) []time.Time {
	t := to.In(loc)
	last := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	var out []time.Time
	for d := last; !d.Before(from); d = d.AddDate(0, 0, -7) {
		out = append([]time.Time{d}, out...)
	}
	return out
}

// trimFloat prints v with at most one decimal, without a trailing ".0".
func trimFloat(v float64) string {
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0")
}

// accountCharts are the three charts of an account card.
type accountCharts struct {
	Uploads, Lag, Storage template.HTML
}

// buildCharts turns the recorded cycles of the last days into the charts:
// uploads a day (a stall is a run of empty days), how far the local copy
// is behind iCloud, and free iCloud storage.
func buildCharts(points []chartPoint, now time.Time, days int, loc *time.Location) accountCharts {
	from := now.Add(-time.Duration(days) * 24 * time.Hour)
	uploads := chartSpec{Label: fmt.Sprintf("Photos and videos added to iCloud per day, last %d days", days),
		Unit: "added per day", From: from, To: now, Loc: loc, Bars: uploadsPerDay(points, from, now, loc), Class: "uploads",
		Format: func(v float64) string { return fmt.Sprintf("%.0f", v) }}
	if last := lastUpload(points); !last.IsZero() && now.Sub(last) >= uploadGapShown {
		uploads.Gap, uploads.GapLabel = last, "none for "+humanDuration(now.Sub(last))
	}
	return accountCharts{
		Uploads: renderChart(uploads),
		Lag:     lagChart(points, from, now, days, loc),
		Storage: storageChart(points, from, now, days, loc),
	}
}

// uploadsPerDay counts the distinct upload times per local day; days
// without an upload are present with 0, so the chart shows a gap.
func uploadsPerDay(points []chartPoint, from, to time.Time, loc *time.Location) []chartValue {
	seen := map[int64]bool{}
	perDay := map[time.Time]int{}
	for _, p := range points {
		for _, u := range p.Uploads {
			if seen[u.UnixNano()] || u.Before(from) || u.After(to) {
				continue
			}
			seen[u.UnixNano()] = true
			perDay[dayStart(u, loc)]++
		}
	}
	var out []chartValue
	for d := dayStart(from, loc); !d.After(to); d = d.AddDate(0, 0, 1) {
		if d.Before(from) {
			continue // the first, partial day starts before the chart
		}
		out = append(out, chartValue{At: d, V: float64(perDay[d])})
	}
	if len(seen) == 0 {
		return []chartValue{}
	}
	return out
}

// uploadGapShown is the time without uploads that the uploads chart
// shades and labels: long enough not to mark an ordinary quiet weekend.
const uploadGapShown = 3 * 24 * time.Hour

// lastUpload is the newest upload time recorded.
func lastUpload(points []chartPoint) time.Time {
	var last time.Time
	for _, p := range points {
		for _, u := range p.Uploads {
			if u.After(last) {
				last = u
			}
		}
		if p.ICloud.After(last) {
			last = p.ICloud
		}
	}
	return last
}

func dayStart(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// lagChart shows how far the newest local copy is behind the newest photo
// in iCloud (by date added), in hours or days.
func lagChart(points []chartPoint, from, to time.Time, days int, loc *time.Location) template.HTML {
	var vals []chartValue
	worst := time.Duration(0)
	for _, p := range points {
		if p.ICloud.IsZero() || p.LocalNewest.IsZero() {
			continue
		}
		lag := max(p.ICloud.Sub(p.LocalNewest), 0)
		worst = max(worst, lag)
		vals = append(vals, chartValue{At: p.At, V: lag.Hours()})
	}
	unit, div := "hours behind", 1.0
	if worst >= 48*time.Hour {
		unit, div = "days behind", 24
	}
	for i := range vals {
		vals[i].V /= div
	}
	return renderChart(chartSpec{Label: fmt.Sprintf("How far the local copy is behind iCloud, last %d days", days),
		Unit: unit, From: from, To: to, Loc: loc, Line: vals, Class: "lag"})
}

// storageChart shows free iCloud storage in Apple's units.
func storageChart(points []chartPoint, from, to time.Time, days int, loc *time.Location) template.HTML {
	var vals []chartValue
	for _, p := range points {
		if p.StorageTotal > 0 {
			vals = append(vals, chartValue{At: p.At, V: float64(max(p.StorageTotal-p.StorageUsed, 0)) / gib})
		}
	}
	return renderChart(chartSpec{Label: fmt.Sprintf("Free iCloud storage, last %d days", days),
		Unit: "GB free", From: from, To: to, Loc: loc, Line: vals, Class: "storage"})
}
