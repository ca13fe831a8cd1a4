package icloudapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

var primaryZone = Zone{Name: fakeicloud.PrimaryZone, Database: dbPrivate}

// readAllChanges pages changes/zone from token to the end.
func readAllChanges(t *testing.T, e *photosEnv, token string) ([]*ZoneChangesPage, string) {
	t.Helper()
	var pages []*ZoneChangesPage
	for i := 0; i < 1000; i++ {
		p, err := e.c.ZoneChanges(context.Background(), primaryZone, token)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		token = p.SyncToken
		if !p.MoreComing {
			return pages, token
		}
	}
	t.Fatal("changes/zone never ended")
	return nil, ""
}

func TestZoneChangesDecodesTheWholeZone(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 3, Assets: 300, Now: photosNow})
	e := newPhotosEnv(t, lib)
	pages, token := readAllChanges(t, e, "")
	masters, assets := map[string]ChangedMaster{}, map[string]ChangedAsset{}
	for _, p := range pages {
		for _, m := range p.Masters {
			masters[m.RecordName] = m
		}
		for _, a := range p.Assets {
			assets[a.RecordName] = a
		}
	}
	if len(assets) != 300 || len(pages) < 3 || token == "" {
		t.Fatalf("%d assets in %d pages (token %q), want 300 in several pages", len(assets), len(pages), token)
	}
	live, alt, hidden, deleted := 0, 0, 0, 0
	for _, want := range lib.Newest(fakeicloud.PrimaryZone, 1000) {
		a, ok := assets[want.ID]
		m := masters[want.MasterID]
		if !ok || a.MasterID != want.MasterID || !a.Added.Equal(want.Added) || !a.Taken.Equal(want.Taken) {
			t.Fatalf("asset %s: got %+v", want.ID, a)
		}
		if m.Size != want.Size || m.LiveSize != want.LiveVideoSize || m.AltSize != want.AltSize {
			t.Fatalf("master of %s: %+v, want size %d live %d alt %d", want.Filename, m, want.Size, want.LiveVideoSize, want.AltSize)
		}
		if want.FilenameForm == "" && m.Filename != want.Filename {
			t.Fatalf("file name %q, want %q", m.Filename, want.Filename)
		}
	}
	for _, a := range assets {
		if a.Hidden {
			hidden++
		}
		if a.Deleted {
			deleted++
		}
	}
	for _, m := range masters {
		if m.LiveSize > 0 {
			live++
		}
		if m.AltSize > 0 {
			alt++
		}
	}
	if live == 0 || alt == 0 || hidden == 0 || deleted == 0 {
		t.Fatalf("live %d, RAW+JPEG %d, hidden %d, deleted %d: the generated mix must show each", live, alt, hidden, deleted)
	}
	// caught up: one request, nothing
	p, err := e.c.ZoneChanges(context.Background(), primaryZone, token)
	if err != nil || p.MoreComing || p.Records != 0 || p.Requests != 1 {
		t.Fatalf("caught up: %+v, %v", p, err)
	}
	// a purge comes back as a tombstone of both records
	gone := lib.Newest(fakeicloud.PrimaryZone, 5)[2]
	if err := lib.Purge(gone.ID); err != nil {
		t.Fatal(err)
	}
	p, err = e.c.ZoneChanges(context.Background(), primaryZone, token)
	if err != nil || len(p.Purged) != 2 || len(p.Assets)+len(p.Masters) != 0 {
		t.Fatalf("after a purge: %+v, %v", p, err)
	}
}

func TestZoneChangesRequestShape(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 3, Assets: 5, Now: photosNow})
	e := newPhotosEnv(t, lib)
	if _, err := e.c.ZoneChanges(context.Background(), primaryZone, ""); err != nil {
		t.Fatal(err)
	}
	reqs := e.photos.Requests()
	var body struct {
		Zones []map[string]json.RawMessage `json:"zones"`
	}
	if err := json.Unmarshal([]byte(reqs[len(reqs)-1].Body), &body); err != nil || len(body.Zones) != 1 {
		t.Fatalf("body %s: %v", reqs[len(reqs)-1].Body, err)
	}
	z := body.Zones[0]
	if _, ok := z["syncToken"]; ok {
		t.Fatal("a first read must send no syncToken (the whole zone)")
	}
	for _, k := range []string{"zoneID", "desiredKeys", "desiredRecordTypes", "resultsLimit"} {
		if _, ok := z[k]; !ok {
			t.Fatalf("zone entry without %s: %s", k, reqs[len(reqs)-1].Body)
		}
	}
}

func TestZoneChangesRefusedTokenIsTyped(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 3, Assets: 5, Now: photosNow})
	e := newPhotosEnv(t, lib)
	_, token := readAllChanges(t, e, "")
	lib.ForgetSyncTokens()
	_, err := e.c.ZoneChanges(context.Background(), primaryZone, token)
	var apiErr *Error
	if !errors.Is(err, ErrSyncTokenRefused) || !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("refused token: %v", err)
	}
	if _, err := e.c.ZoneChanges(context.Background(), primaryZone, ""); err != nil {
		t.Fatalf("a fresh read after a refusal: %v", err)
	}
}

func TestZoneChangesThrottled(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 3, Assets: 5, Now: photosNow})
	e := newPhotosEnv(t, lib)
	e.photos.Inject(fakeicloud.PhotosFault{Path: "changes/zone", CKError: "THROTTLED", Reason: "slow down", TableStatus: true, RetryAfterBody: 3600})
	_, err := e.c.ZoneChanges(context.Background(), primaryZone, "")
	var apiErr *Error
	if !errors.Is(err, ErrThrottled) || !errors.As(err, &apiErr) || apiErr.RetryAfter <= 0 {
		t.Fatalf("throttled: %v", err)
	}
}

func TestZoneChangesEmptyPagesAndOtherTypes(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 3, Assets: 30, Now: photosNow})
	lib.SetZoneChangesEmptyPages(2)
	lib.SetZoneChangesLibraryInfo(true)
	e := newPhotosEnv(t, lib)
	pages, _ := readAllChanges(t, e, "")
	n := 0
	for _, p := range pages {
		n += len(p.Assets)
	}
	if n != 30 || len(pages[0].Assets) != 0 {
		t.Fatalf("%d assets over %d pages, want 30 after the empty ones", n, len(pages))
	}
}

// TestZoneChangesKeysAreDecoded: every field the mirror asks changes/zone
// for is one the decoder reads.
func TestZoneChangesKeysAreDecoded(t *testing.T) {
	decoded := map[string]bool{}
	ft := reflect.TypeFor[ckFields]()
	for i := range ft.NumField() {
		name, _, _ := strings.Cut(ft.Field(i).Tag.Get("json"), ",")
		decoded[name] = true
	}
	for _, k := range zoneChangesKeys {
		if !decoded[k] {
			t.Errorf("zoneChangesKeys asks for %q, which the decoder never reads", k)
		}
	}
}

// TestSnapshotSaysWhichZonesChanged: the audit mirror asks changes/zone
// only for zones changes/database listed (or on a first snapshot).
func TestSnapshotSaysWhichZonesChanged(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 3, Assets: 50, Now: photosNow})
	e := newPhotosEnv(t, lib)
	opts := SnapshotOptions{Newest: 10, Libraries: []string{"all"}}
	changed := func() map[string]bool {
		s, _ := e.snap(opts)
		opts.Previous = s
		out := map[string]bool{}
		for _, l := range s.Libraries {
			out[l.Zone.Name] = l.ZoneChanged
		}
		return out
	}
	if c := changed(); !c[fakeicloud.PrimaryZone] || !c[fakeicloud.SharedZone] {
		t.Fatalf("first snapshot: %v, want every zone (no token to ask with)", c)
	}
	if c := changed(); c[fakeicloud.PrimaryZone] || c[fakeicloud.SharedZone] {
		t.Fatalf("unchanged: %v", c)
	}
	lib.Add(fakeicloud.Asset{Zone: fakeicloud.SharedZone, Filename: "IMG_1.JPG", UTI: "public.jpeg", Size: 5, Added: photosNow, Taken: photosNow})
	if c := changed(); c[fakeicloud.PrimaryZone] || !c[fakeicloud.SharedZone] {
		t.Fatalf("after an upload to the Shared Library: %v", c)
	}
}
