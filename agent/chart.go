package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"
)

// chartPoint is one cycle on the status page chart.
type chartPoint struct {
	At          time.Time
	ICloud      time.Time
	LocalNewest time.Time
}

// chartHistory reads the last days of history records of account.
func (a *Agent) chartHistory(ctx context.Context, account string, days int) []chartPoint {
	since := a.now().Add(-time.Duration(days) * 24 * time.Hour)
	rows, err := a.db.History(ctx, account, since)
	if err != nil {
		a.log.Warn("chart history unavailable", "account", account, "err", err)
		return nil
	}
	out := make([]chartPoint, 0, len(rows))
	for _, r := range rows {
		var rec historyRecord
		if json.Unmarshal(r.Data, &rec) != nil {
			continue
		}
		out = append(out, chartPoint{At: r.At, ICloud: rec.ICloudNewestAdded, LocalNewest: rec.LocalNewest})
	}
	return out
}

// Chart geometry of the SVG (viewBox units).
const (
	chartW, chartH = 600.0, 180.0
	chartPadL      = 8.0
	chartPadB      = 18.0
)

// renderChart draws "newest in iCloud" and "newest local copy" (as dates on
// the y axis) against cycle time on the x axis, as an inline SVG with no
// external assets. It returns "" when there is nothing to draw.
func renderChart(points []chartPoint, from, to time.Time) template.HTML {
	lo, hi := valueRange(points)
	if len(points) == 0 || lo.IsZero() || !to.After(from) {
		return ""
	}
	if !hi.After(lo) {
		hi = lo.Add(time.Hour)
	}
	x := func(t time.Time) float64 {
		return chartPadL + (chartW-2*chartPadL)*t.Sub(from).Seconds()/to.Sub(from).Seconds()
	}
	y := func(t time.Time) float64 {
		return (chartH - chartPadB) * (1 - t.Sub(lo).Seconds()/hi.Sub(lo).Seconds())
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="newest in iCloud and newest local copy over the last 30 days">`, chartW, chartH)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="axis"/>`, chartPadL, chartH-chartPadB, chartW-chartPadL, chartH-chartPadB)
	writeLine(&b, "icloud", points, func(p chartPoint) time.Time { return p.ICloud }, x, y)
	writeLine(&b, "local", points, func(p chartPoint) time.Time { return p.LocalNewest }, x, y)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick">%s</text>`, chartPadL, chartH-4, from.UTC().Format("Jan 2"))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="tick" text-anchor="end">%s</text>`, chartW-chartPadL, chartH-4, to.UTC().Format("Jan 2"))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built only from numbers and fixed strings above
}

func writeLine(b *strings.Builder, class string, points []chartPoint, val func(chartPoint) time.Time,
	x, y func(time.Time) float64) {
	var coords []string
	for _, p := range points {
		if v := val(p); !v.IsZero() {
			coords = append(coords, fmt.Sprintf("%.1f,%.1f", x(p.At), y(v)))
		}
	}
	if len(coords) == 0 {
		return
	}
	fmt.Fprintf(b, `<polyline class="%s" points="%s"/>`, class, strings.Join(coords, " "))
	last := strings.Split(coords[len(coords)-1], ",")
	fmt.Fprintf(b, `<circle class="%s" cx="%s" cy="%s" r="3"/>`, class, last[0], last[1])
}

// valueRange returns the earliest and latest non-zero values of both series.
func valueRange(points []chartPoint) (lo, hi time.Time) {
	for _, p := range points {
		for _, v := range []time.Time{p.ICloud, p.LocalNewest} {
			if v.IsZero() {
				continue
			}
			if lo.IsZero() || v.Before(lo) {
				lo = v
			}
			if v.After(hi) {
				hi = v
			}
		}
	}
	return lo, hi
}
