package fakeicloud

import (
	"strings"
	"testing"
	"time"
)

const privateChanges = photosPrefix + "private/changes/zone"

func changesBody(token string, extra string) string {
	z := `{"zoneID":{"zoneName":"PrimarySync"}`
	if token != "" {
		z += `,"syncToken":"` + token + `"`
	}
	return `{"zones":[` + z + extra + `}]}`
}

type changesPageOut struct {
	code    int
	recs    []map[string]any
	token   string
	more    bool
	errCode string
}

func changesPage(t *testing.T, h *PhotosHandler, body string) changesPageOut {
	t.Helper()
	code, resp, _ := post(t, h, privateChanges, body)
	if code != 200 {
		ec, _ := resp["serverErrorCode"].(string)
		return changesPageOut{code: code, errCode: ec}
	}
	zones, ok := resp["zones"].([]any)
	if !ok || len(zones) != 1 {
		t.Fatalf("zones: %v", resp)
	}
	z := zones[0].(map[string]any)
	out := changesPageOut{code: code}
	out.token, _ = z["syncToken"].(string)
	out.more, _ = z["moreComing"].(bool)
	out.errCode, _ = z["serverErrorCode"].(string)
	if raw, ok := z["records"].([]any); ok {
		for _, r := range raw {
			out.recs = append(out.recs, r.(map[string]any))
		}
	}
	if zid, _ := z["zoneID"].(map[string]any); zid["zoneName"] == nil {
		t.Fatalf("zone entry without zoneID: %v", z)
	}
	return out
}

// drain pages from token until moreComing is false and returns the records
// and the final token.
func drain(t *testing.T, h *PhotosHandler, token, extra string) ([]map[string]any, string, int) {
	t.Helper()
	var all []map[string]any
	for pages := 1; pages < 10000; pages++ {
		p := changesPage(t, h, changesBody(token, extra))
		if p.code != 200 || p.errCode != "" || p.token == "" {
			t.Fatalf("page %d: status %d, error %q, token %q", pages, p.code, p.errCode, p.token)
		}
		all = append(all, p.recs...)
		token = p.token
		if !p.more {
			return all, token, pages
		}
	}
	t.Fatal("changes/zone never ended")
	return nil, "", 0
}

func TestChangesZoneFullEnumerationPages(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 250, Now: genNow})
	h := NewPhotosHandler(lib)
	recs, token, pages := drain(t, h, "", `,"resultsLimit":100`)
	masters, assets := map[string]bool{}, map[string]bool{}
	for _, r := range recs {
		switch r["recordType"] {
		case "CPLMaster":
			masters[r["recordName"].(string)] = true
			if _, ok := r["fields"].(map[string]any)["resOriginalRes"]; !ok {
				t.Fatalf("master without resOriginalRes: %v", r)
			}
		case "CPLAsset":
			assets[r["recordName"].(string)] = true
		default:
			t.Fatalf("unexpected record %v", r)
		}
	}
	if len(assets) != 250 || len(masters) == 0 || len(recs) != len(assets)+len(masters) {
		t.Fatalf("%d assets, %d masters in %d records, want 250 assets and each record once", len(assets), len(masters), len(recs))
	}
	if want := (len(recs) + 99) / 100; pages != want {
		t.Fatalf("%d pages of 100, want %d", pages, want)
	}
	// caught up: the same token, no records, no more coming
	p := changesPage(t, h, changesBody(token, ""))
	if len(p.recs) != 0 || p.more || p.token != token {
		t.Fatalf("caught-up call: %d records, more %v, token changed %v", len(p.recs), p.more, p.token != token)
	}
	// resultsLimit is capped at 200, also at the top level (pyicloud)
	body := `{"zones":[{"zoneID":{"zoneName":"PrimarySync"}}],"resultsLimit":1000}`
	if p := changesPage(t, h, body); len(p.recs) != 200 || !p.more {
		t.Fatalf("resultsLimit 1000: %d records, more %v; want the cap of 200", len(p.recs), p.more)
	}
	if p := changesPage(t, h, `{"zones":[{"zoneID":{"zoneName":"PrimarySync"}}],"resultsLimit":7}`); len(p.recs) != 7 {
		t.Fatalf("top-level resultsLimit 7: %d records", len(p.recs))
	}
}

func TestChangesZoneDeltas(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 100, Now: genNow})
	h := NewPhotosHandler(lib)
	_, token, _ := drain(t, h, "", "")
	added := lib.Add(Asset{Filename: "IMG_9001.HEIC", UTI: "public.heic", Size: 1234, Added: genNow, Taken: genNow})
	hidden := lib.Newest(PrimaryZone, 10)[3]
	if err := lib.Hide(hidden.ID, true); err != nil {
		t.Fatal(err)
	}
	gone := lib.Newest(PrimaryZone, 10)[5]
	if err := lib.Purge(gone.ID); err != nil {
		t.Fatal(err)
	}
	recs, _, _ := drain(t, h, token, "")
	got := map[string]map[string]any{}
	for _, r := range recs {
		got[r["recordName"].(string)] = r
	}
	if got[added.ID]["recordType"] != "CPLAsset" || got[added.MasterID]["recordType"] != "CPLMaster" {
		t.Fatalf("the added asset's two records are missing: %v", recs)
	}
	h1 := got[hidden.ID]
	if h1 == nil || h1["fields"].(map[string]any)["isHidden"].(map[string]any)["value"] != 1.0 {
		t.Fatalf("hidden asset not served modified: %v", h1)
	}
	if got[hidden.MasterID] != nil {
		t.Fatalf("hiding changes the CPLAsset only, yet its master came back")
	}
	for _, name := range []string{gone.ID, gone.MasterID} {
		r := got[name]
		if r == nil || r["deleted"] != true || r["recordType"] != nil {
			t.Fatalf("purged record %s: %v, want {deleted: true, recordType: null}", name, r)
		}
		if _, ok := r["fields"]; ok {
			t.Fatalf("tombstone with fields: %v", r)
		}
	}
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5 (2 added, 1 hidden, 2 purged): %v", len(recs), recs)
	}
	// a soft delete changes both records
	soft := lib.Newest(PrimaryZone, 10)[7]
	_, token2, _ := drain(t, h, token, "")
	if err := lib.Delete(soft.ID, genNow); err != nil {
		t.Fatal(err)
	}
	recs, _, _ = drain(t, h, token2, "")
	if len(recs) != 2 || recs[0]["fields"].(map[string]any)["isDeleted"] == nil {
		t.Fatalf("soft delete: %v", recs)
	}
}

func TestChangesZoneResumeFromPageToken(t *testing.T) {
	lib := Generate(GenOptions{Seed: 7, Assets: 120, Now: genNow})
	h := NewPhotosHandler(lib)
	first := changesPage(t, h, changesBody("", `,"resultsLimit":50`))
	// a change between pages must not shift the resume point
	if err := lib.Hide(lib.Newest(PrimaryZone, 100)[90].ID, true); err != nil {
		t.Fatal(err)
	}
	rest, _, _ := drain(t, h, first.token, `,"resultsLimit":50`)
	seen := map[string]int{}
	for _, r := range append(first.recs, rest...) {
		seen[r["recordName"].(string)]++
	}
	for _, a := range lib.Newest(PrimaryZone, 1000) {
		if seen[a.ID] == 0 || seen[a.MasterID] == 0 {
			t.Fatalf("asset %s lost across pages", a.ID)
		}
	}
	// the same token gives the same page (idempotent, kei's doc)
	again := changesPage(t, h, changesBody(first.token, `,"resultsLimit":50`))
	again2 := changesPage(t, h, changesBody(first.token, `,"resultsLimit":50`))
	if again.token != again2.token || len(again.recs) != len(again2.recs) {
		t.Fatal("a token does not give the same page twice")
	}
}

func TestChangesZoneRefusedToken(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 10, Now: genNow})
	h := NewPhotosHandler(lib)
	_, token, _ := drain(t, h, "", "")
	lib.ForgetSyncTokens()
	code, resp, _ := post(t, h, privateChanges, changesBody(token, ""))
	if code != 400 || resp["serverErrorCode"] != "BAD_REQUEST" || !strings.Contains(resp["reason"].(string), "sync continuation") {
		t.Fatalf("refused token: %d %v", code, resp)
	}
	if code, _, _ := post(t, h, privateChanges, changesBody("bm90LWEtdG9rZW4=", "")); code != 400 {
		t.Fatalf("foreign token: %d", code)
	}
	// unknown zone: an error of that zone inside a 200 answer
	p := changesPage(t, h, `{"zones":[{"zoneID":{"zoneName":"SharedSync-NOPE"}}]}`)
	if p.code != 200 || p.errCode != "ZONE_NOT_FOUND" {
		t.Fatalf("unknown zone: %+v", p)
	}
	// a read, not a mutation
	if len(h.Mutations()) != 0 {
		t.Fatalf("changes/zone recorded as a mutation: %v", h.Mutations())
	}
}

func TestChangesZoneDesiredKeysAndTypes(t *testing.T) {
	h := NewPhotosHandler(Generate(GenOptions{Seed: 5, Assets: 20, Now: genNow}))
	recs, _, _ := drain(t, h, "", `,"desiredRecordTypes":["CPLAsset"],"desiredKeys":["addedDate"]`)
	if len(recs) != 20 {
		t.Fatalf("%d records, want the 20 CPLAsset only", len(recs))
	}
	for _, r := range recs {
		f := r["fields"].(map[string]any)
		if r["recordType"] != "CPLAsset" || len(f) != 1 || f["addedDate"] == nil {
			t.Fatalf("filtered record: %v", r)
		}
	}
}

func TestKnobZoneChangesEmptyPages(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 20, Now: genNow})
	h := NewPhotosHandler(lib)
	if p := changesPage(t, h, changesBody("", "")); len(p.recs) == 0 {
		t.Fatal("off by default: the first page must carry records")
	}
	lib.SetZoneChangesEmptyPages(3)
	token := ""
	for i := 0; i < 3; i++ {
		p := changesPage(t, h, changesBody(token, ""))
		if len(p.recs) != 0 || !p.more {
			t.Fatalf("page %d: %d records, more %v; want empty with more coming", i, len(p.recs), p.more)
		}
		token = p.token
	}
	recs, _, _ := drain(t, h, token, "")
	if len(recs) == 0 {
		t.Fatal("no records after the empty pages")
	}
}

func TestKnobZoneChangesLibraryInfo(t *testing.T) {
	lib := Generate(GenOptions{Seed: 5, Assets: 20, Now: genNow})
	h := NewPhotosHandler(lib)
	_, token, _ := drain(t, h, "", "")
	if recs, _, _ := drain(t, h, token, ""); len(recs) != 0 {
		t.Fatalf("off by default: caught-up token gives %d records", len(recs))
	}
	lib.SetZoneChangesLibraryInfo(true)
	lib.Add(Asset{Filename: "IMG_1.JPG", UTI: "public.jpeg", Size: 10, Added: genNow.Add(time.Minute), Taken: genNow})
	recs, _, _ := drain(t, h, token, `,"desiredRecordTypes":["CPLAsset","CPLMaster"]`)
	info := 0
	for _, r := range recs {
		if r["recordType"] == "CPLLibraryInfo" {
			info++
		}
	}
	if info != 1 || len(recs) != 3 {
		t.Fatalf("%d library info records in %d, want 1 of 3 (served despite desiredRecordTypes)", info, len(recs))
	}
}
