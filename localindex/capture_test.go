package localindex

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDecodeCapture(t *testing.T) {
	heic, err := os.ReadFile(filepath.Join("testdata", "sample.heic"))
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time { tm, _ := time.Parse(time.DateTime, s); return tm }
	mvhd := time.Date(2023, 6, 15, 10, 34, 56, 0, time.UTC)
	tests := []struct {
		name    string
		data    []byte
		want    Capture
		wantErr bool
	}{
		{"jpeg with offset", jpegWithExif(t, "2023:06:15 12:34:56", "+02:00"),
			Capture{Wall: utc("2023-06-15 12:34:56"), Offset: 2 * time.Hour, OffsetKnown: true, Source: SourceEXIF}, false},
		{"jpeg negative offset", jpegWithExif(t, "2023:06:15 12:34:56", "-07:00"),
			Capture{Wall: utc("2023-06-15 12:34:56"), Offset: -7 * time.Hour, OffsetKnown: true, Source: SourceEXIF}, false},
		{"jpeg without offset", jpegWithExif(t, "2019:01:02 03:04:05", ""),
			Capture{Wall: utc("2019-01-02 03:04:05"), Source: SourceEXIF}, false},
		{"jpeg without exif", jpegWithExif(t, "", ""), Capture{}, true},
		{"png with eXIf", pngWithExif(t, "2022:12:31 23:59:58", "+09:00"),
			Capture{Wall: utc("2022-12-31 23:59:58"), Offset: 9 * time.Hour, OffsetKnown: true, Source: SourceEXIF}, false},
		{"png without eXIf", pngWithExif(t, "", ""), Capture{}, true},
		{"tiff/dng", tiffExif("2021:06:01 12:34:56", ""),
			Capture{Wall: utc("2021-06-01 12:34:56"), Source: SourceEXIF}, false},
		{"heic", heic,
			Capture{Wall: utc("2024-03-10 08:15:42"), Offset: time.Hour, OffsetKnown: true, Source: SourceEXIF}, false},
		{"mov apple creationdate", movie("qt  ", mvhd, "2023-06-15T12:34:56+0200", false),
			Capture{Wall: utc("2023-06-15 12:34:56"), Offset: 2 * time.Hour, OffsetKnown: true, Source: SourceQuickTime}, false},
		{"mp4 iso meta", movie("isom", mvhd, "2023-06-15T03:34:56-07:00", true),
			Capture{Wall: utc("2023-06-15 03:34:56"), Offset: -7 * time.Hour, OffsetKnown: true, Source: SourceQuickTime}, false},
		{"mp4 mvhd only", movie("isom", mvhd, "", false),
			Capture{Wall: mvhd, OffsetKnown: true, Source: SourceMvhd}, false},
		{"mp4 no times", movie("isom", time.Time{}, "", false), Capture{}, true},
		{"text file", []byte("hello, this is not a photo"), Capture{}, true},
		{"empty", nil, Capture{}, true},
		{"truncated jpeg", jpegWithExif(t, "2023:06:15 12:34:56", "+02:00")[:40], Capture{}, true},
		{"truncated heic", heic[:200], Capture{}, true},
		{"truncated mov", movie("qt  ", mvhd, "2023-06-15T12:34:56+0200", false)[:60], Capture{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeCapture(bytes.NewReader(tt.data), int64(len(tt.data)))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v (got %+v)", err, tt.wantErr, got)
			}
			if !tt.wantErr && (!got.Wall.Equal(tt.want.Wall) || got.Offset != tt.want.Offset ||
				got.OffsetKnown != tt.want.OffsetKnown || got.Source != tt.want.Source) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadCaptureBoundsAndFiles(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.jpg", jpegWithExif(t, "2023:06:15 12:34:56", "+02:00"), time.Time{})
	if _, err := ReadCapture(p, 1<<20); err != nil {
		t.Fatalf("ReadCapture: %v", err)
	}
	// With a bound below the EXIF block the header is not reachable.
	if _, err := ReadCapture(p, 30); err == nil {
		t.Error("ReadCapture with a 30-byte bound found a time beyond the bound")
	}
	if _, err := ReadCapture(filepath.Join(dir, "missing.jpg"), 1<<20); err == nil {
		t.Error("ReadCapture of a missing file gave no error")
	}
}

// TestHostileBoxes feeds box sizes that point outside the file, loop on
// themselves or claim huge payloads: each must end in an error.
func TestHostileBoxes(t *testing.T) {
	zeroSize := append(mp4Box("ftyp", []byte("qt  \x00\x00\x00\x00")), 0, 0, 0, 0, 'm', 'o', 'o', 'v')
	huge := append(mp4Box("ftyp", []byte("qt  \x00\x00\x00\x00")), 0xFF, 0xFF, 0xFF, 0xFF, 'm', 'o', 'o', 'v')
	tiny := append(mp4Box("ftyp", []byte("heic\x00\x00\x00\x00")), 0, 0, 0, 3, 'm', 'e', 't', 'a')
	large := append(mp4Box("ftyp", []byte("isom\x00\x00\x00\x00")), 0, 0, 0, 1, 'm', 'o', 'o', 'v', 0xFF, 0, 0, 0, 0, 0, 0, 0)
	badKeys := movie("qt  ", time.Time{}, "2023-06-15T12:34:56+0200", false)
	if i := bytes.Index(badKeys, []byte("mdtacom.apple.quicktime.creationdate")); i > 4 {
		badKeys[i-1] = 0xF0 // key size larger than the keys box
	}
	for name, data := range map[string][]byte{"zero-size moov": zeroSize, "huge moov": huge, "tiny meta": tiny,
		"largesize overflow": large, "bad keys": badKeys} {
		if c, err := decodeCapture(bytes.NewReader(data), int64(len(data))); err == nil {
			t.Errorf("%s: got %+v, want an error", name, c)
		}
	}
}

func FuzzDecodeCapture(f *testing.F) {
	heic, err := os.ReadFile(filepath.Join("testdata", "sample.heic"))
	if err != nil {
		f.Fatal(err)
	}
	mvhd := time.Date(2023, 6, 15, 10, 34, 56, 0, time.UTC)
	for _, seed := range [][]byte{
		jpegWithExif(f, "2023:06:15 12:34:56", "+02:00"), pngWithExif(f, "2022:12:31 23:59:58", "+09:00"),
		tiffExif("2021:06:01 12:34:56", "-05:00"), heic, movie("qt  ", mvhd, "2023-06-15T12:34:56+0200", false),
		movie("isom", mvhd, "2023-06-15T12:34:56Z", true), []byte("\x00\x00\x00\x00ftyp"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			c, err := decodeCapture(bytes.NewReader(data), int64(len(data)))
			if err == nil && c.Source == SourceNone {
				t.Errorf("no error but no source: %+v", c)
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("decodeCapture did not finish within 5s on a %d-byte input", len(data))
		}
	})
}

func TestHEIFExifItemFromBoxes(t *testing.T) {
	heic, err := os.ReadFile(filepath.Join("testdata", "sample.heic"))
	if err != nil {
		t.Fatal(err)
	}
	tiff, err := heifExifItem(bytes.NewReader(heic), int64(len(heic)))
	if err != nil {
		t.Fatalf("heifExifItem: %v", err)
	}
	if !bytes.HasPrefix(tiff, []byte("II*\x00")) && !bytes.HasPrefix(tiff, []byte("MM\x00*")) {
		t.Errorf("Exif item does not start with a TIFF header: % x", tiff[:min(8, len(tiff))])
	}
}

// TestHEIFWithoutExifItem: a HEIC that lists no Exif item has no time; the
// byte-by-byte fallback scan is kept for files whose boxes are broken.
func TestHEIFWithoutExifItem(t *testing.T) {
	heic, err := os.ReadFile(filepath.Join("testdata", "sample.heic"))
	if err != nil {
		t.Fatal(err)
	}
	noExif := bytes.Replace(heic, []byte("Exif"), []byte("Exig"), 1)
	if c, err := decodeCapture(bytes.NewReader(noExif), int64(len(noExif))); err == nil {
		t.Errorf("HEIC without an Exif item: got %+v, want no time", c)
	}
	brokenMeta := bytes.Replace(heic, []byte("iinf"), []byte("iinx"), 1)
	c, err := decodeCapture(bytes.NewReader(brokenMeta), int64(len(brokenMeta)))
	if err != nil || c.Wall.Format(time.DateTime) != "2024-03-10 08:15:42" {
		t.Errorf("HEIC with a broken iinf: got %+v, %v; want the time found by the fallback scan", c, err)
	}
}
