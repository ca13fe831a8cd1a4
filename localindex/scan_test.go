package localindex

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var past = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// age sets the mtime of the given directories (relative to root; all of
// them when none are given) to a fresh past time, so that the next scan sees
// a change there and no "racy" directory.
func age(t *testing.T, root string, rels ...string) {
	t.Helper()
	past = past.Add(time.Minute)
	if len(rels) == 0 {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				return os.Chtimes(p, past, past)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, r := range rels {
		if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(r)), past, past); err != nil {
			t.Fatal(err)
		}
	}
}

func openIndex(t *testing.T, kv KV, root string, opts Options) *Index {
	t.Helper()
	ix, err := Open(context.Background(), kv, root, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func scan(t *testing.T, ix *Index, full bool) ScanResult {
	t.Helper()
	res, err := ix.Scan(context.Background(), ScanOptions{Full: full})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(res.ListedDirs)
	return res
}

func buildTree(t *testing.T) string {
	root := t.TempDir()
	mt := time.Date(2023, 6, 15, 10, 0, 0, 0, time.UTC)
	for _, rel := range []string{
		"2023/06/15/IMG_0001.HEIC", "2023/06/15/IMG_0001_HEVC.MOV", "2023/06/16/IMG_0002.JPG",
		"2023/06/16/.DS_Store", "2023/06/16/._IMG_0002.JPG", "2023/06/16/IMG_0002.AAE",
		"2023/06/16/IMG_0003.JPG.part", "2023/06/16/dl.tmp", "@eaDir/IMG_0001.HEIC/SYNOPHOTO_THUMB_XL.jpg",
		"#recycle/old.jpg", "flat/IMG_0004.PNG", "flat/keep.txt", "flat/skipme.bak",
	} {
		writeFile(t, root, rel, []byte("data-"+rel), mt)
	}
	age(t, root)
	return root
}

func TestScanColdSkipsJunk(t *testing.T) {
	root := buildTree(t)
	ix := openIndex(t, NewMemKV(), root, Options{Ignore: []string{"*.bak"}})
	res := scan(t, ix, false)
	if res.Files != 5 || res.FilesAdded != 5 {
		t.Errorf("Files=%d FilesAdded=%d, want 5 and 5 (junk skipped)", res.Files, res.FilesAdded)
	}
	want := []string{"", "2023", "2023/06", "2023/06/15", "2023/06/16", "flat"}
	if diff := cmp.Diff(want, res.ListedDirs); diff != "" {
		t.Errorf("listed dirs (-want +got):\n%s", diff)
	}
	if len(res.Errors) != 0 || !res.Saved {
		t.Errorf("Errors=%v Saved=%v", res.Errors, res.Saved)
	}
}

func TestBadIgnorePattern(t *testing.T) {
	_, err := Open(context.Background(), NewMemKV(), t.TempDir(), Options{Ignore: []string{"[abc"}})
	if err == nil || !strings.Contains(err.Error(), "not a valid glob") {
		t.Fatalf("err = %v, want a clear glob error", err)
	}
}

func TestScanIncremental(t *testing.T) {
	root := buildTree(t)
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)
	puts := kv.Puts()

	t.Run("nothing changed", func(t *testing.T) {
		res := scan(t, ix, false)
		if res.DirsListed != 0 || res.DirsUnchanged != 6 || res.FilesStatted != 0 || res.Saved || kv.Puts() != puts {
			t.Errorf("warm rescan listed %d, unchanged %d, statted %d, saved %v", res.DirsListed, res.DirsUnchanged, res.FilesStatted, res.Saved)
		}
	})
	t.Run("added", func(t *testing.T) {
		writeFile(t, root, "2023/06/16/IMG_0005.JPG", []byte("new"), past)
		age(t, root, "2023/06/16")
		res := scan(t, ix, false)
		check(t, res, []string{"2023/06/16"}, 1, 0, 0)
		if res.FilesKept != 6 || res.FilesStatted != 2 {
			t.Errorf("kept %d, statted %d; want the 6 old files kept and the 2 files of the listed directory statted", res.FilesKept, res.FilesStatted)
		}
	})
	t.Run("removed", func(t *testing.T) {
		mustRemove(t, filepath.Join(root, "2023/06/16/IMG_0002.JPG"))
		age(t, root, "2023/06/16")
		check(t, scan(t, ix, false), []string{"2023/06/16"}, 0, 1, 0)
	})
	t.Run("renamed", func(t *testing.T) {
		mustRename(t, filepath.Join(root, "flat/IMG_0004.PNG"), filepath.Join(root, "flat/IMG_0004 (1).PNG"))
		age(t, root, "flat")
		check(t, scan(t, ix, false), []string{"flat"}, 1, 1, 0)
	})
	t.Run("new directory", func(t *testing.T) {
		writeFile(t, root, "2023/07/01/IMG_0006.JPG", []byte("x"), past)
		age(t, root, "2023", "2023/07", "2023/07/01")
		check(t, scan(t, ix, false), []string{"2023", "2023/07", "2023/07/01"}, 1, 0, 0)
	})
	t.Run("removed directory", func(t *testing.T) {
		if err := os.RemoveAll(filepath.Join(root, "2023/07")); err != nil {
			t.Fatal(err)
		}
		age(t, root, "2023")
		check(t, scan(t, ix, false), []string{"2023"}, 0, 1, 0)
	})
	t.Run("touched in place: only a full scan sees it", func(t *testing.T) {
		p := filepath.Join(root, "2023/06/15/IMG_0001.HEIC")
		if err := os.Chtimes(p, past.Add(time.Hour), past.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		check(t, scan(t, ix, false), nil, 0, 0, 0)
		res := scan(t, ix, true)
		if res.DirsListed != res.Dirs || res.FilesChanged != 1 || res.FilesKept != 5 || res.FilesAdded != 0 || res.FilesRemoved != 0 {
			t.Errorf("full scan: listed %d of %d, changed %d, added %d, removed %d", res.DirsListed, res.Dirs, res.FilesChanged, res.FilesAdded, res.FilesRemoved)
		}
	})
}

func check(t *testing.T, res ScanResult, listed []string, added, removed, changed int) {
	t.Helper()
	if diff := cmp.Diff(listed, res.ListedDirs); diff != "" {
		t.Errorf("listed dirs (-want +got):\n%s", diff)
	}
	if res.FilesAdded != added || res.FilesRemoved != removed || res.FilesChanged != changed {
		t.Errorf("added/removed/changed = %d/%d/%d, want %d/%d/%d", res.FilesAdded, res.FilesRemoved, res.FilesChanged, added, removed, changed)
	}
}

func mustRemove(t *testing.T, p string) {
	t.Helper()
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

func mustRename(t *testing.T, a, b string) {
	t.Helper()
	if err := os.Rename(a, b); err != nil {
		t.Fatal(err)
	}
}

// TestRacyDirectoryListedAgain: a directory changed within the timestamp
// window of the scan is listed again next time, so a change in the same
// tick is not lost.
func TestRacyDirectoryListedAgain(t *testing.T) {
	root := buildTree(t)
	now := time.Now()
	if err := os.Chtimes(filepath.Join(root, "flat"), now, now); err != nil {
		t.Fatal(err)
	}
	ix := openIndex(t, NewMemKV(), root, Options{})
	scan(t, ix, false)
	check(t, scan(t, ix, false), []string{"flat"}, 0, 0, 0)
}

func TestPersistedIndexWarmAfterRestart(t *testing.T) {
	root := buildTree(t)
	kv := NewMemKV()
	scan(t, openIndex(t, kv, root, Options{}), false)
	ix2 := openIndex(t, kv, root, Options{})
	res := scan(t, ix2, false)
	if res.DirsListed != 0 || res.Files != 6 {
		t.Errorf("after restart: listed %d dirs, %d files; want 0 and 6", res.DirsListed, res.Files)
	}
}

func TestCorruptSavedIndexMeansColdScan(t *testing.T) {
	root := buildTree(t)
	kv := NewMemKV()
	scan(t, openIndex(t, kv, root, Options{}), false)
	ctx := context.Background()
	ns := rowNamespace(filepath.Clean(root))
	sums, _, _ := kv.Get(ctx, ns, chunkKey(""))
	meta, _, _ := kv.Get(ctx, ns, metaKey)
	for _, bad := range []struct{ key, val string }{
		{chunkKey(""), string(sums[:len(sums)/2])},
		{chunkKey(""), "garbage"},
		// a second summary row holding a directory of the first
		{chunkKey("2023"), string(encodeChunk([]chunkEntry{{rel: "2023/06/15", head: encodeHead(&dirState{nfiles: 1})}}))},
		{metaKey, "garbage"},
		{metaKey, string(meta[:len(rowsMagic)+1])},
	} {
		if err := kv.Put(ctx, ns, bad.key, []byte(bad.val)); err != nil {
			t.Fatal(err)
		}
		res := scan(t, openIndex(t, kv, root, Options{}), false)
		if res.DirsListed != 6 || res.Files != 6 {
			t.Errorf("corrupt %s row: listed %d, files %d; want a cold scan (6, 6)", bad.key, res.DirsListed, res.Files)
		}
	}
}

// TestCorruptOldBlobMeansColdScan: an LIX2 blob that cannot be decoded is
// not migrated; the scan lists everything.
func TestCorruptOldBlobMeansColdScan(t *testing.T) {
	root := buildTree(t)
	good := legacyBlob(t)
	for _, bad := range [][]byte{good[:len(good)/2], []byte("garbage"), append([]byte(indexMagic), 0xFF, 0xFF, 0xFF)} {
		kv := NewMemKV()
		if err := kv.Put(context.Background(), kvNamespace, filepath.Clean(root), bad); err != nil {
			t.Fatal(err)
		}
		res := scan(t, openIndex(t, kv, root, Options{}), false)
		if res.DirsListed != 6 || res.Files != 6 {
			t.Errorf("corrupt blob: listed %d, files %d; want a cold scan (6, 6)", res.DirsListed, res.Files)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	d := &dirState{rel: "a/b", mtime: 123456789, racy: true, subdirs: []string{"c", "ü"}, links: []string{"l"},
		files: []fileEntry{{name: "IMG_1.HEIC", size: 99, mtime: -5, capWall: 1700000000, capOff: -25200, capSrc: uint8(SourceEXIF) | offsetKnownBit},
			{name: "x.mov", size: 1 << 40, mtime: 1}}}
	st := persisted{lastScan: 42, lastFiles: 2, baseline: 2}
	dirs, gotSt, err := decodeIndex(encodeIndex(map[string]*dirState{"a/b": d}, st))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d, dirs["a/b"], cmp.AllowUnexported(dirState{}, fileEntry{})); diff != "" || gotSt != st {
		t.Errorf("round trip (-want +got):\n%s %+v", diff, gotSt)
	}
}

func TestUnreadableDirectory(t *testing.T) {
	root := buildTree(t)
	ix := openIndex(t, NewMemKV(), root, Options{})
	denied := filepath.Join(root, "2023", "06", "16")
	ix.openDir = func(p string) (*os.File, error) {
		if p == denied {
			return nil, &os.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
		}
		return os.Open(p)
	}
	res := scan(t, ix, false)
	if len(res.Errors) != 1 || res.Errors[0].Path != "2023/06/16" || !errors.Is(res.Errors[0].Err, fs.ErrPermission) {
		t.Fatalf("Errors = %v, want one permission error for 2023/06/16", res.Errors)
	}
	if res.Files != 5 || res.Health.ErrorPaths != 1 {
		t.Errorf("Files = %d, ErrorPaths = %d; want the 5 readable files and 1 error path", res.Files, res.Health.ErrorPaths)
	}
	// The unreadable directory is tried again on the next scan.
	ix.openDir = os.Open
	res = scan(t, ix, false)
	if !slices.Contains(res.ListedDirs, "2023/06/16") || res.Files != 6 || len(res.Errors) != 0 {
		t.Errorf("after permission fixed: listed %v, files %d, errors %v", res.ListedDirs, res.Files, res.Errors)
	}
}

func TestUnreadableDirectoryReal(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop root (TestUnreadableDirectory covers the logic)")
	}
	root := buildTree(t)
	locked := filepath.Join(root, "flat")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(locked, 0o755) })
	res := scan(t, openIndex(t, NewMemKV(), root, Options{}), false)
	if len(res.Errors) != 1 || res.Errors[0].Path != "flat" || res.Files != 4 {
		t.Errorf("Errors = %v, Files = %d; want one error for flat and 4 files", res.Errors, res.Files)
	}
}

func TestSymlinkLoopAndSharedDirectory(t *testing.T) {
	root := buildTree(t)
	if err := os.Symlink("..", filepath.Join(root, "flat", "loop")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "flat"), filepath.Join(root, "album")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("missing.jpg", filepath.Join(root, "flat", "dangling.jpg")); err != nil {
		t.Fatal(err)
	}
	age(t, root)
	ix := openIndex(t, NewMemKV(), root, Options{})
	for _, pass := range []string{"cold", "warm"} {
		res := scan(t, ix, false)
		var ops []string
		for _, e := range res.Errors {
			ops = append(ops, e.Op+" "+e.Path)
		}
		slices.Sort(ops)
		want := []string{"follow symlink flat/dangling.jpg", "symlink loop flat/loop"}
		if pass == "warm" {
			want = want[1:] // flat is not listed again
		}
		if diff := cmp.Diff(want, ops); diff != "" {
			t.Errorf("%s scan: errors (-want +got):\n%s", pass, diff)
		}
		if res.Files != 6 {
			t.Errorf("%s scan: Files = %d, want 6 (the linked directory indexed once)", pass, res.Files)
		}
	}
}

func TestFolderHealth(t *testing.T) {
	root := buildTree(t)
	ix := openIndex(t, NewMemKV(), root, Options{})
	h := scan(t, ix, false).Health
	if !h.Exists || !h.Readable || h.Files != 6 || h.LooksUnmounted || h.Newest.IsZero() {
		t.Fatalf("healthy folder: %+v", h)
	}
	// Lose 4 of 6 files: more than half.
	for _, p := range []string{"2023/06/15/IMG_0001.HEIC", "2023/06/15/IMG_0001_HEVC.MOV", "flat/keep.txt", "flat/skipme.bak"} {
		mustRemove(t, filepath.Join(root, p))
	}
	age(t, root)
	h = scan(t, ix, false).Health
	if !h.LooksUnmounted || h.PreviousFiles != 6 || !strings.Contains(h.Reason, "shrank from 6 to 2") {
		t.Errorf("after losing 3 of 5: %+v", h)
	}
	// The baseline stays at 6 while the folder looks unmounted.
	h = scan(t, ix, false).Health
	if !h.LooksUnmounted {
		t.Errorf("second scan forgot the shrink: %+v", h)
	}
	// Missing root (unmounted share).
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	h = scan(t, ix, false).Health
	if h.Exists || !h.LooksUnmounted || h.Files != 0 || !strings.Contains(h.Reason, "does not exist") {
		t.Errorf("missing folder: %+v", h)
	}
	// An empty folder that held files looks unmounted too.
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	h = scan(t, ix, false).Health
	if !h.Empty || !h.LooksUnmounted || !strings.Contains(h.Reason, "empty") {
		t.Errorf("empty folder: %+v", h)
	}
}

func TestFirstScanOfEmptyFolderIsNotUnmounted(t *testing.T) {
	h := scan(t, openIndex(t, NewMemKV(), t.TempDir(), Options{}), false).Health
	if !h.Empty || h.LooksUnmounted {
		t.Errorf("new empty folder: %+v", h)
	}
}

func TestProgressCallback(t *testing.T) {
	root := buildTree(t)
	var got []Progress
	ix := openIndex(t, NewMemKV(), root, Options{Progress: func(p Progress) { got = append(got, p) }, ProgressEvery: time.Nanosecond})
	scan(t, ix, false)
	if len(got) < 2 || !got[len(got)-1].Done || got[len(got)-1].Files != 6 {
		t.Errorf("progress calls: %+v", got)
	}
}

// TestRemountReusesIndex: a share that disappears and comes back unchanged
// is not listed again, and the saved index is not overwritten meanwhile.
func TestRemountReusesIndex(t *testing.T) {
	root := buildTree(t)
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)
	puts := kv.Puts()
	mustRename(t, root, root+".off")
	if h := scan(t, ix, false).Health; !h.LooksUnmounted || kv.Puts() != puts {
		t.Fatalf("unmounted: %+v, puts %d → %d (want no write)", h, puts, kv.Puts())
	}
	mustRename(t, root+".off", root)
	res := scan(t, ix, false)
	if res.DirsListed != 0 || res.Files != 6 || res.Health.LooksUnmounted {
		t.Errorf("after remount: listed %d, files %d, health %+v; want 0 listed, 6 files, healthy", res.DirsListed, res.Files, res.Health)
	}
	if ix2 := openIndex(t, kv, root, Options{}); scan(t, ix2, false).DirsListed != 0 {
		t.Error("the saved index was lost while the folder was unmounted")
	}
}

// FuzzDecodeIndex: a damaged saved index is an error, never a panic or a
// huge allocation.
func FuzzDecodeIndex(f *testing.F) {
	d := &dirState{rel: "2023/06/15", mtime: 1, subdirs: []string{"x"}, links: []string{"l"},
		files: []fileEntry{{name: "IMG_1.HEIC", size: 9, mtime: 3, capWall: 1700000000, capSrc: uint8(SourceEXIF)}}}
	f.Add(encodeIndex(map[string]*dirState{d.rel: d}, persisted{lastScan: 1, lastFiles: 1, baseline: 1}))
	f.Add([]byte(indexMagic))
	f.Fuzz(func(t *testing.T, blob []byte) {
		dirs, _, err := decodeIndex(blob)
		if err == nil && dirs == nil {
			t.Error("no error and no directories")
		}
	})
}

// TestNilLoggerDiscards: without a Logger the index logs nothing, not even
// to slog's default (design §8: a nil logger discards).
func TestNilLoggerDiscards(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	root := buildTree(t)
	kv := NewMemKV()
	corrupt := func() {
		if err := kv.Put(context.Background(), rowNamespace(filepath.Clean(root)), metaKey, []byte("garbage")); err != nil {
			t.Fatal(err)
		}
	}
	corrupt()
	scan(t, openIndex(t, kv, root, Options{}), false)
	if logs.Len() != 0 {
		t.Errorf("a nil Logger wrote to slog's default: %s", logs.String())
	}
	var own bytes.Buffer
	corrupt()
	scan(t, openIndex(t, kv, root, Options{Logger: slog.New(slog.NewTextHandler(&own, nil))}), false)
	if own.Len() == 0 {
		t.Error("a corrupt saved index logged nothing to the given Logger; the test proves nothing")
	}
}
