package web

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/photo"
	"github.com/icloudmon/icloudmon/store"
)

// The test server's account is a real agent over stub sources: the web
// package sees only what the agent reports and records.

// cycleNow is the agent's clock in the test server.
var cycleNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// stubCloud fills a fixed cloud observation; the folder stub knows the
// assets, so it hands the folders an empty (but read) asset list.
type stubCloud struct {
	fill func(*checks.Observation)
}

func (s stubCloud) ObserveCloud(_ context.Context, obs *checks.Observation) *agent.CloudAssets {
	s.fill(obs)
	return &agent.CloudAssets{}
}

// healthyCloud: signed in, five photos added 20 hours apart (ids a to e,
// IMG_0001.HEIC to IMG_0005.HEIC), 10 of 200 GiB used, one item purged
// tomorrow.
func healthyCloud(obs *checks.Observation) {
	obs.Auth = checks.AuthObservation{Kind: checks.AuthOK}
	obs.SessionExpiry = cycleNow.Add(60 * 24 * time.Hour)
	n := 5
	lib := checks.LibraryObservation{Name: "personal", Zone: "PrimarySync", Monitored: true,
		Indexing: checks.IndexingFinished, Listed: true, AssetCount: &n}
	for i := range n {
		added := cycleNow.Add(-time.Duration(i+1) * 20 * time.Hour)
		lib.Newest = append(lib.Newest, photo.Asset{ID: string(rune('a' + i)), Filename: "IMG_000" + string(rune('1'+i)) + ".HEIC",
			Kind: photo.KindPhoto, Added: added, Taken: added, Size: 1000})
	}
	obs.Libraries = []checks.LibraryObservation{lib}
	obs.Storage = &checks.StorageObservation{Used: 10 << 30, Total: 200 << 30}
	obs.RecentlyDeleted = &checks.DeletedObservation{Items: []checks.DeletedItem{
		{ID: "gone", Filename: "IMG_0099.HEIC", PurgeAt: cycleNow.Add(24 * time.Hour), LocalCopy: photo.ConfidenceNone},
	}}
}

// stubFolder holds every asset of healthyCloud but those in missing, and
// no copy of the deleted item.
type stubFolder struct {
	missing map[string]bool
}

func (s stubFolder) ObserveFolder(_ context.Context, _ *agent.CloudAssets) (checks.FolderObservation, map[string]photo.Confidence) {
	fo := checks.FolderObservation{Name: "photos", Path: "/photos", Importer: "icloudpd", Matched: true,
		Health: checks.FolderHealth{Scanned: true, Exists: true, Readable: true, Files: 100, Newest: cycleNow.Add(-time.Hour)}}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		c := photo.ConfidenceCertain
		if s.missing[id] {
			c = photo.ConfidenceNone
		}
		fo.Matches = append(fo.Matches, photo.Match{AssetID: id, Confidence: c})
	}
	return fo, nil
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
