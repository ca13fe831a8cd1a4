package localindex

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/icloudmon/icloudmon/photo"
)

// TestCandIsCompact: Match keeps the name candidates of every asset of a
// call through its three passes, and a name that comes back every 10 000
// photos has dozens of files at 700 000 files. Each candidate must stay a
// file number and the two facts the passes read (no parsed name, no
// pointer for the collector to scan): with the whole parsed name, the
// candidates of one audit batch of 4 096 assets held about 20 MB, which
// the daemon's peak RSS (twice the live heap) paid twice.
func TestCandIsCompact(t *testing.T) {
	if size := unsafe.Sizeof(cand{}); size > 8 {
		t.Errorf("a candidate takes %d bytes, want at most 8", size)
	}
	typ := reflect.TypeFor[cand]()
	for i := range typ.NumField() {
		switch typ.Field(i).Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.String, reflect.Map, reflect.Interface, reflect.Struct:
			t.Errorf("candidate field %s is a %s: the collector would scan it, and what it refers to stays live", typ.Field(i).Name, typ.Field(i).Type.Kind())
		}
	}
}

// TestSizePassReadsOnlyNamesOfEqualSize: a name that comes back every
// 10 000 photos has dozens of files at 500 000 assets (IMG_0001.HEIC, its
// _HEVC.MOV, IMG_0001-<size>.HEIC clashes…). An asset found by name and
// size must not have the name of every one of them parsed: that was 60 %
// of the CPU of the audit's comparison in `icloudmon run` at 500 000
// assets. Parsing a name allocates, so the allocations of one match say
// how many names it read.
func TestSizePassReadsOnlyNamesOfEqualSize(t *testing.T) {
	ix := repeatedNameIndex(t)
	s := ix.Session(MatchOptions{})
	live := &photo.Resource{Size: 1000 + 41}
	asset := []photo.Asset{{ID: "a", MasterID: "AbCdEfGhIjKlMnOpQrStUvWxYz01", Filename: "IMG_0001.HEIC", Kind: photo.KindPhoto,
		Size: 100 + 41, LiveVideo: live, Taken: past, Added: past}}
	match := func() {
		ms, err := s.Match(context.Background(), asset)
		if err != nil || len(ms) != 1 || ms[0].Confidence != photo.ConfidenceCertain || ms[0].LiveVideo == nil ||
			!strings.HasSuffix(ms[0].File.Path, "2023/02/14/IMG_0001.HEIC") || !strings.HasSuffix(ms[0].LiveVideo.Path, "2023/02/14/IMG_0001_HEVC.MOV") {
			t.Fatalf("match: %v %+v", err, ms)
		}
	}
	match() // reads the rows
	allocs := testing.AllocsPerRun(5, match)
	t.Logf("%.0f allocations", allocs)
	if allocs > repeatedNameDup/2 {
		t.Errorf("one asset with %d files of its name (and %d of its video's) took %.0f allocations: names of other sizes were parsed",
			repeatedNameDup, repeatedNameDup, allocs)
	}
}

// repeatedNameDup is how many files repeatedNameIndex gives each name.
const repeatedNameDup = 80

// repeatedNameIndex is a scanned index of a folder where one name comes
// back repeatedNameDup times, as IMG_nnnn does every 10 000 photos: day i
// holds IMG_0001.HEIC of 100+i bytes and its Live Photo video
// IMG_0001_HEVC.MOV of 1000+i bytes.
func repeatedNameIndex(t *testing.T) *Index {
	t.Helper()
	root := t.TempDir()
	for i := range repeatedNameDup {
		day := fmt.Sprintf("2023/%02d/%02d", 1+i/28, 1+i%28)
		writeFile(t, root, day+"/IMG_0001.HEIC", make([]byte, 100+i), past)
		writeFile(t, root, day+"/IMG_0001_HEVC.MOV", make([]byte, 1000+i), past)
	}
	age(t, root)
	ix := openIndex(t, NewMemKV(), root, Options{})
	scan(t, ix, false)
	return ix
}
