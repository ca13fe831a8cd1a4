package localindex

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// On-disk format LIX5: one namespace per folder (rowNamespace), holding
//
//	"m"        the folder state: format magic, name-rules version, last
//	           scan, files, baseline;
//	"s/<start>" the summaries of a run of directories, by rel: mtime,
//	           flags, subdirectories, links, file count, newest file,
//	           unreadable-header count of each (chunks.go: at most 32
//	           directories a row, runs that stay put);
//	"f/<rel>"  one directory's files: name, size, mtime, cached capture
//	           time, and the 32-bit hashes of the name keys and the time
//	           written in the name, so that a cycle can pick the matcher's
//	           candidates without parsing every name.
//
// A scan keeps only the summaries in memory (what the walk and the folder
// health need); a changed directory rewrites its files row, the summary
// row that holds it, and the state row, in one transaction
// (KV.WriteRows), so a crash leaves the previous index or the new one.
// Match streams the "f/" rows and keeps the files the cycle's assets can
// match (candidates.go). Earlier formats are migrated on Open: LIX3 (one
// "h/<rel>" summary row per directory: a repeat verify read a row per
// directory) and the LIX2 blob. LIX4 (summaries grouped by parent, whose
// group could grow with the folder) was never released.
const rowsMagic = "LIX5"

// rowsMagicLIX3 marks the state row of the per-directory summary rows that
// Open migrates (migrateLIX3).
const rowsMagicLIX3 = "LIX3"

// nameRulesVersion versions parseLocal and nameTime as far as the saved
// name-key hashes depend on them: bump it when a naming rule changes, and
// Open rewrites the rows with fresh hashes.
const nameRulesVersion = 1

const (
	metaKey    = "m"
	headPrefix = "h/" // LIX3 summary rows, migrated
	filePrefix = "f/"
)

// rowNamespace is the namespace of one folder's rows.
func rowNamespace(root string) string { return "localindex3:" + root }

var errUnknownRow = errors.New("saved index row has an unknown format")

func encodeMeta(st persisted) []byte {
	var b bytes.Buffer
	b.WriteString(rowsMagic)
	e := encoder{b: &b}
	e.int(nameRulesVersion)
	e.int(st.lastScan)
	e.int(int64(st.lastFiles))
	e.int(int64(st.baseline))
	// a fresh nonce for every write (memo.go); decodeMeta ignores it
	b.WriteByte(nonceTag)
	b.Write(newNonce())
	return b.Bytes()
}

// decodeMeta returns the folder state and the name-rules version it was
// saved with.
func decodeMeta(v []byte) (persisted, int64, error) {
	var st persisted
	if !bytes.HasPrefix(v, []byte(rowsMagic)) {
		return st, 0, errUnknownRow
	}
	d := decoder{b: v[len(rowsMagic):]}
	rules := d.int()
	st.lastScan = d.int()
	st.lastFiles = int(d.int())
	st.baseline = int(d.int())
	return st, rules, d.err
}

func encodeHead(ds *dirState) []byte {
	var b bytes.Buffer
	e := encoder{b: &b}
	e.int(ds.mtime)
	e.int(ds.flags())
	e.strs(ds.subdirs)
	e.strs(ds.links)
	e.int(int64(ds.nfiles))
	e.int(ds.newest)
	e.int(int64(ds.newestSrc))
	e.str(ds.newestName)
	e.int(int64(ds.nUnread))
	return b.Bytes()
}

func decodeHead(rel string, v []byte) (*dirState, error) {
	ds := &dirState{}
	return ds, decodeHeadInto(ds, rel, v)
}

// decodeHeadInto is decodeHead into a zero dirState.
func decodeHeadInto(ds *dirState, rel string, v []byte) error {
	d := decoder{b: v}
	ds.rel, ds.mtime = rel, d.int()
	flags := d.int()
	ds.racy, ds.unreadable = flags&1 != 0, flags&2 != 0
	ds.subdirs = d.strs()
	ds.links = d.strs()
	nfiles := d.int()
	ds.newest = d.int()
	ds.newestSrc = CaptureSource(d.int()) //nolint:gosec // a small enum
	ds.newestName = d.str()
	nUnread := d.int()
	if d.err == nil && (nfiles < 0 || nUnread < 0 || nfiles > math.MaxInt32 || nUnread > math.MaxInt32) {
		d.err = errTruncated
	}
	ds.nfiles, ds.nUnread = int32(nfiles), int32(nUnread) //nolint:gosec // checked above
	return d.err
}

// nameInfo is what a file name contributes to the matcher's lookups: the
// hashes of its name keys and the time written in it.
type nameInfo struct {
	known    bool // the extension is of a photo or video (parseLocal's kind)
	keys     []uint32
	nameTime int64 // unix seconds
	hasTime  bool
}

// nameInfoOf parses a file name as buildLookup does (parseLocal, nameTime).
func nameInfoOf(name string, buf []uint32) nameInfo {
	stem, ext := splitExt(name)
	if extKinds[ext] == KindUnknown {
		return nameInfo{keys: buf[:0]}
	}
	var kb [10]string // the keys are only hashed: no allocation for them
	ln := parseStem(stem, ext, kb[:0])
	ni := nameInfo{known: true, keys: buf[:0]}
	for _, k := range ln.keys {
		ni.keys = append(ni.keys, keyHash(k))
	}
	if t, ok := nameTime(stem); ok {
		ni.nameTime, ni.hasTime = t.Unix(), true
	}
	return ni
}

// keyHash is FNV-1a, 32 bits: the saved hashes must not depend on a
// per-process seed. Collisions only add candidates; nameCands checks the
// keys themselves.
func keyHash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func encodeFiles(ds *dirState) []byte {
	var b bytes.Buffer
	b.Grow(len(ds.files) * 40)
	e := encoder{b: &b}
	e.int(int64(len(ds.files)))
	var buf [16]uint32
	prevName, prevMtime := "", int64(0)
	for i := range ds.files {
		f := &ds.files[i]
		shared := commonPrefix(prevName, f.name)
		e.int(int64(shared))
		e.str(f.name[shared:])
		e.int(f.size)
		e.int(f.mtime - prevMtime)
		prevName, prevMtime = f.name, f.mtime
		e.b.WriteByte(f.capSrc)
		if f.capSrc != 0 {
			e.int(f.capWall)
			e.int(int64(f.capOff))
		}
		ni := nameInfoOf(f.name, buf[:0])
		n := min(len(ni.keys), 15)
		tag := byte(n)
		if ni.hasTime {
			tag |= 0x10
		}
		if ni.known {
			tag |= 0x20
		}
		e.b.WriteByte(tag)
		for _, k := range ni.keys[:n] {
			e.b.Write(binary.LittleEndian.AppendUint32(e.tmp[:0], k))
		}
		if ni.hasTime {
			e.int(ni.nameTime)
		}
	}
	return b.Bytes()
}

// A file's tag byte: the number of key hashes (low 4 bits), 0x10 when a
// name time follows, 0x20 when the name is of a photo or video.

// commonPrefix is the length of the common prefix of a and b: file names
// are stored after the prefix they share with the previous name, and mtimes
// as the difference to the previous one (the rows of a photo folder are
// about 40 % smaller).
func commonPrefix(a, b string) int {
	n := min(len(a), len(b), 255)
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// fileRow walks the files of one "f/" row without allocating names: the
// caller copies r.name for the files it keeps.
type fileRow struct {
	d     decoder
	n     int
	name  []byte
	mtime int64
	keys  []uint32
	ni    nameInfo
}

func newFileRow(v []byte) *fileRow {
	r := &fileRow{d: decoder{b: v}}
	r.n = r.d.count()
	return r
}

// next decodes the next file into f (without its name; the raw name is in
// r.name, the name info in r.ni). It returns false at the end or on an error
// (r.d.err).
func (r *fileRow) next(f *fileEntry) bool {
	if r.n <= 0 || r.d.err != nil {
		return false
	}
	r.n--
	d := &r.d
	shared := d.int()
	ln := d.count()
	if d.err != nil || shared < 0 || shared > int64(len(r.name)) {
		d.err = errTruncated
		return false
	}
	r.name = append(r.name[:shared], d.b[:ln]...)
	d.b = d.b[ln:]
	*f = fileEntry{size: d.int()}
	r.mtime += d.int()
	f.mtime = r.mtime
	f.capSrc = d.byte()
	if f.capSrc != 0 {
		f.capWall, f.capOff = d.int(), int32(max(min(d.int(), 1<<20), -1<<20)) //nolint:gosec // clamped
	}
	tag := d.byte()
	nk := int(tag & 0x0f)
	if d.err != nil || len(d.b) < 4*nk {
		d.err = errTruncated
		return false
	}
	r.keys = r.keys[:0]
	for i := 0; i < nk; i++ {
		r.keys = append(r.keys, binary.LittleEndian.Uint32(d.b[4*i:]))
	}
	d.b = d.b[4*nk:]
	r.ni = nameInfo{known: tag&0x20 != 0, keys: r.keys}
	if tag&0x10 != 0 {
		r.ni.nameTime, r.ni.hasTime = d.int(), true
	}
	return d.err == nil
}

// decodeFiles decodes a whole "f/" row.
func decodeFiles(v []byte) ([]fileEntry, error) {
	r := newFileRow(v)
	files := make([]fileEntry, 0, r.n)
	var f fileEntry
	for r.next(&f) {
		f.name = string(r.name)
		files = append(files, f)
	}
	if r.d.err == nil && r.n != 0 {
		r.d.err = errTruncated
	}
	if r.d.err == nil && len(r.d.b) != 0 {
		r.d.err = errUnknownRow
	}
	return files, r.d.err
}

// summarize sets the directory's summary fields from its files.
func (ds *dirState) summarize() {
	ds.nfiles, ds.nUnread, ds.newest, ds.newestName, ds.newestSrc = int32(min(len(ds.files), math.MaxInt32)), 0, 0, "", SourceMtime //nolint:gosec // clamped
	for i := range ds.files {
		f := &ds.files[i]
		if t, src := f.sortTime(); t > ds.newest {
			ds.newest, ds.newestName, ds.newestSrc = t, f.name, src
		}
		if c, ok := f.capture(); ok && c.Source == SourceUnreadable {
			ds.nUnread++
		}
	}
	// The summary outlives the files; a name of a scan is a substring of
	// its directory's names (walk_linux.go), which it would keep alive.
	ds.newestName = strings.Clone(ds.newestName)
}

// load reads the saved index: the LIX3 rows, or an LIX2 blob, which it
// migrates. A damaged saved index is logged and ignored (the next scan
// lists everything); only a failing store is an error.
func (ix *Index) load(ctx context.Context) error {
	meta, ok, err := ix.kv.Get(ctx, ix.ns, metaKey)
	if err != nil {
		return fmt.Errorf("read saved index of %s from the store: %w", ix.root, err)
	}
	if !ok {
		return ix.migrateBlob(ctx)
	}
	if err := ix.loadRows(ctx, meta); err != nil {
		return err
	}
	// A crash between a migration's commit and the deletion of the blob
	// leaves both: the rows win.
	if _, old, err := ix.kv.Get(ctx, kvNamespace, ix.root); err == nil && old {
		return ix.kv.WriteRows(ctx, kvNamespace, []string{ix.root}, [][]byte{nil})
	}
	return nil
}

func (ix *Index) loadRows(ctx context.Context, meta []byte) error {
	if bytes.HasPrefix(meta, []byte(rowsMagicLIX3)) {
		return ix.migrateLIX3(ctx, meta)
	}
	st, rules, err := decodeMeta(meta)
	// A repeat verify loads a summary per directory, from a row per 32 of
	// them: they are decoded into blocks (a summary replaced by a scan
	// keeps its block alive; at most those loaded here), and the map is
	// made at its size once all are read.
	var blocks [][]dirState
	var keys []string
	n := 0
	starts := []string{""}
	last, first := "", true // the last rel read, for the order check
	var ahead *statAhead
	var aheadAt time.Time
	if ix.opts.StatAhead {
		aheadAt, ahead = time.Now(), startStatAhead(ctx, ix.root)
	}
	err2 := ix.kv.EachRow(ctx, ix.ns, chunkPrefix, func(key string, v []byte) error {
		var rowDirs []*dirState
		keys = append(keys, key)
		start := key[len(chunkPrefix):]
		if start != "" {
			starts = append(starts, start)
		}
		if err == nil && !first && last >= start {
			err = fmt.Errorf("summary row %q: %w", key, errUnknownRow)
		}
		gerr := eachChunkEntry(v, func(relb, head []byte) error {
			if err == nil && (string(relb) < start || !first && string(relb) <= last) {
				err = fmt.Errorf("summary row %q: directory %q out of order: %w", key, relb, errUnknownRow)
			}
			rel := string(relb)
			last, first = rel, false
			if err != nil {
				ix.diskRels = append(ix.diskRels, rel)
				return nil
			}
			if len(blocks) == 0 || len(blocks[len(blocks)-1]) == cap(blocks[len(blocks)-1]) {
				blocks = append(blocks, make([]dirState, 0, 1024))
			}
			b := &blocks[len(blocks)-1]
			*b = (*b)[:len(*b)+1]
			n++
			ds := &(*b)[len(*b)-1]
			if derr := decodeHeadInto(ds, rel, head); derr != nil {
				err = fmt.Errorf("directory %q: %w", rel, derr)
			} else if rel != "" {
				if rowDirs == nil {
					rowDirs = make([]*dirState, 0, chunkMaxEntries)
				}
				rowDirs = append(rowDirs, ds)
			}
			return nil
		})
		if gerr != nil && err == nil {
			err = fmt.Errorf("summary row %q: %w", key, gerr)
		}
		if err == nil {
			ahead.add(rowDirs)
		}
		return nil
	})
	ahead.wait()
	ix.diskBlocks = blocks
	if err2 != nil {
		return fmt.Errorf("read saved index of %s from the store: %w", ix.root, err2)
	}
	if err != nil {
		ix.log.Warn("saved folder index is unreadable; the next scan reads the whole folder again", "err", err)
		ix.loadWarn = err.Error()
		// the next save writes every summary afresh and deletes these rows
		ix.staleChunks = append([]string{}, keys...)
		for _, b := range blocks {
			for i := range b {
				ix.diskRels = append(ix.diskRels, b[i].rel)
			}
		}
		ix.diskBlocks = nil
		return nil
	}
	ix.chunks, ix.chunksNonce = starts, metaNonce(meta)
	dirs := make(map[string]*dirState, n)
	for _, b := range blocks {
		for i := range b {
			dirs[b[i].rel] = &b[i]
		}
	}
	ix.dirs, ix.state, ix.view = dirs, st, metaNonce(meta)
	if ahead != nil {
		ix.aheadAt, ix.aheadDev, ix.aheadUse = aheadAt, ahead.dev, true
		others := len(dirs)
		if _, ok := dirs[""]; ok {
			others--
		}
		ix.aheadAll = int(ahead.same.Load()) == others
	}
	if rules != nameRulesVersion {
		// Saved with other naming rules: rewrite every row with fresh
		// name-key hashes (a one-off, like a migration).
		for _, ds := range dirs {
			files, ferr := ix.readFiles(ctx, ds)
			if ferr != nil {
				return ferr
			}
			ds.files, ds.loaded, ds.changed = files, true, true
		}
		ix.dirty = true
		return ix.save(ctx)
	}
	if ix.view == nil {
		// A state row from before the candidate memo: the same state
		// with a nonce, once, so that the next Match can save a memo.
		v := encodeMeta(st)
		if err := ix.kv.WriteRows(ctx, ix.ns, []string{metaKey}, [][]byte{v}); err != nil {
			ix.log.Warn("could not add a nonce to the saved folder state; matching reads the whole index", "err", err)
			return nil
		}
		ix.view, ix.chunksNonce = metaNonce(v), metaNonce(v)
	}
	return nil
}

// migrateLIX3 moves the summary rows of format LIX3 (one "h/<rel>" row per
// directory) into summary rows of 32, in one transaction with the state
// row, now LIX5 with a fresh nonce; the files rows stay as they are, and
// the folder is not listed again. A crash before the commit leaves the
// LIX3 rows, migrated again on the next Open.
func (ix *Index) migrateLIX3(ctx context.Context, meta []byte) error {
	var entries []chunkEntry
	var old []string
	err := ix.kv.EachRow(ctx, ix.ns, headPrefix, func(key string, v []byte) error {
		entries = append(entries, chunkEntry{rel: strings.TrimPrefix(key, headPrefix), head: bytes.Clone(v)})
		old = append(old, key)
		return nil
	})
	nDirs := len(old)
	// Summary rows left by an earlier LIX5 index (a downgrade to LIX3 and
	// back) are deleted: the new ones are written after them.
	if err == nil {
		err = ix.kv.EachRow(ctx, ix.ns, chunkPrefix, func(key string, _ []byte) error {
			old = append(old, key)
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("read saved index of %s from the store: %w", ix.root, err)
	}
	slices.SortFunc(entries, func(a, b chunkEntry) int { return strings.Compare(a.rel, b.rel) })
	keys, vals := old, make([][]byte, len(old), len(old)+len(entries)/chunkMaxEntries+2)
	for i, part := range splitChunk(entries) {
		start := ""
		if i > 0 {
			start = part[0].rel
		}
		keys, vals = append(keys, chunkKey(start)), append(vals, encodeChunk(part))
	}
	// The same state under the new magic; its nonce (when it has one) is
	// renewed, for the memo stands for the rows it was made over.
	nm := append([]byte(rowsMagic), meta[len(rowsMagicLIX3):]...)
	if metaNonce(nm) != nil {
		copy(nm[len(nm)-nonceLen:], newNonce())
	}
	keys, vals = append(keys, metaKey), append(vals, nm)
	if err := ix.kv.WriteRows(ctx, ix.ns, keys, vals); err != nil {
		return fmt.Errorf("migrate saved index of %s to format %s: %w", ix.root, rowsMagic, err)
	}
	ix.log.Info("folder index migrated to summary rows of 32 directories", "format", rowsMagic, "dirs", nDirs, "rows", len(keys)-len(old)-1)
	return ix.loadRows(ctx, nm)
}

// migrateBlob converts an LIX2 blob (one value for the whole folder) into
// rows: every row and the state in one transaction, then the blob is
// deleted. A crash before the commit leaves the blob, which is migrated
// again on the next Open; after it, the rows win and the blob is deleted.
func (ix *Index) migrateBlob(ctx context.Context) error {
	blob, ok, err := ix.kv.Get(ctx, kvNamespace, ix.root)
	if err != nil {
		return fmt.Errorf("read saved index of %s from the store: %w", ix.root, err)
	}
	if !ok {
		return nil
	}
	dirs, st, err := decodeIndex(blob)
	if err != nil {
		ix.log.Warn("saved folder index is unreadable; the next scan reads the whole folder again", "err", err)
		ix.loadWarn = err.Error()
		return nil
	}
	for _, ds := range dirs {
		ds.loaded, ds.changed = true, true
		ds.summarize()
	}
	ix.dirs, ix.state, ix.dirty = dirs, st, true
	if err := ix.save(ctx); err != nil {
		return err
	}
	ix.log.Info("folder index migrated to the per-directory format", "format", rowsMagic, "dirs", len(dirs))
	return ix.kv.WriteRows(ctx, kvNamespace, []string{ix.root}, [][]byte{nil})
}

// readFiles returns the files of ds: its own when loaded, else its "f/" row.
func (ix *Index) readFiles(ctx context.Context, ds *dirState) ([]fileEntry, error) {
	if ds.loaded {
		return ds.files, nil
	}
	v, ok, err := ix.kv.Get(ctx, ix.ns, filePrefix+ds.rel)
	if err != nil {
		return nil, fmt.Errorf("read saved index of %s from the store: %w", ix.root, err)
	}
	if !ok {
		return nil, fmt.Errorf("saved index of %s has no files row for %q", ix.root, ds.rel)
	}
	files, err := decodeFiles(v)
	if err != nil {
		return nil, fmt.Errorf("saved index of %s, directory %q: %w", ix.root, ds.rel, err)
	}
	return files, nil
}

// oldFiles returns old with its files, for a directory that is listed
// again: the cached capture times of unchanged files are carried over. A
// row that cannot be read makes every file new (its headers are read again
// when needed).
func (ix *Index) oldFiles(ctx context.Context, old *dirState) *dirState {
	if old == nil || old.loaded {
		return old
	}
	files, err := ix.readFiles(ctx, old)
	if err != nil {
		ix.log.Warn("saved files of a directory are unreadable; its cached capture times are dropped", "dir", old.rel, "err", err)
		return nil
	}
	cp := *old
	cp.files, cp.loaded = files, true
	return &cp
}

// save writes the rows of the directories that changed, deletes those of
// directories that are gone, and writes the state, all in one transaction.
// The files of saved directories are then dropped from memory.
func (ix *Index) save(ctx context.Context) error {
	if !ix.dirty {
		return nil
	}
	ix.fillOnDisk()
	var keys []string
	var vals [][]byte
	var saved []*dirState
	heads := map[string][]byte{}
	for rel, ds := range ix.dirs {
		if ds.changed {
			keys = append(keys, filePrefix+rel)
			vals = append(vals, encodeFiles(ds))
			heads[rel] = encodeHead(ds)
			saved = append(saved, ds)
		}
	}
	for rel := range ix.onDisk {
		if _, ok := ix.dirs[rel]; !ok && ix.stash[rel] == nil {
			keys = append(keys, filePrefix+rel)
			vals = append(vals, nil)
			heads[rel] = nil
		}
	}
	sk, sv, starts, err := ix.summaryWrites(ctx, heads)
	if err != nil {
		return err
	}
	keys, vals = append(keys, sk...), append(vals, sv...)
	keys = append(keys, metaKey)
	vals = append(vals, encodeMeta(ix.state))
	if err := ix.kv.WriteRows(ctx, ix.ns, keys, vals); err != nil {
		ix.view = nil // the state row may or may not be written
		ix.chunksNonce = nil
		return fmt.Errorf("save index of %s to the store: %w", ix.root, err)
	}
	ix.view = metaNonce(vals[len(vals)-1])
	ix.wroteChunks(starts, vals[len(vals)-1])
	for _, ds := range saved {
		ds.changed, ds.loaded, ds.files = false, false, nil
	}
	for rel, h := range heads {
		if h == nil {
			delete(ix.onDisk, rel)
		} else {
			ix.onDisk[rel] = true
		}
	}
	ix.dirty = false
	return nil
}

// fillOnDisk adds the directories whose rows loadRows found to onDisk: a
// map of every directory costs a repeat verify more than its rows' reading,
// so it is filled only when a save needs it (saveBatch only adds to it).
func (ix *Index) fillOnDisk() {
	for _, b := range ix.diskBlocks {
		for i := range b {
			ix.onDisk[b[i].rel] = true
		}
	}
	for _, rel := range ix.diskRels {
		ix.onDisk[rel] = true
	}
	ix.diskBlocks, ix.diskRels = nil, nil
}

// dirFiles returns the files of the directory rel, loading them into the
// index (for an update of their cached capture times).
func (ix *Index) dirFiles(ctx context.Context, rel string) (*dirState, error) {
	ds := ix.dirs[rel]
	if ds == nil {
		return nil, nil
	}
	if !ds.loaded {
		files, err := ix.readFiles(ctx, ds)
		if err != nil {
			return nil, err
		}
		ds.files, ds.loaded = files, true
	}
	return ds, nil
}

// findFile returns the entry named name in the sorted files.
func findFile(files []fileEntry, name string) *fileEntry {
	i, ok := slices.BinarySearchFunc(files, name, func(e fileEntry, n string) int { return strings.Compare(e.name, n) })
	if !ok {
		return nil
	}
	return &files[i]
}
