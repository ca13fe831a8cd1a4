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
	"sort"
	"strings"
)

// The mirror pack (issue 20): the audit reads every mirrored asset on every
// comparison, and reading 500 000 joined rows out of SQLite costs about
// 3 µs a row (1.3–1.5 s). The pack is a copy of exactly what
// EachMirrorAsset returns, in the join's order (the asset's record name),
// in blobs of at most packChunk assets: a comparison reads a few hundred
// rows instead.
//
// Each pack row holds the assets of one range of record names: the row's
// key lo is the first name of the range, and the range ends where the
// next row's begins (the last row's has no end; the first row's lo is "").
// A blob repeats its own range (lo, and the end or "last") under its CRC,
// so a row that is missing, moved or cut short does not leave assets out
// silently: its neighbour's end no longer meets the next lo. Assets whose
// master has not come yet (orphans) are listed in their range's blob too,
// by record name and master name, though they are not handed out.
//
// A page changes only the ranges it touches. In the transaction of the
// page, applyPage records in mirror_pack_stale the record name of every
// asset the page adds, changes or removes (master = 0) and of every master
// it adds, changes or removes (master = 1), when the library has a pack;
// a record sent again unchanged marks nothing. A walk then reads the pack
// range by range: a range that holds a marked asset, or a blob that names
// a marked master (an entry's or an orphan's), or a blob that is damaged
// or does not meet its neighbour, is read from the join instead (the rows
// of that range only), handed out, and packed again; every other range
// comes from its blob. A range rebuilt with more than packChunk assets is
// cut into pieces of 3/4 packChunk, so that the next uploads into it do
// not cut it again at once.
//
// Writing back: each piece is written in a transaction of its own that
// holds only while mirror_library.rev (raised in the transaction of every
// page) is still the one the walk read, and that clears the asset marks of
// its range; at the end of a complete walk whose writes all held, the
// remaining (master) marks go too. So a pack row written at rev R holds
// the join of its range at R, and every later change of that range left a
// mark in the transaction that made it.
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

// mirrorPackRangesMigration (schema 5) keys the pack by ranges of record
// names and adds the marks of what pages changed; the packs of schema 4
// (valid for one rev only) are dropped and built again by the next walk.
var mirrorPackRangesMigration = migration{
	name: "mirror pack by ranges of record names",
	stmts: []string{
		`DROP TABLE mirror_pack`,
		`CREATE TABLE mirror_pack (
			lib INTEGER NOT NULL,
			lo TEXT NOT NULL,
			blob BLOB NOT NULL,
			PRIMARY KEY (lib, lo)
		)`,
		`CREATE TABLE mirror_pack_stale (
			lib INTEGER NOT NULL,
			master INTEGER NOT NULL,
			id TEXT NOT NULL,
			PRIMARY KEY (lib, master, id)
		) WITHOUT ROWID`,
	},
}

// packChunk is the most assets one pack row holds (about 400 kB); a var
// so that tests can make ranges small.
var packChunk = 4096

// packVersion starts every chunk; another value is not read.
const packVersion = 2

// packLast flags the chunk whose range has no end.
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

// packChunkHeader starts a chunk of the range [lo, hi) (no end when last)
// holding n entries.
func packChunkHeader(b []byte, lo, hi string, last bool, n int) []byte {
	flags := byte(0)
	if last {
		flags = packLast
	}
	b = append(b, packVersion, flags)
	b = appendPackName(b, lo)
	if !last {
		b = appendPackName(b, hi)
	}
	return binary.AppendUvarint(b, uint64(n)) //nolint:gosec // G115: a count is not negative
}

// errPack: a chunk that cannot be decoded.
var errPack = errors.New("undecodable mirror pack chunk")

// packInfo is what decodePackChunk found in a chunk.
type packInfo struct {
	lo, hi string // the range; hi is "" when last
	last   bool
	n      int  // entries handed out
	hit    bool // an entry or orphan names a master of stale
}

// decodePackChunk checks a chunk (version, CRC, range, every entry within
// bounds and the counts exact) and, when fn is not nil, hands each entry
// to it. stale holds masters in their packed form (appendPackName):
// info.hit says whether an entry or an orphan of the chunk names one. The
// three names of an entry share one string.
func decodePackChunk(blob []byte, stale map[string]struct{}, fn func(MirrorEntry) error) (info packInfo, err error) {
	if len(blob) < 7 {
		return packInfo{}, errPack
	}
	body, sum := blob[:len(blob)-4], binary.LittleEndian.Uint32(blob[len(blob)-4:])
	if crc32.ChecksumIEEE(body) != sum || body[0] != packVersion || body[1]&^packLast != 0 {
		return packInfo{}, errPack
	}
	info.last = body[1]&packLast != 0
	p := 2
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
	// name reads one packed name: its form and where its bytes are, and
	// where its header starts (the packed form runs from there to to)
	name := func() (form, from, to, start int, ok bool) {
		start = p
		h, ok := uv()
		// a compact form holds more characters than bytes (36 in 16)
		if !ok || h>>2 > 36+2*uint64(len(body)) { //nolint:gosec // G115: len is not negative
			return 0, 0, 0, 0, false
		}
		form, chars := int(h&3), int(h>>2) //nolint:gosec // G115: h>>2 <= 36+2*len(body)
		l, ok := packedLen(form, chars)
		if !ok || l > len(body)-p {
			return 0, 0, 0, 0, false
		}
		from = p
		p += l
		return form, from, p, start, true
	}
	text := func(form, from, to int) string { return string(appendPackText(nil, form, body[from:to])) }
	form, from, to, _, ok := name()
	if !ok {
		return packInfo{}, errPack
	}
	info.lo = text(form, from, to)
	if !info.last {
		if form, from, to, _, ok = name(); !ok {
			return packInfo{}, errPack
		}
		info.hi = text(form, from, to)
	}
	count, ok := uv()
	if !ok || count > uint64(len(body)) {
		return packInfo{}, errPack
	}
	var prevAdded int64
	var e MirrorEntry
	var buf []byte
	for range count {
		var forms [3]int
		var spans [3][2]int // (from, to) in body
		for j := range spans {
			form, from, to, start, ok := name()
			if !ok {
				return packInfo{}, errPack
			}
			forms[j], spans[j] = form, [2]int{from, to}
			if j == 1 && stale != nil {
				if _, in := stale[string(body[start:to])]; in {
					info.hit = true
				}
			}
		}
		var nums [9]int64
		v, ok := sv()
		nums[0] = prevAdded + v
		v, ok2 := sv()
		nums[1] = nums[0] + v
		ok = ok && ok2
		if p >= len(body) || body[p] > 1 {
			return packInfo{}, errPack
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
			return packInfo{}, errPack
		}
		prevAdded = nums[0]
		if fn == nil {
			continue
		}
		buf = buf[:0]
		var ends [3]int
		for j, sp := range spans {
			buf = appendPackText(buf, forms[j], body[sp[0]:sp[1]])
			ends[j] = len(buf)
		}
		s := string(buf)
		e.Asset.ID, e.Asset.MasterID, e.Master.Name = s[:ends[0]], s[ends[0]:ends[1]], s[ends[1]:]
		e.Master.ID = e.Asset.MasterID
		e.Asset.Added, e.Asset.Taken = fromMS(nums[0]), fromMS(nums[1])
		e.Asset.TZKnown, e.Asset.TZ = tzKnown, int(nums[2])
		e.Asset.Flags, e.Master.Kind = int(nums[3]), int(nums[4])
		e.Master.Size, e.Master.AltSize, e.Master.LiveSize, e.Master.Flags = nums[5], nums[6], nums[7], int(nums[8])
		if err := fn(e); err != nil {
			return info, err
		}
	}
	orphans, ok := uv()
	if !ok || orphans > uint64(len(body)) {
		return packInfo{}, errPack
	}
	for range orphans {
		for j := range 2 {
			_, _, to, start, ok := name()
			if !ok {
				return packInfo{}, errPack
			}
			if j == 1 && stale != nil {
				if _, in := stale[string(body[start:to])]; in {
					info.hit = true
				}
			}
		}
	}
	if p != len(body) {
		return packInfo{}, errPack
	}
	info.n = int(count) //nolint:gosec // G115: count <= len(body)
	return info, nil
}

// sealPackChunk appends the CRC of the chunk.
func sealPackChunk(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// packRange is one range of record names [lo, hi) (no end when last) as a
// walk reads it.
type packRange struct {
	lo, hi string
	last   bool
	rows   int  // pack rows in the range (one, or those of merged stale ranges)
	stale  bool // read from the join
}

// packRanges are the ranges of the library's pack rows in order; a first
// range from "" is added when there is no row at "" (no pack at all: one
// range, the whole library).
func packRanges(ctx context.Context, q driver.QueryerContext, lib int64) ([]packRange, error) {
	var out []packRange
	err := eachRow(ctx, q, `SELECT lo FROM mirror_pack WHERE lib = ? ORDER BY lo`, lib, 1, func(v []driver.Value) error {
		lo, ok := v[0].(string)
		if !ok {
			return fmt.Errorf("a mirror pack row has a key of %T", v[0])
		}
		out = append(out, packRange{lo: lo, rows: 1})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 || out[0].lo != "" {
		out = append([]packRange{{stale: true}}, out...)
	}
	for i := range out {
		if i+1 < len(out) {
			out[i].hi = out[i+1].lo
		} else {
			out[i].last = true
		}
	}
	return out, nil
}

// packStale reads the marks of the pages applied since the ranges were
// packed: the ranges of marked assets become stale, the masters are
// returned in their packed form.
func packStale(ctx context.Context, q driver.QueryerContext, lib int64, ranges []packRange) (masters map[string]struct{}, marked bool, err error) {
	err = eachRow(ctx, q, `SELECT master, id FROM mirror_pack_stale WHERE lib = ?`, lib, 2, func(v []driver.Value) error {
		isMaster, ok1 := v[0].(int64)
		id, ok2 := v[1].(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("a mirror pack mark holds %T, %T", v[0], v[1])
		}
		marked = true
		if isMaster != 0 {
			if masters == nil {
				masters = map[string]struct{}{}
			}
			masters[string(appendPackName(nil, id))] = struct{}{}
			return nil
		}
		// ranges[0].lo is "": i >= 0
		i := sort.Search(len(ranges), func(i int) bool { return ranges[i].lo > id }) - 1
		ranges[i].stale = true
		return nil
	})
	return masters, marked, err
}

// eachRow runs a query of one int64 argument and hands fn each row.
func eachRow(ctx context.Context, q driver.QueryerContext, query string, arg int64, cols int, fn func([]driver.Value) error) error {
	return eachRowArgs(ctx, q, query, []driver.NamedValue{{Ordinal: 1, Value: arg}}, cols, fn)
}

// eachRowArgs runs a query and hands fn each row.
func eachRowArgs(ctx context.Context, q driver.QueryerContext, query string, args []driver.NamedValue, cols int, fn func([]driver.Value) error) error {
	rows, err := q.QueryContext(ctx, query, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, cols)
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := fn(dest); err != nil {
			return err
		}
	}
}

// The rows of one range of the join, orphans included (NULL master
// columns), in the order of record names; fromRow reads the columns.
const (
	mirrorRangeQuery = `SELECT a.id, a.master, a.added, a.taken, a.tz, a.flags,
	m.name, m.kind, m.size, m.alt_size, m.live_size, m.flags
	FROM mirror_asset a LEFT JOIN mirror_master m ON m.lib = a.lib AND m.id = a.master
	WHERE a.lib = ? AND a.id >= ? AND a.id < ? ORDER BY a.id`
	mirrorTailQuery = `SELECT a.id, a.master, a.added, a.taken, a.tz, a.flags,
	m.name, m.kind, m.size, m.alt_size, m.live_size, m.flags
	FROM mirror_asset a LEFT JOIN mirror_master m ON m.lib = a.lib AND m.id = a.master
	WHERE a.lib = ? AND a.id >= ? ORDER BY a.id`
)

// walkPack hands fn every entry of the library at rev, range by range,
// from the pack where it holds, from the join elsewhere (see the top of
// this file); the ranges read from the join are packed again.
func (db *DB) walkPack(ctx context.Context, q driver.QueryerContext, m MirrorLibrary, rev int64, fn func(MirrorEntry) error) error {
	ranges, err := packRanges(ctx, q, m.ID)
	if err != nil {
		return err
	}
	staleMasters, marked, err := packStale(ctx, q, m.ID, ranges)
	if err != nil {
		return err
	}
	// neighbouring stale ranges are read and packed again as one (after a
	// fresh fill or a large change, the pack is cut again from scratch)
	merged := ranges[:1]
	for _, r := range ranges[1:] {
		if prev := &merged[len(merged)-1]; prev.stale && r.stale {
			prev.hi, prev.last, prev.rows = r.hi, r.last, prev.rows+r.rows
			continue
		}
		merged = append(merged, r)
	}
	ranges = merged
	w := packWriter{db: db, m: m, rev: rev}
	var rows driver.Rows
	dest := make([]driver.Value, 2)
	if len(ranges) > 1 || ranges[0].rows > 0 {
		rows, err = q.QueryContext(ctx, `SELECT lo, blob FROM mirror_pack WHERE lib = ? ORDER BY lo`,
			[]driver.NamedValue{{Ordinal: 1, Value: m.ID}})
		if err != nil {
			return err
		}
		defer rows.Close()
	}
	for _, r := range ranges {
		var blob []byte
		for k := range r.rows {
			if err := rows.Next(dest); err != nil {
				if errors.Is(err, io.EOF) {
					err = errors.New("the mirror pack lost a row while it was read")
				}
				return err
			}
			if lo, _ := dest[0].(string); !r.stale && (k > 0 || lo != r.lo) {
				return errors.New("the mirror pack changed while it was read")
			}
			blob, _ = dest[1].([]byte)
		}
		if !r.stale {
			info, err := decodePackChunk(blob, staleMasters, nil)
			switch {
			case err != nil || info.lo != r.lo:
				packLog("a chunk of the packed copy of the mirror is damaged; reading its rows instead and packing them again",
					"library", m.Library, "from", r.lo)
				r.stale = true
			case info.last != r.last || info.hi != r.hi || info.hit:
				// a neighbour missing or not written yet, or a master
				// that changed since: read again, nothing to report
				r.stale = true
			}
		}
		if r.stale {
			if err := w.rebuild(ctx, q, r, fn); err != nil {
				return err
			}
			continue
		}
		if _, err := decodePackChunk(blob, nil, fn); err != nil {
			return err
		}
	}
	if marked {
		w.clearMarks(ctx)
	}
	return nil
}

// packWriter packs the ranges a walk reads from the join and writes each
// piece as it fills. It stops writing (for good) at the first error, or
// when the library has moved past rev.
type packWriter struct {
	db        *DB
	m         MirrorLibrary
	rev       int64
	entries   []byte // the piece's entries, packed
	orphans   []byte // and its orphans
	n, no     int    // how many of each
	prevAdded int64
	blob      []byte
	off       bool
}

// The rows in one range of record names (orphans included).
const (
	mirrorRangeCount = `SELECT count(*) FROM mirror_asset WHERE lib = ? AND id >= ? AND id < ?`
	mirrorTailCount  = `SELECT count(*) FROM mirror_asset WHERE lib = ? AND id >= ?`
)

// packPieces is how a range of n assets is cut: one piece when it holds
// at most packChunk, else pieces of 3/4 packChunk and a last one of at
// most packChunk.
func packPieces(n int) []int {
	cut := max(packChunk*3/4, 1)
	var out []int
	for n > packChunk {
		out = append(out, cut)
		n -= cut
	}
	return append(out, n)
}

// rebuild reads the range from the join, hands its entries to fn and
// writes it back in pieces (packPieces: the range is counted first, so
// that a piece is held only packed).
func (w *packWriter) rebuild(ctx context.Context, q driver.QueryerContext, r packRange, fn func(MirrorEntry) error) error {
	args := []driver.NamedValue{{Ordinal: 1, Value: w.m.ID}, {Ordinal: 2, Value: r.lo}}
	query, count := mirrorTailQuery, mirrorTailCount
	if !r.last {
		query, count = mirrorRangeQuery, mirrorRangeCount
		args = append(args, driver.NamedValue{Ordinal: 3, Value: r.hi})
	}
	total := -1
	if err := eachRowArgs(ctx, q, count, args, 1, func(v []driver.Value) error {
		n, ok := v[0].(int64)
		if !ok {
			return fmt.Errorf("a count of mirror rows is %T", v[0])
		}
		total = int(n)
		return nil
	}); err != nil {
		return err
	}
	pieces := packPieces(total)
	rows, err := q.QueryContext(ctx, query, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	w.reset()
	lo, k := r.lo, 0
	var e MirrorEntry
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				w.write(ctx, lo, r.hi, r.last)
				return nil
			}
			return err
		}
		id, ok := dest[0].(string)
		if !ok {
			return fmt.Errorf("a mirror row holds %T", dest[0])
		}
		if k+1 < len(pieces) && w.n+w.no == pieces[k] { // the piece is full: this asset starts the next
			w.write(ctx, lo, id, false)
			w.reset()
			lo, k = id, k+1
		}
		if dest[6] == nil { // no master yet
			master, ok := dest[1].(string)
			if !ok {
				return fmt.Errorf("a mirror row holds %T", dest[1])
			}
			w.orphans = appendPackName(appendPackName(w.orphans, id), master)
			w.no++
			continue
		}
		if err := e.fromRow(dest); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
		w.entries = appendPackEntry(w.entries, &e, w.prevAdded)
		w.prevAdded = toMS(e.Asset.Added)
		w.n++
	}
}

func (w *packWriter) reset() {
	w.entries, w.orphans, w.n, w.no, w.prevAdded = w.entries[:0], w.orphans[:0], 0, 0, 0
}

// write stores the piece [lo, hi) packed so far: its entries, then its
// orphans.
func (w *packWriter) write(ctx context.Context, lo, hi string, last bool) {
	if w.off {
		return
	}
	b := packChunkHeader(w.blob[:0], lo, hi, last, w.n)
	b = append(b, w.entries...)
	b = binary.AppendUvarint(b, uint64(w.no)) //nolint:gosec // G115: a count is not negative
	b = sealPackChunk(append(b, w.orphans...))
	w.blob = b
	err := w.db.writeMirrorPackChunk(ctx, w.m.ID, w.rev, lo, hi, last, b)
	switch {
	case errors.Is(err, errPackStale):
		w.off = true
	case err != nil:
		w.off = true
		packLog("could not write the packed copy of the mirror; the next comparison reads the mirror's rows again",
			"library", w.m.Library, "err", err)
	}
}

// clearMarks removes the marks of the library once a walk read every
// range and every write held: each mark is then in a range packed again.
func (w *packWriter) clearMarks(ctx context.Context) {
	if w.off {
		return
	}
	_, err := w.db.w.ExecContext(ctx, `DELETE FROM mirror_pack_stale WHERE lib = ?
		AND EXISTS (SELECT 1 FROM mirror_library WHERE id = ? AND rev = ?)`, w.m.ID, w.m.ID, w.rev)
	if err != nil {
		packLog("could not write the packed copy of the mirror; the next comparison reads some of the mirror's rows again",
			"library", w.m.Library, "err", err)
	}
}

// errPackStale: the library changed while its rows were packed.
var errPackStale = errors.New("the mirror changed while it was packed")

// writeMirrorPackChunk writes the chunk of [lo, hi) if the library is still
// at rev, removes the rows inside its range and the marks of its assets.
func (db *DB) writeMirrorPackChunk(ctx context.Context, lib, rev int64, lo, hi string, last bool, blob []byte) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO mirror_pack (lib, lo, blob)
		SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM mirror_library WHERE id = ? AND rev = ?)`,
		lib, lo, blob, lib, rev)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return err
		}
		return errPackStale
	}
	stmts := []string{`DELETE FROM mirror_pack WHERE lib = ? AND lo > ? AND lo < ?`,
		`DELETE FROM mirror_pack_stale WHERE lib = ? AND master = 0 AND id >= ? AND id < ?`}
	args := []any{lib, lo, hi}
	if last {
		stmts = []string{`DELETE FROM mirror_pack WHERE lib = ? AND lo > ?`,
			`DELETE FROM mirror_pack_stale WHERE lib = ? AND master = 0 AND id >= ?`}
		args = args[:2]
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s, args...); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
