package icloudapi

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/icloudmon/icloudmon/photo"
)

// smallSeeds cuts a recorded page into short pages of a few records each,
// so the fuzzer mutates real shapes without megabyte inputs.
func smallSeeds(t testing.TB, body []byte) [][]byte {
	var page struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	n := len(page.Records) / 2
	for _, idx := range [][2]int{{0, n}, {1, n + 1}, {n - 1, len(page.Records) - 1}} {
		b, _ := json.Marshal(map[string]any{"records": []json.RawMessage{page.Records[idx[0]], page.Records[idx[1]]}, "syncToken": "AQAA"})
		out = append(out, b)
	}
	return out
}

// FuzzDecodeRecords feeds mutated CloudKit query answers to the decoder and
// the pairer: they must never panic, and what they return must be usable.
func FuzzDecodeRecords(f *testing.F) {
	for _, c := range []struct{ cassette, index string }{
		{"listing_photos", idxAdded}, {"download_autodelete_photos_part1", idxAdded},
		{"download_autodelete_photos_part2", idxDeleted}, {"listing_photos_missing_filenameEnc", idxAdded},
		{"listing_photos_filename_string_encoding", idxAdded}, {"listing_photos_chinese", idxAdded},
	} {
		for _, s := range smallSeeds(f, cassetteAnswer(f, c.cassette, "private/records/query", c.index, 0)) {
			f.Add(s)
		}
	}
	for _, name := range []string{"photos_live_photo_response.json", "photos_missing_counterparts_response.json",
		"photos_shared_library_all_photos_response.json", "photos_browser_mutations/photo_delete_response.json"} {
		f.Add(readTestdata(f, "pyicloud/"+name))
	}
	f.Add([]byte(`{"serverErrorCode":"ACCESS_DENIED","reason":"private db access disabled for this account"}`))
	f.Add([]byte(`{"records":[{"recordType":"CPLAsset","recordName":"a","fields":{"masterRef":{"value":{"recordName":"m"}},"addedDate":{"value":"1e30"}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var q ckQueryResponse
		if decodeCK("fuzz", body, &q) != nil || q.bodyError() != nil {
			return
		}
		p := newPairer("PrimarySync")
		p.add(q.Records)
		assets, unpaired := p.assets()
		assetRecords := 0
		for _, r := range q.Records {
			if r.RecordType == recAsset {
				assetRecords++
			}
		}
		if len(assets)+unpaired > assetRecords {
			t.Fatalf("%d pairs + %d unpaired from %d asset records", len(assets), unpaired, assetRecords)
		}
		for _, a := range assets {
			checkAsset(t, a)
		}
		visibleNewest(assets, 50)
	})
}

func checkAsset(t *testing.T, a photo.Asset) {
	t.Helper()
	switch {
	case a.ID == "" || a.MasterID == "":
		t.Fatalf("asset without ids: %+v", a)
	case a.Filename == "" || !utf8.ValidString(a.Filename) && a.FilenameSource != photo.FilenameString:
		t.Fatalf("asset without a usable file name: %+v", a)
	case a.Size < -1:
		t.Fatalf("negative size: %+v", a)
	case a.Kind != photo.KindPhoto && a.Kind != photo.KindVideo && a.Kind != photo.KindLivePhoto && a.Kind != photo.KindOther:
		t.Fatalf("kind %q", a.Kind)
	case a.TZOffset != nil && (*a.TZOffset <= -86400 || *a.TZOffset >= 86400):
		t.Fatalf("tz offset %d", *a.TZOffset)
	case !a.Added.IsZero() && (a.Added.Year() < 1970 || a.Added.Year() > 9999):
		t.Fatalf("added %v", a.Added)
	}
	_ = a.TakenLocal()
}

// BenchmarkDecodePage200 decodes and pairs a real 200-record page (the
// 2023 added-date page: 100 CPLMaster + 100 CPLAsset).
func BenchmarkDecodePage200(b *testing.B) {
	body := cassetteAnswer(b, "download_autodelete_photos_part1", "private/records/query", idxAdded, 0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var q ckQueryResponse
		if err := decodeCK("bench", body, &q); err != nil {
			b.Fatal(err)
		}
		p := newPairer("PrimarySync")
		p.add(q.Records)
		if as, _ := p.assets(); len(as) != 100 {
			b.Fatalf("%d assets", len(as))
		}
	}
}
