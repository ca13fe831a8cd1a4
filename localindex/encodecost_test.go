package localindex

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// nameCorpus: names of every shape the naming rules know, with extensions
// in every case, unknown and missing extensions, and non-ASCII names.
var nameCorpus = []string{
	"IMG_0001.HEIC", "IMG_0001.heic", "img_0001.Heic", "IMG_0001-1000007.JPG", "IMG_0001_HEVC.MOV",
	"IMG_E0001.JPG", "IMG_0001-adjusted.JPG", "IMG_0001_AbCdEfG.JPEG", "IMG_0001 (1).PNG", "IMG_0001 2.jpg",
	"IMG_0001+1.mp4", "IMG_0001.0001.JPG", "PXL_20230615_101500123.MP4", "20230615_101500.jpg",
	"Screenshot 2023-06-15 at 10.15.00.png", "IMG_0001_edited.jpeg", "foto é.JPG", "fotoé.JPG",
	"Café.HEIC", "README", "notes.txt", "archive.tar.gz", "IMG_0001.JPǴ", "x.ABCDEF", ".hidden", "IMG_0001.Mov",
}

// TestNameInfoOfMatchesParseLocal: the hashes saved beside each name are
// those of parseLocal's keys, and parsing a name for them allocates at most
// the folded stem (no key slice, no lower-cased extension).
func TestNameInfoOfMatchesParseLocal(t *testing.T) {
	var buf [16]uint32
	for _, name := range nameCorpus {
		ni := nameInfoOf(name, buf[:0])
		ln := parseLocal(name)
		if ni.known != (ln.kind != KindUnknown) {
			t.Errorf("%q: known=%v, parseLocal kind %v", name, ni.known, ln.kind)
		}
		var want []uint32
		if ln.kind != KindUnknown {
			for _, k := range ln.keys {
				want = append(want, keyHash(k))
			}
		}
		if !slices.Equal(ni.keys, want) {
			t.Errorf("%q: key hashes %v, want %v (keys %q)", name, ni.keys, want, ln.keys)
		}
	}
	for _, name := range []string{"IMG_0001.HEIC", "IMG_0001-1000007.JPG", "IMG_0001_HEVC.MOV"} {
		if a := testing.AllocsPerRun(100, func() { nameInfoOf(name, buf[:0]) }); a > 1 {
			t.Errorf("nameInfoOf(%q): %.0f allocations, want at most 1", name, a)
		}
	}
}

// TestLowerExt: lowerExt is strings.ToLower for known extensions in any
// case and for everything else.
func TestLowerExt(t *testing.T) {
	var exts []string
	for e := range extKinds {
		exts = append(exts, e, strings.ToUpper(e), strings.ToUpper(e[:1])+e[1:])
	}
	exts = append(exts, "", "TXT", "Gz", "ABCDE", "JPǴ", "É", "jpg2", "HEİC")
	for _, e := range exts {
		if got, want := lowerExt(e), strings.ToLower(e); got != want {
			t.Errorf("lowerExt(%q) = %q, want %q", e, got, want)
		}
	}
	if a := testing.AllocsPerRun(100, func() { lowerExt("HEIC") }); a != 0 {
		t.Errorf("lowerExt(HEIC): %.0f allocations, want 0", a)
	}
}

// TestDecodeStrs: a list of strings decodes to what was encoded (nil when
// empty, whatever follows left in place), and a list cut anywhere is an
// error, never a shorter list.
func TestDecodeStrs(t *testing.T) {
	for _, list := range [][]string{nil, {"06"}, {"01", "", "12", "Holiday 2019 (2)", "Café"}, nameCorpus} {
		var buf bytes.Buffer
		e := encoder{b: &buf}
		e.strs(list)
		e.int(42)
		enc := buf.Bytes()
		d := decoder{b: enc}
		got := d.strs()
		if d.err != nil || !slices.Equal(got, list) || (len(list) == 0) != (got == nil) || d.int() != 42 {
			t.Errorf("strs(%q) decoded to %q, err %v", list, got, d.err)
		}
		for cut := 1; cut < len(enc)-1; cut++ {
			d := decoder{b: enc[:cut]}
			if got := d.strs(); d.err == nil && len(list) > 0 && !slices.Equal(got, list) {
				t.Fatalf("strs of %q cut at %d gave %q without an error", list, cut, got)
			}
		}
	}
}

// TestDirStateSize: a summary stays in memory for every directory (80 000
// at a million files in icloudpd's layout), so its size is held here; a
// new field belongs with the fields of its size (see dirState).
func TestDirStateSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) == 8 && unsafe.Sizeof(dirState{}) > 152 {
		t.Errorf("dirState is %d bytes, more than 152", unsafe.Sizeof(dirState{}))
	}
}
