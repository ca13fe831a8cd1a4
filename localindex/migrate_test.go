package localindex

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// testdata/lix2-index.bin is the saved index (format LIX2, one blob) that
// icloudmon wrote before issue 25, at commit 719705b: that code's Open,
// Scan and one Match of legacyAsset over legacyTree, with the capture time
// of IMG_0002.JPG read from its header and cached.

// legacyTree writes the tree of testdata/lix2-index.bin: the files and
// directory mtimes are fixed, so that the blob's directory entries match.
func legacyTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	fileTime := time.Date(2023, 6, 20, 10, 0, 0, 0, time.UTC)
	for _, f := range []struct {
		rel  string
		data []byte
	}{
		{"2023/06/15/IMG_0001.HEIC", []byte("heic-0001")},
		{"2023/06/15/IMG_0001_HEVC.MOV", []byte("mov-0001")},
		{"2023/06/16/IMG_0002.JPG", jpegWithExif(t, "2023:06:16 09:00:00", "+02:00")},
		{"flat/IMG_0004.PNG", []byte("png-0004")},
	} {
		writeFile(t, root, f.rel, f.data, fileTime)
	}
	dirTime := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, rel := range []string{"2023/06/15", "2023/06/16", "2023/06", "2023", "flat", ""} {
		if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(rel)), dirTime, dirTime); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// legacyAsset is the asset whose match made the old code read and cache
// the capture time of IMG_0002.JPG (its size differs, so the name and the
// header time decide).
var legacyAsset = photo.Asset{ID: "A2", Filename: "IMG_0002.JPG", Kind: photo.KindPhoto, Size: 1,
	Taken: time.Date(2023, 6, 16, 7, 0, 0, 0, time.UTC), TZOffset: offset(2 * time.Hour)}

func legacyBlob(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "lix2-index.bin"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// legacyKV returns a store holding the old blob for root.
func legacyKV(t *testing.T, root string) *MemKV {
	t.Helper()
	kv := NewMemKV()
	if err := kv.Put(context.Background(), kvNamespace, filepath.Clean(root), legacyBlob(t)); err != nil {
		t.Fatal(err)
	}
	return kv
}

// TestMigratesLIX2Index: an index saved by the old code is migrated on Open
// without listing the folder again, keeps its cached capture times, and the
// blob is gone afterwards.
func TestMigratesLIX2Index(t *testing.T) {
	root := legacyTree(t)
	kv := legacyKV(t, root)
	ctx := context.Background()
	ix := openIndex(t, kv, root, Options{})
	if _, ok, _ := kv.Get(ctx, kvNamespace, filepath.Clean(root)); ok {
		t.Error("the old blob is still there after the migration")
	}
	if meta, ok, _ := kv.Get(ctx, rowNamespace(filepath.Clean(root)), metaKey); !ok || string(meta[:4]) != rowsMagic {
		t.Errorf("no %s state row after the migration: %q", rowsMagic, meta)
	}
	res := scan(t, ix, false)
	if res.DirsListed != 0 || res.Files != 4 || res.Health.PreviousFiles != 4 {
		t.Errorf("first scan after the migration listed %d dirs, %d files, previous %d; want 0, 4, 4", res.DirsListed, res.Files, res.Health.PreviousFiles)
	}
	ms, err := ix.Match(ctx, []photo.Asset{legacyAsset}, MatchOptions{})
	if err != nil || ms[0].Confidence != photo.ConfidenceLikely || ms[0].File.Path != "2023/06/16/IMG_0002.JPG" {
		t.Fatalf("match after migration: %v %+v", err, ms)
	}
	if st := ix.Stats(); st.MetaReads != 0 || st.MetaCacheHits == 0 {
		t.Errorf("stats %+v: the cached capture time of the old index was lost", st)
	}
	// A new process finds the rows.
	if res := scan(t, openIndex(t, kv, root, Options{}), false); res.DirsListed != 0 || res.Files != 4 {
		t.Errorf("after a restart: listed %d, files %d; want 0, 4", res.DirsListed, res.Files)
	}
}

// failingRows is a KV whose row writes fail, as a crash before the commit
// of the migration's transaction would leave the store.
type failingRows struct{ *MemKV }

func (failingRows) WriteRows(context.Context, string, []string, [][]byte) error {
	return errors.New("disk full")
}

// TestInterruptedMigrationKeepsBlob: when the migration's write does not
// commit, the blob is kept and the next Open migrates it.
func TestInterruptedMigrationKeepsBlob(t *testing.T) {
	root := legacyTree(t)
	kv := legacyKV(t, root)
	if _, err := Open(context.Background(), failingRows{kv}, root, Options{}); err == nil {
		t.Fatal("a failed migration gave no error")
	}
	if _, ok, _ := kv.Get(context.Background(), kvNamespace, filepath.Clean(root)); !ok {
		t.Fatal("the old blob was deleted although the rows were not written")
	}
	if res := scan(t, openIndex(t, kv, root, Options{}), false); res.DirsListed != 0 || res.Files != 4 {
		t.Errorf("after the retried migration: listed %d, files %d; want 0, 4", res.DirsListed, res.Files)
	}
}

// TestRowsWinOverLeftoverBlob: a crash between the migration's commit and
// the deletion of the blob leaves both; the rows are used.
func TestRowsWinOverLeftoverBlob(t *testing.T) {
	root := legacyTree(t)
	kv := legacyKV(t, root)
	scan(t, openIndex(t, kv, root, Options{}), false)
	writeFile(t, root, "flat/IMG_0005.PNG", []byte("new"), time.Time{})
	age(t, root, "flat")
	scan(t, openIndex(t, kv, root, Options{}), false) // rows now hold 5 files
	if err := kv.Put(context.Background(), kvNamespace, filepath.Clean(root), legacyBlob(t)); err != nil {
		t.Fatal(err)
	}
	if res := scan(t, openIndex(t, kv, root, Options{}), false); res.DirsListed != 0 || res.Files != 5 {
		t.Errorf("with a leftover blob: listed %d, files %d; want 0, 5 (the rows, not the blob)", res.DirsListed, res.Files)
	}
	if _, ok, _ := kv.Get(context.Background(), kvNamespace, filepath.Clean(root)); ok {
		t.Error("the leftover blob was not deleted")
	}
}
