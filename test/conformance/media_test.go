package conformance

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// localFile is one entry of a case's local.json manifest.
type localFile struct {
	Path string `json:"path"` // relative to the folder; {{utc:REL}} is replaced (see utcRE)
	// Kind: jpeg (EXIF DateTimeOriginal), heic (ftyp + meta/iinf/iloc
	// Exif item), mov/mp4 (moov/mvhd creation time), bin (no header).
	Kind  string `json:"kind"`
	Size  int64  `json:"size"`  // exact file size; the headers are padded to it
	Mtime string `json:"mtime"` // offset from now, e.g. "-2d"
	// Taken is the capture time as an offset from now; it is written as
	// the wall clock in UTC (the recorded assets use timeZoneOffset 0).
	Taken string `json:"taken,omitempty"`
}

// utcRE is the path template {{utc:-1d10m}}: the instant now-1d10m as
// YYYYMMDD_HHMMSS in UTC, for names that carry a capture time (PhotoPrism's
// canonical names).
var utcRE = regexp.MustCompile(`\{\{utc:([^}]*)\}\}`)

// materialise writes f under dir with real minimal headers.
func materialise(dir string, f localFile, now time.Time) error {
	var bad error
	f.Path = utcRE.ReplaceAllStringFunc(f.Path, func(m string) string {
		d, err := parseRel(utcRE.FindStringSubmatch(m)[1])
		if err != nil {
			bad = fmt.Errorf("%s: %w", f.Path, err)
		}
		return now.Add(d).UTC().Format("20060102_150405")
	})
	if bad != nil {
		return bad
	}
	taken, err := relTo(now, f.Taken)
	if err != nil {
		return err
	}
	var head []byte
	switch f.Kind {
	case "jpeg":
		head = jpegWithExif(taken)
	case "heic":
		head = heicWithExif(taken)
	case "mov":
		head = movie("qt  ", taken)
	case "mp4":
		head = movie("isom", taken)
	case "bin", "":
	default:
		return fmt.Errorf("%s: unknown kind %q (jpeg, heic, mov, mp4, bin)", f.Path, f.Kind)
	}
	data, err := pad(head, f.Size, f.Kind)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	p := filepath.Join(dir, filepath.FromSlash(f.Path))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return err
	}
	mt, err := relTo(now, f.Mtime)
	if err != nil {
		return err
	}
	return os.Chtimes(p, mt, mt)
}

// relTo is now moved by the relative time rel ("" is now itself).
func relTo(now time.Time, rel string) (time.Time, error) {
	if rel == "" {
		return now, nil
	}
	d, err := parseRel(rel)
	if err != nil {
		return time.Time{}, err
	}
	return now.Add(d), nil
}

// pad grows head to size: zeros after the JPEG end marker, a "free" box
// for the ISO-BMFF kinds.
func pad(head []byte, size int64, kind string) ([]byte, error) {
	n := size - int64(len(head))
	switch {
	case n < 0:
		return nil, fmt.Errorf("size %d is smaller than the %d header bytes", size, len(head))
	case n == 0:
		return head, nil
	}
	if kind == "heic" || kind == "mov" || kind == "mp4" {
		if n < 8 {
			return nil, fmt.Errorf("size %d leaves %d bytes, too few for a free box", size, n)
		}
		return append(head, box("free", make([]byte, n-8))...), nil
	}
	return append(head, make([]byte, n)...), nil
}

// tiffWithDate is a big-endian TIFF block: IFD0 -> Exif IFD ->
// DateTimeOriginal.
func tiffWithDate(t time.Time) []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.BigEndian, v) }
	b.WriteString("MM\x00\x2a")
	w(uint32(8))
	// IFD0 at 8: one entry (ExifIFDPointer), then the next-IFD offset.
	w(uint16(1))
	w(uint16(0x8769))
	w(uint16(4))
	w(uint32(1))
	w(uint32(26))
	w(uint32(0))
	// Exif IFD at 26: DateTimeOriginal, ASCII, 20 bytes at 44.
	w(uint16(1))
	w(uint16(0x9003))
	w(uint16(2))
	w(uint32(20))
	w(uint32(44))
	w(uint32(0))
	b.WriteString(t.UTC().Format("2006:01:02 15:04:05") + "\x00")
	return b.Bytes()
}

// jpegWithExif is a real 8x8 baseline JPEG (image/jpeg) with an APP1 Exif
// segment right after the start marker, as cameras write it.
func jpegWithExif(t time.Time) []byte {
	var img bytes.Buffer
	_ = jpeg.Encode(&img, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	payload := append([]byte("Exif\x00\x00"), tiffWithDate(t)...)
	var b bytes.Buffer
	b.Write(img.Bytes()[:2])
	b.Write([]byte{0xFF, 0xE1})
	_ = binary.Write(&b, binary.BigEndian, uint16(len(payload)+2)) //nolint:gosec // small
	b.Write(payload)
	b.Write(img.Bytes()[2:])
	return b.Bytes()
}

func box(typ string, payload []byte) []byte {
	out := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint32(out, uint32(8+len(payload))) //nolint:gosec // small test boxes
	copy(out[4:], typ)
	return append(out, payload...)
}

func fullBox(typ string, version byte, payload []byte) []byte {
	return box(typ, append([]byte{version, 0, 0, 0}, payload...))
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// heicWithExif is ftyp heic + meta (hdlr pict, iinf with one Exif infe,
// iloc pointing into mdat) + mdat holding the Exif item.
func heicWithExif(t time.Time) []byte {
	ftyp := box("ftyp", cat([]byte("heic"), u32(0), []byte("mif1heic")))
	item := cat(u32(6), []byte("Exif\x00\x00"), tiffWithDate(t))
	build := func(off uint32) []byte {
		hdlr := fullBox("hdlr", 0, cat(u32(0), []byte("pict"), make([]byte, 12), []byte{0}))
		infe := fullBox("infe", 2, cat(u16(1), u16(0), []byte("Exif"), []byte{0}))
		iinf := fullBox("iinf", 0, cat(u16(1), infe))
		iloc := fullBox("iloc", 0, cat([]byte{0x44, 0x00}, u16(1), u16(1), u16(0), u16(1), u32(off), u32(uint32(len(item))))) //nolint:gosec // small
		return fullBox("meta", 0, cat(hdlr, iinf, iloc))
	}
	meta := build(0)
	off := uint32(len(ftyp) + len(meta) + 8) //nolint:gosec // small
	meta = build(off)
	return cat(ftyp, meta, box("mdat", item))
}

// movie is ftyp + moov/mvhd (version 0) with the creation time in seconds
// since 1904 (UTC).
func movie(brand string, t time.Time) []byte {
	const to1970 = 2082844800
	secs := uint32(t.Unix() + to1970) //nolint:gosec // dates of this century
	ftyp := box("ftyp", cat([]byte(brand), u32(0), []byte(brand)))
	mvhd := fullBox("mvhd", 0, cat(u32(secs), u32(secs), u32(600), u32(600), u32(0x00010000), u16(0x0100), make([]byte, 10),
		u32(0x00010000), u32(0), u32(0), u32(0), u32(0x00010000), u32(0), u32(0), u32(0), u32(0x40000000), make([]byte, 24), u32(2)))
	return cat(ftyp, box("moov", mvhd))
}
