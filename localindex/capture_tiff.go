package localindex

import (
	"encoding/binary"
	"io"
	"time"
)

// A small TIFF/EXIF reader for the four tags the matcher needs. It reads
// IFD0 and the Exif IFD it points to, nothing else: every offset is checked
// against the block, entries per IFD are capped, and no IFD is visited
// twice, so a hostile block costs at most a few kilobytes of reads.

const (
	tagExifIFD           = 0x8769
	tagDateTimeOriginal  = 0x9003
	tagDateTimeDigitized = 0x9004
	tagOffsetOriginal    = 0x9011
	tagOffsetDigitized   = 0x9012

	maxIFDEntries  = 1024 // entries per IFD (cameras write a few hundred at most)
	maxTagValueLen = 64   // an ASCII date or offset is 20 or 7 bytes
)

// exifDates are the date tags of one EXIF block, as written.
type exifDates struct {
	original, digitized             string // "YYYY:MM:DD HH:MM:SS"
	offsetOriginal, offsetDigitized string // "+HH:MM"
}

// tiffDates reads the date tags of the TIFF block r[0:size] (a TIFF or DNG
// file, or the payload of a JPEG APP1, PNG eXIf, HEIF Exif item or CR3 CMT
// box). A block whose structure cannot be followed is unreadable; a sound
// block without dates is errNoTime.
func tiffDates(r io.ReaderAt, size int64) (exifDates, error) {
	var d exifDates
	var hdr [8]byte
	if size < 8 {
		return d, unreadable("TIFF block of %d bytes is too short", size)
	}
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return d, readFailed("TIFF header", err)
	}
	var bo binary.ByteOrder
	switch string(hdr[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return d, unreadable("no TIFF header")
	}
	t := tiffReader{r: r, size: size, bo: bo}
	exifIFD, err := t.ifd(int64(bo.Uint32(hdr[4:8])), &d)
	if err != nil {
		return d, err
	}
	if exifIFD > 0 && exifIFD != int64(bo.Uint32(hdr[4:8])) {
		if _, err := t.ifd(exifIFD, &d); err != nil {
			return d, err
		}
	}
	if d.original == "" && d.digitized == "" {
		return d, errNoTime
	}
	return d, nil
}

type tiffReader struct {
	r    io.ReaderAt
	size int64
	bo   binary.ByteOrder
}

// ifd reads the IFD at off into d and returns the Exif IFD offset it names
// (0 when none).
func (t tiffReader) ifd(off int64, d *exifDates) (int64, error) {
	if off < 8 || off+2 > t.size {
		return 0, unreadable("IFD offset %d outside the %d-byte TIFF block", off, t.size)
	}
	var cnt [2]byte
	if _, err := t.r.ReadAt(cnt[:], off); err != nil {
		return 0, readFailed("IFD", err)
	}
	n := int64(t.bo.Uint16(cnt[:]))
	if n > maxIFDEntries || off+2+12*n > t.size {
		return 0, unreadable("IFD at %d claims %d entries", off, n)
	}
	entries := make([]byte, 12*n)
	if _, err := t.r.ReadAt(entries, off+2); err != nil {
		return 0, readFailed("IFD entries", err)
	}
	var exifIFD int64
	for e := entries; len(e) >= 12; e = e[12:] {
		tag, typ, count := t.bo.Uint16(e[0:2]), t.bo.Uint16(e[2:4]), int64(t.bo.Uint32(e[4:8]))
		var dst *string
		switch tag {
		case tagExifIFD:
			if (typ == 4 || typ == 13) && count == 1 {
				exifIFD = int64(t.bo.Uint32(e[8:12]))
			}
			continue
		case tagDateTimeOriginal:
			dst = &d.original
		case tagDateTimeDigitized:
			dst = &d.digitized
		case tagOffsetOriginal:
			dst = &d.offsetOriginal
		case tagOffsetDigitized:
			dst = &d.offsetDigitized
		default:
			continue
		}
		if typ != 2 || count == 0 || count > maxTagValueLen {
			continue // not ASCII or absurd: ignore the tag, like a reader of EXIF would
		}
		v, err := t.value(e[8:12], count)
		if err != nil {
			return 0, err
		}
		*dst = v
	}
	return exifIFD, nil
}

// value returns an ASCII value of count bytes, stored inline (up to 4
// bytes) or at the offset in field.
func (t tiffReader) value(field []byte, count int64) (string, error) {
	if count <= 4 {
		return trimASCII(field[:count]), nil
	}
	off := int64(t.bo.Uint32(field))
	if off < 8 || off+count > t.size {
		return "", unreadable("tag value at %d outside the %d-byte TIFF block", off, t.size)
	}
	buf := make([]byte, count)
	if _, err := t.r.ReadAt(buf, off); err != nil {
		return "", readFailed("tag value", err)
	}
	return trimASCII(buf), nil
}

// trimASCII cuts an ASCII value at its first NUL.
func trimASCII(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// exifDateLayout is how EXIF writes dates.
const exifDateLayout = "2006:01:02 15:04:05"

// capture turns the dates into a Capture: DateTimeOriginal with
// OffsetTimeOriginal, else DateTimeDigitized with OffsetTimeDigitized. A
// blank or absurd date (a camera whose clock was never set) is errNoTime.
func (d exifDates) capture() (Capture, error) {
	for _, p := range [][2]string{{d.original, d.offsetOriginal}, {d.digitized, d.offsetDigitized}} {
		if len(p[0]) < len(exifDateLayout) {
			continue
		}
		wall, err := time.Parse(exifDateLayout, p[0][:len(exifDateLayout)])
		if err != nil || !validTime(wall) {
			continue
		}
		off, ok := parseExifOffset(p[1])
		return Capture{Wall: wall, Offset: off, OffsetKnown: ok, Source: SourceEXIF}, nil
	}
	return Capture{}, errNoTime
}

// parseExifOffset parses "+HH:MM" or "-HH:MM" (EXIF 2.31 OffsetTime*).
func parseExifOffset(s string) (time.Duration, bool) {
	if len(s) < 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return 0, false
	}
	num := func(a, b byte) (int, bool) {
		if a < '0' || a > '9' || b < '0' || b > '9' {
			return 0, false
		}
		return int(a-'0')*10 + int(b-'0'), true
	}
	h, ok1 := num(s[1], s[2])
	m, ok2 := num(s[4], s[5])
	if !ok1 || !ok2 || h > 14 || m > 59 {
		return 0, false
	}
	off := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
	if s[0] == '-' {
		off = -off
	}
	return off, true
}
