package store

import (
	"context"
	"database/sql/driver"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"strings"
)

// The mirror pack (issue 20): the audit reads every mirrored asset on every
// comparison, and reading 500 000 joined rows out of SQLite costs about
// 3 µs a row (1.3–1.5 s). The pack is a copy of exactly what
// EachMirrorAsset returns, in the join's order, in blobs of packChunk
// assets: a comparison reads a few hundred rows instead.
//
// mirror_library.rev is raised in the same transaction as every change of
// the library's rows (applyPage), so it never comes back to a value it had.
// Each pack row carries the rev of the mirror it was made from; it is
// written only while the library is still at that rev (the condition is
// part of the INSERT), so a row tagged rev R holds the rows of rev R. A
// pack is used only when its chunks 0..k are all tagged with the library's
// current rev, chunk k says it is the last, and every chunk passes its
// CRC and decodes; otherwise the join is streamed (and the pack rewritten).
var mirrorPackMigration = migration{
	name: "mirror pack",
	stmts: []string{
		`ALTER TABLE mirror_library ADD COLUMN rev INTEGER NOT NULL DEFAULT 0`,
		`CREATE TABLE mirror_pack (
			lib INTEGER NOT NULL,
			chunk INTEGER NOT NULL,
			rev INTEGER NOT NULL,
			blob BLOB NOT NULL,
			PRIMARY KEY (lib, chunk)
		)`,
	},
}

// packChunk is how many assets one pack row holds (about 400 kB).
const packChunk = 4096

// packVersion starts every chunk; another value is not read.
const packVersion = 1

// packLast flags the last chunk of a pack.
const packLast = 1

// packLog reports a pack that was not used or not written (tests replace it).
var packLog = func(msg string, args ...any) { slog.Warn(msg, args...) }

// appendPackEntry encodes one entry: the three names with their lengths,
// then the numbers as varints (added as a delta from the previous entry's,
// taken as a delta from added).
func appendPackEntry(b []byte, e *MirrorEntry, prevAdded int64) []byte {
	for _, s := range [3]string{e.Asset.ID, e.Asset.MasterID, e.Master.Name} {
		b = appendPackName(b, s)
	}
	added, taken := toMS(e.Asset.Added), toMS(e.Asset.Taken)
	b = binary.AppendVarint(b, added-prevAdded)
	b = binary.AppendVarint(b, taken-added)
	if e.Asset.TZKnown {
		b = append(b, 1)
		b = binary.AppendVarint(b, int64(e.Asset.TZ))
	} else {
		b = append(b, 0)
	}
	for _, v := range [6]int64{int64(e.Asset.Flags), int64(e.Master.Kind), e.Master.Size, e.Master.AltSize,
		e.Master.LiveSize, int64(e.Master.Flags)} {
		b = binary.AppendVarint(b, v)
	}
	return b
}

// How a name is packed: as it is, or the 16 bytes of a UUID written in
// upper or lower case (CPLAsset record names), or the bytes of a base64
// text (CPLMaster record names are 28-character checksums: 21 bytes).
const (
	packRaw = iota
	packUUIDUpper
	packUUIDLower
	packBase64
)

// packForm is the form s is packed in: a compact one only when the text
// comes back byte for byte.
func packForm(s string) int {
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		upper, lower, ok := false, false, true
		for i := 0; i < len(s) && ok; i++ {
			switch c := s[i]; {
			case i == 8 || i == 13 || i == 18 || i == 23, '0' <= c && c <= '9':
			case 'A' <= c && c <= 'F':
				upper = true
			case 'a' <= c && c <= 'f':
				lower = true
			default:
				ok = false
			}
		}
		switch {
		case ok && !lower:
			return packUUIDUpper
		case ok && !upper:
			return packUUIDLower
		}
	}
	if len(s) > 0 && len(s)%4 == 0 && !strings.ContainsRune(s, '=') {
		if raw, err := base64.StdEncoding.DecodeString(s); err == nil && base64.StdEncoding.EncodeToString(raw) == s {
			return packBase64
		}
	}
	return packRaw
}

// appendPackName appends uvarint(len(s)<<2 | form) and s in that form.
func appendPackName(b []byte, s string) []byte {
	form := packForm(s)
	b = binary.AppendUvarint(b, uint64(len(s))<<2|uint64(form)) //nolint:gosec // G115: lengths and forms are not negative
	switch form {
	case packUUIDUpper, packUUIDLower:
		var hx [32]byte
		copy(hx[:], s[0:8])
		copy(hx[8:], s[9:13])
		copy(hx[12:], s[14:18])
		copy(hx[16:], s[19:23])
		copy(hx[20:], s[24:36])
		var raw [16]byte
		_, _ = hex.Decode(raw[:], hx[:]) // checked by packForm
		return append(b, raw[:]...)
	case packBase64:
		raw, _ := base64.StdEncoding.DecodeString(s) // checked by packForm
		return append(b, raw...)
	}
	return append(b, s...)
}

// packedLen is how many bytes a name of n characters takes in form.
func packedLen(form, n int) (int, bool) {
	switch form {
	case packUUIDUpper, packUUIDLower:
		return 16, n == 36
	case packBase64:
		return n / 4 * 3, n > 0 && n%4 == 0
	}
	return n, true
}

// appendPackText appends the text of a packed name.
func appendPackText(dst []byte, form int, src []byte) []byte {
	switch form {
	case packUUIDUpper, packUUIDLower:
		digits := "0123456789ABCDEF"
		if form == packUUIDLower {
			digits = "0123456789abcdef"
		}
		for i, c := range src {
			if i == 4 || i == 6 || i == 8 || i == 10 {
				dst = append(dst, '-')
			}
			dst = append(dst, digits[c>>4], digits[c&15])
		}
		return dst
	case packBase64:
		return base64.StdEncoding.AppendEncode(dst, src)
	}
	return append(dst, src...)
}

// packChunkHeader starts a chunk of n entries.
func packChunkHeader(b []byte, last bool, n int) []byte {
	flags := byte(0)
	if last {
		flags = packLast
	}
	b = append(b, packVersion, flags)
	return binary.AppendUvarint(b, uint64(n)) //nolint:gosec // G115: a count is not negative
}

// errPack: a chunk that cannot be decoded.
var errPack = errors.New("undecodable mirror pack chunk")

// decodePackChunk checks a chunk (version, CRC, every entry within bounds
// and the count exact) and, when fn is not nil, hands each entry to it.
// The three names of an entry share one string.
func decodePackChunk(blob []byte, fn func(MirrorEntry) error) (last bool, n int, err error) {
	if len(blob) < 7 {
		return false, 0, errPack
	}
	body, sum := blob[:len(blob)-4], binary.LittleEndian.Uint32(blob[len(blob)-4:])
	if crc32.ChecksumIEEE(body) != sum || body[0] != packVersion || body[1]&^packLast != 0 {
		return false, 0, errPack
	}
	last = body[1]&packLast != 0
	count, k := binary.Uvarint(body[2:])
	if k <= 0 || count > uint64(len(body)) {
		return false, 0, errPack
	}
	p := 2 + k
	uv := func() (uint64, bool) {
		v, k := binary.Uvarint(body[p:])
		if k <= 0 {
			return 0, false
		}
		p += k
		return v, true
	}
	sv := func() (int64, bool) {
		v, k := binary.Varint(body[p:])
		if k <= 0 {
			return 0, false
		}
		p += k
		return v, true
	}
	var prevAdded int64
	var e MirrorEntry
	var text []byte
	for range count {
		var forms, spans [3][2]int // (form, characters), (from, to) in body
		for j := range spans {
			h, ok := uv()
			if !ok || h>>2 > uint64(len(body)) { //nolint:gosec // G115: len is not negative
				return false, 0, errPack
			}
			form, chars := int(h&3), int(h>>2) //nolint:gosec // G115: h>>2 <= len(body)
			l, ok := packedLen(form, chars)
			if !ok || l > len(body)-p {
				return false, 0, errPack
			}
			forms[j], spans[j] = [2]int{form, chars}, [2]int{p, p + l}
			p += l
		}
		var nums [9]int64
		v, ok := sv()
		nums[0] = prevAdded + v
		v, ok2 := sv()
		nums[1] = nums[0] + v
		ok = ok && ok2
		if p >= len(body) || body[p] > 1 {
			return false, 0, errPack
		}
		tzKnown := body[p] == 1
		p++
		if tzKnown {
			nums[2], ok2 = sv()
			ok = ok && ok2
		}
		for j := 3; j < 9; j++ {
			nums[j], ok2 = sv()
			ok = ok && ok2
		}
		if !ok {
			return false, 0, errPack
		}
		prevAdded = nums[0]
		if fn == nil {
			continue
		}
		text = text[:0]
		var ends [3]int
		for j, sp := range spans {
			text = appendPackText(text, forms[j][0], body[sp[0]:sp[1]])
			ends[j] = len(text)
		}
		s := string(text)
		e.Asset.ID, e.Asset.MasterID, e.Master.Name = s[:ends[0]], s[ends[0]:ends[1]], s[ends[1]:]
		e.Master.ID = e.Asset.MasterID
		e.Asset.Added, e.Asset.Taken = fromMS(nums[0]), fromMS(nums[1])
		e.Asset.TZKnown, e.Asset.TZ = tzKnown, int(nums[2])
		e.Asset.Flags, e.Master.Kind = int(nums[3]), int(nums[4])
		e.Master.Size, e.Master.AltSize, e.Master.LiveSize, e.Master.Flags = nums[5], nums[6], nums[7], int(nums[8])
		if err := fn(e); err != nil {
			return last, 0, err
		}
	}
	if p != len(body) {
		return false, 0, errPack
	}
	return last, int(count), nil //nolint:gosec // G115: count <= len(body)
}

// sealPackChunk appends the CRC of the chunk.
func sealPackChunk(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

const mirrorPackQuery = `SELECT chunk, rev, blob FROM mirror_pack WHERE lib = ? ORDER BY chunk`

// eachPackChunk hands fn the blobs of the pack in order, as long as they
// are the chunks 0, 1, … of rev; it stops after a chunk fn says is the
// last. ok is false when the rows do not make a whole pack of rev.
func eachPackChunk(ctx context.Context, q driver.QueryerContext, lib, rev int64, fn func(blob []byte) (last bool, err error)) (ok bool, err error) {
	rows, err := q.QueryContext(ctx, mirrorPackQuery, []driver.NamedValue{{Ordinal: 1, Value: lib}})
	if err != nil {
		return false, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 3)
	for i := int64(0); ; i++ {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return false, nil // no last chunk
			}
			return false, err
		}
		chunk, ok1 := dest[0].(int64)
		r, ok2 := dest[1].(int64)
		blob, ok3 := dest[2].([]byte)
		if !ok1 || !ok2 || !ok3 || chunk != i || r != rev {
			return false, nil
		}
		last, err := fn(blob)
		if err != nil {
			return false, err
		}
		if last {
			return true, nil
		}
	}
}

// readPack streams the pack of rev to fn if there is a whole, intact one
// (used is then true). It reads the pack twice in the caller's read
// transaction: first to check every chunk, so that a damaged chunk makes it
// fall back to the join before fn saw anything, then to decode.
func readPack(ctx context.Context, q driver.QueryerContext, m MirrorLibrary, rev int64, fn func(MirrorEntry) error) (used bool, err error) {
	bad := false
	whole, err := eachPackChunk(ctx, q, m.ID, rev, func(blob []byte) (bool, error) {
		last, _, err := decodePackChunk(blob, nil)
		if err != nil {
			bad = true
		}
		return last, err
	})
	if bad {
		packLog("the packed copy of the mirror is damaged; reading the mirror's rows instead and packing them again",
			"library", m.Library)
		return false, nil
	}
	if err != nil || !whole {
		return false, err
	}
	_, err = eachPackChunk(ctx, q, m.ID, rev, func(blob []byte) (bool, error) {
		last, _, err := decodePackChunk(blob, fn)
		return last, err
	})
	return true, err
}

// packWriter packs the entries of a join streamed at rev and writes each
// chunk as it fills. It stops writing (for good) at the first error, or
// when the library has moved past rev.
type packWriter struct {
	db        *DB
	m         MirrorLibrary
	rev       int64
	buf       []byte
	n         int
	chunk     int64
	prevAdded int64
	off       bool
}

func (w *packWriter) add(ctx context.Context, e *MirrorEntry) {
	if w.off {
		return
	}
	w.buf = appendPackEntry(w.buf, e, w.prevAdded)
	w.prevAdded = toMS(e.Asset.Added)
	w.n++
	if w.n == packChunk {
		w.write(ctx, false)
	}
}

// write stores the chunk built so far; the last one also removes the
// chunks of an older, longer pack.
func (w *packWriter) write(ctx context.Context, last bool) {
	if w.off {
		return
	}
	b := packChunkHeader(make([]byte, 0, len(w.buf)+16), last, w.n)
	b = sealPackChunk(append(b, w.buf...))
	err := w.db.writeMirrorPackChunk(ctx, w.m.ID, w.rev, w.chunk, b, last)
	switch {
	case errors.Is(err, errPackStale):
		w.off = true
	case err != nil:
		w.off = true
		packLog("could not write the packed copy of the mirror; the next comparison reads the mirror's rows again",
			"library", w.m.Library, "err", err)
	}
	w.buf, w.n, w.prevAdded = w.buf[:0], 0, 0
	w.chunk++
}

// errPackStale: the library changed while its rows were packed.
var errPackStale = errors.New("the mirror changed while it was packed")

// writeMirrorPackChunk writes one chunk if the library is still at rev.
func (db *DB) writeMirrorPackChunk(ctx context.Context, lib, rev, chunk int64, blob []byte, last bool) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO mirror_pack (lib, chunk, rev, blob)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM mirror_library WHERE id = ? AND rev = ?)`,
		lib, chunk, rev, blob, lib, rev)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return err
		}
		return errPackStale
	}
	if last {
		if _, err := tx.ExecContext(ctx, `DELETE FROM mirror_pack WHERE lib = ? AND chunk > ?`, lib, chunk); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
