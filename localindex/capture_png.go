package localindex

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/evanoberholster/imagemeta"
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// maxPNGChunks bounds the chunk walk (large images have many IDAT chunks).
const maxPNGChunks = 8192

// maxExifBytes bounds an EXIF block read into memory.
const maxExifBytes = 1 << 20

// pngCapture walks the PNG chunks (seeking over their data) to the eXIf
// chunk and decodes the TIFF block inside it. imagemeta v0.3.1 does not
// support PNG.
func pngCapture(r io.ReaderAt, size int64) (Capture, error) {
	off := int64(len(pngSignature))
	var hdr [8]byte
	for i := 0; i < maxPNGChunks && off+8 <= size; i++ {
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			return Capture{}, errNoTime
		}
		n := int64(binary.BigEndian.Uint32(hdr[:4]))
		switch string(hdr[4:8]) {
		case "eXIf":
			return pngExif(r, off+8, n, size)
		case "IEND":
			return Capture{}, errNoTime
		}
		off += 12 + n
	}
	return Capture{}, errNoTime
}

func pngExif(r io.ReaderAt, off, n, size int64) (Capture, error) {
	if n > maxExifBytes || off+n > size || n < 8 {
		return Capture{}, errNoTime
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, off); err != nil {
		return Capture{}, errNoTime
	}
	buf = bytes.TrimPrefix(buf, []byte("Exif\x00\x00"))
	return exifCapture(bytes.NewReader(buf), imagemeta.DecodeTiff)
}
