package localindex

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// The folder of `icloudmon run` at 500 000 assets (issue 20): iPhones
// number photos IMG_0001…IMG_9999 and start again, so each name has 50
// photos and, for two assets in five, a Live Photo video of the same stem:
// about 70 name candidates per asset, spread over a lookup of 700 000
// files.
const (
	repeatPhotos = 500_000
	repeatNames  = 9_999
)

var repeatFolder = sync.OnceValues(func() (*lookup, []photo.Asset) {
	rng := rand.New(rand.NewPCG(20, 77))
	b := newLookupBuilder(repeatPhotos * 7 / 5)
	assets := make([]photo.Asset, repeatPhotos)
	var buf [16]uint32
	day := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range repeatPhotos {
		stem := fmt.Sprintf("IMG_%04d", 1+i%repeatNames)
		dir := day.AddDate(0, 0, i/200).Format("2006/01/02")
		a := &assets[i]
		*a = photo.Asset{ID: fmt.Sprint("a", i), MasterID: fmt.Sprintf("AbCdEfGhIjKlMnOpQrStUv%06d", i), Filename: stem + ".HEIC",
			Kind: photo.KindPhoto, Size: 1_000_000 + rng.Int64N(4_000_000), Taken: day, Added: day}
		add := func(name string, size int64) {
			f := fileEntry{name: name, size: size, mtime: day.UnixNano()}
			ni := nameInfoOf(name, buf[:0])
			b.add(dir, &f, []byte(name), &ni)
		}
		add(stem+".HEIC", a.Size)
		if i%5 < 2 {
			a.LiveVideo = &photo.Resource{Size: 2_000_000 + rng.Int64N(3_000_000)}
			add(stem+".MOV", a.LiveVideo.Size)
		}
	}
	l, err := b.finish()
	if err != nil {
		panic(err)
	}
	return l, assets
})

// BenchmarkSizePassRepeatedNames: the name candidates and the size pass
// of one asset (ns/op is per asset) in the folder above, a new matcher for
// every 4 096 assets as the audit's batches have. Every asset is found by
// name and size.
func BenchmarkSizePassRepeatedNames(b *testing.B) {
	l, assets := repeatFolder()
	rng := rand.New(rand.NewPCG(1, 2))
	order := rng.Perm(len(assets))
	var m *matcher
	cands := 0
	b.ResetTimer()
	for i := range b.N {
		if i%4096 == 0 {
			m = &matcher{l: l, opts: MatchOptions{}.withDefaults(), claimed: map[int32]bool{}}
		}
		a := assets[order[i%len(order)]]
		c := m.nameCands(a)
		cands += len(c)
		var res Match
		m.bySize(a, c, &res)
		if res.File == nil || a.LiveVideo != nil && res.LiveVideo == nil {
			b.Fatalf("asset %s not found by name and size: %+v", a.ID, res)
		}
	}
	b.ReportMetric(float64(cands)/float64(b.N), "cands/asset")
}
