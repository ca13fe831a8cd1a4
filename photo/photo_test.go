package photo

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPartSize(t *testing.T) {
	a := Asset{Size: 2_000_000, LiveVideo: &Resource{Size: 3_000_000}, Edited: &Resource{Size: -1},
		Alternative: &Resource{Size: 25_000_000}}
	cases := []struct {
		name string
		a    Asset
		part Part
		want int64
	}{
		{"original", a, PartOriginal, 2_000_000},
		{"live video", a, PartLiveVideo, 3_000_000},
		{"edit of unknown size", a, PartEdited, 0},
		{"alternate", a, PartAlternate, 25_000_000},
		{"original of unknown size", Asset{Size: -1}, PartOriginal, 0},
		{"absent live video", Asset{Size: 1}, PartLiveVideo, 0},
		{"absent edit", Asset{Size: 1}, PartEdited, 0},
		{"absent alternate", Asset{Size: 1}, PartAlternate, 0},
		{"unknown part", a, Part("thumbnail"), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.a.PartSize(c.part); got != c.want {
				t.Errorf("PartSize(%s) = %d, want %d", c.part, got, c.want)
			}
		})
	}
}

func TestOffsetAndTakenLocal(t *testing.T) {
	taken := time.Date(2018, 7, 31, 7, 22, 24, 0, time.UTC)
	seven := 7 * 3600
	a := Asset{Taken: taken, TZOffset: &seven}
	if off, ok := a.Offset(); !ok || off != 7*time.Hour {
		t.Errorf("Offset = %v, %v; want 7h, true", off, ok)
	}
	if got := a.TakenLocal().Format(time.RFC3339); got != "2018-07-31T14:22:24+07:00" {
		t.Errorf("TakenLocal = %s", got)
	}
	a.TZOffset = nil
	if off, ok := a.Offset(); ok || off != 0 {
		t.Errorf("Offset without a zone = %v, %v; want 0, false", off, ok)
	}
	if got := a.TakenLocal(); !got.Equal(taken) || got.Location() != time.UTC {
		t.Errorf("TakenLocal without a zone = %v", got)
	}
}

func TestConfidenceOrder(t *testing.T) {
	order := []Confidence{"", ConfidenceNone, ConfidencePossible, ConfidenceLikely, ConfidenceCertain}
	wantRank := []int{0, 0, 1, 2, 3}
	for i, c := range order {
		if c.Rank() != wantRank[i] {
			t.Errorf("%q.Rank() = %d, want %d", c, c.Rank(), wantRank[i])
		}
		if c.Present() != (wantRank[i] > 0) {
			t.Errorf("%q.Present() = %v", c, c.Present())
		}
	}
	if Confidence("maybe").Present() {
		t.Error("an unknown confidence counts as present")
	}
}

// TestJSONForms pins the stored and reported forms: the saved Photos
// snapshot holds Assets, and report JSON shows confidences and parts as
// strings.
func TestJSONForms(t *testing.T) {
	off := 3600
	a := Asset{ID: "A1", MasterID: "M1", Library: "PrimarySync", Filename: "IMG_1.HEIC",
		FilenameSource: FilenameEncoded, Size: 10, UTI: "public.heic", Kind: KindLivePhoto,
		LiveVideo: &Resource{UTI: "com.apple.quicktime-movie", Size: 20},
		Added:     time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), TZOffset: &off}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"A1","master_id":"M1","library":"PrimarySync","filename":"IMG_1.HEIC","filename_source":"encrypted_bytes",` +
		`"size":10,"uti":"public.heic","kind":"live_photo","live_video":{"uti":"com.apple.quicktime-movie","size":20},` +
		`"added":"2026-11-01T10:00:00Z","tz_offset":3600}`
	if string(b) != want {
		t.Errorf("Asset JSON\n got %s\nwant %s", b, want)
	}
	m, err := json.Marshal(struct {
		C Confidence `json:"c"`
		P []Part     `json:"p"`
	}{ConfidenceLikely, []Part{PartLiveVideo, PartAlternate}})
	if err != nil {
		t.Fatal(err)
	}
	if string(m) != `{"c":"likely","p":["live_video","alternate"]}` {
		t.Errorf("confidence and parts JSON = %s", m)
	}
}

// TestLeaf keeps photo a leaf: it imports the standard library only.
func TestLeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); strings.Contains(p, ".") {
				t.Errorf("%s imports %s; photo imports the standard library only", f, p)
			}
		}
	}
}
