package localindex

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseLocal(t *testing.T) {
	tests := []struct {
		name string
		want localName
	}{
		{"IMG_7409.JPG", localName{keys: []string{"img_7409"}, ext: "jpg", kind: KindPhoto}},
		{"IMG_7409-1884695.JPG", localName{keys: []string{"img_7409-1884695", "img_7409"}, ext: "jpg", kind: KindPhoto, dedupSize: 1884695}},
		{"IMG_7409_QVk2Yyt.JPG", localName{keys: []string{"img_7409_qvk2yyt", "img_7409"}, ext: "jpg", kind: KindPhoto, id7: "qvk2yyt"}},
		{"IMG_7409_QVk2Yyt_HEVC.MOV", localName{keys: []string{"img_7409_qvk2yyt_hevc", "img_7409_qvk2yyt", "img_7409"}, ext: "mov", kind: KindVideo, hevc: true, id7: "qvk2yyt"}},
		{"FullSizeRender_HEVC-4559592.MOV", localName{keys: []string{"fullsizerender_hevc-4559592", "fullsizerender_hevc", "fullsizerender"}, ext: "mov", kind: KindVideo, hevc: true, dedupSize: 4559592}},
		{"IMG_1234-adjusted.HEIC", localName{keys: []string{"img_1234-adjusted", "img_1234"}, ext: "heic", kind: KindPhoto, edit: true}},
		{"IMG_7409-alternative.CR2", localName{keys: []string{"img_7409-alternative", "img_7409"}, ext: "cr2", kind: KindPhoto}},
		{"IMG_7409-medium.MOV", localName{keys: []string{"img_7409-medium", "img_7409"}, ext: "mov", kind: KindVideo}},
		{"IMG_7409-thumb.JPG", localName{keys: []string{"img_7409-thumb", "img_7409"}, ext: "jpg", kind: KindPhoto}},
		{"IMG_1234-original.JPG", localName{keys: []string{"img_1234-original", "img_1234"}, ext: "jpg", kind: KindPhoto}},
		{"IMG_E1300.JPG", localName{keys: []string{"img_e1300", "img_1300"}, ext: "jpg", kind: KindPhoto, edit: true}},
		{"IMG_1600_edited.jpeg", localName{keys: []string{"img_1600_edited", "img_1600"}, ext: "jpeg", kind: KindPhoto, edit: true}},
		{"IMG_1500+1.HEIC", localName{keys: []string{"img_1500+1", "img_1500"}, ext: "heic", kind: KindPhoto}},
		{"20131012_155750_4286DBCD.0001.cr2", localName{keys: []string{"20131012_155750_4286dbcd.0001", "20131012_155750_4286dbcd"}, ext: "cr2", kind: KindPhoto}},
		{"IMG_0004 2.PNG", localName{keys: []string{"img_0004 2", "img_0004"}, ext: "png", kind: KindPhoto}},
		{"IMG_0004 (1).PNG", localName{keys: []string{"img_0004 (1)", "img_0004"}, ext: "png", kind: KindPhoto}},
		{"PXL_20230615_1234567.jpg", localName{keys: []string{"pxl_20230615_1234567"}, ext: "jpg", kind: KindPhoto}},
		{"c53b0510-8e3a-4c1b-9d4e-2a7f0c1d9e11.jpg", localName{keys: []string{"c53b0510-8e3a-4c1b-9d4e-2a7f0c1d9e11"}, ext: "jpg", kind: KindPhoto}},
		{"Cafe\u0301.JPG", localName{keys: []string{"café"}, ext: "jpg", kind: KindPhoto}},
		{"IMG_1234.HEIC.xmp", localName{keys: []string{"img_1234.heic"}, ext: "xmp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseLocal(tt.name)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(localName{})); diff != "" {
				t.Errorf("parseLocal(%q) (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestCloudKeys(t *testing.T) {
	tests := []struct {
		filename, master string
		want             []string
	}{
		{"IMG_7409.JPG", masterA, []string{"img_7409"}},
		{"IMG_中文_7409.JPG", "", []string{"img_中文_7409", "img__7409"}},
		{"a:b?.JPG", "", []string{"a:b?", "a_b_"}},
		{"Cafe\u0301.JPG", "", []string{"café", "cafe", "caf"}},
		{"Café.JPG", "", []string{"café", "caf"}},
		{"写真.JPG", "", []string{"写真", ".jpg"}},
		{"写真", "", []string{"写真"}},
		{"", masterA, []string{"ay6c_bse0jja"}},
		{"", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.filename+"/"+tt.master, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, cloudKeys(tt.filename, tt.master)); diff != "" {
				t.Errorf("cloudKeys(%q) (-want +got):\n%s", tt.filename, diff)
			}
		})
	}
	if got := id7(masterA); got != "qvk2yyt" {
		t.Errorf("id7 = %q, want qvk2yyt (icloudpd's IMG_7409_QVk2Yyt.JPG)", got)
	}
}

func TestNameTimeAndDirDay(t *testing.T) {
	for stem, want := range map[string]string{
		"20131012_155750_4286DBCD.0001": "2013-10-12 15:57:50",
		"IMG_20230615_123456":           "2023-06-15 12:34:56",
		"PXL_20230615_123456789":        "2023-06-15 12:34:56",
		"IMG_7409":                      "",
		"120230615_123456":              "",
	} {
		got, ok := nameTime(stem)
		if (want == "") == ok || (ok && got.Format(time.DateTime) != want) {
			t.Errorf("nameTime(%q) = %v, %v; want %q", stem, got, ok, want)
		}
	}
	day := dayOf(time.Date(2023, 6, 15, 0, 0, 0, 0, time.UTC))
	for rel, want := range map[string]bool{"2023/06/15": true, "photos/2023/06/15": true, "library/admin/2023/2023-06-15": true,
		"2023-06-15 Trip": true, "2023/06": false, "flat": false} {
		got, ok := dirDay(rel)
		if ok != want || (ok && got != day) {
			t.Errorf("dirDay(%q) = %d, %v; want %v", rel, got, ok, want)
		}
	}
}

// TestCloudKeysPlainNames: the shortcut for plain ASCII names gives the
// keys of the full cleaning and normalizing path.
func TestCloudKeysPlainNames(t *testing.T) {
	for _, name := range []string{"IMG_0001.HEIC", "img_0001.heic", ".JPG", "..JPG", "a.verylongext", "x.", ".", "...",
		"IMG_0001", "IMG_0001.JPG.JPG", "Holiday 2019 (2).jpeg", "DSC-1.tar.gz", ".hidden.jpg", "A.B.C.MOV", " .jpg"} {
		if !plainName(name) {
			t.Fatalf("%q is plain ASCII", name)
		}
		if diff := cmp.Diff(cleanedKeys(name), cloudKeys(name, "AY6c+BsE0jja")); diff != "" {
			t.Errorf("cloudKeys(%q) (-full path +shortcut):\n%s", name, diff)
		}
	}
	for _, name := range []string{"Café.jpg", "a:b.jpg", "写真.JPG", "a\x00.jpg", `a\b.jpg`} {
		if plainName(name) {
			t.Errorf("%q takes the shortcut", name)
		}
	}
}

// dirDaySplit is dirDay as it was written first (split the path, parse
// with the time package); TestDirDayInPlace holds the in-place walk to it.
func dirDaySplit(rel string) (int32, bool) {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		if len(p) >= 10 && p[4] == '-' && p[7] == '-' {
			if t, err := time.Parse("2006-01-02", p[:10]); err == nil {
				return dayOf(t), true
			}
		}
		if len(p) == 4 && allDigits(p) && i+2 < len(parts) && len(parts[i+1]) == 2 && len(parts[i+2]) == 2 {
			if t, err := time.Parse("2006/01/02", p+"/"+parts[i+1]+"/"+parts[i+2]); err == nil {
				return dayOf(t), true
			}
		}
	}
	return 0, false
}

// TestDirDayInPlace: dirDay gives what the split-and-parse form gave, on
// paths built from the segments that decide it (valid and impossible
// dates, short, long and non-digit parts, empty segments).
func TestDirDayInPlace(t *testing.T) {
	segs := []string{"", "2023", "1915", "0000", "20x3", "06", "6", "00", "13", "12", "15", "29", "30", "31", "3x",
		"2023-06-15", "2024-02-29", "2023-02-29", "2023-13-01", "2023-06-15 Trip", "2023-6-15", "2023-06-1", "photos", "x-y-z-abcde"}
	n := 0
	for _, a := range segs {
		for _, b := range segs {
			for _, c := range segs {
				for _, rel := range []string{a + "/" + b + "/" + c, "lib/" + a + "/" + b + "/" + c, a + "/" + b, a} {
					n++
					wd, wok := dirDaySplit(rel)
					gd, gok := dirDay(rel)
					if wd != gd || wok != gok {
						t.Fatalf("dirDay(%q) = %d, %v; the split form gives %d, %v", rel, gd, gok, wd, wok)
					}
				}
			}
		}
	}
	if n < 50_000 {
		t.Fatalf("only %d paths compared", n)
	}
}

func BenchmarkDirDay(b *testing.B) {
	for b.Loop() {
		if _, ok := dirDay("2023/06/15"); !ok {
			b.Fatal("no day")
		}
	}
}
