package icloudapi

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// BenchmarkAuditFill measures the whole-library audit's mirror against the
// whole-library walk (issue 20): the first fill of every zone through
// changes/zone, a caught-up call, and the page after one upload; then the
// walk by date added of the same zones. Sizes from ICLOUDMON_BENCH_SIZES
// (default 1000). Run with -benchtime 1x: each number is one fill.
func BenchmarkAuditFill(b *testing.B) {
	forBenchSizes(b, benchAuditFill)
}

func benchAuditFill(b *testing.B, size int) {
	e := newCostEnv(b, size)
	ctx := context.Background()
	snap, err := e.c.PhotosSnapshot(ctx, SnapshotOptions{Newest: 50, Libraries: []string{"all"}})
	if err != nil {
		b.Fatal(err)
	}
	zones := zonesOf(snap)
	var fillReq, sameReq, upReq, walkReq, assets int
	var fillBytes, sameBytes, upBytes, walkBytes int64
	var fillTime time.Duration
	tokens := map[string]string{}
	fill := func() error {
		assets = 0
		for _, z := range zones {
			token := ""
			for {
				p, err := e.c.ZoneChanges(ctx, z, token)
				if err != nil {
					return err
				}
				assets += len(p.Assets)
				token = p.SyncToken
				if !p.MoreComing {
					break
				}
			}
			tokens[z.Name] = token
		}
		return nil
	}
	caughtUp := func(z Zone) func() error {
		return func() error {
			p, err := e.c.ZoneChanges(ctx, z, tokens[z.Name])
			if err == nil {
				tokens[z.Name] = p.SyncToken
			}
			return err
		}
	}
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		fillReq, fillBytes = e.measure(b, fill)
		fillTime = time.Since(start)
		sameReq, sameBytes = e.measure(b, caughtUp(zones[0]))
		e.lib.Add(fakeicloud.Asset{Filename: fmt.Sprintf("IMG_C%04d.HEIC", i), UTI: "public.heic", Size: 2_000_000, Added: time.Now(), Taken: time.Now()})
		upReq, upBytes = e.measure(b, caughtUp(zones[0]))
		walkReq, walkBytes = e.measure(b, func() (err error) { _, err = e.baseline(ctx, zones, idxAdded); return err })
	}
	b.StopTimer()
	if assets < size {
		b.Fatalf("the fill read %d assets of %d", assets, size)
	}
	for _, m := range []struct {
		v    float64
		unit string
	}{
		{float64(fillReq), "fill-req"}, {float64(fillBytes), "fill-B"}, {fillTime.Seconds(), "fill-s"}, {float64(assets), "fill-assets"},
		{float64(sameReq), "caughtup-req"}, {float64(sameBytes), "caughtup-B"},
		{float64(upReq), "upload-req"}, {float64(upBytes), "upload-B"},
		{float64(walkReq), "walk-req"}, {float64(walkBytes), "walk-B"},
	} {
		b.ReportMetric(m.v, m.unit)
	}
}
