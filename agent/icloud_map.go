package agent

import (
	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/photo"
)

// fillFromSnapshot translates a Photos snapshot into the observation.
func fillFromSnapshot(obs *checks.Observation, snap *icloudapi.PhotosSnapshot) {
	obs.Owner = snap.Owner
	for _, z := range snap.Zones {
		obs.Libraries = append(obs.Libraries, libraryObservation(z, snap.Library(z.Name)))
	}
	deleted := &checks.DeletedObservation{}
	for _, a := range snap.RecentlyDeleted {
		deleted.Items = append(deleted.Items, checks.DeletedItem{
			ID: a.ID, Filename: a.Filename, Library: assetLibrary(a),
			Added: a.Added, Taken: a.Taken, PurgeAt: a.Purge, LocalCopy: photo.ConfidenceNone})
	}
	if snap.RecentlyDeletedCount >= 0 {
		total := int(snap.RecentlyDeletedCount)
		deleted.Total = &total
	}
	obs.RecentlyDeleted = deleted
	if snap.Storage != nil {
		obs.Storage = &checks.StorageObservation{Used: snap.Storage.Used, Total: snap.Storage.Total}
	}
}

// libraryName is the label of a library in metrics and configuration.
func libraryName(z icloudapi.Zone) string {
	switch {
	case z.Personal():
		return "personal"
	case z.SharedLibrary():
		return "shared"
	}
	return z.Name
}

// assetLibrary is the label of the library an asset is in.
func assetLibrary(a photo.Asset) string {
	return libraryName(icloudapi.Zone{Name: a.Library})
}

func libraryObservation(z icloudapi.Zone, lib *icloudapi.Library) checks.LibraryObservation {
	lo := checks.LibraryObservation{Name: libraryName(z), Zone: z.Name, Shared: z.SharedLibrary()}
	if lib == nil {
		return lo // exists in iCloud, not monitored: library_coverage looks at it
	}
	lo.Monitored = true
	lo.Indexing, lo.IndexingProgress = indexingState(lib.Indexing), lib.Indexing.Progress
	lo.Listed = lib.Skipped == ""
	lo.ReadError = lib.Error
	lo.Newest = append(lo.Newest, lib.Newest...)
	lo.AssetCount = optCount(lib.Counts.Visible)
	lo.HiddenCount = optCount(lib.Counts.Hidden)
	return lo
}

func indexingState(s icloudapi.IndexingState) checks.IndexingState {
	switch {
	case s.State == "":
		return checks.IndexingNotChecked
	case s.Finished():
		return checks.IndexingFinished
	case s.State == "RUNNING":
		return checks.IndexingRunning
	}
	return checks.IndexingOther
}

func optCount(n int64) *int {
	if n < 0 {
		return nil
	}
	v := int(n)
	return &v
}

// matchAssets lists what folders are matched against: the newest assets of
// every library that was listed, and the Recently Deleted window.
func matchAssets(snap *icloudapi.PhotosSnapshot) *CloudAssets {
	out := &CloudAssets{Newest: []photo.Asset{}, Deleted: snap.RecentlyDeleted}
	for _, lib := range snap.Libraries {
		if lib.Skipped == "" {
			out.Newest = append(out.Newest, lib.Newest...)
		}
	}
	return out
}
