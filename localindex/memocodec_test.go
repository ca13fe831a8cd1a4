package localindex

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/photo"
)

// fullMatch is a match result with every field of Match, FileMatch and
// Capture set (nonZero checks it), times in UTC and in Local as the index
// makes them.
func fullMatch() savedMatch {
	fm := func(p string) *FileMatch {
		return &FileMatch{Path: p, Size: 123, ModTime: time.Unix(1_700_000_000, 42),
			Capture:    &Capture{Wall: time.Unix(1_600_000_000, 7).UTC(), Offset: -5 * time.Hour, OffsetKnown: true, Source: CaptureSource(3)},
			Confidence: photo.Confidence("exact"), Reason: "size and name"}
	}
	return savedMatch{CacheHits: 9, Matches: []Match{
		{AssetID: "A1", Confidence: photo.Confidence("exact"), File: fm("2024/01/01/IMG_1.HEIC"), LiveVideo: fm("2024/01/01/IMG_1.MOV"),
			LiveVideoMissing: true, Edited: fm("2024/01/01/IMG_E1.JPG"), EditedMissing: true, Incomplete: true},
		{AssetID: "A2"},
		{AssetID: "A3", File: &FileMatch{Path: "x.jpg", ModTime: time.Unix(5, 0).UTC()}},
	}}
}

// nonZero fails for a field of v's struct type (and of the structs its
// pointers and slices hold) that is zero in v: a field added later must be
// set in fullMatch, and then the round trip shows whether the memo's form
// carries it.
func nonZero(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			nonZero(t, v.Elem(), path)
		}
	case reflect.Slice:
		if v.Len() > 0 {
			nonZero(t, v.Index(0), path+"[0]")
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			return
		}
		for i := range v.NumField() {
			f := v.Field(i)
			name := path + "." + v.Type().Field(i).Name
			if f.IsZero() {
				t.Errorf("%s is zero in fullMatch: set it, so that the round trip covers it", name)
				continue
			}
			nonZero(t, f, name)
		}
	}
}

// Every field of a match result comes back from the memo's form exactly
// (as saveMatchMemo requires), and a time in a location the form cannot
// restore is refused, which leaves the result without a memo.
func TestMemoFormRoundTrip(t *testing.T) {
	sm := fullMatch()
	nonZero(t, reflect.ValueOf(sm), "savedMatch")
	enc, err := encodeMemo(sm)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeMemo(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, sm) {
		t.Errorf("round trip differs:\n%s", cmp.Diff(sm, back))
	}
	for cut := range len(enc) {
		if _, err := decodeMemo(enc[:cut]); err == nil {
			t.Fatalf("decoding the first %d of %d bytes gave no error", cut, len(enc))
		}
	}
	sm.Matches[2].File.ModTime = sm.Matches[2].File.ModTime.In(time.FixedZone("X", 3600))
	if _, err := encodeMemo(sm); err == nil {
		t.Error("a time in a fixed zone was encoded; it would come back in another location")
	}
}
