package icloudapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// The contract between the fake and Apple: every JSON path the fake serves
// (envelope keys, field names with their CloudKit type, the keys inside
// ASSETID and REFERENCE values) must occur in a recorded real answer with
// the same JSON kind, and the fake's pages must decode completely.

// shape flattens an answer into "path: kind" entries; array elements
// share one path, record fields are keyed by record type.
func shape(t *testing.T, body []byte) map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	walkShape(v, "", "", out)
	return out
}

func walkShape(v any, path, recType string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if rt, ok := x["recordType"].(string); ok {
			recType = rt
		}
		out[path+": object"] = true
		for k, c := range x {
			p := path + "." + k
			if strings.HasSuffix(path, ".fields") {
				typ, _ := c.(map[string]any)["type"].(string)
				p = recType + ".fields." + k + "(" + typ + ")"
			}
			walkShape(c, p, recType, out)
		}
	case []any:
		out[path+": array"] = true
		for _, c := range x {
			walkShape(c, path+"[]", recType, out)
		}
	case string:
		out[path+": string"] = true
	case float64:
		out[path+": number"] = true
	case bool:
		out[path+": bool"] = true
	case nil:
		out[path+": null"] = true
	}
}

func union(sets ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, s := range sets {
		for k := range s {
			out[k] = true
		}
	}
	return out
}

// fakeAnswer asks the fake's handler what the client would ask.
func fakeAnswer(t *testing.T, h http.Handler, path string, body any) []byte {
	t.Helper()
	b, _ := json.Marshal(body)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/database/1/com.apple.photos.cloud/production/"+path, strings.NewReader(string(b))))
	if w.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", path, w.Code, w.Body.String())
	}
	return w.Body.Bytes()
}

// notRecorded lists fields the fake serves that no kept recording shows,
// each with the reason it is still right (matched as path prefixes).
var notRecorded = map[string]string{
	"CPLMaster.fields.resOriginalAltRes(ASSETID)":          "RAW+JPEG second original: icloudpd's RAW cassettes are hand-edited and not kept",
	"CPLMaster.fields.resOriginalAltFileType(STRING)":      "RAW+JPEG second original, as above",
	"CPLAsset.fields.resVidFullRes(ASSETID)":               "edited video rendition; named by icloudpd and icloud-photos-sync, no edited video recorded",
	"CPLAsset.fields.resVidFullFileType(STRING)":           "edited video rendition, as above",
	"CPLAsset.fields.burstId(STRING)":                      "burst id: in the web client's desiredKeys; no burst in the recordings",
	"CPLMaster.fields.dateExpunged(TIMESTAMP).value: null": "dateExpunged null: seen by kei in changes; the client must tolerate it",
	"CPLAsset.fields.dateExpunged(TIMESTAMP).value: null":  "as above",
}

func allowed(k string) bool {
	for p := range notRecorded {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func TestFakeMatchesRecordedShapes(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 21, Assets: 3000, Now: photosNow})
	h := fakeicloud.NewPhotosHandler(lib)
	primary := ckZoneID{ZoneName: "PrimarySync"}
	real := union(
		shape(t, cassetteAnswer(t, "listing_photos", "private/records/query", idxAdded, 0)),
		shape(t, cassetteAnswer(t, "download_autodelete_photos_part1", "private/records/query", idxAdded, 0)),
		shape(t, cassetteAnswer(t, "download_autodelete_photos_part2", "private/records/query", idxDeleted, 0)),
		shape(t, cassetteAnswer(t, "autodelete_photos", "private/records/query", idxDeleted, 0)),
	)
	pages := map[string][]byte{
		"added":   fakeAnswer(t, h, "private/records/query", listQuery(idxAdded, primary, 0, 200)),
		"added2":  fakeAnswer(t, h, "private/records/query", listQuery(idxAdded, primary, 100, 200)),
		"deleted": fakeAnswer(t, h, "private/records/query", listQuery(idxDeleted, primary, 0, 200)),
	}
	var missing []string
	for name, page := range pages {
		for k := range shape(t, page) {
			if !real[k] && !allowed(k) {
				missing = append(missing, name+" "+k)
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("the fake serves a shape no real answer has: %s", m)
	}
	checkFakeDecodes(t, lib, pages)
}

func checkFakeDecodes(t *testing.T, lib *fakeicloud.Library, pages map[string][]byte) {
	t.Helper()
	added, _ := pairPage(t, pages["added"], "PrimarySync")
	deleted, _ := pairPage(t, pages["deleted"], "PrimarySync")
	if len(added) != 100 || len(deleted) != len(lib.RecentlyDeleted(fakeicloud.PrimaryZone)) {
		t.Fatalf("decoded %d added, %d deleted", len(added), len(deleted))
	}
	want := lib.Newest(fakeicloud.PrimaryZone, 3000)
	byID := map[string]fakeicloud.Asset{}
	for _, a := range want {
		byID[a.ID] = a
	}
	for _, a := range added {
		checkAsset(t, a)
		f, ok := byID[a.ID]
		if !ok {
			if !a.Hidden && !a.Deleted {
				t.Errorf("%s decoded but not in the library", a.ID)
			}
			continue
		}
		if got, exp := fmt.Sprint(a.Size, a.UTI, a.Added.UnixMilli(), a.Taken.UnixMilli(), *a.TZOffset),
			fmt.Sprint(f.Size, f.UTI, f.Added.UnixMilli(), f.Taken.UnixMilli(), f.TZOffset); got != exp {
			t.Errorf("%s: decoded %s, library has %s", a.ID, got, exp)
		}
		if f.FilenameForm != "missing" && a.Filename != f.Filename {
			t.Errorf("%s: filename %q, library has %q", a.ID, a.Filename, f.Filename)
		}
		if (f.LiveVideoSize > 0) != (a.LiveVideo != nil) || (f.EditUTI != "") != (a.Edited != nil) || (f.AltUTI != "") != (a.Alternative != nil) {
			t.Errorf("%s: resources differ: %+v vs %+v", a.ID, a, f)
		}
	}
}

// TestFakeZonesCountsIndexingMatchRecordedShapes covers the other answers.
func TestFakeZonesCountsIndexingMatchRecordedShapes(t *testing.T) {
	h := fakeicloud.NewPhotosHandler(fakeicloud.Generate(fakeicloud.GenOptions{Seed: 21, Assets: 50, Now: photosNow}))
	primary := ckZoneID{ZoneName: "PrimarySync"}
	recorded := func(pathSuffix, contains string) map[string]bool {
		out := map[string]bool{}
		for _, name := range []string{"listing_photos", "download_autodelete_photos_part1", "download_autodelete_photos_part2"} {
			for _, e := range loadCassette(t, name) {
				if strings.HasSuffix(e.Path, pathSuffix) && strings.Contains(e.Request, contains) {
					out = union(out, shape(t, []byte(e.Response)))
				}
			}
		}
		if len(out) == 0 {
			t.Fatalf("no recorded %s", pathSuffix)
		}
		return out
	}
	cases := []struct {
		name string
		fake []byte
		real map[string]bool
	}{
		{"zones/list", fakeAnswer(t, h, "private/zones/list", struct{}{}), recorded("private/zones/list", "")},
		{"indexing", fakeAnswer(t, h, "private/records/query", indexingQuery(primary)), recorded("private/records/query", recIndexing)},
		{"count", fakeAnswer(t, h, "private/internal/records/query/batch", ckBatchRequest{Batch: []ckQueryRequest{countQuery(countAdded, primary)}}),
			recorded("private/internal/records/query/batch", countAdded)},
		{"changes/database", fakeAnswer(t, h, "private/changes/database", ckChangesRequest{}),
			union(recorded("private/zones/list", ""), shape(t, readTestdata(t, "pyicloud/photos_database_changes_response.json")))},
	}
	for _, c := range cases {
		for k := range shape(t, c.fake) {
			if !c.real[k] {
				t.Errorf("%s: the fake serves %s, no real answer has it", c.name, k)
			}
		}
	}
}
