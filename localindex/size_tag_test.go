package localindex

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/photo"
)

// sessionMatcher files every file of the scanned folder in a lookup, as a
// Session does, and returns a matcher over it as matchWith makes one.
func sessionMatcher(t testing.TB, ix *Index, l *lookup) *matcher {
	t.Helper()
	if l == nil {
		var err error
		ix.mu.Lock()
		l, err = ix.gather(context.Background(), &wanted{all: true})
		ix.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	mo := MatchOptions{}.withDefaults()
	return &matcher{ix: ix, l: l, opts: mo, budget: mo.MaxHeaderReads, claimed: map[int32]bool{}, witness: ix.opts.RenamesFiles}
}

// TestSizePassReadsOnlyRecordsOfItsSizes: at 500 000 assets every
// IMG_nnnn name has about 77 files, and the size pass read the record of
// each (at random in a lookup of 700 000 files) for every asset: 2.8 s of
// the 4.6 s of matching in `icloudmon run` (issue 20). The size tags
// beside the name index leave it only the records of candidates whose
// size may be one the asset has.
func TestSizePassReadsOnlyRecordsOfItsSizes(t *testing.T) {
	ix := repeatedNameIndex(t)
	m := sessionMatcher(t, ix, nil)
	a := photo.Asset{ID: "a", MasterID: "AbCdEfGhIjKlMnOpQrStUvWxYz01", Filename: "IMG_0001.HEIC", Kind: photo.KindPhoto,
		Size: 100 + 41, LiveVideo: &photo.Resource{Size: 1000 + 41}, Taken: past, Added: past}
	cands := m.nameCands(a)
	if len(cands) != 2*repeatedNameDup {
		t.Fatalf("%d candidates, want %d", len(cands), 2*repeatedNameDup)
	}
	// the candidates whose size has the tag of one the asset wants: the
	// two files of its sizes and the few of other sizes that share a tag
	want := 0
	for _, c := range cands {
		if tag := m.l.files[c.id].size; sizeTag(tag) == sizeTag(a.Size) || sizeTag(tag) == sizeTag(a.LiveVideo.Size) {
			want++
		}
	}
	var res Match
	m.bySize(a, cands, &res)
	if res.File == nil || !strings.HasSuffix(res.File.Path, "2023/02/14/IMG_0001.HEIC") ||
		res.LiveVideo == nil || !strings.HasSuffix(res.LiveVideo.Path, "2023/02/14/IMG_0001_HEVC.MOV") {
		t.Fatalf("size pass: %+v", res)
	}
	t.Logf("%d records read of %d candidates", m.sizeReads, len(cands))
	if m.sizeReads != want || m.sizeReads > 6 {
		t.Errorf("the size pass read %d records of %d candidates, want the %d of a wanted size's tag", m.sizeReads, len(cands), want)
	}
}

// oldBySize is the size pass as it was before the size tags: it reads
// every candidate's record.
func oldBySize(m *matcher, a photo.Asset, cands []cand, res *Match) {
	orig, alt, live, edited := a.PartSize(photo.PartOriginal), a.PartSize(photo.PartAlternate), a.PartSize(photo.PartLiveVideo), a.PartSize(photo.PartEdited)
	for i := range cands {
		c := &cands[i]
		f := &m.l.files[c.id]
		if m.claimed[c.id] {
			continue
		}
		wanted := res.File == nil && (f.size == orig || alt > 0 && f.size == alt) ||
			res.LiveVideo == nil && live > 0 && f.size == live || res.Edited == nil && edited > 0 && f.size == edited
		if !wanted || !m.keep(a, c) {
			continue
		}
		switch {
		case res.File == nil && f.size == a.PartSize(photo.PartOriginal) && kindFits(assetKind(a), c.kind):
			res.File = m.found(c.id, photo.ConfidenceCertain, "name and size equal", nil)
		case res.File == nil && a.PartSize(photo.PartAlternate) > 0 && f.size == a.PartSize(photo.PartAlternate) && c.kind == KindPhoto:
			res.File = m.found(c.id, photo.ConfidenceCertain, "name and size equal the RAW+JPEG alternative original", nil)
		case res.LiveVideo == nil && a.PartSize(photo.PartLiveVideo) > 0 && f.size == a.PartSize(photo.PartLiveVideo) && c.kind == KindVideo:
			res.LiveVideo = m.found(c.id, photo.ConfidenceCertain, "name and size equal the Live Photo video", nil)
		case res.Edited == nil && a.PartSize(photo.PartEdited) > 0 && f.size == a.PartSize(photo.PartEdited) && c.kind != KindUnknown:
			res.Edited = m.found(c.id, photo.ConfidenceCertain, "name and size equal the edited rendition", nil)
		}
	}
}

// mapNameCands is nameCands as it was: the files of each key in turn,
// each kept once (the first time) by a map.
func mapNameCands(l *lookup, keys []string) []int32 {
	seen := map[int32]bool{}
	var out []int32
	for _, k := range keys {
		for _, id := range l.byKey(k, nil) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

func candIDs(cs []cand) []int32 {
	var out []int32
	for _, c := range cs {
		out = append(out, c.id)
	}
	return out
}

// tagTwins returns n sizes above from that share one size tag (and
// differ).
func tagTwins(from int64, n int) []int64 {
	var out []int64
	for s := from + 1; len(out) < n; s++ {
		if sizeTag(s) == sizeTag(from) {
			out = append(out, s)
		}
	}
	return append(out, from)
}

// TestSizePassWithRepeatedNamesAsBefore: random folders where a few names
// come back many times, in sizes that repeat and sizes that share a tag,
// and random assets of those names and sizes (RAW+JPEG alternatives, Live
// Photo videos, edits, empty files): the size pass with tags gives every
// asset of a batch the same files, in the same order of claims, as the
// pass that read every record.
func TestSizePassWithRepeatedNamesAsBefore(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 20))
			sizes := append(tagTwins(300, 3), tagTwins(700, 2)...)
			sizes = append(sizes, 0, 301, 302, 512)
			pick := func() int64 { return sizes[rng.IntN(len(sizes))] }
			stems := []string{"IMG_0001", "IMG_0002", "IMG_0003", "IMG_E0001", "photo", "Café", "Caf", "café"}
			exts := []string{".HEIC", ".JPG", ".MOV", ".DNG", "_HEVC.MOV", "-1.HEIC", ".heic"}
			root := t.TempDir()
			for i := range 150 + rng.IntN(150) {
				rel := fmt.Sprintf("2023/%02d/%02d/%s%s", 1+rng.IntN(3), 1+rng.IntN(28), stems[rng.IntN(len(stems))], exts[rng.IntN(len(exts))])
				if rng.IntN(4) == 0 {
					rel = fmt.Sprintf("flat%d/%s%s", i%3, stems[rng.IntN(len(stems))], exts[rng.IntN(len(exts))])
				}
				writeFile(t, root, rel, make([]byte, pick()), past)
			}
			age(t, root)
			ix := openIndex(t, NewMemKV(), root, Options{})
			scan(t, ix, false)
			mNew := sessionMatcher(t, ix, nil)
			mOld := sessionMatcher(t, ix, mNew.l)
			// Café.HEIC has two keys (café, and caf as icloudpd cleans it)
			names := []string{"IMG_0001.HEIC", "IMG_0002.JPG", "IMG_0003.MOV", "IMG_0001.DNG", "photo.heic", "IMG_0002.HEIC", "Café.HEIC", "café.mov"}
			reads, total, found := 0, 0, 0
			for i := range 200 {
				a := photo.Asset{ID: fmt.Sprint("a", i), MasterID: fmt.Sprintf("AbCdEfGhIjKlMnOpQrStUvWx%04d", i),
					Filename: names[rng.IntN(len(names))], Kind: photo.KindPhoto, Size: pick(), Taken: past, Added: past}
				if rng.IntN(20) == 0 {
					a.Size = -1 // unknown: PartSize says 0
				}
				if strings.HasSuffix(a.Filename, ".MOV") {
					a.Kind = photo.KindVideo
				}
				if rng.IntN(3) == 0 {
					a.LiveVideo = &photo.Resource{Size: pick()}
				}
				if rng.IntN(4) == 0 {
					a.Alternative = &photo.Resource{Size: pick()}
				}
				if rng.IntN(4) == 0 {
					a.Edited = &photo.Resource{Size: pick()}
				}
				var got, want Match
				cn, co := mNew.nameCands(a), mOld.nameCands(a)
				if ids, want := candIDs(cn), mapNameCands(mNew.l, cloudKeys(a.Filename, a.MasterID)); !slices.Equal(ids, want) {
					t.Fatalf("asset %d %q: candidates %v, want %v", i, a.Filename, ids, want)
				}
				before := mNew.sizeReads
				mNew.bySize(a, cn, &got)
				oldBySize(mOld, a, co, &want)
				reads, total = reads+mNew.sizeReads-before, total+len(cn)
				for _, f := range []*FileMatch{got.File, got.LiveVideo, got.Edited} {
					if f != nil {
						found++
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("asset %d %+v: size pass gave\n%+v\nwant\n%+v", i, a, got, want)
				}
				for j := range cn {
					if cn[j].id != co[j].id || cn[j].state != co[j].state || cn[j].kind != co[j].kind || cn[j].edit != co[j].edit {
						t.Fatalf("asset %d: candidate %d is %+v, was %+v", i, j, cn[j], co[j])
					}
				}
			}
			if !reflect.DeepEqual(mNew.claimed, mOld.claimed) {
				t.Errorf("claimed %v, was %v", mNew.claimed, mOld.claimed)
			}
			t.Logf("%d records read of %d candidates, %d files found", reads, total, found)
			if found < 20 {
				t.Errorf("only %d files found by name and size: the folder does not test the pass", found)
			}
		})
	}
}

// TestNameCandsKeepsFirstOfEachFile: a file filed under two of the
// asset's keys (or twice under one hash) is a candidate once, where the
// map of before first met it. Real names rarely do that, so the postings
// are made up here: random files under café, caf or both, in random
// order, some twice under one.
func TestNameCandsKeepsFirstOfEachFile(t *testing.T) {
	keys := cloudKeys("Café.heic", "")
	if len(keys) != 2 {
		t.Fatalf("keys of Café.heic: %q, want two", keys)
	}
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 7))
		b := newLookupBuilder(0)
		for i := range 1 + rng.IntN(120) {
			var hs []uint32
			switch rng.IntN(5) {
			case 0:
				hs = []uint32{keyHash(keys[0])}
			case 1:
				hs = []uint32{keyHash(keys[1])}
			case 2:
				hs = []uint32{keyHash(keys[1]), keyHash(keys[0])}
			case 3:
				hs = []uint32{keyHash(keys[0]), keyHash(keys[0]), keyHash(keys[1])}
			default:
				hs = []uint32{keyHash("other")}
			}
			name := fmt.Sprintf("f%03d.heic", i)
			f := fileEntry{name: name, size: int64(rng.IntN(4))}
			b.add(fmt.Sprint("d", rng.IntN(4)), &f, []byte(name), &nameInfo{known: true, keys: hs})
		}
		l, err := b.finish()
		if err != nil {
			t.Fatal(err)
		}
		m := &matcher{l: l, claimed: map[int32]bool{}}
		got := candIDs(m.nameCands(photo.Asset{Filename: "Café.heic"}))
		if want := mapNameCands(l, keys); !slices.Equal(got, want) {
			t.Fatalf("seed %d: candidates %v, want %v", seed, got, want)
		}
	}
}
