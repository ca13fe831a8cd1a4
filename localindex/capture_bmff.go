package localindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/evanoberholster/imagemeta"
)

// ISO base media files (MOV, MP4, HEIC/HEIF, CR3) are walked box by box,
// seeking over payloads, reading only small header boxes into memory.

const (
	maxBoxes       = 4096    // boxes visited per container
	maxSmallBox    = 1 << 20 // keys, ilst, iinf, iloc, mvhd read whole up to this
	quickTimeDate  = "com.apple.quicktime.creationdate"
	secondsTo1970  = 2082844800 // seconds from 1904-01-01 to 1970-01-01
	exifItemMaxLen = maxExifBytes
)

var errBadBox = errors.New("malformed box structure")

var heifBrands = []string{"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis"}

// isBMFF recognises an ftyp box or a classic QuickTime first atom.
func isBMFF(h []byte) bool {
	switch string(h[4:8]) {
	case "ftyp", "moov", "mdat", "wide", "free", "skip", "pnot":
		return true
	}
	return false
}

type box struct {
	typ        string
	start, end int64 // whole box
	data       int64 // payload start
}

// eachBox calls fn for every box in [start, end) until fn returns true.
func eachBox(r io.ReaderAt, start, end int64, fn func(b box) bool) error {
	var hdr [16]byte
	for i := 0; i < maxBoxes && start+8 <= end; i++ {
		if _, err := r.ReadAt(hdr[:8], start); err != nil {
			return errBadBox
		}
		b := box{typ: string(hdr[4:8]), start: start, data: start + 8}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		switch size {
		case 0:
			size = end - start
		case 1:
			if _, err := r.ReadAt(hdr[8:16], start+8); err != nil {
				return errBadBox
			}
			large := binary.BigEndian.Uint64(hdr[8:16])
			if large > 1<<62 {
				return errBadBox
			}
			size, b.data = int64(large), start+16
		}
		if size < b.data-start || size > end-start {
			return errBadBox
		}
		b.end = start + size
		if fn(b) {
			return nil
		}
		start = b.end
	}
	return nil
}

// find returns the first child box of the given type.
func find(r io.ReaderAt, start, end int64, typ string) (box, bool) {
	var found box
	ok := false
	_ = eachBox(r, start, end, func(b box) bool {
		if b.typ == typ {
			found, ok = b, true
		}
		return ok
	})
	return found, ok
}

// payload reads a small box's payload.
func payload(r io.ReaderAt, b box) ([]byte, error) {
	n := b.end - b.data
	if n > maxSmallBox {
		return nil, errBadBox
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, b.data); err != nil {
		return nil, errBadBox
	}
	return buf, nil
}

// bmffCapture dispatches on the major brand.
func bmffCapture(r io.ReaderAt, size int64, head []byte) (Capture, error) {
	if string(head[4:8]) == "ftyp" {
		brand := string(head[8:12])
		switch {
		case brand == "crx ":
			return exifCapture(io.NewSectionReader(r, 0, size), imagemeta.DecodeCR3)
		case containsBrand(heifBrands, brand):
			return heifCapture(r, size)
		}
	}
	return movieCapture(r, size)
}

func containsBrand(list []string, b string) bool {
	for _, x := range list {
		if x == b {
			return true
		}
	}
	return false
}

// movieCapture reads moov/meta keys+ilst for the Apple creation date (it
// keeps the local offset), falling back to the mvhd creation time (UTC).
func movieCapture(r io.ReaderAt, size int64) (Capture, error) {
	moov, ok := find(r, 0, size, "moov")
	if !ok {
		return Capture{}, errNoTime
	}
	if meta, ok := find(r, moov.data, moov.end, "meta"); ok {
		if c, err := appleCreationDate(r, meta); err == nil {
			return c, nil
		}
	}
	mvhd, ok := find(r, moov.data, moov.end, "mvhd")
	if !ok {
		return Capture{}, errNoTime
	}
	return mvhdTime(r, mvhd)
}

// metaChildren returns where the children of a meta box start: QuickTime's
// meta has none of the ISO FullBox version/flags.
func metaChildren(r io.ReaderAt, meta box) int64 {
	var t [4]byte
	if _, err := r.ReadAt(t[:], meta.data+4); err == nil && string(t[:]) == "hdlr" {
		return meta.data
	}
	return meta.data + 4
}

// appleCreationDate looks up com.apple.quicktime.creationdate.
func appleCreationDate(r io.ReaderAt, meta box) (Capture, error) {
	start := metaChildren(r, meta)
	keysBox, ok1 := find(r, start, meta.end, "keys")
	ilstBox, ok2 := find(r, start, meta.end, "ilst")
	if !ok1 || !ok2 {
		return Capture{}, errNoTime
	}
	keys, err := payload(r, keysBox)
	if err != nil {
		return Capture{}, err
	}
	idx := keyIndex(keys, quickTimeDate)
	if idx == 0 {
		return Capture{}, errNoTime
	}
	val, err := ilstValue(r, ilstBox, idx)
	if err != nil {
		return Capture{}, err
	}
	return parseQuickTimeDate(val)
}

// keyIndex returns the 1-based index of name in a keys payload, 0 if absent.
func keyIndex(p []byte, name string) uint32 {
	if len(p) < 8 {
		return 0
	}
	n := binary.BigEndian.Uint32(p[4:8])
	p = p[8:]
	for i := uint32(1); i <= n && len(p) >= 8; i++ {
		sz := binary.BigEndian.Uint32(p[:4])
		if sz < 8 || uint64(sz) > uint64(len(p)) {
			return 0
		}
		if string(p[8:sz]) == name {
			return i
		}
		p = p[sz:]
	}
	return 0
}

// ilstValue returns the value of the data box of item idx.
func ilstValue(r io.ReaderAt, ilst box, idx uint32) ([]byte, error) {
	var tag [4]byte
	binary.BigEndian.PutUint32(tag[:], idx)
	item, ok := find(r, ilst.data, ilst.end, string(tag[:]))
	if !ok {
		return nil, errNoTime
	}
	data, ok := find(r, item.data, item.end, "data")
	if !ok {
		return nil, errNoTime
	}
	p, err := payload(r, data)
	if err != nil || len(p) < 8 {
		return nil, errNoTime
	}
	return p[8:], nil // skip type indicator and locale
}

// parseQuickTimeDate parses ISO 8601 as Apple writes it (offset with or
// without a colon).
func parseQuickTimeDate(v []byte) (Capture, error) {
	s := strings.TrimRight(string(v), "\x00 ")
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05Z"} {
		if t, err := time.Parse(layout, s); err == nil && validTime(t) {
			return captureFromTime(t, true, SourceQuickTime), nil
		}
	}
	return Capture{}, errNoTime
}

// mvhdTime reads the movie header creation time (seconds since 1904, UTC).
func mvhdTime(r io.ReaderAt, mvhd box) (Capture, error) {
	var b [12]byte
	if _, err := r.ReadAt(b[:], mvhd.data); err != nil {
		return Capture{}, errNoTime
	}
	secs := int64(binary.BigEndian.Uint32(b[4:8]))
	if b[0] == 1 {
		secs = int64(binary.BigEndian.Uint64(b[4:12]) & (1<<62 - 1))
	}
	t := time.Unix(secs-secondsTo1970, 0).UTC()
	if secs == 0 || !validTime(t) {
		return Capture{}, errNoTime
	}
	return Capture{Wall: t, OffsetKnown: true, Source: SourceMvhd}, nil
}

// heifCapture finds the Exif item through meta/iinf and meta/iloc and
// decodes only that block. When the boxes cannot be followed it falls back
// to imagemeta's scan of the first few megabytes; a well-formed file that
// lists no Exif item has no time.
func heifCapture(r io.ReaderAt, size int64) (Capture, error) {
	exif, err := heifExifItem(r, size)
	switch {
	case err == nil:
		return exifCapture(bytes.NewReader(exif), imagemeta.DecodeTiff)
	case errors.Is(err, errBadBox):
		return exifCapture(io.NewSectionReader(r, 0, min(size, 4<<20)), imagemeta.DecodeHeif)
	}
	return Capture{}, err
}
