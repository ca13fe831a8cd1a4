package localindex

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tiffExif builds a little-endian TIFF block: IFD0 pointing at an Exif IFD
// with DateTimeOriginal and, when offset is not empty, OffsetTimeOriginal.
func tiffExif(dto, offset string) []byte {
	type entry struct {
		tag  uint16
		val  string
		kind uint16
	}
	entries := []entry{{0x9003, dto + "\x00", 2}}
	if offset != "" {
		entries = append(entries, entry{0x9011, offset + "\x00", 2})
	}
	le := binary.LittleEndian
	b := []byte("II*\x00\x08\x00\x00\x00")
	exifOff := uint32(8 + 2 + 12 + 4)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0x8769)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, exifOff)
	b = le.AppendUint32(b, 0)
	dataOff := exifOff + 2 + 12*uint32(len(entries)) + 4
	var data []byte
	b = le.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = le.AppendUint16(b, e.tag)
		b = le.AppendUint16(b, e.kind)
		b = le.AppendUint32(b, uint32(len(e.val)))
		b = le.AppendUint32(b, dataOff+uint32(len(data)))
		data = append(data, e.val...)
	}
	b = le.AppendUint32(b, 0)
	return append(b, data...)
}

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(3, 3, color.White)
	return img
}

// jpegWithExif encodes a real 16×16 JPEG and inserts an APP1 Exif segment.
func jpegWithExif(t testing.TB, dto, offset string) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	body := buf.Bytes()
	if dto == "" {
		return body
	}
	payload := append([]byte("Exif\x00\x00"), tiffExif(dto, offset)...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, body[:2]...)
	out = append(out, seg...)
	return append(out, body[2:]...)
}

// pngWithExif encodes a real PNG and inserts an eXIf chunk after IHDR.
func pngWithExif(t testing.TB, dto, offset string) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage()); err != nil {
		t.Fatal(err)
	}
	body := buf.Bytes()
	if dto == "" {
		return body
	}
	data := tiffExif(dto, offset)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, "eXIf"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	ihdrEnd := 8 + 8 + 13 + 4
	out := append([]byte{}, body[:ihdrEnd]...)
	out = append(out, chunk...)
	return append(out, body[ihdrEnd:]...)
}

func mp4Box(typ string, parts ...[]byte) []byte {
	n := 8
	for _, p := range parts {
		n += len(p)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(n))
	b = append(b, typ...)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// movie builds a MOV (brand "qt  ") or MP4 ("isom") with an mvhd creation
// time and, when appleDate is not empty, moov/meta keys+ilst holding
// com.apple.quicktime.creationdate. isoMeta gives meta the FullBox header
// MP4 writers use.
func movie(brand string, mvhd time.Time, appleDate string, isoMeta bool) []byte {
	ftyp := mp4Box("ftyp", []byte(brand), []byte{0, 0, 0, 0}, []byte(brand))
	mv := make([]byte, 100)
	if !mvhd.IsZero() {
		binary.BigEndian.PutUint32(mv[4:], uint32(mvhd.Unix()+secondsTo1970))
	}
	moovParts := [][]byte{mp4Box("mvhd", mv)}
	if appleDate != "" {
		key := []byte(quickTimeDate)
		keys := binary.BigEndian.AppendUint32([]byte{0, 0, 0, 0}, 2)
		keys = append(keys, mp4Box("mdta", []byte("com.apple.quicktime.make"))...)
		keys = binary.BigEndian.AppendUint32(keys, uint32(8+len(key)))
		keys = append(keys, "mdta"...)
		keys = append(keys, key...)
		data := mp4Box("data", []byte{0, 0, 0, 1, 0, 0, 0, 0}, []byte(appleDate))
		item := mp4Box("\x00\x00\x00\x02", data)
		makeItem := mp4Box("\x00\x00\x00\x01", mp4Box("data", []byte{0, 0, 0, 1, 0, 0, 0, 0}, []byte("Apple")))
		hdlr := mp4Box("hdlr", make([]byte, 8), []byte("mdta"), make([]byte, 13))
		var pre []byte
		if isoMeta {
			pre = []byte{0, 0, 0, 0}
		}
		moovParts = append(moovParts, mp4Box("meta", pre, hdlr, mp4Box("keys", keys), mp4Box("ilst", makeItem, item)))
	}
	return append(append(ftyp, mp4Box("moov", moovParts...)...), mp4Box("mdat", make([]byte, 64))...)
}

// writeFile writes data under dir/rel and sets its mtime.
func writeFile(t testing.TB, dir, rel string, data []byte, mtime time.Time) string {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return p
}
