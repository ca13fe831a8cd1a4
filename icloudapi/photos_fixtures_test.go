package icloudapi

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/photo"
)

// exchange is one CloudKit request/answer of a converted icloudpd cassette
// (see testdata/photos/README.md).
type exchange struct {
	Path     string `json:"path"`
	Request  string `json:"request"`
	Status   int    `json:"status"`
	Response string `json:"response"`
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "photos", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var cassettes sync.Map // name → []exchange, parsed once per test binary

func loadCassette(t testing.TB, name string) []exchange {
	t.Helper()
	if ex, ok := cassettes.Load(name); ok {
		return ex.([]exchange)
	}
	var ex []exchange
	if err := json.Unmarshal(readTestdata(t, "icloudpd/"+name+".json.gz"), &ex); err != nil {
		t.Fatal(err)
	}
	cassettes.Store(name, ex)
	return ex
}

// cassetteAnswer returns the nth answer (0-based) to a request on path
// whose body mentions recordType.
func cassetteAnswer(t testing.TB, cassette, path, recordType string, nth int) []byte {
	t.Helper()
	for _, ex := range loadCassette(t, cassette) {
		if ex.Path == path && strings.Contains(ex.Request, `"`+recordType+`"`) {
			if nth == 0 {
				return []byte(ex.Response)
			}
			nth--
		}
	}
	t.Fatalf("%s: no answer %d for %s %s", cassette, nth, path, recordType)
	return nil
}

func decodePage(t testing.TB, body []byte) ckQueryResponse {
	t.Helper()
	var q ckQueryResponse
	if err := decodeCK("test", body, &q); err != nil {
		t.Fatal(err)
	}
	if be := q.bodyError(); be != nil {
		t.Fatalf("body error %+v", be)
	}
	return q
}

func pairPage(t testing.TB, body []byte, zone string) ([]photo.Asset, int) {
	t.Helper()
	q := decodePage(t, body)
	p := newPairer(zone)
	p.add(q.Records)
	return p.assets()
}

func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

func intp(v int) *int { return &v }

// TestDecode2018AddedPage: the 2018 CPLAssetAndMasterByAddedDate page of
// listing_photos.yml — 100 pairs, JPEG/PNG/MOV, 77 Live Photos, screenshots.
func TestDecode2018AddedPage(t *testing.T) {
	assets, unpaired := pairPage(t, cassetteAnswer(t, "listing_photos", "private/records/query", idxAdded, 0), "PrimarySync")
	if len(assets) != 100 || unpaired != 0 {
		t.Fatalf("got %d assets, %d unpaired; want 100, 0", len(assets), unpaired)
	}
	want := photo.Asset{
		ID: "F2A23C38-0020-42FE-A273-2923ADE3CAED", MasterID: "AY6c+BsE0jjaXx9tmVGJM1D2VcEO", Library: "PrimarySync",
		Filename: "IMG_7409.JPG", FilenameSource: photo.FilenameEncoded, Size: 1884695, UTI: "public.jpeg", Kind: photo.KindLivePhoto,
		LiveVideo: &photo.Resource{UTI: "com.apple.quicktime-movie", Size: 3294075}, Width: 4032, Height: 3024,
		Added: ms(1533021746602), Taken: ms(1533021744816), TZOffset: intp(25200),
	}
	if d := cmp.Diff(want, assets[0]); d != "" {
		t.Errorf("first asset (-want +got):\n%s", d)
	}
	kinds, screenshots, edits := map[photo.Kind]int{}, 0, 0
	for i, a := range assets {
		kinds[a.Kind]++
		if a.Screenshot {
			screenshots++
		}
		if a.Edited != nil {
			edits++
		}
		if i > 0 && a.Added.After(assets[i-1].Added) {
			t.Errorf("asset %d added %v after asset %d: the index is not newest first", i, a.Added, i-1)
		}
	}
	if d := cmp.Diff(map[photo.Kind]int{photo.KindLivePhoto: 77, photo.KindPhoto: 15, photo.KindVideo: 8}, kinds); d != "" {
		t.Errorf("kinds (-want +got):\n%s", d)
	}
	if screenshots != 8 || edits != 8 {
		t.Errorf("screenshots %d, edits %d; want 8 and 8 (screenshots carry a JPEG rendition)", screenshots, edits)
	}
	if got := assets[0].TakenLocal().Format(time.RFC3339); got != "2018-07-31T14:22:24+07:00" {
		t.Errorf("TakenLocal = %s", got)
	}
}

// TestDecode2023AddedPage: the 2023 page of download_autodelete_photos_part1
// — HEIC, edited HEIC (resJPEGFull of type public.heic), MP4, UTC-7.
func TestDecode2023AddedPage(t *testing.T) {
	assets, unpaired := pairPage(t, cassetteAnswer(t, "download_autodelete_photos_part1", "private/records/query", idxAdded, 0), "PrimarySync")
	if len(assets) != 100 || unpaired != 0 {
		t.Fatalf("got %d assets, %d unpaired; want 100, 0", len(assets), unpaired)
	}
	utis, heicEdits := map[string]int{}, 0
	for _, a := range assets {
		utis[a.UTI]++
		if a.Edited != nil && a.Edited.UTI == "public.heic" && a.AdjustmentType == "com.apple.photo" {
			heicEdits++
		}
		if a.TZOffset == nil || *a.TZOffset != -25200 {
			t.Errorf("%s: tz offset %v, want -25200", a.Filename, a.TZOffset)
		}
		if a.UTI == "public.mpeg-4" && (a.Kind != photo.KindVideo || !strings.HasSuffix(a.Filename, ".MP4") && !strings.HasSuffix(a.Filename, ".mp4")) {
			t.Errorf("MP4 %s decoded as %s", a.Filename, a.Kind)
		}
	}
	if d := cmp.Diff(map[string]int{"public.heic": 45, "public.jpeg": 43, "com.apple.quicktime-movie": 7, "public.mpeg-4": 4, "public.png": 1}, utis); d != "" {
		t.Errorf("UTIs (-want +got):\n%s", d)
	}
	if heicEdits != 9 {
		t.Errorf("edited HEICs = %d, want 9", heicEdits)
	}
	first := assets[0]
	if first.Filename != "IMG_3589.JPG" || first.Size != 85638 || first.Added != ms(1686106167440) {
		t.Errorf("first asset = %+v", first)
	}
}

// TestDecodeFilenameForms covers base64 ENCRYPTED_BYTES, plain STRING,
// missing filenameEnc (fallback) and non-ASCII names.
func TestDecodeFilenameForms(t *testing.T) {
	tests := []struct {
		cassette string
		id       string
		name     string
		source   photo.FilenameSource
		missing  int
	}{
		{"listing_photos_filename_string_encoding", "F2A23C38-0020-42FE-A273-2923ADE3CAED", "IMG_7409.JPG", photo.FilenameString, 0},
		{"listing_photos_missing_filenameEnc", "F2A23C38-0020-42FE-A273-2923ADE3CAED", "AY6c_BsE0jja.JPG", photo.FilenameFallback, 3},
		{"listing_photos_chinese", "F2A23C38-0020-42FE-A273-2923ADE3CAED", "IMG_中文_7409.JPG", photo.FilenameEncoded, 0},
		{"listing_photos", "577DE5DB-44CF-470B-9791-11F4A5C4A99C", "IMG_7408.JPG", photo.FilenameEncoded, 0},
	}
	for _, tt := range tests {
		t.Run(tt.cassette, func(t *testing.T) {
			assets, _ := pairPage(t, cassetteAnswer(t, tt.cassette, "private/records/query", idxAdded, 0), "PrimarySync")
			fallbacks := 0
			for _, a := range assets {
				if a.FilenameSource == photo.FilenameFallback {
					fallbacks++
				}
				if a.ID == tt.id && (a.Filename != tt.name || a.FilenameSource != tt.source) {
					t.Errorf("%s: filename %q (%s), want %q (%s)", a.ID, a.Filename, a.FilenameSource, tt.name, tt.source)
				}
			}
			if fallbacks != tt.missing {
				t.Errorf("%d fallback names, want %d", fallbacks, tt.missing)
			}
		})
	}
}

// TestDecodeRecentlyDeleted: both Recently Deleted recordings carry
// dateExpunged = deletion + 30 days on every pair.
func TestDecodeRecentlyDeleted(t *testing.T) {
	tests := []struct {
		cassette string
		pairs    int
		first    string
		purge    int64
	}{
		{"autodelete_photos", 16, "IMG_7406.MOV", 1535550254422},
		{"download_autodelete_photos_part2", 79, "IMG_3589.JPG", 1688698458380},
	}
	for _, tt := range tests {
		t.Run(tt.cassette, func(t *testing.T) {
			assets, unpaired := pairPage(t, cassetteAnswer(t, tt.cassette, "private/records/query", idxDeleted, 0), "PrimarySync")
			if len(assets) != tt.pairs || unpaired != 0 {
				t.Fatalf("%d pairs, %d unpaired; want %d, 0", len(assets), unpaired, tt.pairs)
			}
			if assets[0].Filename != tt.first || assets[0].Purge != ms(tt.purge) {
				t.Errorf("first = %s purge %v; want %s %v", assets[0].Filename, assets[0].Purge, tt.first, ms(tt.purge))
			}
			for i, a := range assets {
				if !a.Deleted || a.Purge.IsZero() {
					t.Errorf("%s: deleted=%v purge=%v", a.Filename, a.Deleted, a.Purge)
				}
				if i > 0 && a.Purge.After(assets[i-1].Purge) {
					t.Errorf("%s: not most recently deleted first", a.Filename)
				}
			}
			if empty := decodePage(t, cassetteAnswer(t, tt.cassette, "private/records/query", idxDeleted, 1)); len(empty.Records) != 0 || empty.SyncToken == "" {
				t.Errorf("second page: %d records, token %q; want the empty end page", len(empty.Records), empty.SyncToken)
			}
		})
	}
}

// TestDecodeExtractedPagesMatchCassettes: the extracted real pages decode
// to the same assets as the cassette answers they came from.
func TestDecodeExtractedPagesMatchCassettes(t *testing.T) {
	for file, cassette := range map[string]string{
		"real_2018_added_page.json.gz": "listing_photos",
		"real_2023_added_page.json.gz": "download_autodelete_photos_part1",
	} {
		a, _ := pairPage(t, readTestdata(t, "icloudpd/"+file), "PrimarySync")
		b, _ := pairPage(t, cassetteAnswer(t, cassette, "private/records/query", idxAdded, 0), "PrimarySync")
		if len(a) != 100 {
			t.Errorf("%s: %d assets", file, len(a))
		}
		if d := cmp.Diff(b, a); d != "" {
			t.Errorf("%s differs from %s (-cassette +extracted):\n%s", file, cassette, d)
		}
	}
}

// TestDecodeSharedLibraryRecord: the 2025 SharedSync record of
// listing_photos.yml (shared database; contributors, importDate, …).
func TestDecodeSharedLibraryRecord(t *testing.T) {
	var body []byte
	for _, ex := range loadCassette(t, "listing_photos") {
		if ex.Path == "shared/records/query" && strings.Contains(ex.Request, idxAdded) {
			body = []byte(ex.Response)
		}
	}
	assets, unpaired := pairPage(t, body, "")
	if len(assets) != 1 || unpaired != 0 {
		t.Fatalf("%d assets, %d unpaired", len(assets), unpaired)
	}
	a := assets[0]
	if a.Filename != "solvej dk.png" || a.Kind != photo.KindPhoto || a.Size != 93124 || !strings.HasPrefix(a.Library, "SharedSync-") {
		t.Errorf("shared asset = %+v", a)
	}
	if a.TZOffset == nil || *a.TZOffset != 28800 || a.Added != ms(1739183576039) || a.Taken != ms(1687281444000) {
		t.Errorf("dates: added %v taken %v tz %v", a.Added, a.Taken, a.TZOffset)
	}
}

// TestDecodeZonesAndCounts: zones/list (private PrimarySync, shared
// SharedSync), CheckIndexingState and HyperionIndexCountLookup answers.
func TestDecodeZonesAndCounts(t *testing.T) {
	ex := loadCassette(t, "listing_photos")
	got := map[string][]string{}
	for _, e := range ex {
		switch {
		case strings.HasSuffix(e.Path, "zones/list"):
			var z ckZonesResponse
			if err := decodeCK("t", []byte(e.Response), &z); err != nil {
				t.Fatal(err)
			}
			for _, ze := range z.Zones {
				if photoZone(ze) && ze.ZoneID.OwnerRecordName != "" {
					got[e.Path] = append(got[e.Path], ze.ZoneID.ZoneName)
				}
			}
		case strings.HasSuffix(e.Path, "query/batch"):
			var b ckBatchResponse
			if err := decodeCK("t", []byte(e.Response), &b); err != nil || len(b.Batch) != 1 {
				t.Fatalf("batch: %v %d", err, len(b.Batch))
			}
			if n := itemCount(&b.Batch[0]); n <= 0 {
				t.Errorf("%s: count %d", e.Path, n)
			}
		case strings.Contains(e.Request, recIndexing):
			q := decodePage(t, []byte(e.Response))
			if st, _ := q.Records[0].Fields.CheckIndexingState.str(); st != indexingFinished {
				t.Errorf("indexing state %q", st)
			}
		}
	}
	want := map[string][]string{
		"private/zones/list": {"PrimarySync"},
		"shared/zones/list":  {"SharedSync-00000000-1111-2222-3333-444444444444"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("zones (-want +got):\n%s", d)
	}
	b := decodeBatchFixture(t, "download_autodelete_photos_part1")
	if n := itemCount(&b.Batch[0]); n != 7840 {
		t.Errorf("2023 count = %d, want 7840", n)
	}
}

func decodeBatchFixture(t *testing.T, cassette string) ckBatchResponse {
	var b ckBatchResponse
	for _, e := range loadCassette(t, cassette) {
		if strings.HasSuffix(e.Path, "query/batch") {
			if err := decodeCK("t", []byte(e.Response), &b); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b
}
