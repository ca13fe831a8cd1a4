package localindex

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/photo"
)

// TestCandidatesMatchLikeWholeIndex: Match builds its lookups from the files
// its assets can reach; on random folders and assets it decides exactly as
// with lookups of every file (the code before issue 25).
func TestCandidatesMatchLikeWholeIndex(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			// The second round renames the assets, so that only capture
			// times cached in the first, name times, folder dates and
			// mtimes can find their files.
			root, assets, renamed := randomLibrary(t, seed, 25)
			var got [2][]Match
			for i, all := range []bool{false, true} {
				ix := openIndex(t, NewMemKV(), root, Options{})
				ix.allCandidates = all
				scan(t, ix, false)
				for _, round := range [][]photo.Asset{assets, renamed, renamed} { // the third reuses the candidates
					ms, err := ix.Match(context.Background(), round, MatchOptions{})
					if err != nil {
						t.Fatal(err)
					}
					got[i] = append(got[i], ms...)
				}
			}
			byConf := map[photo.Confidence]int{}
			for _, m := range got[1] {
				byConf[m.Confidence]++
				if m.Edited != nil {
					byConf[m.Edited.Confidence]++
				}
			}
			t.Logf("matches by confidence: %v", byConf)
			if byConf[photo.ConfidenceCertain] < 10 || byConf[photo.ConfidenceLikely]+byConf[photo.ConfidencePossible] < 5 {
				t.Fatalf("matches by confidence %v: the test data does not exercise the matcher", byConf)
			}
			if diff := cmp.Diff(got[1], got[0]); diff != "" {
				t.Errorf("candidates vs whole index (-whole +candidates):\n%s", diff)
			}
		})
	}
}

var randomBase = time.Date(2023, 6, 10, 8, 0, 0, 0, time.UTC)

// randomFolder writes 700 small files about two days apart (so that each
// kind of candidate is needed) and never the same distance from an asset's
// time, under dated and undated folders, with icloudpd, Windows, edit,
// PhotoPrism and UUID names; a quarter hold a real header.
func randomFolder(t *testing.T, rng *rand.Rand) (string, []time.Time) {
	t.Helper()
	root := t.TempDir()
	var times []time.Time
	for k := 0; k < 700; k++ {
		tk := randomBase.Add(time.Duration(k) * 47 * time.Hour).Add(time.Duration(k%60) * 7 * time.Second)
		times = append(times, tk)
		num := (k / 2) % 250
		var name string
		switch rng.IntN(9) {
		case 0:
			name = fmt.Sprintf("IMG_%04d.HEIC", num)
		case 1:
			name = fmt.Sprintf("IMG_%04d.JPG", num)
		case 2:
			name = fmt.Sprintf("IMG_%04d_HEVC.MOV", num)
		case 3:
			name = fmt.Sprintf("IMG_E%04d.JPG", num)
		case 4:
			name = fmt.Sprintf("IMG_%04d (1).HEIC", num)
		case 5:
			name = tk.Format("20060102_150405") + fmt.Sprintf("_%08X.jpg", rng.Uint32())
		case 6:
			name = fmt.Sprintf("%08x-%04x-4000-8000-%012x.jpg", rng.Uint32(), k, rng.Uint64()&0xffffffffffff)
		case 7:
			name = fmt.Sprintf("IMG_%04d-adjusted.JPG", num)
		default:
			name = fmt.Sprintf("IMG_%04d.mov", num)
		}
		dir := tk.Format("2006/01/02")
		switch rng.IntN(4) {
		case 0:
			dir = "flat"
		case 1:
			dir = "Import/" + fmt.Sprint(k%5)
		}
		data := make([]byte, 100+rng.IntN(12)*10)
		if rng.IntN(4) == 0 {
			// a real header with the capture time
			data = jpegWithExif(t, tk.Format("2006:01:02 15:04:05"), "+00:00")
			if rng.IntN(2) == 0 {
				dir = "Import/exif"
			}
		}
		mt := tk
		if rng.IntN(3) == 0 {
			mt = tk.Add(time.Duration(60+rng.IntN(20)) * 24 * time.Hour) // copied later
		}
		writeFile(t, root, dir+"/"+name, data, mt)
	}
	age(t, root)
	return root, times
}

func randomAssets(rng *rand.Rand, times []time.Time) []photo.Asset {
	var out []photo.Asset
	for j := 0; j < 150; j++ {
		k := rng.IntN(len(times))
		num := (k / 2) % 250
		a := photo.Asset{ID: fmt.Sprint("A", j), MasterID: fmt.Sprintf("M%06d", j), Kind: photo.KindPhoto,
			Filename: fmt.Sprintf("IMG_%04d.HEIC", num), Size: int64(100 + rng.IntN(12)*10),
			Taken: times[k].Add(time.Duration(rng.IntN(3)) * time.Second)}
		a.Added = a.Taken.Add(time.Duration(rng.IntN(20*24)) * time.Hour)
		switch rng.IntN(6) {
		case 0:
			a.Filename, a.Kind = fmt.Sprintf("IMG_%04d.MOV", num), photo.KindVideo
		case 1:
			a.Filename = fmt.Sprintf("IMG_%04d.JPG", num)
		case 2:
			a.Filename = ""
		case 3:
			a.Taken = time.Time{}
		}
		if rng.IntN(3) == 0 {
			a.LiveVideo = &photo.Resource{Size: int64(100 + rng.IntN(12)*10)}
		}
		if rng.IntN(3) == 0 {
			a.Edited = &photo.Resource{Size: int64(100 + rng.IntN(12)*10)}
		}
		if rng.IntN(2) == 0 {
			a.TZOffset = offset(time.Duration(rng.IntN(5)-2) * time.Hour)
		}
		out = append(out, a)
	}
	return out
}

// TestCandidatesReachEveryWay: one file for each way a file becomes a
// candidate (name key, folder date, mtime window, time in the name, cached
// capture time), each far from the others in time, so that a file missing
// from the candidates shows as an asset not found.
func TestCandidatesReachEveryWay(t *testing.T) {
	root := t.TempDir()
	at := func(month int) time.Time { return time.Date(2021, time.Month(month), 5, 10, 15, 0, 0, time.UTC) }
	far := at(12).AddDate(1, 0, 0) // an mtime no window reaches
	exif := func(tm time.Time) []byte { return jpegWithExif(t, tm.Format("2006:01:02 15:04:05"), "+00:00") }
	uuid := "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	writeFile(t, root, "flat1/IMG_1001.HEIC", make([]byte, 500), far)
	writeFile(t, root, at(3).Format("2006/01/02")+"/"+uuid+".jpg", exif(at(3)), far)
	writeFile(t, root, "flat2/"+uuid+".jpg", exif(at(5)), at(5).Add(time.Hour))
	writeFile(t, root, "flat3/"+at(7).Format("20060102_150405")+"_ABCDEF01.jpg", []byte("no header"), far)
	writeFile(t, root, "flat4/0a1b2c3d-0000-4000-8000-000000000005.jpg", exif(at(9)), far)
	age(t, root)
	ix := openIndex(t, NewMemKV(), root, Options{})
	scan(t, ix, false)
	asset := func(id, name string, month int) photo.Asset {
		return photo.Asset{ID: id, Filename: name, Kind: photo.KindPhoto, Size: 500, Taken: at(month), Added: at(month)}
	}
	want := map[string]photo.Confidence{"key": photo.ConfidenceCertain, "day": photo.ConfidencePossible, "mtime": photo.ConfidencePossible,
		"name time": photo.ConfidencePossible, "read": photo.ConfidenceLikely, "cached": photo.ConfidencePossible}
	check := func(assets []photo.Asset) {
		t.Helper()
		ms, err := ix.Match(context.Background(), assets, MatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Confidence != want[m.AssetID] {
				t.Errorf("%s: %v (%+v), want %v", m.AssetID, m.Confidence, m.File, want[m.AssetID])
			}
		}
	}
	check([]photo.Asset{asset("key", "IMG_1001.HEIC", 1), asset("day", "DSC_0002.JPG", 3), asset("mtime", "DSC_0003.JPG", 5),
		asset("name time", "DSC_0004.JPG", 7), asset("read", "0a1b2c3d-0000-4000-8000-000000000005.jpg", 9)})
	// The last file's capture time is cached now; found by it alone.
	check([]photo.Asset{asset("cached", "DSC_0005.JPG", 9)})
}

// randomLibrary is a random folder (seeded by seed and stream) with random
// assets of it, and the same assets renamed (no name or master id left to
// match by).
func randomLibrary(t *testing.T, seed, stream uint64) (root string, assets, renamed []photo.Asset) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, stream))
	root, times := randomFolder(t, rng)
	assets = randomAssets(rng, times)
	renamed = slices.Clone(assets)
	for i := range renamed {
		renamed[i].Filename, renamed[i].MasterID = fmt.Sprintf("DSC_%04d.JPG", i), ""
	}
	return root, assets, renamed
}
