package localindex

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// savedSummaries returns every summary of the summary rows by rel, and
// checks each row against the limits (at most chunkMaxEntries summaries
// and chunkMaxBytes, unless it holds a single larger one) and the order
// of the rows (every rel within its row's start and the next row's).
func savedSummaries(t *testing.T, kv KV, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	last, first := "", true
	err := kv.EachRow(context.Background(), ns, chunkPrefix, func(key string, v []byte) error {
		start := key[len(chunkPrefix):]
		if !first && last >= start {
			t.Errorf("row %q starts at or before %q, a directory of the row before", key, last)
		}
		var entries []chunkEntry
		err := eachChunkEntry(v, func(rel, head []byte) error {
			entries = append(entries, chunkEntry{rel: string(rel), head: head})
			return nil
		})
		if err != nil {
			t.Errorf("row %q: %v", key, err)
		}
		size := 0
		for _, c := range entries {
			size += entrySize(c)
			if c.rel < start || !first && c.rel <= last {
				t.Errorf("row %q: %q out of order (last %q)", key, c.rel, last)
			}
			if _, dup := out[c.rel]; dup {
				t.Errorf("%q is in two summary rows", c.rel)
			}
			out[c.rel] = string(c.head)
			last, first = c.rel, false
		}
		if len(entries) == 0 {
			t.Errorf("row %q is empty", key)
		}
		if len(entries) > chunkMaxEntries || len(entries) > 1 && size > chunkMaxBytes {
			t.Errorf("row %q: %d summaries, %d bytes; want at most %d and %d", key, len(entries), size, chunkMaxEntries, chunkMaxBytes)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSummaryRowsEqualSummaries: after random additions and removals of
// directories over several scans (saved in batches, with a flat directory
// of hundreds of siblings and icloudpd day directories), the summary rows
// hold exactly the summary of every directory of the index, each row
// within its limits and in order, and a new process loads the same
// summaries and lists nothing.
func TestSummaryRowsEqualSummaries(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 5))
	root := t.TempDir()
	day := time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)
	relOf := func(i int) string {
		if i%3 == 0 { // many siblings in one directory
			return fmt.Sprintf("flat/%s-album", day.AddDate(0, 0, i).Format("2006-01-02"))
		}
		return day.AddDate(0, 0, i).Format("2006/01/02")
	}
	present := map[int]bool{}
	add := func(i int) {
		present[i] = true
		for f := 0; f < 1+i%3; f++ {
			writeFile(t, root, fmt.Sprintf("%s/IMG_%04d_%d.JPG", relOf(i), i, f), []byte("x"), day)
		}
	}
	for i := 0; i < 700; i++ {
		add(i)
	}
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	ix.batchFiles = 150 // the scan saves in batches too
	ns := rowNamespace(ix.root)
	for round := 0; round < 5; round++ {
		for k := 0; k < 90; k++ {
			i := rng.IntN(800)
			if present[i] {
				delete(present, i)
				if err := os.RemoveAll(filepath.Join(root, filepath.FromSlash(relOf(i)))); err != nil {
					t.Fatal(err)
				}
			} else {
				add(i)
			}
		}
		age(t, root)
		res := scan(t, ix, false)
		if res.DirsListed == 0 {
			t.Fatalf("round %d: the scan listed nothing", round)
		}
		got := savedSummaries(t, kv, ns)
		want := map[string]string{}
		for rel, ds := range ix.dirs {
			want[rel] = string(encodeHead(ds))
		}
		if len(got) != len(want) {
			t.Errorf("round %d: %d summaries in the rows, %d directories in the index", round, len(got), len(want))
		}
		for rel, h := range want {
			if got[rel] != h {
				t.Errorf("round %d: %q: saved summary %q, index %q", round, rel, got[rel], h)
			}
		}
		if n, _ := countRows(t, kv, ns, chunkPrefix); n > len(want)/8 {
			t.Errorf("round %d: %d summary rows for %d directories", round, n, len(want))
		}
		again := openIndex(t, kv, root, Options{})
		if again.loadWarn != "" || len(again.dirs) != len(ix.dirs) {
			t.Errorf("round %d: reopened %d directories (warning %q), want %d", round, len(again.dirs), again.loadWarn, len(ix.dirs))
		}
		if res := scan(t, again, false); res.DirsListed != 0 || res.Files != ix.FileCount() {
			t.Errorf("round %d: scan after a restart listed %d, files %d; want 0, %d", round, res.DirsListed, res.Files, ix.FileCount())
		}
	}
	if n, _ := countRows(t, kv, ns, headPrefix); n != 0 {
		t.Errorf("%d LIX3 summary rows written", n)
	}
}

// countRows counts the rows of ns under prefix, and their bytes.
func countRows(t *testing.T, kv *MemKV, ns, prefix string) (int, int) {
	t.Helper()
	n, size := 0, 0
	if err := kv.EachRow(context.Background(), ns, prefix, func(_ string, v []byte) error {
		n++
		size += len(v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n, size
}

// rowReadsKV counts the rows read.
type rowReadsKV struct {
	*MemKV
	rows int
}

func (k *rowReadsKV) EachRow(ctx context.Context, ns, prefix string, fn func(string, []byte) error) error {
	return k.MemKV.EachRow(ctx, ns, prefix, func(key string, v []byte) error {
		k.rows++
		return fn(key, v)
	})
}

func (k *rowReadsKV) Get(ctx context.Context, ns, key string) ([]byte, bool, error) {
	k.rows++
	return k.MemKV.Get(ctx, ns, key)
}

// TestLoadReadsARowPer32Directories: opening the index of a folder (what
// every repeat verify does) reads a summary row per 32 directories or so,
// not one per directory, and a change to one directory of a flat folder
// (a thousand day directories side by side) rewrites one summary row of
// at most 32 of them, not its siblings'.
func TestLoadReadsARowPer32Directories(t *testing.T) {
	root := t.TempDir()
	day := time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)
	const days = 1000
	var rels []string
	for i := range days {
		rel := day.AddDate(0, 0, i).Format("2006-01-02")
		rels = append(rels, rel)
		writeFile(t, root, rel+"/IMG_0001.JPG", []byte("x"), day)
	}
	age(t, root)
	kv := &rowReadsKV{MemKV: NewMemKV()}
	scan(t, openIndex(t, kv, root, Options{}), false)
	kv.rows = 0
	ix := openIndex(t, kv, root, Options{})
	if len(ix.dirs) != days+1 || kv.rows > 2+(days+1)/16 {
		t.Errorf("load of %d directories read %d rows, want at most %d", len(ix.dirs), kv.rows, 2+(days+1)/16)
	}
	puts, written := kv.Puts(), kv.BytesWritten()
	writeFile(t, root, rels[500]+"/IMG_0002.JPG", []byte("y"), day)
	age(t, root, rels[500])
	if res := scan(t, ix, false); res.DirsListed != 1 || res.FilesAdded != 1 {
		t.Fatalf("scan after one new file: %+v", res)
	}
	rows, bytes := kv.Puts()-puts, kv.BytesWritten()-written
	t.Logf("one new file: %d rows, %d bytes (the cold scan wrote %d)", rows, bytes, written)
	if rows != 3 || bytes > chunkMaxBytes+300 {
		t.Errorf("one new file wrote %d rows, %d bytes; want 3 (files, summary, state), at most %d bytes", rows, bytes, chunkMaxBytes+300)
	}
}

// lix3KV returns a store holding testdata/lix3-rows.json under root: the
// rows of format LIX3 (a summary row per directory) that main at f09369c
// wrote for legacyTree after a scan and a Match of legacyAsset (which read
// and cached the capture time of IMG_0002.JPG).
func lix3KV(t *testing.T, root string) *MemKV {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "lix3-rows.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows map[string][]byte
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	kv := NewMemKV()
	for k, v := range rows {
		if err := kv.Put(context.Background(), rowNamespace(filepath.Clean(root)), k, v); err != nil {
			t.Fatal(err)
		}
	}
	return kv
}

// TestMigratesLIX3Rows: the rows of format LIX3 are migrated on Open in one
// write, without listing the folder again: the summaries move into summary
// rows, the files rows and their cached capture times stay, the state row
// gets the new magic and a new nonce; summary rows left by an earlier LIX5
// index (a downgrade, then an upgrade) are deleted.
func TestMigratesLIX3Rows(t *testing.T) {
	root := legacyTree(t)
	kv := lix3KV(t, root)
	ctx := context.Background()
	ns := rowNamespace(filepath.Clean(root))
	oldMeta, _, _ := kv.Get(ctx, ns, metaKey)
	stale := encodeChunk([]chunkEntry{{rel: "gone", head: encodeHead(&dirState{nfiles: 1})}})
	if err := kv.Put(ctx, ns, chunkKey("gone"), stale); err != nil {
		t.Fatal(err)
	}
	puts := kv.Puts()
	ix := openIndex(t, kv, root, Options{})
	if ix.loadWarn != "" {
		t.Fatalf("warning after the migration: %s", ix.loadWarn)
	}
	meta, _, _ := kv.Get(ctx, ns, metaKey)
	if string(meta[:4]) != rowsMagic || string(metaNonce(meta)) == string(oldMeta[len(oldMeta)-nonceLen:]) {
		t.Errorf("state row after the migration %q (before %q): want %s and a new nonce", meta, oldMeta, rowsMagic)
	}
	if n, _ := countRows(t, kv, ns, headPrefix); n != 0 {
		t.Errorf("%d LIX3 summary rows left", n)
	}
	if sums := savedSummaries(t, kv, ns); len(sums) != 6 {
		t.Errorf("summary rows hold %d summaries, want the 6 directories", len(sums))
	}
	// 6 old rows and the stale summary row deleted, one summary row, the
	// state row
	if n, _ := countRows(t, kv, ns, chunkPrefix); n != 1 || kv.Puts()-puts != 7+1+1 {
		t.Errorf("migration wrote %d rows, %d summary rows; want 9, 1", kv.Puts()-puts, n)
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
		t.Errorf("stats %+v: the cached capture time of the LIX3 rows was lost", st)
	}
	if res := scan(t, openIndex(t, kv, root, Options{}), false); res.DirsListed != 0 || res.Files != 4 {
		t.Errorf("after a restart: listed %d, files %d; want 0, 4", res.DirsListed, res.Files)
	}
}

// TestInterruptedLIX3MigrationKeepsRows: when the migration's write does
// not commit, the LIX3 rows stay and the next Open migrates them.
func TestInterruptedLIX3MigrationKeepsRows(t *testing.T) {
	root := legacyTree(t)
	kv := lix3KV(t, root)
	ns := rowNamespace(filepath.Clean(root))
	if _, err := Open(context.Background(), failingRows{kv}, root, Options{}); err == nil {
		t.Fatal("a failed migration gave no error")
	}
	if n, _ := countRows(t, kv, ns, headPrefix); n != 6 {
		t.Fatalf("%d LIX3 summary rows after a failed migration, want 6", n)
	}
	if res := scan(t, openIndex(t, kv, root, Options{}), false); res.DirsListed != 0 || res.Files != 4 {
		t.Errorf("after the retried migration: listed %d, files %d; want 0, 4", res.DirsListed, res.Files)
	}
}

// TestAnotherWriterMovesRows: two indexes of one folder in one store (a
// daemon and a verify). One of them scans new directories, which splits a
// summary row; the other then saves capture times it read (a Match) into
// the rows as they are now, not as it loaded them, so that no directory
// ends up in two rows and a new process loads the folder without a
// warning.
func TestAnotherWriterMovesRows(t *testing.T) {
	root, rels := bigTree(t, 60, 1) // 2023/01/01 to 2023/03/01
	kv := NewMemKV()
	a := openIndex(t, kv, root, Options{})
	scan(t, a, false)
	b := openIndex(t, kv, root, Options{})
	changed := []string{"2023/02"}
	for i := 35; i < 55; i++ { // 20 more directories in February: a row splits
		writeFile(t, root, rels[i]+"-extra/IMG_0001.JPG", []byte("x"), past)
		changed = append(changed, rels[i]+"-extra")
	}
	age(t, root, changed...)
	if res := scan(t, b, false); res.DirsListed == 0 {
		t.Fatal("b listed nothing")
	}
	asset := photo.Asset{ID: "A", Filename: "IMG_0100.JPG", Kind: photo.KindPhoto, Size: 99, Taken: time.Date(2023, 3, 1, 12, 0, 0, 0, time.UTC)}
	if _, err := a.Match(context.Background(), []photo.Asset{asset}, MatchOptions{}); err != nil || a.Stats().MetaReads == 0 {
		t.Fatalf("a's match: %v, %+v", err, a.Stats())
	}
	c := openIndex(t, kv, root, Options{})
	if c.loadWarn != "" {
		t.Fatalf("load after two writers: %s", c.loadWarn)
	}
	savedSummaries(t, kv, rowNamespace(c.root))
	if res := scan(t, c, false); res.DirsListed != 0 || res.Files != 80 {
		t.Errorf("scan after two writers: listed %d %v, files %d; want 0, 80", res.DirsListed, res.ListedDirs, res.Files)
	}
}

// TestSmallRowsMerge: directories removed from a summary row leave it
// small; the next save that changes it merges it with the following row
// when the two fit, so that deletions do not leave a row per directory.
func TestSmallRowsMerge(t *testing.T) {
	root := t.TempDir()
	day := time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)
	var rels []string
	for i := range 64 {
		rel := day.AddDate(0, 0, i).Format("2006-01-02")
		rels = append(rels, rel)
		writeFile(t, root, rel+"/IMG_0001.JPG", []byte("x"), day)
	}
	age(t, root)
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)
	ns := rowNamespace(ix.root)
	rows := func() []string {
		var starts []string
		if err := kv.EachRow(context.Background(), ns, chunkPrefix, func(key string, _ []byte) error {
			starts = append(starts, key)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return starts
	}
	// the root and 64 days: three rows of about 22
	if r := rows(); len(r) != 3 {
		t.Fatalf("rows after the first scan: %q", r)
	}
	remove := func(from, to int) {
		for _, rel := range rels[from:to] {
			if err := os.RemoveAll(filepath.Join(root, rel)); err != nil {
				t.Fatal(err)
			}
		}
		age(t, root, ".")
		scan(t, ix, false)
		savedSummaries(t, kv, ns)
	}
	remove(52, 64) // the last row keeps about 10
	if r := rows(); len(r) != 3 {
		t.Fatalf("rows after removing from the last one: %q", r)
	}
	remove(26, 40) // the middle row keeps about 7: merged with the last
	if r := rows(); len(r) != 2 {
		t.Errorf("rows after removing from the middle one: %q, want 2", r)
	}
	again := openIndex(t, kv, root, Options{})
	if res := scan(t, again, false); again.loadWarn != "" || res.DirsListed != 0 || res.Files != 64-12-14 {
		t.Errorf("after a restart: warning %q, listed %d, files %d; want none, 0, 38", again.loadWarn, res.DirsListed, res.Files)
	}
}
