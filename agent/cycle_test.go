package agent

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/photo"
	"github.com/icloudmon/icloudmon/store"
)

var cycleNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// stubCloud fills a fixed cloud observation.
type stubCloud struct {
	fill func(*checks.Observation)
}

func (s stubCloud) ObserveCloud(_ context.Context, obs *checks.Observation) *CloudAssets {
	s.fill(obs)
	if len(obs.Libraries) == 0 {
		return nil
	}
	out := &CloudAssets{}
	for _, l := range obs.Libraries {
		for _, a := range l.Newest {
			out.Newest = append(out.Newest, photo.Asset{ID: a.ID, Filename: a.Filename, Size: a.Size})
		}
	}
	if obs.RecentlyDeleted != nil {
		for _, d := range obs.RecentlyDeleted.Items {
			out.Deleted = append(out.Deleted, photo.Asset{ID: d.ID, Filename: d.Filename})
		}
	}
	return out
}

// stubFolder reports every asset as certain unless listed in missing.
type stubFolder struct {
	missing    map[string]bool
	gotAssets  **CloudAssets
	deletedHas map[string]photo.Confidence
}

func (s stubFolder) ObserveFolder(_ context.Context, assets *CloudAssets) (checks.FolderObservation, map[string]photo.Confidence) {
	if s.gotAssets != nil {
		*s.gotAssets = assets
	}
	fo := checks.FolderObservation{Name: "photos", Path: "/photos", Importer: "icloudpd",
		Health: checks.FolderHealth{Scanned: true, Exists: true, Readable: true, Files: 100, Newest: cycleNow.Add(-time.Hour)}}
	if assets == nil {
		return fo, nil
	}
	fo.Matched = true
	for _, a := range assets.Newest {
		c := photo.ConfidenceCertain
		if s.missing[a.ID] {
			c = photo.ConfidenceNone
		}
		fo.Matches = append(fo.Matches, photo.Match{AssetID: a.ID, Confidence: c})
	}
	copies := make(map[string]photo.Confidence, len(assets.Deleted))
	for _, d := range assets.Deleted {
		copies[d.ID] = s.deletedHas[d.ID]
		if copies[d.ID] == "" {
			copies[d.ID] = photo.ConfidenceNone
		}
	}
	return fo, copies
}

func healthyCloud(obs *checks.Observation) {
	obs.Auth = checks.AuthObservation{Kind: checks.AuthOK}
	obs.SessionExpiry = cycleNow.Add(60 * 24 * time.Hour)
	var newest []photo.Asset
	for i := range 5 {
		added := cycleNow.Add(-time.Duration(i+1) * 20 * time.Hour)
		newest = append(newest, photo.Asset{ID: string(rune('a' + i)), Filename: "IMG_000" + string(rune('1'+i)) + ".HEIC",
			Kind: photo.KindPhoto, Added: added, Taken: added, Size: 1000})
	}
	n := 5
	obs.Libraries = []checks.LibraryObservation{{Name: "personal", Zone: "PrimarySync", Monitored: true,
		Indexing: checks.IndexingFinished, Listed: true, Newest: newest, AssetCount: &n}}
	obs.Storage = &checks.StorageObservation{Used: 10 << 30, Total: 200 << 30}
	obs.RecentlyDeleted = &checks.DeletedObservation{Items: []checks.DeletedItem{
		{ID: "gone", Filename: "IMG_0099.HEIC", PurgeAt: cycleNow.Add(24 * time.Hour)},
	}}
}

// copiesFolder reports fixed Recently Deleted copies, by asset ID.
type copiesFolder map[string]photo.Confidence

func (c copiesFolder) ObserveFolder(_ context.Context, _ *CloudAssets) (checks.FolderObservation, map[string]photo.Confidence) {
	return checks.FolderObservation{Name: "photos"}, c
}

// Each Recently Deleted item gets the best confidence any folder reports
// for its ID; a folder that did not look for an item (another library)
// leaves it alone, whatever the order of the items.
func TestObserveJoinsDeletedCopiesByID(t *testing.T) {
	cloud := stubCloud{func(obs *checks.Observation) {
		healthyCloud(obs)
		obs.RecentlyDeleted.Items = []checks.DeletedItem{
			{ID: "gone1", LocalCopy: photo.ConfidenceNone},
			{ID: "gone2", LocalCopy: photo.ConfidenceNone},
			{ID: "gone3", LocalCopy: photo.ConfidenceNone},
		}
	}}
	a := newTestAgent(t, openDB(t), Account{Name: "alice", Cloud: cloud, Folders: []FolderSource{
		copiesFolder{"gone2": photo.ConfidencePossible, "gone1": photo.ConfidenceNone},
		copiesFolder{"gone2": photo.ConfidenceCertain},
		copiesFolder{"gone2": photo.ConfidenceLikely, "gone3": photo.ConfidenceLikely, "elsewhere": photo.ConfidenceCertain},
	}})
	acct, _ := a.account("alice")
	obs := a.observe(t.Context(), acct)
	got := map[string]photo.Confidence{}
	for _, it := range obs.RecentlyDeleted.Items {
		got[it.ID] = it.LocalCopy
	}
	want := map[string]photo.Confidence{"gone1": photo.ConfidenceNone, "gone2": photo.ConfidenceCertain, "gone3": photo.ConfidenceLikely}
	for id, c := range want {
		if got[id] != c {
			t.Errorf("%s: local copy %q, want %q (all: %v)", id, got[id], c, got)
		}
	}
}

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "icloudmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func newTestAgent(t *testing.T, db *store.DB, acct Account) *Agent {
	t.Helper()
	a, err := New(t.Context(), Options{Accounts: []Account{acct}, Policy: checks.DefaultPolicy(),
		DB: db, Interval: time.Hour, Now: func() time.Time { return cycleNow }})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCycleHealthyThenMissing(t *testing.T) {
	db := openDB(t)
	a := newTestAgent(t, db, Account{Name: "alice", Cloud: stubCloud{healthyCloud},
		Folders: []FolderSource{stubFolder{deletedHas: map[string]photo.Confidence{"gone": photo.ConfidenceCertain}}}})
	rep, err := a.RunCycle(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		if c.ID == checks.CheckLocalCopy || c.ID == checks.CheckRecentlyDeleted || c.ID == checks.CheckAuth {
			if c.Status != checks.StatusOK {
				t.Errorf("%s = %s (%s), want ok", c.ID, c.Status, c.Summary)
			}
		}
	}

	b := newTestAgent(t, db, Account{Name: "alice", Cloud: stubCloud{healthyCloud},
		Folders: []FolderSource{stubFolder{missing: map[string]bool{"b": true, "c": true}}}})
	if got := b.Report(); len(got.Accounts) != 1 || got.Accounts[0].Status != rep.Status {
		t.Fatalf("a new agent over the same store did not restore the last report: %+v", got)
	}
	rep, err = b.RunCycle(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	lc, _ := rep.Check(checks.CheckLocalCopy)
	if lc.Status == checks.StatusOK || lc.Details == nil || len(lc.Details.Missing) != 2 {
		t.Errorf("local_copy = %s with details %+v, want two missing items", lc.Status, lc.Details)
	}
	rd, _ := rep.Check(checks.CheckRecentlyDeleted)
	if rd.Status != checks.StatusCritical {
		t.Errorf("recently_deleted = %s, want critical: 1 day left and no copy", rd.Status)
	}
	rows, err := db.History(t.Context(), "alice", time.Time{})
	if err != nil || len(rows) != 2 {
		t.Errorf("history rows = %d (err %v), want one per cycle", len(rows), err)
	}
}

func TestCycleCloudFailureHealthChecksFoldersOnly(t *testing.T) {
	db := openDB(t)
	got := &CloudAssets{}
	a := newTestAgent(t, db, Account{Name: "bob",
		Cloud: stubCloud{func(obs *checks.Observation) {
			obs.Auth = checks.AuthObservation{Kind: checks.AuthReauthRequired, Message: "2FA needed"}
		}},
		Folders: []FolderSource{stubFolder{gotAssets: &got}}})
	rep, err := a.RunCycle(t.Context(), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if got != nil {
		t.Errorf("folder was given %d assets although the cloud was not read; want nil", len(got.Newest))
	}
	if rep.Status != checks.StatusCritical {
		t.Errorf("status %s, want critical for re-auth required", rep.Status)
	}
	lc, _ := rep.Check(checks.CheckLocalCopy)
	if lc.Status == checks.StatusOK {
		t.Error("local_copy is ok although nothing could be compared")
	}
	if _, err := a.RunCycle(t.Context(), "nobody"); err == nil {
		t.Error("a cycle for an unknown account did not fail")
	}
}

func TestCyclePrunesHistoryBeyondRetention(t *testing.T) {
	db := openDB(t)
	old := cycleNow.Add(-200 * 24 * time.Hour)
	if err := db.AppendHistory(t.Context(), "alice", old, []byte(`{"at":"x"}`)); err != nil {
		t.Fatal(err)
	}
	a := newTestAgent(t, db, Account{Name: "alice", Cloud: stubCloud{healthyCloud}, Folders: []FolderSource{stubFolder{}}})
	if _, err := a.RunCycle(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.History(t.Context(), "alice", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !rows[0].At.Equal(cycleNow) {
		t.Errorf("history after the cycle: %d rows (first at %v); want only this cycle's point", len(rows), rows[0].At)
	}
}

func TestCycleInterruptedIsNotRecorded(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithCancel(t.Context())
	a := newTestAgent(t, db, Account{Name: "alice", Cloud: stubCloud{func(obs *checks.Observation) {
		cancel() // shutdown arrives while iCloud is being read
		obs.Auth = checks.AuthObservation{Kind: checks.AuthNetworkError, Message: "context canceled"}
	}}})
	if _, err := a.RunCycle(ctx, "alice"); err == nil {
		t.Fatal("an interrupted cycle returned no error")
	}
	if rows, _ := db.History(t.Context(), "alice", time.Time{}); len(rows) != 0 {
		t.Errorf("an interrupted cycle recorded %d history points", len(rows))
	}
	if got := a.Report(); len(got.Accounts) != 0 {
		t.Errorf("an interrupted cycle produced a report: %+v", got.Accounts)
	}
}

func TestCycleDeadlineIsRecorded(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	a := newTestAgent(t, db, Account{Name: "alice", Cloud: stubCloud{func(obs *checks.Observation) {
		obs.Auth = checks.AuthObservation{Kind: checks.AuthNetworkError, Message: "deadline exceeded"}
	}}})
	rep, err := a.RunCycle(ctx, "alice")
	if err != nil {
		t.Fatalf("a cycle past its deadline failed: %v", err)
	}
	if rep.Status == checks.StatusOK {
		t.Error("a cycle that could not read iCloud is ok")
	}
	if rows, _ := db.History(t.Context(), "alice", time.Time{}); len(rows) != 1 {
		t.Errorf("history rows %d, want the timed-out cycle recorded", len(rows))
	}
}
