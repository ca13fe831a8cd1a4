package localindex

import (
	"bytes"
	"encoding/binary"
	"io"
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// maxPNGChunks bounds the chunk walk (large images have many IDAT chunks).
const maxPNGChunks = 8192

// maxExifBytes bounds an EXIF block read into memory.
const maxExifBytes = 1 << 20

// pngCapture walks the PNG chunks (seeking over their data) to the eXIf
// chunk and decodes the TIFF block inside it. A chunk that runs past the end
// of the file makes the file unreadable (truncated); a walk that reaches
// IEND, or the chunk cap in a long but sound file, finds no time.
func pngCapture(r io.ReaderAt, size int64) (Capture, error) {
	off := int64(len(pngSignature))
	var hdr [8]byte
	for range maxPNGChunks {
		if off == size {
			return Capture{}, unreadable("the PNG ends without IEND (truncated or half-written?)")
		}
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return Capture{}, readFailed("PNG chunk", err)
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		if n > 1<<31-1 || off+12+n > size {
			return Capture{}, unreadable("PNG chunk at byte %d of length %d runs past the end of the %d-byte file", off, n, size)
		}
		switch string(hdr[4:8]) {
		case "eXIf":
			return pngExif(r, off+8, n)
		case "IEND":
			return Capture{}, errNoTime
		}
		off += 12 + n
	}
	return Capture{}, errNoTime
}

func pngExif(r io.ReaderAt, off, n int64) (Capture, error) {
	if n > maxExifBytes {
		return Capture{}, unreadable("PNG eXIf chunk of %d bytes", n)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, off); err != nil {
		return Capture{}, readFailed("PNG eXIf chunk", err)
	}
	buf = bytes.TrimPrefix(buf, []byte("Exif\x00\x00"))
	return tiffCapture(bytes.NewReader(buf), int64(len(buf)))
}
