package localindex

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// bigTree writes dirs directories of files files each (2023/MM/DD/IMG_n.JPG)
// and ages them.
func bigTree(t *testing.T, dirs, files int) (string, []string) {
	t.Helper()
	return fillTree(t, t.TempDir(), dirs, files)
}

func fillTree(t *testing.T, root string, dirs, files int) (string, []string) {
	t.Helper()
	day := time.Date(2023, 1, 1, 12, 0, 0, 0, time.UTC)
	var rels []string
	for d := 0; d < dirs; d++ {
		rel := day.AddDate(0, 0, d).Format("2006/01/02")
		rels = append(rels, rel)
		for i := 0; i < files; i++ {
			writeFile(t, root, fmt.Sprintf("%s/IMG_%04d.JPG", rel, d*files+i), []byte("x"), day)
		}
	}
	age(t, root)
	return root, rels
}

// TestChangeWritesItsDirectoryOnly: adding a file rewrites the rows of its
// directory and the state row, not the index; so do a removed directory
// and a capture time read by Match.
func TestChangeWritesItsDirectoryOnly(t *testing.T) {
	root, rels := bigTree(t, 100, 30)
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)
	total := kv.BytesWritten()
	if total < 50_000 {
		t.Fatalf("the cold scan wrote %d bytes; the test needs a larger index", total)
	}
	step := func(what string, maxRows int, maxBytes int64, do func()) {
		t.Helper()
		rows, bytes := kv.Puts(), kv.BytesWritten()
		do()
		rows, bytes = kv.Puts()-rows, kv.BytesWritten()-bytes
		if rows == 0 || rows > maxRows || bytes > maxBytes {
			t.Errorf("%s wrote %d rows, %d bytes (index %d bytes); want 1..%d rows, at most %d bytes", what, rows, bytes, total, maxRows, maxBytes)
		}
	}
	step("adding one file", 3, 2_000, func() {
		writeFile(t, root, rels[50]+"/IMG_9999.JPG", []byte("new"), past)
		age(t, root, rels[50])
		if res := scan(t, ix, false); res.FilesAdded != 1 || res.DirsListed != 1 {
			t.Fatalf("scan: %+v", res)
		}
	})
	// The directory's summary goes out of its summary row, and its
	// parent's changes in its own: at most two rows of 32 summaries
	// (chunks.go), whatever the size of the folder.
	step("removing one directory", 5, 2*chunkMaxBytes+500, func() {
		if err := os.RemoveAll(filepath.Join(root, filepath.FromSlash(rels[7]))); err != nil {
			t.Fatal(err)
		}
		age(t, root, filepath.Dir(rels[7]))
		if res := scan(t, ix, false); res.FilesRemoved != 30 {
			t.Fatalf("scan: %+v", res)
		}
	})
	// The asset's folder date makes the files of three directories
	// candidates; their headers are read and cached: three directories.
	step("caching capture times", 7, 5_000, func() {
		a := photo.Asset{ID: "A", Filename: "IMG_0100.JPG", Kind: photo.KindPhoto, Size: 99, Taken: time.Date(2023, 1, 4, 12, 0, 0, 0, time.UTC)}
		if _, err := ix.Match(context.Background(), []photo.Asset{a}, MatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if ix.Stats().MetaReads != 90 {
			t.Fatalf("stats %+v: want the 90 files of three directories read", ix.Stats())
		}
	})
	// and what was written is what a new process reads
	res := scan(t, openIndex(t, kv, root, Options{}), false)
	if res.DirsListed != 0 || res.Files != 100*30+1-30 {
		t.Errorf("after restart: listed %d, files %d", res.DirsListed, res.Files)
	}
}

// TestMatchSeesUnsavedAndSavedFiles: the candidates come from saved rows
// and from directories whose rows could not be saved yet, alike.
func TestMatchSeesUnsavedAndSavedFiles(t *testing.T) {
	root, rels := bigTree(t, 3, 2)
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)
	writeFile(t, root, rels[1]+"/IMG_7777.JPG", []byte("seven"), past)
	age(t, root, rels[1])
	broken := openIndex(t, failingRows{kv}, root, Options{})
	if _, err := broken.Scan(context.Background(), ScanOptions{}); err == nil {
		t.Fatal("a failing store gave no error")
	}
	assets := []photo.Asset{
		{ID: "saved", Filename: "IMG_0000.JPG", Kind: photo.KindPhoto, Size: 1},
		{ID: "unsaved", Filename: "IMG_7777.JPG", Kind: photo.KindPhoto, Size: 5},
	}
	ms, _ := broken.Match(context.Background(), assets, MatchOptions{})
	for _, m := range ms {
		if m.Confidence != photo.ConfidenceCertain {
			t.Errorf("%s: %v, want certain", m.AssetID, m.Confidence)
		}
	}
}

// countingKV counts the streams of rows.
type countingKV struct {
	*MemKV
	streams int
}

func (c *countingKV) EachRow(ctx context.Context, ns, prefix string, fn func(string, []byte) error) error {
	c.streams++
	return c.MemKV.EachRow(ctx, ns, prefix, fn)
}

// TestRepeatMatchReusesCandidates: a daemon whose folder and newest assets
// did not change matches again without reading the rows; a changed
// directory or other assets read them again.
func TestRepeatMatchReusesCandidates(t *testing.T) {
	root, rels := bigTree(t, 5, 3)
	kv := &countingKV{MemKV: NewMemKV()}
	ix := openIndex(t, kv, root, Options{})
	a := []photo.Asset{{ID: "A", Filename: "IMG_0004.JPG", Kind: photo.KindPhoto, Size: 1}}
	b := []photo.Asset{{ID: "B", Filename: "IMG_0007.JPG", Kind: photo.KindPhoto, Size: 1}}
	match := func(assets []photo.Asset, wantStream bool) {
		t.Helper()
		before := kv.streams
		ms, err := ix.Match(context.Background(), assets, MatchOptions{})
		if err != nil || ms[0].Confidence != photo.ConfidenceCertain {
			t.Fatalf("match: %v %+v", err, ms)
		}
		if streamed := kv.streams > before; streamed != wantStream {
			t.Errorf("%s: rows read %v, want %v", assets[0].ID, streamed, wantStream)
		}
	}
	scan(t, ix, false)
	match(a, true)
	scan(t, ix, false)
	match(a, false)
	match(b, true)
	writeFile(t, root, rels[2]+"/IMG_0999.JPG", []byte("x"), past)
	age(t, root, rels[2])
	scan(t, ix, false)
	match(b, true)
}

// FuzzDecodeRows: a damaged directory row is an error, never a panic or a
// huge allocation, and a row that decodes is encoded to one that decodes.
func FuzzDecodeRows(f *testing.F) {
	d := &dirState{rel: "2023/06/15", mtime: 1, subdirs: []string{"x"}, links: []string{"l"}, loaded: true,
		files: []fileEntry{{name: "IMG_1.HEIC", size: 9, mtime: 3, capWall: 1700000000, capSrc: uint8(SourceEXIF)},
			{name: "IMG_1_HEVC.MOV", size: 1 << 33, mtime: -5}, {name: "20230615_103456_ABCD.jpg", size: 1, mtime: 2}}}
	d.summarize()
	f.Add(encodeFiles(d), encodeHead(d))
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, files, head []byte) {
		if fs, err := decodeFiles(files); err == nil {
			got := encodeFiles(&dirState{files: fs})
			if again, err := decodeFiles(got); err != nil || len(again) != len(fs) {
				t.Errorf("re-encoded row does not decode: %v", err)
			}
		}
		if hd, err := decodeHead("a", head); err == nil && hd == nil {
			t.Error("no error and no directory")
		}
	})
}
