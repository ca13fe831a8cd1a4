package localindex

import (
	"bytes"
	"encoding/binary"
	"io"
)

// JPEG headers are walked segment by segment from SOI to the first SOS
// (start of the image data). Every step moves forward by at least two bytes
// and the walk is capped in segments and bytes, so no file can keep it
// going; only the payload of the first APP1 "Exif" segment (at most 64 KiB
// by the format) reaches the TIFF reader.

const (
	maxJPEGSegments = 512     // segments (and fill bytes) before SOS
	maxJPEGHeader   = 4 << 20 // where SOS must have been reached
)

var exifPrefix = []byte("Exif\x00")

// jpegCapture reads the capture time of a JPEG of size bytes.
func jpegCapture(r io.ReaderAt, size int64) (Capture, error) {
	off := int64(2) // after SOI
	var hdr [4]byte
	for range maxJPEGSegments {
		if off >= maxJPEGHeader {
			return Capture{}, unreadable("no image data in the first %d bytes of the JPEG", maxJPEGHeader)
		}
		if _, err := r.ReadAt(hdr[:2], off); err != nil {
			return Capture{}, readFailed("JPEG marker", err)
		}
		if hdr[0] != 0xFF {
			return Capture{}, unreadable("JPEG byte %d is 0x%02X where a marker should start", off, hdr[0])
		}
		marker := hdr[1]
		switch {
		case marker == 0xFF: // fill byte before a marker
			off++
			continue
		case marker == 0xDA: // SOS: image data follows, no Exif before it
			return Capture{}, errNoTime
		case marker == 0xD8 || marker == 0xD9 || marker == 0x00:
			return Capture{}, unreadable("JPEG marker 0x%02X at byte %d before any image data (damaged file?)", marker, off)
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7): // no length
			off += 2
			continue
		}
		if _, err := r.ReadAt(hdr[2:4], off+2); err != nil {
			return Capture{}, readFailed("JPEG segment length", err)
		}
		n := int64(binary.BigEndian.Uint16(hdr[2:4]))
		if n < 2 || off+2+n > size {
			return Capture{}, unreadable("JPEG segment 0x%02X at byte %d has length %d in a %d-byte file", marker, off, n, size)
		}
		if marker == 0xE1 && n-2 >= 6 {
			var sig [6]byte
			if _, err := r.ReadAt(sig[:], off+4); err != nil {
				return Capture{}, readFailed("JPEG APP1", err)
			}
			if bytes.HasPrefix(sig[:], exifPrefix) {
				return jpegExif(r, off+4+6, n-2-6)
			}
		}
		off += 2 + n
	}
	return Capture{}, unreadable("more than %d JPEG segments before the image data", maxJPEGSegments)
}

// jpegExif decodes the TIFF block of an APP1 Exif segment (below 64 KiB).
func jpegExif(r io.ReaderAt, off, n int64) (Capture, error) {
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, off); err != nil {
		return Capture{}, readFailed("JPEG Exif segment", err)
	}
	return tiffCapture(bytes.NewReader(buf), n)
}
