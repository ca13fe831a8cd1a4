package localindex

import (
	"encoding/binary"
	"io"
)

// cursor reads big-endian fields from a byte slice; any overrun sets bad
// and yields zeros, so parsing a hostile box never panics.
type cursor struct {
	p   []byte
	bad bool
}

func (c *cursor) n(size int) uint64 {
	if size == 0 {
		return 0
	}
	if c.bad || size > 8 || len(c.p) < size {
		c.bad = true
		return 0
	}
	var v uint64
	for _, b := range c.p[:size] {
		v = v<<8 | uint64(b)
	}
	c.p = c.p[size:]
	return v
}

func (c *cursor) skip(size int) {
	if c.bad || len(c.p) < size {
		c.bad = true
		return
	}
	c.p = c.p[size:]
}

// heifExifItem returns the TIFF block of the Exif item.
func heifExifItem(r io.ReaderAt, size int64) ([]byte, error) {
	meta, ok := find(r, 0, size, "meta")
	if !ok {
		return nil, errBadBox
	}
	start := meta.data + 4
	if _, ok := find(r, start, meta.end, "iinf"); !ok {
		return nil, errBadBox
	}
	id, ok := exifItemID(r, start, meta.end)
	if !ok {
		return nil, errNoTime // a well-formed file without EXIF (screenshots, edits)
	}
	ilocBox, ok := find(r, start, meta.end, "iloc")
	if !ok {
		return nil, errBadBox
	}
	p, err := payload(r, ilocBox)
	if err != nil {
		return nil, err
	}
	ext, ok := ilocExtent(p, id)
	if !ok {
		return nil, errBadBox
	}
	if ext.method == 1 {
		idat, ok := find(r, start, meta.end, "idat")
		if !ok {
			return nil, errBadBox
		}
		ext.off += uint64(max(idat.data, 0))
	}
	return readExifItem(r, ext, size)
}

// exifItemID finds the item of type "Exif" in iinf.
func exifItemID(r io.ReaderAt, start, end int64) (uint64, bool) {
	iinf, ok := find(r, start, end, "iinf")
	if !ok {
		return 0, false
	}
	var ver [1]byte
	if _, err := r.ReadAt(ver[:], iinf.data); err != nil {
		return 0, false
	}
	first := iinf.data + 6
	if ver[0] != 0 {
		first = iinf.data + 8
	}
	var id uint64
	found := false
	_ = eachBox(r, first, iinf.end, func(b box) bool {
		if b.typ != "infe" || b.end-b.data > 4096 {
			return false
		}
		p, err := payload(r, b)
		if err != nil {
			return false
		}
		id, found = infeExif(p)
		return found
	})
	return id, found
}

// infeExif parses an infe payload (versions 2 and 3 carry item_type).
func infeExif(p []byte) (uint64, bool) {
	c := cursor{p: p}
	v := c.n(1)
	c.skip(3)
	var id uint64
	switch v {
	case 2:
		id = c.n(2)
	case 3:
		id = c.n(4)
	default:
		return 0, false
	}
	c.skip(2) // protection index
	if c.bad || len(c.p) < 4 {
		return 0, false
	}
	return id, string(c.p[:4]) == "Exif"
}

type extent struct {
	method uint64
	off    uint64
	length uint64
}

// ilocExtent finds the first extent of item id in an iloc payload.
func ilocExtent(p []byte, id uint64) (extent, bool) {
	c := cursor{p: p}
	v := c.n(1)
	c.skip(3)
	sizes := c.n(1)
	offSize, lenSize := int(sizes>>4), int(sizes&15)
	sizes2 := c.n(1)
	baseSize, idxSize := int(sizes2>>4), int(sizes2&15)
	if v == 0 {
		idxSize = 0
	}
	idWidth := 2
	if v == 2 {
		idWidth = 4
	}
	count := c.n(idWidth)
	for i := uint64(0); i < count && !c.bad; i++ {
		itemID := c.n(idWidth)
		var e extent
		if v == 1 || v == 2 {
			e.method = c.n(2) & 15
		}
		c.skip(2) // data reference index
		base := c.n(baseSize)
		nExt := c.n(2)
		for j := uint64(0); j < nExt && !c.bad; j++ {
			c.n(idxSize)
			off, length := c.n(offSize), c.n(lenSize)
			if j == 0 {
				e.off, e.length = base+off, length
			}
		}
		if itemID == id && nExt > 0 && !c.bad {
			return e, true
		}
	}
	return extent{}, false
}

// readExifItem reads the Exif item and skips its TIFF header offset.
func readExifItem(r io.ReaderAt, e extent, size int64) ([]byte, error) {
	if e.length < 8 || e.length > exifItemMaxLen || e.off > 1<<62 || int64(e.off+e.length) > size { //nolint:gosec // both bounded above
		return nil, errNoTime
	}
	buf := make([]byte, e.length)
	if _, err := r.ReadAt(buf, int64(e.off)); err != nil { //nolint:gosec // e.off < 1<<62
		return nil, errNoTime
	}
	skip := uint64(binary.BigEndian.Uint32(buf[:4]))
	if 4+skip >= uint64(len(buf)) {
		return nil, errNoTime
	}
	return buf[4+skip:], nil
}
