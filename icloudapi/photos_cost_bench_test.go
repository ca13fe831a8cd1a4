package icloudapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// The cloud-cost benchmark measures what one monitoring cycle costs Apple:
// requests and response bytes of PhotosSnapshot on an unchanged and on a
// changed library, next to the approach of backup tools (enumerate the
// whole library by date taken, 200 records per page). Library sizes come
// from ICLOUDMON_BENCH_SIZES (default "1000"; bench/ sets
// 1000,10000,100000). Run by `make bench`; with -benchtime 1x each number
// is one cycle.
//
// The fake builds its by-date-taken list by sorting the whole library on
// every query (fine for tests, quadratic for a walk), so a 100 000-asset
// walk of it would take minutes. The baseline therefore walks the
// added-date list, which has the same page layout and record shapes, at
// every size; up to takenWalkMax assets the by-date-taken walk is measured
// too, to show the two cost the same.

// idxTaken is the by-date-taken list that icloudpd and others walk.
const (
	idxTaken     = "CPLAssetAndMasterByAssetDateWithoutHiddenOrDeleted"
	takenWalkMax = 10_000
)

// countingHandler counts the response bytes the Photos handler writes and,
// when records is set, the asset and master records of its records/query
// answers (not the indexing state's).
type countingHandler struct {
	h       http.Handler
	bytes   atomic.Int64
	records *atomic.Int64
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cw := &countingWriter{ResponseWriter: w, n: &c.bytes}
	if c.records != nil && strings.HasSuffix(r.URL.Path, "/records/query") {
		cw.body = &bytes.Buffer{}
	}
	c.h.ServeHTTP(cw, r)
	if cw.body == nil {
		return
	}
	var page struct {
		Records []struct {
			RecordType string `json:"recordType"`
		} `json:"records"`
	}
	if err := json.Unmarshal(cw.body.Bytes(), &page); err == nil {
		for _, rec := range page.Records {
			if rec.RecordType == "CPLAsset" || rec.RecordType == "CPLMaster" {
				c.records.Add(1)
			}
		}
	}
}

// countingWriter counts the bytes written, and keeps them in body if set.
type countingWriter struct {
	http.ResponseWriter
	n    *atomic.Int64
	body *bytes.Buffer
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n.Add(int64(n))
	if w.body != nil {
		w.body.Write(b[:n])
	}
	return n, err
}

// costEnv is a signed-in client against a fake with a generated library.
type costEnv struct {
	srv     *fakeicloud.Server
	lib     *fakeicloud.Library
	counter *countingHandler
	c       *Client
}

func newCostEnv(b *testing.B, size int) *costEnv {
	b.Helper()
	now := time.Now()
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 11, Assets: size, Now: now})
	e := &costEnv{lib: lib, counter: &countingHandler{h: fakeicloud.NewPhotosHandler(lib)}}
	e.srv = fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: "alice@example.com", Password: photosPassword},
		Photos: e.counter})
	b.Cleanup(e.srv.Close)
	c, err := New(Options{AppleID: "alice@example.com", AuthURL: e.srv.AuthURL(), SetupURL: e.srv.SetupURL(), HomeURL: e.srv.HomeURL(),
		RootCAs: e.srv.CertPool(), RetryWait: time.Millisecond, RetryMaxWait: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.SignIn(context.Background(), photosPassword); err != nil {
		b.Fatal(err)
	}
	e.c = c
	return e
}

// measure runs fn and returns the HTTP requests the fake saw and the
// response bytes of the Photos paths.
func (e *costEnv) measure(b *testing.B, fn func() error) (int, int64) {
	b.Helper()
	reqs, bytes := len(e.srv.Requests()), e.counter.bytes.Load()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	return len(e.srv.Requests()) - reqs, e.counter.bytes.Load() - bytes
}

// baseline pages through a list of every zone from rank 0 to the end, 200
// records (100 assets) per page, as icloudpd does with the by-date-taken
// list.
func (e *costEnv) baseline(ctx context.Context, zones []Zone, index string) (int, error) {
	r, err := newPhotosReader(e.c)
	if err != nil {
		return 0, err
	}
	assets := 0
	for _, z := range zones {
		p := newPairer(z.Name)
		for start := 0; ; {
			info, err := r.page(ctx, z, index, start, p)
			if err != nil {
				return 0, err
			}
			start += info.entries
			if info.last {
				break
			}
		}
		all, _ := p.assets()
		assets += len(all)
	}
	return assets, nil
}

func benchSizes() []int {
	spec := os.Getenv("ICLOUDMON_BENCH_SIZES")
	if spec == "" {
		return []int{1_000}
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// forBenchSizes runs bench as a sub-benchmark per library size of
// ICLOUDMON_BENCH_SIZES.
func forBenchSizes(b *testing.B, bench func(b *testing.B, size int)) {
	for _, size := range benchSizes() {
		b.Run(fmt.Sprint(size), func(b *testing.B) { bench(b, size) })
	}
}

// BenchmarkCloudCost reports requests and bytes per cycle (custom metrics)
// for icloudmon's unchanged and changed cycles and for the full walk.
func BenchmarkCloudCost(b *testing.B) {
	forBenchSizes(b, benchCloudCost)
}

func benchCloudCost(b *testing.B, size int) {
	e := newCostEnv(b, size)
	ctx := context.Background()
	opts := SnapshotOptions{Newest: 50, Libraries: []string{"all"}}
	var prev *PhotosSnapshot
	snap := func() error {
		s, err := e.c.PhotosSnapshot(ctx, opts)
		prev = s
		return err
	}
	coldReq, coldBytes := e.measure(b, snap)
	_, coldBudget := firstCycleBudget(prev, opts.Newest)
	var sameReq, chReq, baseReq, takenReq, walked, takenWalked int
	var sameBytes, chBytes, baseBytes, takenBytes int64
	var baseTime time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		opts.Previous = prev
		sameReq, sameBytes = e.measure(b, snap)
		if prev.Changed {
			b.Fatal("an unchanged library was read as changed")
		}
		e.lib.Add(fakeicloud.Asset{Filename: fmt.Sprintf("IMG_B%04d.HEIC", i), UTI: "public.heic", Size: 2_000_000, Added: time.Now(), Taken: time.Now()})
		opts.Previous = prev
		chReq, chBytes = e.measure(b, snap)
		if !prev.Changed {
			b.Fatal("a changed library was read as unchanged")
		}
		start := time.Now()
		baseReq, baseBytes = e.measure(b, func() (err error) { walked, err = e.baseline(ctx, zonesOf(prev), idxAdded); return err })
		baseTime = time.Since(start)
		if size <= takenWalkMax {
			takenReq, takenBytes = e.measure(b, func() (err error) {
				takenWalked, err = e.baseline(ctx, zonesOf(prev), idxTaken)
				return err
			})
		}
	}
	b.StopTimer()
	if walked < size {
		b.Fatalf("the baseline walked %d assets of %d", walked, size)
	}
	for _, m := range []struct {
		v    float64
		unit string
	}{
		{float64(coldReq), "cold-req"}, {float64(coldBytes), "cold-B"}, {float64(coldBudget), "cold-budget-B"},
		{float64(sameReq), "nochange-req"}, {float64(sameBytes), "nochange-B"},
		{float64(chReq), "changed-req"}, {float64(chBytes), "changed-B"},
		{float64(baseReq), "walk-req"}, {float64(baseBytes), "walk-B"},
		{baseTime.Seconds(), "walk-s"}, {float64(walked), "walk-assets"},
		{float64(takenReq), "taken-req"}, {float64(takenBytes), "taken-B"}, {float64(takenWalked), "taken-assets"},
	} {
		b.ReportMetric(m.v, m.unit)
	}
}

func zonesOf(s *PhotosSnapshot) []Zone {
	out := make([]Zone, 0, len(s.Libraries))
	for _, l := range s.Libraries {
		out = append(out, l.Zone)
	}
	return out
}
