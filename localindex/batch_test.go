package localindex

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// blockingKV holds its first WriteRows until release is closed, and
// reports on started when it begins.
type blockingKV struct {
	*MemKV
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (k *blockingKV) WriteRows(ctx context.Context, ns string, keys []string, vals [][]byte) error {
	k.once.Do(func() {
		close(k.started)
		<-k.release
	})
	return k.MemKV.WriteRows(ctx, ns, keys, vals)
}

// TestWalkGoesOnWhileABatchIsSaved: while one walker saves a batch (a slow
// store), the others go on listing directories instead of waiting for it,
// and the scan still saves every directory.
func TestWalkGoesOnWhileABatchIsSaved(t *testing.T) {
	root, _ := bigTree(t, 120, 10)
	kv := &blockingKV{MemKV: NewMemKV(), started: make(chan struct{}), release: make(chan struct{})}
	ix := openIndex(t, kv, root, Options{})
	ix.batchFiles = 100
	var opens atomic.Int32
	ix.openDir = func(p string) (*os.File, error) {
		// The first batch is full after about 10 directories. Past 30, the
		// walk waits for its save to begin: on a loaded machine the
		// walkers could otherwise list all 121 before it, leaving nothing
		// to go on with (CI saw that once).
		if opens.Add(1) > 30 {
			select {
			case <-kv.started:
			case <-time.After(30 * time.Second):
			}
		}
		return os.Open(p)
	}
	done := make(chan ScanResult)
	go func() {
		res, err := ix.Scan(context.Background(), ScanOptions{})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	<-kv.started
	atBlock := opens.Load()
	deadline := time.Now().Add(5 * time.Second)
	for opens.Load() < atBlock+15 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	during := opens.Load() - atBlock
	close(kv.release)
	res := <-done
	if during < 15 {
		t.Errorf("while the first batch was being saved, %d more directories were opened; want the walk to go on (at least 15)", during)
	}
	if res.Files != 1200 || !res.Saved {
		t.Fatalf("scan: %d files, saved %v; want 1200, true", res.Files, res.Saved)
	}
	if again := openIndex(t, kv.MemKV, root, Options{}); again.loadWarn != "" || again.FileCount() != 1200 {
		t.Errorf("reopened: warning %q, %d files; want 1200", again.loadWarn, again.FileCount())
	}
}
