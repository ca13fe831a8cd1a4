package checks

import (
	"fmt"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// Test fixtures: a fixed clock and builders for observations and histories.

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

const folderPath = "/photos/alice"

func ptr[T any](v T) *T { return &v }

// assetsEvery returns n assets, the newest added at newest, then one every
// step, each taken a minute before it was added (UTC+1 wall clock).
func assetsEvery(n int, newest time.Time, step time.Duration) []photo.Asset {
	out := make([]photo.Asset, n)
	for i := range out {
		added := newest.Add(-time.Duration(i) * step)
		out[i] = photo.Asset{
			ID: fmt.Sprintf("rec-%03d", i), Filename: fmt.Sprintf("IMG_%04d.HEIC", 5000-i), Kind: photo.KindPhoto,
			Added: added, Taken: added.Add(-time.Minute), TZOffset: ptr(3600), Size: 2_000_000 + int64(i),
		}
	}
	return out
}

// personal is a healthy personal library with the given newest assets.
func personal(assets []photo.Asset) LibraryObservation {
	return LibraryObservation{
		Name: "personal", Zone: "PrimarySync", Monitored: true, Indexing: IndexingFinished,
		Listed: true, Newest: assets, AssetCount: ptr(12345), HiddenCount: ptr(0),
	}
}

// allCertain returns certain matches for every asset.
func allCertain(assets []photo.Asset) []photo.Match {
	ms := make([]photo.Match, len(assets))
	for i, a := range assets {
		ms[i] = photo.Match{AssetID: a.ID, Confidence: photo.ConfidenceCertain, LocalPath: "2026/11/" + a.Filename}
	}
	return ms
}

// healthyFolder is a scanned folder holding every asset with certainty.
func healthyFolder(assets []photo.Asset) FolderObservation {
	newest := time.Time{}
	if len(assets) > 0 {
		newest = assets[0].Taken
	}
	return FolderObservation{
		Name: "alice", Path: folderPath, Importer: "icloudpd",
		Health:  FolderHealth{Scanned: true, Exists: true, Readable: true, Files: 12000, Newest: newest},
		Matched: true, Matches: allCertain(assets),
	}
}

// healthyObs is a healthy account: 50 newest photos added every 7 hours
// (the newest 7 hours ago), all copied, plenty of storage.
func healthyObs() Observation {
	assets := assetsEvery(50, now.Add(-7*time.Hour), 7*time.Hour)
	return Observation{
		Account:       "alice",
		Auth:          AuthObservation{Kind: AuthOK},
		SessionExpiry: now.Add(40 * day),
		Libraries:     []LibraryObservation{personal(assets)},
		RecentlyDeleted: &DeletedObservation{Items: []DeletedItem{
			{ID: "del-1", Filename: "IMG_0100.HEIC", Library: "personal", Added: now.Add(-30 * day), Taken: now.Add(-30 * day), PurgeAt: now.Add(20 * day), LocalCopy: photo.ConfidenceCertain},
			{ID: "del-2", Filename: "IMG_0101.HEIC", Library: "personal", Added: now.Add(-30 * day), Taken: now.Add(-30 * day), PurgeAt: now.Add(21 * day), LocalCopy: photo.ConfidenceLikely},
		}},
		Storage: &StorageObservation{Used: 120 << 30, Total: 200 << 30},
		Folders: []FolderObservation{healthyFolder(assets)},
	}
}

// healthyHist is a history with a recent success and the folder baseline.
func healthyHist() History {
	return History{FolderFiles: map[string]int{folderPath: 11990}, LastSuccess: now.Add(-time.Hour)}
}

// withAssets replaces the personal library's newest assets and the folder
// matches (all certain).
func withAssets(o Observation, assets []photo.Asset) Observation {
	o.Libraries[0].Newest = assets
	o.Folders[0].Matches = allCertain(assets)
	if len(assets) > 0 {
		o.Folders[0].Health.Newest = assets[0].Taken
	}
	return o
}

// rhythm returns upload times, newest first, starting exactly at from and
// going back over span, one every `every` with a deterministic jitter of
// up to ±jitter.
func rhythm(from time.Time, span, every, jitter time.Duration) []time.Time {
	out := []time.Time{from}
	for i := 1; time.Duration(i)*every <= span; i++ {
		h := float64(uint32(i)*2654435761%1000) / 1000 // deterministic, in [0, 1)
		j := time.Duration((2*h - 1) * float64(jitter))
		out = append(out, from.Add(-time.Duration(i)*every+j))
	}
	return out
}

// assetsAt returns one asset per added time (newest first expected).
func assetsAt(times []time.Time) []photo.Asset {
	out := assetsEvery(len(times), now, time.Hour)
	for i, t := range times {
		out[i].Added, out[i].Taken = t, t.Add(-time.Minute)
	}
	return out
}

// stalled returns a healthy observation whose newest upload is `quiet` ago,
// with uploads every `every` (±jitter) before that, and a history of that
// rhythm over 90 days. The observation holds the newest 50 of them.
func stalled(quiet, every, jitter time.Duration) (Observation, History) {
	times := rhythm(now.Add(-quiet), 90*day, every, jitter)
	o := withAssets(healthyObs(), assetsAt(times[:min(50, len(times))]))
	h := healthyHist()
	h.Uploads = times
	return o, h
}

// burst returns n assets added within `within`, the last at newest.
func burst(n int, newest time.Time, within time.Duration) []photo.Asset {
	return assetsEvery(n, newest, within/time.Duration(n))
}

// blocked is an account whose sign-in failed with kind: no cloud data, the
// folder scanned but not matched.
func blocked(kind AuthKind, msg string) Observation {
	o := healthyObs()
	f := o.Folders[0]
	f.Matched, f.Matches = false, nil
	return Observation{Account: "alice", Auth: AuthObservation{Kind: kind, Message: msg}, Folders: []FolderObservation{f}}
}

// setMatch changes the match of the i-th newest asset.
func setMatch(o Observation, i int, c photo.Confidence, parts ...photo.Part) Observation {
	o.Folders[0].Matches[i].Confidence = c
	o.Folders[0].Matches[i].MissingParts = parts
	if c == photo.ConfidenceNone {
		o.Folders[0].Matches[i].LocalPath = ""
	}
	return o
}

// storageUsed sets the storage to the given used fraction of 200 GB.
func storageUsed(o Observation, used float64) Observation {
	o.Storage = &StorageObservation{Used: int64(used * (200 << 30)), Total: 200 << 30}
	return o
}
