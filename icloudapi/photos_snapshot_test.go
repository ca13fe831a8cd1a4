package icloudapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
	"github.com/icloudmon/icloudmon/photo"
)

const photosPassword = "correct horse battery staple"

var photosNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// photosEnv is a signed-in client against the fake with a generated library.
type photosEnv struct {
	t      *testing.T
	srv    *fakeicloud.Server
	photos *fakeicloud.PhotosHandler
	lib    *fakeicloud.Library
	c      *Client
	now    time.Time
}

func newPhotosEnv(t *testing.T, lib *fakeicloud.Library) *photosEnv {
	t.Helper()
	return newPhotosEnvDSID(t, lib, "")
}

// newPhotosEnvDSID is newPhotosEnv for an account with the given dsid
// ("" = the fake's default).
func newPhotosEnvDSID(t *testing.T, lib *fakeicloud.Library, dsid string) *photosEnv {
	t.Helper()
	h := fakeicloud.NewPhotosHandler(lib)
	return startPhotosEnv(t, lib, h, h, dsid)
}

// startPhotosEnv starts the fake with served answering the Photos paths
// (h itself, or a wrapper of it) and signs a client in.
func startPhotosEnv(t *testing.T, lib *fakeicloud.Library, h *fakeicloud.PhotosHandler, served http.Handler, dsid string) *photosEnv {
	t.Helper()
	e := &photosEnv{t: t, photos: h, lib: lib, now: photosNow}
	clock := func() time.Time { return e.now }
	e.srv = fakeicloud.New(fakeicloud.Options{Scenario: fakeicloud.Scenario{AppleID: "alice@example.com", Password: photosPassword, DSID: dsid},
		Photos: served, Now: clock})
	t.Cleanup(e.srv.Close)
	c, err := New(Options{AppleID: "alice@example.com", AuthURL: e.srv.AuthURL(), SetupURL: e.srv.SetupURL(), HomeURL: e.srv.HomeURL(),
		RootCAs: e.srv.CertPool(), Now: clock, RetryWait: time.Millisecond, RetryMaxWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SignIn(context.Background(), photosPassword); err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

// snap takes a snapshot and returns it with the number of HTTP requests
// the fake saw (Photos paths, storage and any re-validation).
func (e *photosEnv) snap(opts SnapshotOptions) (*PhotosSnapshot, int) {
	e.t.Helper()
	before := len(e.srv.Requests())
	e.photos.ResetLog()
	s, err := e.c.PhotosSnapshot(context.Background(), opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return s, len(e.srv.Requests()) - before
}

func (e *photosEnv) noMutations() {
	e.t.Helper()
	if m := e.photos.Mutations(); len(m) != 0 {
		e.t.Errorf("the client sent %d mutating requests: %+v", len(m), m)
	}
	for _, r := range e.srv.Requests() {
		if r.Method != "POST" && strings.Contains(r.Path, "/database/") {
			e.t.Errorf("%s %s", r.Method, r.Path)
		}
	}
}

func assetIDs(as []photo.Asset) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func fakeIDs(as []fakeicloud.Asset) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// TestRequestBudget: after the first cycle, an unchanged library costs at
// most 2 requests and a changed one at most 6, the same at 1 000 and
// 100 000 assets.
func TestRequestBudget(t *testing.T) {
	costs := map[int][]int{}
	for _, size := range []int{1_000, 100_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			costs[size] = budgetCycles(t, size)
		})
	}
	if d := cmp.Diff(costs[1_000], costs[100_000]); d != "" {
		t.Errorf("request counts depend on the library size (-1k +100k):\n%s", d)
	}
	t.Logf("requests per cycle [cold, unchanged, personal changed, both changed, deletion, unchanged, a day later (zones re-listed, libraries re-read), unchanged]: %v", costs[1_000])
}

func budgetCycles(t *testing.T, size int) []int {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 11, Assets: size, Now: photosNow})
	e := newPhotosEnv(t, lib)
	opts := SnapshotOptions{Newest: 50, Libraries: []string{"all"}}
	var costs []int
	s, n := e.snap(opts)
	costs = append(costs, n)
	check := func(label string, max int, changed bool) {
		t.Helper()
		// the previous snapshot goes through JSON, as the agent stores it
		// across restarts (agent/icloud.go saveSnapshot, loadSnapshot)
		var prev PhotosSnapshot
		data, err := json.Marshal(s)
		if err == nil {
			err = json.Unmarshal(data, &prev)
		}
		if err != nil {
			t.Fatalf("snapshot JSON round trip: %v", err)
		}
		opts.Previous = &prev
		e.now = e.now.Add(time.Hour)
		s, n = e.snap(opts)
		costs = append(costs, n)
		if n > max || s.Changed != changed {
			t.Errorf("%s: %d requests (max %d), changed=%v (want %v)", label, n, max, s.Changed, changed)
		}
		for _, z := range []string{fakeicloud.PrimaryZone, fakeicloud.SharedZone} {
			if d := cmp.Diff(fakeIDs(lib.Newest(z, 50)), assetIDs(s.Library(z).Newest)); d != "" {
				t.Errorf("%s: %s newest-50 differs from the library (-want +got):\n%s", label, z, d)
			}
		}
	}
	check("unchanged", 2, false)
	lib.Add(fakeicloud.Asset{Filename: "IMG_9001.HEIC", UTI: "public.heic", Size: 2_000_000, Added: e.now, Taken: e.now})
	check("personal changed", 6, true)
	lib.Add(fakeicloud.Asset{Filename: "IMG_9002.HEIC", UTI: "public.heic", Size: 2_000_000, Added: e.now, Taken: e.now})
	lib.Add(fakeicloud.Asset{Zone: fakeicloud.SharedZone, Filename: "IMG_9003.JPG", UTI: "public.jpeg", Size: 900_000, Added: e.now, Taken: e.now})
	check("both changed", 6, true)
	victim := lib.Newest(fakeicloud.PrimaryZone, 3)[2]
	if err := lib.Delete(victim.ID, e.now); err != nil {
		t.Fatal(err)
	}
	check("deletion", 6, true)
	if !s.RecentlyDeletedPartial && !containsID(s.RecentlyDeleted, victim.ID) {
		t.Errorf("the deleted %s is not in Recently Deleted", victim.Filename)
	}
	check("unchanged again", 2, false)
	e.now = e.now.Add(24 * time.Hour) // the zone list and the libraries are due again
	check("a day later: zones re-listed, libraries read again", 6, true)
	if !s.ZonesListedAt.Equal(e.now) || s.Storage == nil || s.StorageReadAt.Equal(e.now) {
		t.Errorf("zones listed %v, storage read %v (now %v): the re-list cycle must carry storage over", s.ZonesListedAt, s.StorageReadAt, e.now)
	}
	check("unchanged after the re-list", 2, false)
	if !s.StorageReadAt.Equal(e.now) {
		t.Errorf("storage not read again after the re-list cycle")
	}
	e.noMutations()
	return costs
}

func containsID(as []photo.Asset, id string) bool {
	for _, a := range as {
		if a.ID == id {
			return true
		}
	}
	return false
}

// TestSnapshotNewestIncludesOldPhotoAddedYesterday: the newest 50 by date
// added include a 2009 photo added yesterday, which a by-date-taken walk
// misses.
func TestSnapshotNewestIncludesOldPhotoAddedYesterday(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 2, Assets: 2_000, Now: photosNow})
	e := newPhotosEnv(t, lib)
	s, _ := e.snap(SnapshotOptions{Newest: 50})
	lib0 := s.Library("PrimarySync")
	if lib0 == nil || len(lib0.Newest) != 50 {
		t.Fatalf("personal library: %+v", lib0)
	}
	var old *photo.Asset
	for i, a := range lib0.Newest {
		if a.Filename == fakeicloud.OldPhotoFilename {
			old = &lib0.Newest[i]
		}
		if a.Hidden || a.Deleted {
			t.Errorf("%s is hidden=%v deleted=%v but reported", a.Filename, a.Hidden, a.Deleted)
		}
	}
	if old == nil {
		t.Fatalf("%s missing from the newest 50", fakeicloud.OldPhotoFilename)
	}
	if old.Taken.Year() != 2009 || photosNow.Sub(old.Added) > 30*time.Hour || old.Size != 2_847_114 {
		t.Errorf("old photo = %+v", *old)
	}
	if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.PrimaryZone, 50)), assetIDs(lib0.Newest)); d != "" {
		t.Errorf("newest-50 (-want +got):\n%s", d)
	}
	if s.Library(fakeicloud.SharedZone) != nil {
		t.Error("the Shared Library was read although only the personal library was selected")
	}
	if len(s.Zones) != 2 {
		t.Errorf("zones = %+v; want PrimarySync and SharedSync (the CMM share-link zone skipped)", s.Zones)
	}
}

// TestSnapshotContents: Recently Deleted with purge times (one null),
// counts, storage and a participant's Shared Library in the shared
// database, read with its full zone id.
func TestSnapshotContents(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 4, Assets: 3_000, Now: photosNow})
	lib.SetSharedParticipant(true)
	lib.SetStorage(190<<30, 200<<30)
	e := newPhotosEnv(t, lib)
	s, n := e.snap(SnapshotOptions{Newest: 120, Libraries: []string{"all"}})
	t.Logf("cold snapshot of personal + participant Shared Library: %d requests", n)
	personal, shared := s.Library("PrimarySync"), s.Library(fakeicloud.SharedZone)
	if personal == nil || shared == nil || shared.Zone.Database != "shared" || !shared.Zone.Participant() {
		t.Fatalf("libraries = %+v", s.Libraries)
	}
	if len(personal.Newest) != 120 || len(shared.Newest) != 120 {
		t.Errorf("newest: %d personal, %d shared; want 120 each (paging past 100)", len(personal.Newest), len(shared.Newest))
	}
	if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.SharedZone, 120)), assetIDs(shared.Newest)); d != "" {
		t.Errorf("shared newest (-want +got):\n%s", d)
	}
	want := lib.RecentlyDeleted(fakeicloud.PrimaryZone)
	if s.RecentlyDeletedCount != int64(len(want)) || len(s.RecentlyDeleted) != len(want) {
		t.Fatalf("Recently Deleted: %d of %d, want %d", len(s.RecentlyDeleted), s.RecentlyDeletedCount, len(want))
	}
	nulls := 0
	for i, a := range s.RecentlyDeleted {
		if a.Purge.IsZero() {
			nulls++
		} else if i > 0 && a.Purge.Before(s.RecentlyDeleted[i-1].Purge) {
			t.Errorf("Recently Deleted not in purge order at %d", i)
		}
	}
	if nulls != 1 {
		t.Errorf("%d items without purge time, want 1 (dateExpunged null)", nulls)
	}
	if personal.Counts.Visible <= 0 || personal.Counts.Hidden <= 0 || personal.Counts.Deleted != int64(len(want)) {
		t.Errorf("counts = %+v", personal.Counts)
	}
	if s.Storage == nil || s.Storage.Used != 190<<30 || s.Storage.Total != 200<<30 || len(s.Storage.ByMedia) != 3 {
		t.Errorf("storage = %+v (%s)", s.Storage, s.StorageError)
	}
	if r := s.Storage.FreeRatio(); r < 0.049 || r > 0.051 {
		t.Errorf("free ratio = %v", r)
	}
	// A participant's library lives in the shared database, which has its
	// own changes/database: an unchanged cycle costs one request more.
	if again, n := e.snap(SnapshotOptions{Newest: 120, Libraries: []string{"all"}, Previous: s}); again.Changed || n > 3 {
		t.Errorf("unchanged cycle with a participant library: changed=%v, %d requests (max 3)", again.Changed, n)
	}
	e.noMutations()
}

// TestSnapshotRecentlyDeletedTailWindow: with more than 100 items the
// window nearest to purge is read.
func TestSnapshotRecentlyDeletedTailWindow(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 6, Assets: 20_000, Deleted: 150, Now: photosNow})
	e := newPhotosEnv(t, lib)
	s, _ := e.snap(SnapshotOptions{})
	all := lib.RecentlyDeleted(fakeicloud.PrimaryZone)
	if !s.RecentlyDeletedPartial || s.RecentlyDeletedCount != int64(len(all)) || len(s.RecentlyDeleted) != 100 {
		t.Fatalf("partial=%v count=%d read=%d (library has %d)", s.RecentlyDeletedPartial, s.RecentlyDeletedCount, len(s.RecentlyDeleted), len(all))
	}
	tail := map[string]bool{}
	for _, a := range all[len(all)-100:] {
		tail[a.ID] = true
	}
	for _, a := range s.RecentlyDeleted {
		if !tail[a.ID] {
			t.Errorf("%s is not among the 100 nearest to purge", a.ID)
		}
	}
}

// TestSnapshotIgnoresOtherVersion: a previous snapshot stored by another
// version is not reused; the library is read afresh, as on a cold start.
func TestSnapshotIgnoresOtherVersion(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 11, Assets: 1_000, Now: photosNow})
	e := newPhotosEnv(t, lib)
	opts := SnapshotOptions{Newest: 50, Libraries: []string{"all"}}
	s, cold := e.snap(opts)
	s.Version = snapshotVersion + 1
	opts.Previous = s
	if _, n := e.snap(opts); n != cold {
		t.Errorf("a snapshot of version %d cost %d requests, want the cold %d", s.Version, n, cold)
	}
}

// TestSnapshotSharedLibraryRemoved: changes/database reports the Shared
// Library zone as deleted; the next snapshot drops it without an error.
func TestSnapshotSharedLibraryRemoved(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 12, Assets: 500, Now: photosNow})
	e := newPhotosEnv(t, lib)
	s, _ := e.snap(SnapshotOptions{Libraries: []string{"all"}})
	if s.Library(fakeicloud.SharedZone) == nil {
		t.Fatal("no Shared Library at first")
	}
	lib.RemoveSharedLibrary()
	s2, n := e.snap(SnapshotOptions{Libraries: []string{"all"}, Previous: s})
	if s2.Library(fakeicloud.SharedZone) != nil || len(s2.Zones) != 1 || s2.Library("PrimarySync") == nil {
		t.Errorf("after removal: zones %+v", s2.Zones)
	}
	if n > 2 {
		t.Errorf("%d requests; only the removed zone changed", n)
	}
}

// TestSnapshotPagesSplittingPairs: every page ends with a master whose
// asset comes on the next page; paging past 100 must neither lose nor
// repeat an asset.
func TestSnapshotPagesSplittingPairs(t *testing.T) {
	lib := fakeicloud.Generate(fakeicloud.GenOptions{Seed: 13, Assets: 1_000, Now: photosNow})
	lib.SetSplitPages(true)
	e := newPhotosEnv(t, lib)
	s, n := e.snap(SnapshotOptions{Newest: 250})
	got := s.Library("PrimarySync")
	if d := cmp.Diff(fakeIDs(lib.Newest(fakeicloud.PrimaryZone, 250)), assetIDs(got.Newest)); d != "" {
		t.Errorf("newest 250 over split pages (-want +got):\n%s", d)
	}
	if got.Unpaired != 0 {
		t.Errorf("%d unpaired", got.Unpaired)
	}
	t.Logf("cold snapshot, newest 250 over split pages: %d requests", n)
}
