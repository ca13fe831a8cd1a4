package localindex

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// batchKV records the size of every write and fails the writes after the
// first failAfter ones (a process that dies between two batches).
type batchKV struct {
	*MemKV
	writes    []int
	failAfter int
}

func (k *batchKV) WriteRows(ctx context.Context, ns string, keys []string, vals [][]byte) error {
	if k.failAfter > 0 && len(k.writes) >= k.failAfter {
		return errors.New("killed")
	}
	k.writes = append(k.writes, len(keys))
	return k.MemKV.WriteRows(ctx, ns, keys, vals)
}

// TestColdScanSavesInBatches: a cold scan saves the directories it listed
// in transactions of bounded size while it walks, keeps no files in memory
// afterwards, and gives the same result and saved index as a scan that
// saves once.
func TestColdScanSavesInBatches(t *testing.T) {
	root, _ := bigTree(t, 60, 10)
	one := openIndex(t, NewMemKV(), root, Options{})
	want := scan(t, one, false)

	kv := &batchKV{MemKV: NewMemKV()}
	ix := openIndex(t, kv, root, Options{})
	ix.batchFiles = 50
	got := scan(t, ix, false)
	// Files with the same mtime tie for the newest: which one is named
	// depends on map order.
	got.Health.NewestPath, want.Health.NewestPath = "", ""
	if !slices.Equal(got.ListedDirs, want.ListedDirs) || got.Files != want.Files || got.Dirs != want.Dirs ||
		got.FilesAdded != want.FilesAdded || got.Health != want.Health || !got.Saved {
		t.Errorf("batched scan %+v\nwant %+v", got, want)
	}
	if len(kv.writes) < 10 {
		t.Fatalf("the cold scan of 600 files wrote %d transactions (%v); want one per ~50 files", len(kv.writes), kv.writes)
	}
	for _, n := range kv.writes {
		// A batch is at most 5 day directories of 10 files and the 5
		// year and month directories, two rows each, plus the state row.
		if n > 2*10+1 {
			t.Errorf("a batch wrote %d rows; want at most %d", n, 2*10+1)
		}
	}
	for rel, d := range ix.dirs {
		if d.loaded || d.files != nil || d.changed {
			t.Errorf("directory %q still holds its files after the scan", rel)
		}
	}
	again := openIndex(t, kv, root, Options{})
	if again.loadWarn != "" || again.FileCount() != want.Files {
		t.Fatalf("reopened: warning %q, %d files; want %d", again.loadWarn, again.FileCount(), want.Files)
	}
	if res := scan(t, again, false); res.DirsListed != 0 || res.Files != want.Files {
		t.Errorf("rescan after the batched scan listed %d directories, %d files; want 0, %d", res.DirsListed, res.Files, want.Files)
	}
}

// TestScanDiesBetweenBatches: when the process dies after some batches of a
// cold scan, the next Open loads the saved directories without a warning
// and with no completed scan in the folder state (no baseline), and the
// next scan lists only the rest and ends with the whole folder.
func TestScanDiesBetweenBatches(t *testing.T) {
	root, _ := bigTree(t, 60, 10)
	kv := &batchKV{MemKV: NewMemKV(), failAfter: 4}
	ix := openIndex(t, kv, root, Options{})
	ix.batchFiles = 50
	if _, err := ix.Scan(context.Background(), ScanOptions{}); err == nil {
		t.Fatal("the scan whose store failed returned no error")
	}
	kv.failAfter = 0
	after := openIndex(t, kv, root, Options{})
	saved, savedDirs := after.FileCount(), len(after.dirs)
	if after.loadWarn != "" || saved < 4*50 || saved >= 600 || after.state != (persisted{}) {
		t.Fatalf("after dying between batches: warning %q, %d files, state %+v; want the 4 saved batches and no completed scan",
			after.loadWarn, saved, after.state)
	}
	after.batchFiles = 50
	res := scan(t, after, false)
	if res.Files != 600 || res.DirsListed != res.Dirs-savedDirs || res.DirsUnchanged != savedDirs || res.Health.PreviousFiles != 0 {
		t.Errorf("resumed scan: %d files, %d listed, %d unchanged, previous %d; want 600, %d, %d, 0",
			res.Files, res.DirsListed, res.DirsUnchanged, res.Health.PreviousFiles, res.Dirs-savedDirs, savedDirs)
	}
	if again := scan(t, openIndex(t, kv, root, Options{}), false); again.DirsListed != 0 || again.Files != 600 ||
		again.Health.PreviousFiles != 600 {
		t.Errorf("after the resumed scan: listed %d, files %d, previous %d; want 0, 600, 600", again.DirsListed, again.Files, again.Health.PreviousFiles)
	}
}
