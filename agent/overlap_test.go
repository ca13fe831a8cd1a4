package agent

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
	"github.com/icloudmon/icloudmon/photo"
)

// signalKV is a MemKV that closes wrote at its first write.
type signalKV struct {
	*localindex.MemKV
	once  sync.Once
	wrote chan struct{}
}

func (k *signalKV) WriteRows(ctx context.Context, ns string, keys []string, vals [][]byte) error {
	err := k.MemKV.WriteRows(ctx, ns, keys, vals)
	k.once.Do(func() { close(k.wrote) })
	return err
}

// waitCloud is a healthy cloud that waits, while it is read, for the
// folder's first scan to save its index (or gives up after a while).
type waitCloud struct {
	scanned <-chan struct{}
	overlap *bool
	assets  []photo.Asset
}

func (w waitCloud) ObserveCloud(ctx context.Context, obs *checks.Observation) *CloudAssets {
	select {
	case <-w.scanned:
		*w.overlap = true
	case <-time.After(3 * time.Second):
	case <-ctx.Done():
	}
	healthyCloud(obs)
	return &CloudAssets{Newest: w.assets}
}

// TestFolderScannedWhileCloudIsRead (issue 25): the folders' scans do not
// wait for the iCloud requests, which mostly wait for the network; the
// assets are then matched against that scan, as before.
func TestFolderScannedWhileCloudIsRead(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0001.HEIC"), 1000)
	kv := &signalKV{MemKV: localindex.NewMemKV(), wrote: make(chan struct{})}
	f := &Folder{Name: "photos", Path: root, Importer: "icloudpd", KV: kv, Tolerance: 2 * time.Second}
	taken := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var overlap bool
	cloud := waitCloud{scanned: kv.wrote, overlap: &overlap, assets: []photo.Asset{
		{ID: "a1", Filename: "IMG_0001.HEIC", Kind: photo.KindPhoto, Size: 1000, Taken: taken, Added: taken},
		{ID: "a2", Filename: "IMG_0002.HEIC", Kind: photo.KindPhoto, Size: 2000, Taken: taken, Added: taken},
	}}
	a := newTestAgent(t, openDB(t), Account{Name: "alice", Cloud: cloud, Folders: []FolderSource{f}})
	acct, _ := a.account("alice")
	obs := a.observe(t.Context(), acct)
	if !overlap {
		t.Error("the folder was not scanned while iCloud was read")
	}
	if len(obs.Folders) != 1 {
		t.Fatalf("folders %+v", obs.Folders)
	}
	fo := obs.Folders[0]
	if !fo.Matched || len(fo.Matches) != 2 || fo.Matches[0].Confidence != photo.ConfidenceCertain ||
		fo.Matches[1].Confidence != photo.ConfidenceNone || fo.Health.Files != 1 {
		t.Errorf("observation %+v, want a1 certain, a2 none, 1 file", fo)
	}
	// The next cycle scans again (the scan is used once).
	writeFile(t, filepath.Join(root, "2026/11/21/IMG_0002.HEIC"), 2000)
	obs = a.observe(t.Context(), acct)
	if fo := obs.Folders[0]; fo.Health.Files != 2 || fo.Matches[1].Confidence != photo.ConfidenceCertain {
		t.Errorf("second cycle %+v, want 2 files and a2 certain", fo)
	}
}
