package localindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Every header decoder is fuzzed on its own (go test -fuzz=FuzzJPEG etc.);
// plain go test runs the seeds below and the corpus in testdata/fuzz/, which
// keeps the inputs that once hung or crashed a decoder. Each input must be
// answered within decodeBound: a decoder stuck in a loop fails the test
// instead of hanging it (a stuck goroutine cannot be stopped, so the test
// fails and the process ends).

const decodeBound = 2 * time.Second

type headerDecoder func(r *bytes.Reader, size int64) (Capture, error)

// checkDecoder runs dec on data in a goroutine and fails when it does not
// return within decodeBound, reads beyond its budget, or answers a time
// without a source.
func checkDecoder(t *testing.T, data []byte, dec headerDecoder) {
	t.Helper()
	type answer struct {
		c   Capture
		err error
	}
	done := make(chan answer, 1)
	go func() {
		c, err := dec(bytes.NewReader(data), int64(len(data)))
		done <- answer{c, err}
	}()
	select {
	case a := <-done:
		if a.err == nil && (a.c.Source == SourceNone || !validTime(a.c.Wall)) {
			t.Errorf("no error but no usable time: %+v", a.c)
		}
	case <-time.After(decodeBound):
		t.Fatalf("the decoder did not return within %s on a %d-byte input (endless loop?)", decodeBound, len(data))
	}
}

func jpegSeeds(t testing.TB) [][]byte {
	good := jpegWithExif(t, "2023:06:15 12:34:56", "+02:00")
	return [][]byte{
		good, good[:40], good[:len(good)/2], jpegWithExif(t, "", ""),
		{0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0},
		{0xFF, 0xD8, 0xFF, 0xFF, 0xFF, 0xDA},
	}
}

func FuzzJPEG(f *testing.F) {
	for _, s := range jpegSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoder(t, data, func(r *bytes.Reader, n int64) (Capture, error) { return jpegCapture(r, n) })
	})
}

func FuzzTIFF(f *testing.F) {
	for _, s := range [][]byte{
		tiffExif("2021:06:01 12:34:56", "-05:00"), tiffExif("2021:06:01 12:34:56", ""),
		tiffIFD0(binary.BigEndian, [][2]any{{uint16(tagDateTimeOriginal), "2020:02:29 23:59:59"}}),
		[]byte("II*\x00\x08\x00\x00\x00\xff\xff"), []byte("MM\x00*\x00\x00\x00\x08"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoder(t, data, func(r *bytes.Reader, n int64) (Capture, error) { return tiffCapture(r, n) })
	})
}

func FuzzPNG(f *testing.F) {
	good := pngWithExif(f, "2022:12:31 23:59:58", "+09:00")
	for _, s := range [][]byte{good, good[:50], pngWithExif(f, "", "")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoder(t, data, func(r *bytes.Reader, n int64) (Capture, error) { return pngCapture(r, n) })
	})
}

func FuzzHEIF(f *testing.F) {
	heic, err := os.ReadFile(filepath.Join("testdata", "sample.heic"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][]byte{heic, heic[:200], bytes.Replace(heic, []byte("iinf"), []byte("iinx"), 1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoder(t, data, func(r *bytes.Reader, n int64) (Capture, error) { return heifCapture(r, n) })
	})
}

func FuzzMovie(f *testing.F) {
	mvhd := time.Date(2023, 6, 15, 10, 34, 56, 0, time.UTC)
	for _, s := range [][]byte{
		movie("qt  ", mvhd, "2023-06-15T12:34:56+0200", false), movie("isom", mvhd, "2023-06-15T12:34:56Z", true),
		movie("isom", mvhd, "", false), cr3("2022:08:01 07:06:05", "+02:00"), []byte("\x00\x00\x00\x00ftyp"),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecoder(t, data, func(r *bytes.Reader, n int64) (Capture, error) {
			if n < 12 || !isBMFF(data[:12]) {
				return movieCapture(r, n)
			}
			return bmffCapture(r, n, data[:12])
		})
	})
}

// tiffIFD0 builds a TIFF block whose IFD0 holds the given ASCII tags.
func tiffIFD0(bo binary.AppendByteOrder, tags [][2]any) []byte {
	b := []byte("II*\x00")
	if bo == binary.AppendByteOrder(binary.BigEndian) {
		b = []byte("MM\x00*")
	}
	b = bo.AppendUint32(b, 8)
	b = bo.AppendUint16(b, uint16(len(tags)))
	dataOff := uint32(8 + 2 + 12*len(tags) + 4)
	var data []byte
	for _, tg := range tags {
		v := tg[1].(string) + "\x00"
		b = bo.AppendUint16(b, tg[0].(uint16))
		b = bo.AppendUint16(b, 2)
		b = bo.AppendUint32(b, uint32(len(v)))
		b = bo.AppendUint32(b, dataOff+uint32(len(data)))
		data = append(data, v...)
	}
	b = bo.AppendUint32(b, 0)
	return append(b, data...)
}

// cr3 builds a minimal Canon CR3: moov/uuid(Canon) with CMT1 (IFD0, no
// date) and CMT2 (Exif IFD with DateTimeOriginal and its offset).
func cr3(dto, offset string) []byte {
	tags := [][2]any{{uint16(tagDateTimeOriginal), dto}}
	if offset != "" {
		tags = append(tags, [2]any{uint16(tagOffsetOriginal), offset})
	}
	cmt1 := mp4Box("CMT1", tiffIFD0(binary.LittleEndian, [][2]any{{uint16(0x010F), "Canon"}}))
	cmt2 := mp4Box("CMT2", tiffIFD0(binary.LittleEndian, tags))
	uuid := mp4Box("uuid", []byte(canonUUID), mp4Box("CNCV", []byte("CanonCR3_001/00.09.00/00.00.00")), cmt1, cmt2)
	ftyp := mp4Box("ftyp", []byte("crx "), []byte{0, 0, 0, 1}, []byte("crx isom"))
	return append(append(ftyp, mp4Box("moov", uuid, mp4Box("mvhd", make([]byte, 100)))...), mp4Box("mdat", make([]byte, 64))...)
}

// TestJPEGThatHungImagemeta: a JPEG whose EOI comes straight after SOI,
// followed by an APP1 segment, sent imagemeta v0.3.1 (DecodeJPEG) into an
// endless loop. It must be answered at once, as an unreadable header.
func TestJPEGThatHungImagemeta(t *testing.T) {
	data := append([]byte{0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xE1, 0x00, 0x10}, "Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00"...)
	data = append(data, make([]byte, 80)...)
	done := make(chan error, 1)
	go func() {
		_, err := decodeCapture(bytes.NewReader(data), int64(len(data)))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrHeaderUnreadable) {
			t.Errorf("err = %v, want ErrHeaderUnreadable", err)
		}
	case <-time.After(decodeBound):
		t.Fatal("decodeCapture did not return (the endless loop of imagemeta's jpeg.ScanJPEG)")
	}
}

// TestHeaderErrorKinds: damaged or truncated headers are unreadable; sound
// files without a time, and unknown formats, are not.
func TestHeaderErrorKinds(t *testing.T) {
	good := jpegWithExif(t, "2023:06:15 12:34:56", "+02:00")
	png := pngWithExif(t, "2022:12:31 23:59:58", "+09:00")
	mvhd := time.Date(2023, 6, 15, 10, 34, 56, 0, time.UTC)
	mov := movie("qt  ", mvhd, "", false)
	moovAt := bytes.Index(mov, []byte("moov")) - 4
	badIFD := tiffExif("2021:06:01 12:34:56", "")
	badIFD[4] = 0xF0 // IFD0 offset past the end
	tests := []struct {
		name       string
		data       []byte
		unreadable bool
	}{
		{"jpeg truncated in its Exif segment", good[:40], true},
		{"jpeg EOI before any image data", []byte{0xFF, 0xD8, 0xFF, 0xD9}, true},
		{"jpeg garbage between segments", append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0x12, 0x34}, good[2:]...), true},
		{"jpeg without exif", jpegWithExif(t, "", ""), false},
		{"png truncated", png[:60], true},
		{"png without eXIf", pngWithExif(t, "", ""), false},
		{"tiff with IFD outside the file", badIFD, true},
		{"tiff with a blank date", tiffExif("    :  :     :  :  ", ""), false},
		{"movie whose moov box is cut", mov[:moovAt+20], true},
		{"movie without any time", movie("isom", time.Time{}, "", false), false},
		{"text", []byte("not a photo at all, just some text"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeCapture(bytes.NewReader(tt.data), int64(len(tt.data)))
			if err == nil {
				t.Fatalf("got %+v, want an error", c)
			}
			if got := errors.Is(err, ErrHeaderUnreadable); got != tt.unreadable {
				t.Errorf("err = %v; unreadable = %v, want %v", err, got, tt.unreadable)
			}
		})
	}
}

func TestCR3(t *testing.T) {
	data := cr3("2022:08:01 07:06:05", "+02:00")
	c, err := decodeCapture(bytes.NewReader(data), int64(len(data)))
	want := time.Date(2022, 8, 1, 7, 6, 5, 0, time.UTC)
	if err != nil || !c.Wall.Equal(want) || !c.OffsetKnown || c.Offset != 2*time.Hour || c.Source != SourceEXIF {
		t.Fatalf("got %+v, %v; want %s +02:00 from EXIF", c, err, want)
	}
}

// TestReadBudget: a decoder never reads more than the budget, whatever the
// file claims; a header beyond it is unreadable.
func TestReadBudget(t *testing.T) {
	data := jpegWithExif(t, "2023:06:15 12:34:56", "+02:00")
	br := &boundedReader{r: bytes.NewReader(data), budget: 20}
	if _, err := decodeCapture(br, int64(len(data))); !errors.Is(err, ErrHeaderUnreadable) {
		t.Errorf("with a 20-byte budget: err = %v, want ErrHeaderUnreadable", err)
	}
	br = &boundedReader{r: bytes.NewReader(data), budget: 4096, deadline: time.Now().Add(-time.Second)}
	_, err := decodeCapture(br, int64(len(data)))
	if !errors.Is(err, ErrHeaderUnreadable) || !errors.Is(err, errSlowRead) {
		t.Errorf("past the deadline: err = %v, want an unreadable header worth another try", err)
	}
}
