package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
	"github.com/icloudmon/icloudmon/photo"
	"github.com/icloudmon/icloudmon/store"
)

func writeFile(t *testing.T, path string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFolderObserveMatchesAndHealth(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0001.HEIC"), 1000)
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0003.JPG"), 3000)
	f := &Folder{Name: "alice", Path: root, Importer: "icloudpd", KV: localindex.NewMemKV(), Tolerance: 2 * time.Second}
	taken := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	assets := &CloudAssets{
		Newest: []photo.Asset{
			{ID: "a1", Filename: "IMG_0001.HEIC", Kind: photo.KindPhoto, Size: 1000, Taken: taken, Added: taken},
			{ID: "a2", Filename: "IMG_0002.HEIC", Kind: photo.KindPhoto, Size: 2000, Taken: taken, Added: taken},
		},
		Deleted: []photo.Asset{
			{ID: "d1", Filename: "IMG_0003.JPG", Kind: photo.KindPhoto, Size: 3000, Taken: taken, Added: taken},
		},
	}
	fo, copies := f.ObserveFolder(t.Context(), assets)
	if !fo.Health.Scanned || !fo.Health.Exists || !fo.Health.Readable || fo.Health.Files != 2 {
		t.Fatalf("health %+v, want a readable folder with 2 files", fo.Health)
	}
	if !fo.Matched || len(fo.Matches) != 2 {
		t.Fatalf("matches %+v, want one per newest asset", fo.Matches)
	}
	if fo.Matches[0].Confidence != photo.ConfidenceCertain || fo.Matches[1].Confidence != photo.ConfidenceNone {
		t.Errorf("confidences %s, %s; want certain, none", fo.Matches[0].Confidence, fo.Matches[1].Confidence)
	}
	if len(copies) != 1 || copies["d1"] != photo.ConfidenceCertain {
		t.Errorf("deleted confidences %v, want d1 certain", copies)
	}

	// Without cloud assets the folder is only health-checked.
	fo, copies = f.ObserveFolder(t.Context(), nil)
	if fo.Matched || copies != nil || fo.Health.Files != 2 {
		t.Errorf("health-only observation: matched=%v copies=%v files=%d", fo.Matched, copies, fo.Health.Files)
	}
}

func TestFolderMissingIsReported(t *testing.T) {
	f := &Folder{Name: "gone", Path: filepath.Join(t.TempDir(), "not-mounted"), KV: localindex.NewMemKV()}
	fo, _ := f.ObserveFolder(t.Context(), &CloudAssets{})
	if fo.Health.Exists || fo.Matched {
		t.Errorf("a missing folder: %+v, want Exists=false and no matching", fo.Health)
	}
}

// settleDirs moves the mtime of every directory under root an hour back,
// so that the incremental scan trusts them (no racy re-listing).
func settleDirs(t *testing.T, root string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// truncateInPlace empties a file without touching its directory's mtime
// (as a failed rewrite or a disk error leaves it).
func truncateInPlace(t *testing.T, path string) {
	t.Helper()
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// The daily full rescan is scheduled from the time recorded in the store,
// so a restarted daemon and every one-shot verify (a new Folder on the
// same database each time) rescan fully once it is due, and not before.
func TestFolderFullRescanScheduleSurvivesRestart(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0003.JPG"), 3000)
	settleDirs(t, root)
	kv := localindex.NewMemKV()
	taken := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	assets := &CloudAssets{Deleted: []photo.Asset{
		{ID: "d1", Filename: "IMG_0003.JPG", Kind: photo.KindPhoto, Size: 3000, Taken: taken, Added: taken}}}
	newFolder := func(every time.Duration) *Folder {
		return &Folder{Name: "alice", Path: root, Importer: "icloudpd", KV: kv, Tolerance: 2 * time.Second, FullScanEvery: every}
	}
	if _, copies := newFolder(0).ObserveFolder(t.Context(), assets); len(copies) != 1 || copies["d1"] != photo.ConfidenceCertain {
		t.Fatalf("first run: %v, want the deleted item certain", copies)
	}
	// Rewritten in place: only a full scan sees it (the directory's mtime
	// stays, and a Recently Deleted item is not re-stat'ed).
	truncateInPlace(t, filepath.Join(root, "2026/11/20/IMG_0003.JPG"))

	// The next process, well within the day: the schedule holds, no full
	// rescan on every start.
	if _, copies := newFolder(24*time.Hour).ObserveFolder(t.Context(), assets); copies["d1"] != photo.ConfidenceCertain {
		t.Errorf("restart within the schedule: %v; a full rescan ran although one was recorded an instant ago", copies)
	}
	// A later process once the full rescan is due.
	time.Sleep(5 * time.Millisecond)
	if _, copies := newFolder(time.Millisecond).ObserveFolder(t.Context(), assets); copies["d1"] == photo.ConfidenceCertain {
		t.Errorf("restart after the full-scan interval: the emptied file still counts as a certain copy; the full rescan never ran")
	}
}

// A newest photo whose file was truncated to 0 bytes after it was indexed
// (directory mtime unchanged) is not reported present on the next cycle.
func TestFolderNewestFileTruncatedInPlaceIsNoticed(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0001.HEIC"), 1000)
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0002.HEIC"), 2000)
	settleDirs(t, root)
	f := &Folder{Name: "alice", Path: root, Importer: "icloudpd", KV: localindex.NewMemKV(), Tolerance: 2 * time.Second}
	taken := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	assets := &CloudAssets{Newest: []photo.Asset{
		{ID: "a1", Filename: "IMG_0001.HEIC", Kind: photo.KindPhoto, Size: 1000, Taken: taken, Added: taken},
		{ID: "a2", Filename: "IMG_0002.HEIC", Kind: photo.KindPhoto, Size: 2000, Taken: taken.Add(time.Hour), Added: taken.Add(time.Hour)},
	}}
	fo, _ := f.ObserveFolder(t.Context(), assets)
	if fo.Matches[0].Confidence != photo.ConfidenceCertain || fo.Matches[1].Confidence != photo.ConfidenceCertain {
		t.Fatalf("first cycle: %+v, want both certain", fo.Matches)
	}
	truncateInPlace(t, filepath.Join(root, "2026/11/20/IMG_0002.HEIC"))
	fo, _ = f.ObserveFolder(t.Context(), assets)
	if fo.Matches[1].Confidence == photo.ConfidenceCertain {
		t.Errorf("the newest photo's file was truncated to 0 bytes, yet it is still a certain copy: %+v", fo.Matches[1])
	}
	if fo.Matches[0].Confidence != photo.ConfidenceCertain {
		t.Errorf("the untouched photo: %+v, want certain", fo.Matches[0])
	}
	if fo.Health.Files != 2 {
		t.Errorf("files %d, want 2 (the emptied file still exists)", fo.Health.Files)
	}
}

// A folder that holds only the personal library is not searched for the
// Shared Library's photos (nor for Recently Deleted items of another
// library), even when a file of the same name and size is there: the
// personal copy of a photo is not the Shared Library's backup.
func TestFolderMatchesOnlyItsLibraries(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0001.HEIC"), 1000)
	f := &Folder{Name: "alice", Path: root, Importer: "icloudpd", KV: localindex.NewMemKV(), Tolerance: 2 * time.Second,
		Libraries: []string{"personal"}}
	taken := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	mine := photo.Asset{ID: "p1", Filename: "IMG_0001.HEIC", Kind: photo.KindPhoto, Size: 1000, Taken: taken, Added: taken}
	mine.Library = "PrimarySync"
	copyInShared := mine
	copyInShared.ID, copyInShared.Library = "s1", "SharedSync-2A1B"
	deleted := copyInShared
	deleted.ID = "d1"
	assets := &CloudAssets{
		Newest:  []photo.Asset{mine, copyInShared},
		Deleted: []photo.Asset{deleted},
	}
	fo, copies := f.ObserveFolder(t.Context(), assets)
	if len(fo.Matches) != 1 || fo.Matches[0].AssetID != "p1" || fo.Matches[0].Confidence != photo.ConfidenceCertain {
		t.Errorf("matches %+v, want only the personal photo, certain", fo.Matches)
	}
	if len(fo.Libraries) != 1 || fo.Libraries[0] != "personal" {
		t.Errorf("observation libraries %v, want [personal]", fo.Libraries)
	}
	if len(copies) != 0 {
		t.Errorf("deleted confidences %v, want none: the item is not of this folder's library", copies)
	}
}

// A sub-directory that cannot be listed is named by the folder check (a
// warning), not silently left out of the count. A directory nested deeper
// than the scanner follows is one such case that works even as root
// (where permission bits do not stop reading).
func TestFolderUnreadableSubdirectoryIsReported(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "2026/11/20/IMG_0001.HEIC"), 1000)
	deep := filepath.Join(root, "deep")
	for range 140 {
		deep = filepath.Join(deep, "d")
	}
	writeFile(t, filepath.Join(deep, "IMG_0002.HEIC"), 1000)
	f := &Folder{Name: "alice", Path: root, Importer: "icloudpd", KV: localindex.NewMemKV()}
	fo, _ := f.ObserveFolder(t.Context(), nil)
	if len(fo.Health.Unreadable) != 1 || !strings.HasPrefix(fo.Health.Unreadable[0], "deep/d/") {
		t.Fatalf("unreadable %v, want the too-deep directory", fo.Health.Unreadable)
	}
	rep := checks.Evaluate(checks.Observation{Account: "alice", Folders: []checks.FolderObservation{fo}},
		checks.DefaultPolicy(), checks.History{}, time.Now())
	c, _ := rep.Check(checks.CheckFolder)
	if c.Status != checks.StatusWarning || !strings.Contains(c.Summary, "deep/d/") {
		t.Errorf("folder %s %q, want a warning naming the sub-directory", c.Status, c.Summary)
	}
}

// An empty folder on its first run while iCloud has photos (an unmounted
// share's empty mount point) is critical, not "ok, 0 files".
func TestFolderEmptyMountPointOnFirstRun(t *testing.T) {
	f := &Folder{Name: "alice", Path: t.TempDir(), Importer: "icloudpd", KV: localindex.NewMemKV()}
	taken := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	assets := &CloudAssets{Newest: []photo.Asset{
		{ID: "a1", Filename: "IMG_0001.HEIC", Kind: photo.KindPhoto, Size: 1000, Taken: taken, Added: taken}}}
	fo, _ := f.ObserveFolder(t.Context(), assets)
	count := 1200
	lib := checks.LibraryObservation{Name: "personal", Zone: "PrimarySync", Monitored: true, Listed: true,
		Indexing: checks.IndexingFinished, AssetCount: &count,
		Newest: []photo.Asset{{ID: "a1", Filename: "IMG_0001.HEIC", Kind: photo.KindPhoto, Added: taken, Taken: taken, Size: 1000}}}
	rep := checks.Evaluate(checks.Observation{Account: "alice", Auth: checks.AuthObservation{Kind: checks.AuthOK},
		Libraries: []checks.LibraryObservation{lib}, Folders: []checks.FolderObservation{fo}},
		checks.DefaultPolicy(), checks.History{}, taken.Add(24*time.Hour))
	c, _ := rep.Check(checks.CheckFolder)
	if c.Status != checks.StatusCritical || !strings.Contains(c.Summary, "is the share mounted?") {
		t.Errorf("folder %s %q, want critical: empty while iCloud has 1200 items", c.Status, c.Summary)
	}
}

// A full scan of a folder that is not there (an unmounted share) does not
// count: the full rescan stays due for when the share is back.
func TestFolderFullScanOfMissingFolderIsNotRecorded(t *testing.T) {
	kv := localindex.NewMemKV()
	f := &Folder{Name: "gone", Path: filepath.Join(t.TempDir(), "not-mounted"), KV: kv}
	f.ObserveFolder(t.Context(), nil)
	if _, ok, _ := kv.Get(t.Context(), fullScanNS, f.Path); ok {
		t.Error("a scan of a missing folder was recorded as a full scan")
	}
}

// The full-scan time survives a real process restart: it is in the
// database (data_dir/icloudmon.db), read back by the next process.
func TestFolderFullScanTimeIsInTheDatabase(t *testing.T) {
	root, dbPath := t.TempDir(), filepath.Join(t.TempDir(), "icloudmon.db")
	writeFile(t, filepath.Join(root, "IMG_0001.HEIC"), 1000)
	db, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	scanned := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	f := &Folder{Name: "alice", Path: root, KV: db, Now: func() time.Time { return scanned }}
	f.ObserveFolder(t.Context(), nil)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct {
		at   time.Time
		want bool
	}{{scanned.Add(23 * time.Hour), false}, {scanned.Add(25 * time.Hour), true}} {
		next := &Folder{Name: "alice", Path: root, KV: db, Now: func() time.Time { return c.at }}
		if got := next.fullDue(t.Context()); got != c.want {
			t.Errorf("next process at %s: full scan due %v, want %v", c.at.Sub(scanned), got, c.want)
		}
	}
}
