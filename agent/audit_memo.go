package agent

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
	"github.com/icloudmon/icloudmon/store"
)

// The comparison memo (issue 20). Once a library's mirror is complete,
// every cycle and every one-shot `verify` compared the whole mirror with
// the folders again (0.5 s of CPU at 100 000 assets, 1.65 s at 500 000),
// most often with nothing changed. So the result of comparing one library
// (Compared, Excluded, Missing) is kept in the store, one row per account
// and library, under the digest of everything it depends on:
//
//   - the mirror: its id, its rev (store.MirrorRev: it goes up in the
//     transaction of every page applied), its sync token and fill time;
//   - each folder: its configuration (name, path, importer, renaming,
//     tolerance, libraries), whether it takes part in this library's
//     comparison (read this cycle, holds the library), and the nonce of
//     its saved index (localindex.Index.StateNonce: every write of
//     directory rows gives the state row a new one);
//   - the audit options (include_hidden, since), the grace period, the
//     batch size and the build of icloudmon (localindex.CodeDigest);
//   - time, see below.
//
// Time: the comparison reads the clock in one place, the grace period of
// auditComparison.entry (an asset added less than grace ago is excluded).
// The matcher does not read it (localindex matches on sizes, names and
// capture times), nor does the mirror stream; the time of the comparison
// only goes to LastComplete, which a memo hit sets too. An asset kept out
// by the grace period comes in once it is older than grace, so the memo
// records the earliest Added among those assets and stands only while that
// asset is still inside the grace window; an asset compared at the memo's
// time stays compared later, so the memo also needs a clock that did not
// go back.
//
// The memo is saved only when the comparison itself read no file header
// and wrote no rows (the same nonces and header counts before and after
// it, the same rev), and every folder that takes part answered every
// batch: a capture time read and written back changes the nonce, what a
// header read decides depends on the file, not on the rows, and a folder
// whose index could not be read this time leaves its photos to the
// others. A memo row that cannot be read or decoded is ignored, never
// trusted: the library is compared again. `verify --no-cache` compares
// again too: its full scan writes every directory row, so every nonce is
// new.
const (
	auditMemoNS    = "audit_memo"
	auditMemoMagic = "AUM1"
)

// mirrorStream is (*store.DB).EachMirrorAsset (a test counts the reads).
var mirrorStream = (*store.DB).EachMirrorAsset

// auditMemoFolder is an auditFolder that can say what its part of a
// comparison depends on (*Folder). A comparison with a folder that cannot
// keeps no memo.
type auditMemoFolder interface {
	auditMemoState(ctx context.Context, library string) (auditFolderState, error)
}

// auditFolderState is what one folder's part of a comparison depends on.
type auditFolderState struct {
	Name, Path, Importer string
	RenamesFiles         bool
	Tolerance            time.Duration
	Libraries            []string
	// Takes: the folder takes part (read this cycle, holds the library).
	Takes bool
	Nonce []byte
	known bool // Nonce stands for the rows matched against (or Takes is false)
	reads int  // file headers the folder's index has read so far
}

// auditMemoState implements auditMemoFolder.
func (f *Folder) auditMemoState(ctx context.Context, library string) (auditFolderState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := auditFolderState{Name: f.Name, Path: f.Path, Importer: f.Importer, RenamesFiles: f.RenamesFiles,
		Tolerance: f.Tolerance, Libraries: f.Libraries, known: true}
	st.Takes = f.takesAudit(library)
	if !st.Takes {
		return st, nil
	}
	var err error
	st.Nonce, st.reads, st.known, err = f.index.StateNonce(ctx)
	return st, err
}

// auditMemoKey is the input of a library's comparison.
type auditMemoKey struct {
	Account, Library string
	Mirror, Rev      int64
	Token            string
	FilledMS         int64
	IncludeHidden    bool
	SinceNS          int64
	Grace            time.Duration
	Batch            int
	Folders          []auditFolderState
}

// auditMemoInput is the digest of the comparison's input, the file
// headers its folders have read so far and which folders take part; ok is
// false when some input is unknown (no memo is used or saved then).
func (c *ICloud) auditMemoInput(ctx context.Context, m store.MirrorLibrary, lib string, fs []auditFolder, grace time.Duration) (digest [32]byte, reads int, takes []bool, ok bool) {
	rev, err := c.DB.MirrorRev(ctx, m)
	if err != nil {
		c.logger().Debug("the audit compares again: the mirror's rev could not be read", "library", lib, "err", err)
		return digest, 0, nil, false
	}
	k := auditMemoKey{Account: c.Account, Library: m.Library, Mirror: m.ID, Rev: rev, Token: m.Token,
		FilledMS: m.Filled.UnixMilli(), IncludeHidden: c.Audit.IncludeHidden, Grace: grace, Batch: auditBatch}
	if !c.Audit.Since.IsZero() {
		k.SinceNS = c.Audit.Since.UnixNano()
	}
	for _, f := range fs {
		mf, ok := f.(auditMemoFolder)
		if !ok {
			return digest, 0, nil, false
		}
		st, err := mf.auditMemoState(ctx, lib)
		if err != nil || !st.known {
			if err != nil {
				c.logger().Debug("the audit compares again: a folder's index state could not be read", "library", lib, "err", err)
			}
			return digest, 0, nil, false
		}
		k.Folders = append(k.Folders, st)
		reads += st.reads
		takes = append(takes, st.Takes)
	}
	in, err := json.Marshal(k)
	if err != nil {
		return digest, 0, nil, false
	}
	h := sha256.New()
	h.Write([]byte(auditMemoMagic))
	h.Write(localindex.CodeDigest())
	h.Write(in)
	h.Sum(digest[:0])
	return digest, reads, takes, true
}

// auditMemo is a kept result of a library's comparison.
type auditMemo struct {
	// At is the time of the comparison.
	At time.Time
	// GraceHeld: some asset was excluded by the grace period alone;
	// GraceFrom is the earliest Added among those assets.
	GraceHeld          bool
	GraceFrom          time.Time
	Compared, Excluded int
	Missing            []checks.AuditMissing
}

// validAt reports whether the memo is the result of comparing at now: the
// clock did not go back, and no asset left the grace window since.
func (mm *auditMemo) validAt(now time.Time, grace time.Duration) bool {
	if now.Before(mm.At) {
		return false
	}
	return !mm.GraceHeld || now.Sub(mm.GraceFrom) < grace
}

func auditMemoRow(m store.MirrorLibrary) string { return m.Account + "\x00" + m.Library }

// loadAuditMemo returns the kept result of the comparison with input
// digest at now, if there is one that holds.
func (c *ICloud) loadAuditMemo(ctx context.Context, m store.MirrorLibrary, digest [32]byte, now time.Time, grace time.Duration) (*auditMemo, bool) {
	log := c.logger().With("library", m.Library)
	v, found, err := c.DB.Get(ctx, auditMemoNS, auditMemoRow(m))
	if err != nil {
		log.Warn("the kept audit comparison could not be read; comparing again", "err", err)
		return nil, false
	}
	if !found {
		return nil, false
	}
	if len(v) < len(auditMemoMagic)+len(digest) || !bytes.HasPrefix(v, []byte(auditMemoMagic)) {
		log.Warn("the kept audit comparison is unreadable; comparing again")
		return nil, false
	}
	if !bytes.Equal(v[len(auditMemoMagic):len(auditMemoMagic)+len(digest)], digest[:]) {
		log.Debug("the mirror, a folder or the options changed since the last audit comparison; comparing again")
		return nil, false
	}
	mm, err := decodeAuditMemo(v[len(auditMemoMagic)+len(digest):])
	if err != nil {
		log.Warn("the kept audit comparison is unreadable; comparing again", "err", err)
		return nil, false
	}
	if !mm.validAt(now, grace) {
		log.Debug("an asset left the grace period (or the clock went back) since the last audit comparison; comparing again")
		return nil, false
	}
	return mm, true
}

func decodeAuditMemo(b []byte) (*auditMemo, error) {
	fr := flate.NewReader(bytes.NewReader(b))
	defer func() { _ = fr.Close() }()
	var mm auditMemo
	dec := json.NewDecoder(fr)
	if err := dec.Decode(&mm); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the kept comparison")
	}
	if mm.At.IsZero() || mm.Compared < 0 || mm.Excluded < 0 || len(mm.Missing) > mm.Compared {
		return nil, fmt.Errorf("implausible kept comparison (compared %d, excluded %d, missing %d)", mm.Compared, mm.Excluded, len(mm.Missing))
	}
	return &mm, nil
}

// saveAuditMemo keeps the result of a comparison under digest; a failure
// only costs the next run a comparison.
func (c *ICloud) saveAuditMemo(ctx context.Context, m store.MirrorLibrary, digest [32]byte, mm *auditMemo) {
	enc, err := json.Marshal(mm)
	if err != nil {
		return
	}
	var v bytes.Buffer
	v.WriteString(auditMemoMagic)
	v.Write(digest[:])
	fw, err := flate.NewWriter(&v, flate.BestSpeed)
	if err != nil {
		return
	}
	if _, err := fw.Write(enc); err != nil {
		return
	}
	if err := fw.Close(); err != nil {
		return
	}
	if err := c.DB.Put(ctx, auditMemoNS, auditMemoRow(m), v.Bytes()); err != nil {
		c.logger().Warn("could not keep the audit comparison for the next run; it compares again", "library", m.Library, "err", err)
	}
}
