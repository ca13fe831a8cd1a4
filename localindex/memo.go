package localindex

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"os"
	"reflect"
	"runtime/debug"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// The match memo (issue 25). A repeat `verify` is a new process that asks
// Match about the same newest assets as the run before it, and most often
// the folder did not change in between: reading the saved rows to find the
// same candidates and matching them again was the largest part of its work.
// So Match saves its result beside the rows ("c" row) when it read no file
// header, keyed by the digest of its input: every field of the assets, the
// match options, the code (memoCode) and the nonce of the folder state row
// ("m"). Every write of directory rows, by a save or a scan's batch, writes
// the state row with a fresh random nonce in the same transaction
// (encodeMeta), so a memo stands only for rows that have not changed since
// it was made; a Match with the same input over the same rows returns it
// without reading them.
//
// What the matcher decides depends on the assets, the options and the saved
// rows alone when it reads no header (the headers it reads are cached in the
// rows, which changes the nonce). So the memo is exactly as strong as
// matching again: it is about the saved index, not the folder (a file edited
// in place without a directory mtime change is invisible to a warm rescan
// with or without it, and a file gone since the scan is found out by the
// callers' own stat of what matched, as before).
const (
	memoKey   = "c"
	memoMagic = "LIM2" // LIM1: the result as JSON
	nonceLen  = 16
	// nonceTag precedes the nonce at the end of a state row.
	nonceTag = 0xA5
)

// newNonce returns the nonce of a state row being written.
func newNonce() []byte {
	b := make([]byte, nonceLen)
	_, _ = rand.Read(b) // never fails on Linux (Go 1.24+ crashes the program instead)
	return b
}

// metaNonce returns the nonce of a saved state row, nil when it has none
// (written before the memo existed: no memo stands for it).
func metaNonce(meta []byte) []byte {
	if len(meta) < len(rowsMagic)+nonceLen+1 || !bytes.HasPrefix(meta, []byte(rowsMagic)) {
		return nil
	}
	tail := meta[len(meta)-nonceLen-1:]
	if tail[0] != nonceTag {
		return nil
	}
	return bytes.Clone(tail[1:])
}

// memoCode identifies the code that matches: a memo saved by another
// build of icloudmon (an upgrade, whose matcher may decide otherwise) is
// not used. The build information and the executable's size and mtime.
var memoCode = sync.OnceValue(func() []byte {
	h := sha256.New()
	if bi, ok := debug.ReadBuildInfo(); ok {
		h.Write([]byte(bi.String()))
	}
	if exe, err := os.Executable(); err == nil {
		if fi, err := os.Stat(exe); err == nil {
			var b [16]byte
			binary.LittleEndian.PutUint64(b[:], uint64(fi.Size()))                //nolint:gosec // bits of a hash input
			binary.LittleEndian.PutUint64(b[8:], uint64(fi.ModTime().UnixNano())) //nolint:gosec // bits of a hash input
			h.Write(b[:])
		}
	}
	return h.Sum(nil)
})

// memoDigest is the digest of a Match call's input under the state row
// nonce: every field of the assets and the options, and whether the
// folder's importer renames files (memo_test checks that a change to any
// field of photo.Asset or MatchOptions changes it). It encodes the fields
// itself, with the rows' encoder: encoding the assets as JSON for it took
// 2 ms of every verify.
func (ix *Index) memoDigest(assets []photo.Asset, mo MatchOptions, nonce []byte) [32]byte {
	var b bytes.Buffer
	b.WriteString(memoMagic)
	b.Write(memoCode())
	b.Write(nonce)
	e := &encoder{b: &b}
	e.int(int64(mo.Tolerance))
	e.int(int64(mo.MaxHeaderReads))
	e.int(bits(ix.opts.RenamesFiles))
	e.int(int64(len(assets)))
	for i := range assets {
		digestAsset(e, &assets[i])
	}
	return sha256.Sum256(b.Bytes())
}

// digestAsset encodes every field of a for memoDigest; each value carries
// its length or a tag, so two different assets never encode alike.
func digestAsset(e *encoder, a *photo.Asset) {
	e.str(a.ID)
	e.str(a.MasterID)
	e.str(a.Library)
	e.str(a.Filename)
	e.str(string(a.FilenameSource))
	e.int(a.Size)
	e.str(a.UTI)
	e.str(string(a.Kind))
	e.int(bits(a.RAW, a.Screenshot, a.Burst, a.Hidden, a.Favorite, a.Deleted, a.TZOffset != nil,
		a.LiveVideo != nil, a.Alternative != nil, a.Edited != nil))
	for _, r := range []*photo.Resource{a.LiveVideo, a.Alternative, a.Edited} {
		if r != nil {
			e.str(r.UTI)
			e.int(r.Size)
		}
	}
	e.str(a.AdjustmentType)
	e.int(int64(a.Width))
	e.int(int64(a.Height))
	digestTime(e, a.Added)
	digestTime(e, a.Taken)
	if a.TZOffset != nil {
		e.int(int64(*a.TZOffset))
	}
	digestTime(e, a.Purge)
}

// digestTime encodes the instant and the zone offset it is shown in
// (JSON, the snapshot's form, keeps both).
func digestTime(e *encoder, t time.Time) {
	_, off := t.Zone()
	e.int(t.Unix())
	e.int(int64(t.Nanosecond()))
	e.int(int64(off))
}

// savedMatch is the value of the "c" row after its magic and digest.
type savedMatch struct {
	Matches   []Match
	CacheHits int // capture times the call served from the cache (Stats)
}

// memoUsable reports whether the in-memory directories are those of the
// saved rows the index last loaded or wrote (ix.view), so that a memo of
// those rows answers for this index.
func (ix *Index) memoUsable() bool {
	return ix.view != nil && !ix.allCandidates && !ix.dirty && ix.stash == nil
}

// matchMemo returns the saved result of a Match call with this input over
// the current rows, if any; digest and ok tell whether the caller may save
// its own result under digest afterwards.
func (ix *Index) matchMemo(ctx context.Context, assets []photo.Asset, mo MatchOptions) (hit *savedMatch, digest [32]byte, ok bool, err error) {
	if !ix.memoUsable() {
		return nil, digest, false, nil
	}
	meta, found, err := ix.kv.Get(ctx, ix.ns, metaKey)
	if err != nil || !found || !bytes.Equal(metaNonce(meta), ix.view) {
		// another process wrote rows since this index read them
		return nil, digest, false, err
	}
	digest, ok = ix.memoDigest(assets, mo, ix.view), true
	v, found, err := ix.kv.Get(ctx, ix.ns, memoKey)
	if err != nil || !found {
		return nil, digest, true, err
	}
	if len(v) < len(memoMagic)+len(digest) || !bytes.HasPrefix(v, []byte(memoMagic)) ||
		!bytes.Equal(v[len(memoMagic):len(memoMagic)+len(digest)], digest[:]) {
		return nil, digest, true, nil
	}
	fr := flate.NewReader(bytes.NewReader(v[len(memoMagic)+len(digest):]))
	defer func() { _ = fr.Close() }()
	raw, err := io.ReadAll(fr)
	if err != nil {
		return nil, digest, true, nil //nolint:nilerr // an unreadable memo is no memo: match again
	}
	sm, err := decodeMemo(raw)
	if err != nil || len(sm.Matches) != len(assets) {
		return nil, digest, true, nil //nolint:nilerr // as above
	}
	return &sm, digest, true, nil
}

// saveMatchMemo saves out, the result of a Match call that read no header,
// under digest. It keeps nothing that would not decode to out exactly.
func (ix *Index) saveMatchMemo(ctx context.Context, digest [32]byte, out []Match, hits int) error {
	sm := savedMatch{Matches: out, CacheHits: hits}
	enc, err := encodeMemo(sm)
	if err != nil {
		return nil //nolint:nilerr // a result the memo's form cannot hold: no memo
	}
	if back, err := decodeMemo(enc); err != nil || !reflect.DeepEqual(back, sm) {
		return nil //nolint:nilerr // would not decode to the same result: no memo
	}
	// deflated: paths repeat their directories
	var v bytes.Buffer
	v.WriteString(memoMagic)
	v.Write(digest[:])
	fw, err := flate.NewWriter(&v, flate.BestSpeed)
	if err != nil {
		return err
	}
	if _, err := fw.Write(enc); err != nil {
		return err
	}
	if err := fw.Close(); err != nil {
		return err
	}
	return ix.kv.WriteRows(ctx, ix.ns, []string{memoKey}, [][]byte{v.Bytes()})
}

// StateNonce returns the nonce of the saved folder state that this index
// stands for, read from the store now, with the number of file headers
// the index has read so far (Stats.MetaReads). ok is false when no nonce
// stands for what the index would match against: rows not yet saved, a
// folder that looks unmounted (its last healthy state serves), a state
// row without a nonce, or one written by another process since this index
// read the rows. Every write of directory rows gives the state row a new
// nonce, so two equal nonces mean the same saved rows; a caller that keeps
// a result of its own across runs (the audit's comparison memo) keys it
// on this value and must treat ok false as "changed".
func (ix *Index) StateNonce(ctx context.Context) (nonce []byte, headerReads int, ok bool, err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.memoUsable() {
		return nil, ix.stats.MetaReads, false, nil
	}
	meta, found, err := ix.kv.Get(ctx, ix.ns, metaKey)
	if err != nil || !found || !bytes.Equal(metaNonce(meta), ix.view) {
		return nil, ix.stats.MetaReads, false, err
	}
	return bytes.Clone(ix.view), ix.stats.MetaReads, true, nil
}

// CodeDigest identifies this build of icloudmon (build information and
// the executable's size and mtime), for results kept across runs that a
// new build might compute otherwise.
func CodeDigest() []byte { return bytes.Clone(memoCode()) }
