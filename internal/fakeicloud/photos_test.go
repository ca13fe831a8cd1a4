package fakeicloud

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, h http.Handler, path, body string) (int, map[string]any, http.Header) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil && w.Code == http.StatusOK {
		t.Fatalf("%s: %v in %q", path, err, w.Body.String())
	}
	return w.Code, out, w.Header()
}

func records(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	raw, ok := m["records"].([]any)
	if !ok {
		t.Fatalf("no records in %v", m)
	}
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i] = r.(map[string]any)
	}
	return out
}

const privateQuery = photosPrefix + "private/records/query"

func addedQuery(start, limit int, keys string) string {
	return `{"query":{"recordType":"CPLAssetAndMasterByAddedDate","filterBy":[` +
		`{"fieldName":"startRank","comparator":"EQUALS","fieldValue":{"type":"INT64","value":` + itoa(int64(start)) + `}},` +
		`{"fieldName":"direction","comparator":"EQUALS","fieldValue":{"type":"STRING","value":"ASCENDING"}}]},` +
		`"zoneID":{"zoneName":"PrimarySync"},"resultsLimit":` + itoa(int64(limit)) + keys + `}`
}

func TestQueryPageShape(t *testing.T) {
	h := NewPhotosHandler(Generate(GenOptions{Seed: 5, Assets: 1000, Now: genNow}))
	code, resp, _ := post(t, h, privateQuery, addedQuery(0, 200, ""))
	recs := records(t, resp)
	if code != 200 || len(recs) != 200 || resp["syncToken"] == "" || resp["continuationMarker"] == nil {
		t.Fatalf("status %d, %d records, token %v, marker %v", code, len(recs), resp["syncToken"], resp["continuationMarker"])
	}
	for i, r := range recs {
		want := "CPLMaster"
		if i >= 100 {
			want = "CPLAsset"
		}
		if r["recordType"] != want {
			t.Fatalf("record %d is %v, want %s (masters first, then assets)", i, r["recordType"], want)
		}
	}
	first := recs[100]["fields"].(map[string]any)
	ref := first["masterRef"].(map[string]any)["value"].(map[string]any)
	if ref["recordName"] != recs[0]["recordName"] {
		t.Errorf("first asset refers to %v, first master is %v", ref["recordName"], recs[0]["recordName"])
	}

	_, odd, _ := post(t, h, privateQuery, addedQuery(0, 199, ""))
	if recs := records(t, odd); len(recs) != 199 || recs[99]["recordType"] != "CPLMaster" {
		t.Errorf("odd limit: %d records; the last pair must be split", len(recs))
	}
	_, filtered, _ := post(t, h, privateQuery, addedQuery(0, 2, `,"desiredKeys":["addedDate","masterRef"]`))
	for _, r := range records(t, filtered) {
		for k := range r["fields"].(map[string]any) {
			if k != "addedDate" && k != "masterRef" {
				t.Errorf("field %s served although not desired", k)
			}
		}
	}
	_, end, _ := post(t, h, privateQuery, addedQuery(1000, 200, ""))
	if n := len(records(t, end)); n != 0 {
		t.Errorf("past the end: %d records", n)
	}
}

func TestSharedDatabaseNeedsFullZoneID(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 100, Now: genNow})
	lib.SetSharedParticipant(true)
	h := NewPhotosHandler(lib)
	_, zones, _ := post(t, h, photosPrefix+"shared/zones/list", `{}`)
	names := ""
	for _, z := range zones["zones"].([]any) {
		names += z.(map[string]any)["zoneID"].(map[string]any)["zoneName"].(string) + " "
	}
	if !strings.Contains(names, SharedZone) || !strings.Contains(names, ShareLinkZone) {
		t.Errorf("shared zones = %s", names)
	}
	q := `{"query":{"recordType":"CheckIndexingState"},"zoneID":{"zoneName":"` + SharedZone + `"%s}}`
	_, bare, _ := post(t, h, photosPrefix+"shared/records/query", strings.Replace(q, "%s", "", 1))
	if bare["serverErrorCode"] != "ZONE_NOT_FOUND" {
		t.Errorf("bare zone name answered %v", bare)
	}
	_, full, _ := post(t, h, photosPrefix+"shared/records/query", strings.Replace(q, "%s", `,"ownerRecordName":"`+otherOwner+`"`, 1))
	if recs := records(t, full); recs[0]["recordType"] != "CheckIndexingState" {
		t.Errorf("full zone id answered %v", full)
	}
}

func TestChangesDatabaseTokens(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 100, Now: genNow})
	h := NewPhotosHandler(lib)
	path := photosPrefix + "private/changes/database"
	_, base, _ := post(t, h, path, `{}`)
	if n := len(base["zones"].([]any)); n != 2 {
		t.Errorf("baseline lists %d zones, want PrimarySync and the owned SharedSync", n)
	}
	tok := base["syncToken"].(string)
	_, same, _ := post(t, h, path, `{"syncToken":"`+tok+`"}`)
	if n := len(same["zones"].([]any)); n != 0 {
		t.Errorf("unchanged library lists %d changed zones", n)
	}
	lib.Add(Asset{Filename: "IMG_1.HEIC", UTI: "public.heic", Size: 1, Added: genNow, Taken: genNow})
	_, changed, _ := post(t, h, path, `{"syncToken":"`+tok+`"}`)
	zones := changed["zones"].([]any)
	if len(zones) != 1 || zones[0].(map[string]any)["zoneID"].(map[string]any)["zoneName"] != PrimaryZone || changed["syncToken"] == tok {
		t.Errorf("after Add: %v", changed)
	}
	_, bad, _ := post(t, h, path, `{"syncToken":"bm90LWEtdG9rZW4="}`)
	if bad["serverErrorCode"] != "BAD_REQUEST" {
		t.Errorf("foreign token answered %v", bad)
	}
}

func TestCountsAndStorage(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 1000, Now: genNow})
	h := NewPhotosHandler(lib)
	body := `{"batch":[{"resultsLimit":1,"query":{"filterBy":{"fieldName":"indexCountID","fieldValue":{"type":"STRING_LIST","value":["CPLAssetDeletedByExpungedDate"]},"comparator":"IN"},"recordType":"HyperionIndexCountLookup"},"zoneWide":true,"zoneID":{"zoneName":"PrimarySync"}}]}`
	_, resp, _ := post(t, h, photosPrefix+"private/internal/records/query/batch", body)
	entry := resp["batch"].([]any)[0].(map[string]any)
	got := records(t, entry)[0]["fields"].(map[string]any)["itemCount"].(map[string]any)["value"].(float64)
	if int(got) != len(lib.RecentlyDeleted(PrimaryZone)) {
		t.Errorf("deleted count %v, want %d", got, len(lib.RecentlyDeleted(PrimaryZone)))
	}
	used, total := lib.Storage()
	_, st0, _ := post(t, h, storagePath, ``)
	info0 := st0["storageUsageInfo"].(map[string]any)
	if used <= 0 || info0["usedStorageInBytes"].(float64) != float64(used) || info0["totalStorageInBytes"].(float64) != float64(total) {
		t.Errorf("Storage() = %d, %d; the endpoint answers %v", used, total, info0)
	}
	lib.SetStorage(190<<30, 200<<30)
	if used, total := lib.Storage(); used != 190<<30 || total != 200<<30 {
		t.Errorf("Storage() after SetStorage = %d, %d", used, total)
	}
	_, st, _ := post(t, h, storagePath, ``)
	info := st["storageUsageInfo"].(map[string]any)
	if info["usedStorageInBytes"].(float64) != 190<<30 || info["totalStorageInBytes"].(float64) != 200<<30 {
		t.Errorf("storage = %v", info)
	}
}

func TestMutatingPathsRefusedAndRecorded(t *testing.T) {
	h := NewPhotosHandler(Generate(GenOptions{Seed: 5, Assets: 10, Now: genNow}))
	for _, p := range []string{"private/records/modify", "private/zones/modify", "private/assets/upload", "shared/records/modify"} {
		if code, _, _ := post(t, h, photosPrefix+p, `{"operations":[]}`); code != http.StatusForbidden {
			t.Errorf("%s answered %d, want 403", p, code)
		}
	}
	if n := len(h.Mutations()); n != 4 {
		t.Errorf("%d mutations recorded, want 4", n)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, privateQuery, nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET answered %d", w.Code)
	}
}

func TestFaults(t *testing.T) {
	h := NewPhotosHandler(Generate(GenOptions{Seed: 5, Assets: 10, Now: genNow}))
	h.Inject(PhotosFault{Path: "records/query", Status: 503, RetryAfter: "120", Times: 1})
	h.Inject(PhotosFault{Path: "zones/list", CKError: "ACCESS_DENIED", Reason: "private db access disabled for this account"})
	code, _, hdr := post(t, h, privateQuery, addedQuery(0, 2, ""))
	if code != 503 || hdr.Get("Retry-After") != "120" {
		t.Errorf("503 fault: %d %q", code, hdr.Get("Retry-After"))
	}
	if code, _, _ := post(t, h, privateQuery, addedQuery(0, 2, "")); code != 200 {
		t.Errorf("fault with Times 1 fired twice (%d)", code)
	}
	for range 2 {
		if _, z, _ := post(t, h, photosPrefix+"private/zones/list", `{}`); z["serverErrorCode"] != "ACCESS_DENIED" {
			t.Errorf("body-level fault: %v", z)
		}
	}
	h.Inject(PhotosFault{Path: "storageUsageInfo", Delay: time.Hour})
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, storagePath, nil)
	ctx, cancel := context.WithCancel(req.Context())
	cancel()
	h.ServeHTTP(w, req.WithContext(ctx))
	if w.Body.Len() != 0 {
		t.Errorf("a timed-out request got an answer: %q", w.Body.String())
	}
}

// BenchmarkQueryPage100k serves one 200-record page of a 100 000-asset
// library: the cost must not depend on the library size.
func BenchmarkQueryPage100k(b *testing.B) {
	h := NewPhotosHandler(Generate(GenOptions{Seed: 9, Assets: 100_000, Now: genNow}))
	body := addedQuery(50_000, 200, "")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, privateQuery, strings.NewReader(body)))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// TestSharedExtraFields: off by default every answer holds only the
// desired fields; with SetSharedExtraFields the Shared Library's records
// also carry the unlisted fields seen in the recorded SharedSync answer,
// and PrimarySync's still do not.
func TestSharedExtraFields(t *testing.T) {
	lib := Generate(GenOptions{Seed: 3, Assets: 300, Now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)})
	h := NewPhotosHandler(lib)
	desired := `,"desiredKeys":["addedDate","masterRef","filenameEnc"]`
	shared := strings.Replace(addedQuery(0, 4, desired), `"zoneName":"PrimarySync"`, `"zoneName":"`+SharedZone+`"`, 1)
	unlisted := func(body map[string]any) []string {
		var out []string
		for _, r := range records(t, body) {
			for k := range r["fields"].(map[string]any) {
				if k != "addedDate" && k != "masterRef" && k != "filenameEnc" {
					out = append(out, k)
				}
			}
		}
		return out
	}
	_, off, _ := post(t, h, privateQuery, shared)
	if u := unlisted(off); len(u) != 0 || len(records(t, off)) != 4 {
		t.Errorf("knob off: unlisted fields %v in %d records", u, len(records(t, off)))
	}
	lib.SetSharedExtraFields(true)
	_, on, _ := post(t, h, privateQuery, shared)
	if u := unlisted(on); !slices.Contains(u, "contributors") || !slices.Contains(u, "mediaMetaDataEnc") || !slices.Contains(u, "mostRecentAddedDate") {
		t.Errorf("knob on: unlisted fields %v, want the recorded SharedSync ones", u)
	}
	size := func(m map[string]any) int {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	if size(on) < size(off)+4_000 {
		t.Errorf("knob on: %d bytes for 4 records vs %d off; the recorded extras are about 2.8 kB per pair", size(on), size(off))
	}
	_, primary, _ := post(t, h, privateQuery, addedQuery(0, 4, desired))
	if u := unlisted(primary); len(u) != 0 {
		t.Errorf("knob on, PrimarySync: unlisted fields %v", u)
	}
}
