package localindex

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// statAheadTree is a folder of days under months, scanned once into kv and
// aged, so that a reopened index has saved rows to stat ahead.
func statAheadTree(t *testing.T) (root string, kv KV) {
	t.Helper()
	root = t.TempDir()
	mt := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	for m := range 3 {
		for d := range 20 {
			writeFile(t, root, fmt.Sprintf("2024/%02d/%02d/IMG_%02d%02d.HEIC", m+1, d+1, m, d), []byte("x"), mt)
		}
	}
	age(t, root)
	kv = NewMemKV()
	scan(t, openIndex(t, kv, root, Options{}), false)
	return root, kv
}

// With StatAhead a reopened index stats its directories while it loads
// them, and the first scan takes the unchanged ones from those stats: the
// same result as a scan that stats them itself. A directory that changed
// before Open is listed all the same.
func TestStatAheadScansLikeAStat(t *testing.T) {
	root, kv := statAheadTree(t)
	writeFile(t, root, "2024/02/07/IMG_9999.HEIC", []byte("new"), time.Time{})
	age(t, root, "2024/02/07")
	ix := openIndex(t, kv, root, Options{StatAhead: true})
	res := scan(t, ix, false)
	if res.Files != 61 || res.FilesAdded != 1 || res.DirsListed != 1 || res.ListedDirs[0] != "2024/02/07" || len(res.Errors) > 0 {
		t.Fatalf("first scan after Open with StatAhead: %+v", res)
	}
	plain := scan(t, openIndex(t, kv, root, Options{}), false)
	if plain.Files != 61 || plain.DirsListed != 0 || plain.DirsUnchanged != res.Dirs {
		t.Fatalf("scan without StatAhead after it: %+v", plain)
	}
}

// The stats are those of Open: a file added between Open and the first
// scan is found by the next scan, which stats for itself (it would be the
// same had the scan run before the file came). Without StatAhead the first
// scan finds it, which shows that the stats of Open were used.
func TestStatAheadStatsAreThoseOfOpen(t *testing.T) {
	for _, ahead := range []bool{false, true} {
		t.Run(fmt.Sprint("StatAhead=", ahead), func(t *testing.T) {
			root, kv := statAheadTree(t)
			ix := openIndex(t, kv, root, Options{StatAhead: ahead})
			writeFile(t, root, "2024/03/11/IMG_9999.HEIC", []byte("new"), time.Time{})
			age(t, root, "2024/03/11")
			first := scan(t, ix, false)
			wantFirst := 61
			if ahead {
				wantFirst = 60
			}
			if first.Files != wantFirst {
				t.Fatalf("first scan: %d files, want %d: %+v", first.Files, wantFirst, first)
			}
			if next := scan(t, ix, false); next.Files != 61 {
				t.Fatalf("next scan: %+v", next)
			}
		})
	}
}

// A directory removed, or replaced by a file (which counts as one), after
// Open is stat'ed again by the scan when the stats of Open are stale
// (statAheadFresh), and so are all directories of a scan that is not the
// first after Open.
func TestStatAheadOnlyFreshAndOnce(t *testing.T) {
	root, kv := statAheadTree(t)
	ix := openIndex(t, kv, root, Options{StatAhead: true})
	ix.aheadAt = ix.aheadAt.Add(-statAheadFresh - time.Second)
	if err := os.RemoveAll(filepath.Join(root, "2024", "01", "05")); err != nil {
		t.Fatal(err)
	}
	age(t, root, "2024/01")
	if res := scan(t, ix, false); res.Files != 59 || res.FilesRemoved != 1 {
		t.Fatalf("scan with stale stats: %+v", res)
	}

	ix = openIndex(t, kv, root, Options{StatAhead: true})
	scan(t, ix, false)
	if err := os.RemoveAll(filepath.Join(root, "2024", "02", "03")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "2024", "02", "03"), []byte("now a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	age(t, root, "2024/02")
	if res := scan(t, ix, false); res.Files != 59 || res.FilesRemoved != 1 || res.FilesAdded != 1 || ix.aheadUse {
		t.Fatalf("second scan after Open: %+v", res)
	}
}
