package localindex

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// statAheadTree is a folder of days under months, scanned once into kv and
// aged, so that a reopened index has saved rows to stat ahead.
func statAheadTree(t *testing.T) (root string, kv KV) {
	t.Helper()
	root = t.TempDir()
	mt := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	for m := range 3 {
		for d := range 20 {
			// distinct times: the newest file is one, whatever the order
			writeFile(t, root, fmt.Sprintf("2024/%02d/%02d/IMG_%02d%02d.HEIC", m+1, d+1, m, d), []byte("x"), mt.Add(time.Duration(m*20+d)*time.Minute))
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

// When the stats of Open found nothing changed, the first scan keeps the
// whole index without walking it, with the result a walk gives; a change
// before Open, a symlinked directory, a racy directory or a full scan
// walks. Every case is compared with a scan of an index opened without
// StatAhead (the Started and Duration of a result aside).
func TestStatAheadKeepsAnUnchangedFolderWhole(t *testing.T) {
	same := func(t *testing.T, got, want ScanResult) {
		t.Helper()
		got.Started, got.Duration, want.Started, want.Duration = time.Time{}, 0, time.Time{}, 0
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("scan with the stats of Open differs from a walk (-walk +ahead):\n%s", d)
		}
	}
	for _, c := range []struct {
		name    string
		prepare func(t *testing.T, root string, kv KV)
		full    bool
		keepAll bool
	}{
		{name: "unchanged", keepAll: true},
		{name: "a new file before Open", prepare: func(t *testing.T, root string, _ KV) {
			writeFile(t, root, "2024/02/07/IMG_9999.HEIC", []byte("new"), time.Time{})
			age(t, root, "2024/02/07")
		}},
		{name: "a new directory before Open", prepare: func(t *testing.T, root string, _ KV) {
			writeFile(t, root, "2024/04/01/IMG_9999.HEIC", []byte("new"), time.Time{})
			age(t, root, "2024", "2024/04", "2024/04/01")
		}},
		{name: "a symlinked directory", prepare: func(t *testing.T, root string, kv KV) {
			if err := os.Symlink(filepath.Join(root, "2024", "01"), filepath.Join(root, "january")); err != nil {
				t.Fatal(err)
			}
			age(t, root)
			scan(t, openIndex(t, kv, root, Options{}), false)
		}},
		{name: "a racy directory", prepare: func(t *testing.T, root string, kv KV) {
			writeFile(t, root, "2024/03/02/IMG_9998.HEIC", []byte("new"), time.Time{})
			// an mtime ahead of the scan: racy however slow the machine
			soon := time.Now().Add(time.Hour)
			if err := os.Chtimes(filepath.Join(root, "2024", "03", "02"), soon, soon); err != nil {
				t.Fatal(err)
			}
			scan(t, openIndex(t, kv, root, Options{}), false)
		}},
		{name: "full", full: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			root, kv := statAheadTree(t)
			if c.prepare != nil {
				c.prepare(t, root, kv)
			}
			snap := cloneKV(kv.(*MemKV))
			ahead := openIndex(t, kv, root, Options{StatAhead: true})
			got := scan(t, ahead, c.full)
			if ahead.keptAll != c.keepAll {
				t.Errorf("kept the whole index without a walk: %v, want %v", ahead.keptAll, c.keepAll)
			}
			want := scan(t, openIndex(t, snap, root, Options{}), c.full)
			same(t, got, want)
			if next := scan(t, ahead, false); ahead.keptAll || next.Files != want.Files {
				t.Errorf("the scan after: kept all %v, %d files, want a walk and %d", ahead.keptAll, next.Files, want.Files)
			}
		})
	}
}

// cloneKV copies m, so that two indexes can start from the same rows.
func cloneKV(m *MemKV) *MemKV {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := NewMemKV()
	for k, v := range m.data {
		c.data[k] = bytes.Clone(v)
	}
	return c
}
