package localindex

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"path"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// mapLookup is the lookup as it was before issue 20's compaction: Go maps
// of slices over files numbered in path order, name keys chained newest
// first. TestLookupAnswersLikeMaps checks the compact lookup against it.
type mapLookup struct {
	rels                    []string // per file
	files                   []fileEntry
	keys                    map[uint32][]int32 // in the order byKey listed them
	byDay                   map[int32][]int32
	byName, capWall, capInt map[int64][]int32
	byMtime                 []int32
}

type testFile struct {
	rel string
	f   fileEntry
}

func newMapLookup(in []testFile) *mapLookup {
	m := &mapLookup{keys: map[uint32][]int32{}, byDay: map[int32][]int32{}, byName: map[int64][]int32{},
		capWall: map[int64][]int32{}, capInt: map[int64][]int32{}}
	// directories in path order, files of a directory in the order given
	sorted := slices.Clone(in)
	slices.SortStableFunc(sorted, func(a, b testFile) int { return cmp.Compare(a.rel, b.rel) })
	for i, tf := range sorted {
		id := int32(i) //nolint:gosec // a test folder
		m.rels, m.files = append(m.rels, tf.rel), append(m.files, tf.f)
		if day, ok := dirDay(tf.rel); ok {
			m.byDay[day] = append(m.byDay[day], id)
		}
		ni := nameInfoOf(tf.f.name, nil)
		if !ni.known {
			continue
		}
		for _, k := range ni.keys {
			m.keys[k] = append([]int32{id}, m.keys[k]...)
		}
		if ni.hasTime {
			m.byName[ni.nameTime] = append(m.byName[ni.nameTime], id)
		}
		m.addCapture(id, &sorted[i].f)
	}
	m.byMtime = make([]int32, len(m.files))
	for i := range m.byMtime {
		m.byMtime[i] = int32(i) //nolint:gosec // a test folder
	}
	slices.SortFunc(m.byMtime, func(a, b int32) int { return cmp.Compare(m.files[a].mtime, m.files[b].mtime) })
	return m
}

func (m *mapLookup) addCapture(id int32, f *fileEntry) {
	if s, inst, ok := captureSecond(f); ok && inst {
		m.capInt[s] = append(m.capInt[s], id)
	} else if ok {
		m.capWall[s] = append(m.capWall[s], id)
	}
}

func mapSeconds(x map[int64][]int32, t time.Time, tol time.Duration) []int32 {
	var out []int32
	c, w := t.Unix(), int64(tol/time.Second)+1
	for s := c - w; s <= c+w; s++ {
		out = append(out, x[s]...)
	}
	return out
}

// randomTestFiles makes a folder's files: dated and undated directories,
// directories given twice (from memory and a row), names with keys, name
// times and none, cached capture times of every kind.
func randomTestFiles(rng *rand.Rand, n int) []testFile {
	dirs := []string{"", "2024/03/01", "2024/03/02", "2024/2024-03-02", "Camera Roll", "2024-03-01 Trip/raw", "b", "a/z"}
	exts := []string{".JPG", ".HEIC", ".MOV", ".jpg", ".txt", ".PNG"}
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	var out []testFile
	for len(out) < n {
		rel := dirs[rng.IntN(len(dirs))]
		for range 1 + rng.IntN(6) {
			var name string
			switch rng.IntN(4) {
			case 0:
				name = fmt.Sprintf("IMG_%04d%s", rng.IntN(40), exts[rng.IntN(len(exts))])
			case 1:
				name = base.Add(time.Duration(rng.IntN(600))*time.Second).Format("20060102_150405") + exts[rng.IntN(len(exts))]
			case 2:
				name = fmt.Sprintf("IMG_E%04d_%s.JPG", rng.IntN(40), "AZxyz12")
			default:
				name = fmt.Sprintf("photo %d%s", rng.IntN(30), exts[rng.IntN(len(exts))])
			}
			f := fileEntry{name: name, size: int64(rng.IntN(5)), mtime: base.Add(time.Duration(rng.IntN(7200)) * time.Second).UnixNano()}
			if rng.IntN(20) == 0 {
				// long names cross the arena's chunks
				f.name = strings.Repeat("x", 1+rng.IntN(400_000)) + name
			}
			switch rng.IntN(6) {
			case 3:
				// the widest offsets a saved row may hold
				f.capSrc, f.capWall, f.capOff = uint8(SourceEXIF)|offsetKnownBit, base.Unix(), int32(1<<20*(2*rng.IntN(2)-1)) //nolint:gosec // ±2^20
			case 0:
				f.setCapture(Capture{Wall: base.Add(time.Duration(rng.IntN(600)) * time.Second), Source: SourceEXIF})
			case 1:
				f.setCapture(Capture{Wall: base.Add(time.Duration(rng.IntN(600)) * time.Second), Offset: time.Hour, OffsetKnown: true, Source: SourceEXIF})
			case 2:
				f.setCapture(mtimeCapture(f.mtime))
			}
			out = append(out, testFile{rel: rel, f: f})
		}
	}
	return out
}

// TestLookupAnswersLikeMaps: the compact lookup numbers the files and
// answers every query (name keys, folder days, name times, capture
// seconds before and after the matcher files new ones, mtime ranges) with
// the same files in the same order as the maps it replaced.
func TestLookupAnswersLikeMaps(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 20))
		in := randomTestFiles(rng, 50+rng.IntN(300))
		want := newMapLookup(in)
		b := newLookupBuilder(0)
		for i := range in {
			b.add(in[i].rel, &in[i].f, []byte(in[i].f.name), ptr(nameInfoOf(in[i].f.name, nil)))
		}
		got, err := b.finish()
		if err != nil {
			t.Fatal(err)
		}
		if len(got.files) != len(want.files) {
			t.Fatalf("seed %d: %d files, want %d", seed, len(got.files), len(want.files))
		}
		for id := range want.files {
			i := int32(id) //nolint:gosec // a test folder
			if e := got.entry(i); e != want.files[id] || got.rel(i) != path.Join(want.rels[id], want.files[id].name) {
				t.Fatalf("seed %d: file %d is %s %+v, want %s %+v", seed, id, got.rel(i), e, want.rels[id], want.files[id])
			}
		}
		check := func(what string, g, w []int32) {
			t.Helper()
			if !slices.Equal(g, w) {
				t.Errorf("seed %d: %s = %v, want %v", seed, what, g, w)
			}
		}
		for h, ids := range want.keys {
			var g []int32
			i, _ := slices.BinarySearchFunc(got.keys, h, func(p keyPost, h uint32) int { return cmp.Compare(p.hash, h) })
			for ; i < len(got.keys) && got.keys[i].hash == h; i++ {
				g = append(g, got.keys[i].file)
			}
			check(fmt.Sprint("key ", h), g, ids)
		}
		for _, k := range []string{"img_0001", "img_0007", "nothing"} {
			check("byKey "+k, got.byKey(k, nil), want.keys[keyHash(k)])
		}
		for day := dayOf(time.Date(2024, 2, 28, 0, 0, 0, 0, time.UTC)); day < dayOf(time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)); day++ {
			check(fmt.Sprint("day ", day), got.day(day, nil), want.byDay[day])
		}
		query := func(round string) {
			for range 40 {
				at := time.Date(2024, 3, 1, 9, 59, 0, 0, time.UTC).Add(time.Duration(rng.IntN(700)) * time.Second)
				tol := time.Duration(rng.IntN(5)) * time.Second
				check(round+" byName", got.byName.seconds(at, tol, nil), mapSeconds(want.byName, at, tol))
				check(round+" capWall", got.capWall.seconds(at, tol, nil), mapSeconds(want.capWall, at, tol))
				check(round+" capInst", got.capInst.seconds(at, tol, nil), mapSeconds(want.capInt, at, tol))
				to := at.Add(time.Duration(rng.IntN(3600)) * time.Second)
				var w []int32
				for _, id := range want.byMtime {
					if mt := want.files[id].mtime; mt >= at.UnixNano() && mt <= to.UnixNano() {
						w = append(w, id)
					}
				}
				check(round+" mtimeRange", got.mtimeRange(at, to, nil), w)
			}
		}
		query("built")
		// the matcher reads headers of some files and files their times
		for range 30 {
			id := int32(rng.IntN(len(want.files))) //nolint:gosec // a test folder
			e := got.entry(id)
			e.setCapture(Capture{Wall: time.Date(2024, 3, 1, 10, 0, rng.IntN(600), 0, time.UTC), OffsetKnown: rng.IntN(2) == 0, Source: SourceEXIF})
			got.setCapture(id, &e)
			got.addCapture(id, &e)
			want.files[id].capSrc, want.files[id].capWall, want.files[id].capOff = e.capSrc, e.capWall, e.capOff
			want.addCapture(id, &e)
			if g := got.entry(id); g != want.files[id] {
				t.Fatalf("seed %d: file %d after a header read is %+v, want %+v", seed, id, g, want.files[id])
			}
		}
		query("after header reads")
	}
}

func ptr[T any](v T) *T { return &v }

// TestSessionLookupIsCompact: what a Session holds for each file of the
// folder while a library is compared (issue 20: 700 000 files in 150 MB
// with everything else). The maps of slices it replaced held about 120
// bytes a file on top of the index's own entries.
func TestSessionLookupIsCompact(t *testing.T) {
	const dirs, perDir = 200, 250
	ix := openIndex(t, NewMemKV(), t.TempDir(), Options{})
	for d := range dirs {
		rel := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format("2006/01/02")
		ds := &dirState{rel: rel, loaded: true}
		for i := range perDir {
			n := d*perDir + i
			ds.files = append(ds.files, fileEntry{name: fmt.Sprintf("IMG_%06d.HEIC", n), size: int64(1000 + n),
				mtime: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute).UnixNano()})
		}
		ix.dirs[rel] = ds
	}
	asset := photo.Asset{ID: "a", MasterID: "m", Filename: "IMG_000001.HEIC", Kind: photo.KindPhoto, Size: 1001,
		Taken: time.Date(2020, 1, 1, 0, 1, 0, 0, time.UTC)}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := ix.Session(MatchOptions{})
	ms, err := s.Match(context.Background(), []photo.Asset{asset})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	if ms[0].File == nil || ms[0].File.Path != "2020/01/01/IMG_000001.HEIC" {
		t.Fatalf("match: %+v", ms[0])
	}
	perFile := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / (dirs * perDir)
	t.Logf("the session holds %.1f bytes a file", perFile)
	if perFile > 65 {
		t.Errorf("the session holds %.1f bytes a file, want at most 65", perFile)
	}
}
