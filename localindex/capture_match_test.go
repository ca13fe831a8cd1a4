package localindex

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// hangingJPEG made imagemeta v0.3.1's DecodeJPEG loop for ever: EOI right
// after SOI, then an APP1 Exif segment.
func hangingJPEG() []byte {
	b := append([]byte{0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xE1, 0x00, 0x10}, "Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00"...)
	return append(b, make([]byte, 80)...)
}

// TestUnreadableHeaderMatchedByNameAndSizeOnly: a file whose header cannot
// be read is answered within the bounds, never matched by a time (not even
// its mtime), counted and named by UnreadableHeaders across a restart, and
// still matched by name and size.
func TestUnreadableHeaderMatchedByNameAndSizeOnly(t *testing.T) {
	root := t.TempDir()
	good := jpegWithExif(t, exifDTO, "+02:00")
	writeSized(t, root, local{rel: "2023/IMG_0002.JPG", head: hangingJPEG(), size: 5000})
	writeSized(t, root, local{rel: "2023/IMG_0001.JPG", head: good[:40]}) // cut in its Exif segment
	writeSized(t, root, local{rel: "2023/IMG_0003.JPG", head: good, size: 5000})
	kv := NewMemKV()
	ix := openIndex(t, kv, root, Options{})
	scan(t, ix, false)

	// Same stems, other sizes: only a capture time could match them. The
	// mtime equals the asset's time, which the old fallback took for one.
	assets := []photo.Asset{asset("IMG_0001.JPG", 4000), asset("IMG_0002.JPG", 4000), asset("IMG_0003.JPG", 4000)}
	type result struct {
		m   []Match
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := ix.Match(context.Background(), assets, MatchOptions{})
		done <- result{m, err}
	}()
	var got []Match
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		got = r.m
	case <-time.After(10 * time.Second):
		t.Fatal("Match did not return: a header read does not end")
	}
	checkMatch(t, got[0], want{})
	checkMatch(t, got[1], want{})
	checkMatch(t, got[2], want{conf: photo.ConfidenceLikely, path: "2023/IMG_0003.JPG"})
	wantNames := []string{"2023/IMG_0001.JPG", "2023/IMG_0002.JPG"}
	if n, names := ix.UnreadableHeaders(10); n != 2 || !slices.Equal(names, wantNames) {
		t.Errorf("UnreadableHeaders = %d %q, want 2 %q", n, names, wantNames)
	}
	if n, names := ix.UnreadableHeaders(1); n != 2 || len(names) != 1 {
		t.Errorf("UnreadableHeaders(1) = %d %q, want 2 and one name", n, names)
	}

	// Restarted: the verdict is cached, nothing is read again, and the
	// name and size rule still matches the file.
	ix2 := openIndex(t, kv, root, Options{})
	scan(t, ix2, false)
	if n, _ := ix2.UnreadableHeaders(10); n != 2 {
		t.Errorf("after restart UnreadableHeaders = %d, want 2 (cached)", n)
	}
	got, err := ix2.Match(context.Background(), []photo.Asset{asset("IMG_0002.JPG", 5000), asset("IMG_0001.JPG", 4000)}, MatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkMatch(t, got[0], want{conf: photo.ConfidenceCertain, path: "2023/IMG_0002.JPG"})
	if f := got[1].File; f != nil && f.Path == "2023/IMG_0001.JPG" {
		t.Errorf("after restart the unreadable IMG_0001.JPG matched by %s", f.Reason)
	}
	if r := ix2.Stats().MetaReads; r != 0 {
		t.Errorf("after restart %d headers were read, want 0 (unreadable is cached)", r)
	}
}

// TestSlowHeaderReadNotCached: an I/O error or the time limit may pass, so
// only a damaged header is remembered.
func TestSlowHeaderReadNotCached(t *testing.T) {
	ix := openIndex(t, NewMemKV(), t.TempDir(), Options{})
	f := &fileEntry{name: "a.jpg", size: 10}
	ix.headerUnreadable(f, "a.jpg", readFailed("JPEG marker", errors.New("input/output error")))
	if c, ok := f.capture(); ok {
		t.Errorf("an I/O error was cached as %+v", c)
	}
	ix.headerUnreadable(f, "a.jpg", unreadable("damaged"))
	if c, ok := f.capture(); !ok || c.Source != SourceUnreadable {
		t.Errorf("a damaged header was cached as %+v, %v; want unreadable", c, ok)
	}
}
