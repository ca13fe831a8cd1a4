package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/localindex"
	"github.com/icloudmon/icloudmon/photo"
	"github.com/icloudmon/icloudmon/store"
)

// auditBatch is how many mirrored assets go to the matcher at once: the
// mirror is streamed from the database, so memory stays bounded whatever
// the library size. A file claimed by one asset of a batch is not handed
// to another of the same batch (the matcher's rule); across batches the
// same file could stand for two assets, which only matters for exact
// duplicates in iCloud.
const auditBatch = 4096

// auditor is a CloudSource that keeps a mirror (*ICloud with Audit set).
type auditor interface {
	compareAudit(ctx context.Context, obs *checks.Observation, folders []FolderSource, grace time.Duration)
}

// auditFolder is a FolderSource the audit can match against (*Folder).
type auditFolder interface {
	// matchAudit matches assets of the library; ok is false when the
	// folder does not hold that library or could not be read this cycle.
	// sess keeps the folder's matcher session from one batch to the next
	// and from one library to the next (nil at the first batch), so that
	// the folder's index is read once per comparison rather than once per
	// batch.
	matchAudit(ctx context.Context, library string, sess **localindex.Session, assets []photo.Asset) (_ []localindex.Match, ok bool)
}

// errNoFolder stops a comparison that no folder could take part in.
var errNoFolder = errors.New("no folder of this library could be read this cycle; the audit compares again when one can")

// auditReleaseAfter: a comparison of at least this many assets gives the
// memory it used back to the system when it ends (freeOSMemory). The
// matcher's session holds every file of the folder while a library is
// compared (about 100 MB for 700 000 files, twice that in heap before a
// collection); Go would keep those pages for minutes, and a daemon that
// sleeps until its next cycle has no use for them.
var auditReleaseAfter = 50_000

// freeOSMemory is debug.FreeOSMemory (a test counts the calls).
var freeOSMemory = debug.FreeOSMemory

// auditGCPercent is the collector's target (GOGC) while a library of at
// least auditReleaseAfter assets is compared. Go lets the heap grow to
// (1 + GOGC/100) times the live heap before it collects, and the session
// of a large folder is most of the live heap (at 500 000 assets and
// 700 000 files, about 75 MB live out of a 180 MB heap with the default
// 100): `icloudmon run` peaked at 245 MB. At 15 the heap stays within
// 1.15 times the live heap, for more collections of a heap that the
// comparison no longer churns much (nameCands reads only the names it
// needs and allocates no longer per asset): at 25 the peak was 157 MB.
var auditGCPercent = 15

// setGCPercent is debug.SetGCPercent (a test records the calls).
var setGCPercent = debug.SetGCPercent

// gcTight counts the comparisons running with auditGCPercent (accounts
// compare concurrently); the last one to end restores the setting found by
// the first.
var gcTight struct {
	mu   sync.Mutex
	n    int
	prev int
}

// userGOGC reports whether GOGC is set in the environment (a test replaces
// it): then the user's setting stands and tightenGC changes nothing.
var userGOGC = func() bool { return os.Getenv("GOGC") != "" }

// tightenGC sets auditGCPercent until release is called, unless GOGC is
// set in the environment (the user's choice stands). A collector found off
// is not the user's (that would be GOGC=off in the environment) but a
// one-shot command's deferred first collection (cmd/icloudmon deferGC,
// whose memory limit may already be gone by the time the comparison ends):
// release then puts the default pacing (100) back, never "off".
func tightenGC() (release func()) {
	gcTight.mu.Lock()
	defer gcTight.mu.Unlock()
	if userGOGC() {
		return func() {}
	}
	if gcTight.n == 0 {
		gcTight.prev = setGCPercent(auditGCPercent)
		if gcTight.prev < 0 {
			gcTight.prev = 100
		}
	}
	gcTight.n++
	var once sync.Once
	return func() {
		once.Do(func() {
			gcTight.mu.Lock()
			defer gcTight.mu.Unlock()
			if gcTight.n--; gcTight.n == 0 {
				setGCPercent(gcTight.prev)
			}
		})
	}
}

// compareAudit compares every filled mirror of obs.Audit with the folders.
func (c *ICloud) compareAudit(ctx context.Context, obs *checks.Observation, folders []FolderSource, grace time.Duration) {
	if c.Audit == nil || obs.Audit == nil {
		return
	}
	var fs []auditFolder
	for _, f := range folders {
		if af, ok := f.(auditFolder); ok {
			fs = append(fs, af)
		}
	}
	now := c.now()
	// The folders' matcher sessions serve every library: a folder that
	// holds the personal library and the Shared Library is read once.
	sess := make([]*localindex.Session, len(fs))
	compared := 0
	var release func() // of tightenGC
	defer func() {
		if release != nil {
			release()
		}
		if compared >= auditReleaseAfter {
			freeOSMemory()
		}
	}()
	for i := range obs.Audit.Libraries {
		al := &obs.Audit.Libraries[i]
		m, ok := c.mirrors[al.Name]
		if !al.Filled || !ok {
			continue
		}
		// the comparison memo (audit_memo.go): the same input, the same result
		digest, reads, takes, keyed := c.auditMemoInput(ctx, m, al.Name, fs, grace)
		var mm *auditMemo
		if keyed {
			mm, _ = c.loadAuditMemo(ctx, m, digest, now, grace)
		}
		if mm == nil {
			if m.Assets >= auditReleaseAfter && release == nil {
				release = tightenGC()
			}
			cmp := auditComparison{opts: c.Audit, grace: grace, now: now, lib: al.Name, folders: fs, sess: sess}
			err := cmp.run(ctx, c.DB, m)
			compared += cmp.compared
			if err != nil {
				if al.Error == "" {
					al.Error = err.Error()
				}
				continue
			}
			slices.SortStableFunc(cmp.missing, func(a, b checks.AuditMissing) int { return a.Taken.Compare(b.Taken) })
			mm = &auditMemo{At: now, GraceHeld: cmp.graceHeld, GraceFrom: cmp.graceFrom,
				Compared: cmp.compared, Excluded: cmp.excluded, Missing: cmp.missing}
			// kept only when the comparison read no header, no row
			// changed under it (the same input after as before) and every
			// folder that takes part answered every batch
			if after, areads, _, ok := c.auditMemoInput(ctx, m, al.Name, fs, grace); keyed && ok && after == digest && areads == reads &&
				!cmp.declinedAny(takes) && ctx.Err() == nil {
				c.saveAuditMemo(ctx, m, digest, mm)
			}
		}
		al.Compared, al.Excluded, al.Missing = mm.Compared, mm.Excluded, mm.Missing
		if err := c.DB.SetMirrorCompared(ctx, &m, now); err == nil {
			al.LastComplete = now
		}
	}
}

// auditComparison is the comparison of one library, fed batch by batch.
type auditComparison struct {
	opts    *AuditOptions
	grace   time.Duration
	now     time.Time
	lib     string
	folders []auditFolder
	sess    []*localindex.Session // per folder, see matchAudit; shared by the libraries of a cycle

	batch              []photo.Asset
	meta               []checks.AuditMissing
	others             []photo.Asset // scratch of flush
	pending            []int         // scratch of flush
	compared, excluded int
	missing            []checks.AuditMissing
	// graceHeld: some asset was excluded by the grace period alone;
	// graceFrom is the earliest Added among those (the comparison memo
	// holds until that asset leaves the grace window)
	graceHeld bool
	graceFrom time.Time
	// declined: per folder, matchAudit answered no to some batch
	declined []bool
}

// declinedAny reports whether a folder that takes part (takes[k]) declined
// a batch: a read of its index failed, and the result is not what the
// saved rows give.
func (a *auditComparison) declinedAny(takes []bool) bool {
	for k, d := range a.declined {
		if d && (k >= len(takes) || takes[k]) {
			return true
		}
	}
	return false
}

// What entry makes of a mirrored asset.
const (
	auditSkip    = iota // not part of the library
	auditExclude        // excluded by the options
	auditGrace          // excluded by the grace period (and not by the options)
	auditCompare
)

// entry turns a mirrored asset into the matcher's asset and the line of
// the missing list. It only reads a's options: the stream calls it from
// its own goroutine.
func (a *auditComparison) entry(e store.MirrorEntry) (photo.Asset, checks.AuditMissing, int) {
	if e.Master.ID == "" || e.Asset.Flags&store.MirrorDeleted != 0 || e.Master.Flags&store.MirrorDeleted != 0 {
		// not yet paired with its file, or in Recently Deleted (the
		// deleted_unsaved check watches those): not part of the library
		return photo.Asset{}, checks.AuditMissing{}, auditSkip
	}
	switch {
	case e.Asset.Flags&store.MirrorHidden != 0 && !a.opts.IncludeHidden,
		!a.opts.Since.IsZero() && !e.Asset.Taken.IsZero() && e.Asset.Taken.Before(a.opts.Since):
		return photo.Asset{}, checks.AuditMissing{}, auditExclude
	case a.now.Sub(e.Asset.Added) < a.grace:
		// the only use of the clock in a comparison (audit_memo.go)
		return photo.Asset{}, checks.AuditMissing{}, auditGrace
	}
	ca := photo.Asset{ID: e.Asset.ID, MasterID: e.Master.ID, Filename: e.Master.Name, Kind: photo.KindPhoto,
		Size: max(e.Master.Size, 0), Added: e.Asset.Added, Taken: e.Asset.Taken}
	if e.Master.LiveSize > 0 {
		ca.LiveVideo = &photo.Resource{Size: e.Master.LiveSize}
	}
	if e.Master.AltSize > 0 {
		ca.Alternative = &photo.Resource{Size: e.Master.AltSize}
	}
	if e.Asset.TZKnown {
		tz := e.Asset.TZ
		ca.TZOffset = &tz
	}
	switch e.Master.Kind {
	case mirrorKindVideo:
		ca.Kind = photo.KindVideo
	case mirrorKindOther:
		ca.Kind = photo.KindOther
	}
	return ca, checks.AuditMissing{ID: e.Asset.ID, Filename: e.Master.Name, Added: e.Asset.Added,
		Taken: e.Asset.Taken, Size: max(e.Master.Size, 0)}, auditCompare
}

// auditBuffer is one batch on its way from the stream to the matcher.
type auditBuffer struct {
	assets []photo.Asset
	meta   []checks.AuditMissing
}

// run compares the library's mirror with the folders. The mirror is read
// out of SQLite in a goroutine of its own, at most one batch ahead of the
// matcher (two buffers go back and forth), so that reading and matching
// overlap on a machine with two cores; memory stays that of two batches.
// The batches, and so the verdicts, are those of a single loop.
func (a *auditComparison) run(ctx context.Context, db *store.DB, m store.MirrorLibrary) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	full, free := make(chan *auditBuffer), make(chan *auditBuffer, 2)
	free <- &auditBuffer{}
	free <- &auditBuffer{}
	walked := make(chan error, 1)
	// written by the stream, read once it is done
	excluded, graceHeld, graceFrom := 0, false, time.Time{}
	go func() {
		defer close(full)
		var cur *auditBuffer
		send := func() error {
			select {
			case full <- cur:
				cur = nil
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := mirrorStream(db, ctx, m, func(e store.MirrorEntry) error {
			ca, meta, what := a.entry(e)
			switch what {
			case auditSkip:
				return nil
			case auditGrace:
				if !graceHeld || e.Asset.Added.Before(graceFrom) {
					graceHeld, graceFrom = true, e.Asset.Added
				}
				excluded++
				return nil
			case auditExclude:
				excluded++
				return nil
			}
			if cur == nil {
				select {
				case cur = <-free:
				case <-ctx.Done():
					return ctx.Err()
				}
				cur.assets, cur.meta = cur.assets[:0], cur.meta[:0]
			}
			cur.assets, cur.meta = append(cur.assets, ca), append(cur.meta, meta)
			if len(cur.assets) == auditBatch {
				return send()
			}
			return nil
		})
		if err == nil && cur != nil {
			err = send()
		}
		walked <- err
	}()
	var err error
	for b := range full {
		if err == nil {
			a.batch, a.meta = b.assets, b.meta
			if err = a.flush(ctx); err != nil {
				cancel() // the stream stops at its next row
			}
			b.assets, b.meta = a.batch, a.meta
			a.batch, a.meta = nil, nil
		}
		free <- b
	}
	if werr := <-walked; err == nil {
		err = werr
	}
	a.excluded += excluded
	if graceHeld && (!a.graceHeld || graceFrom.Before(a.graceFrom)) {
		a.graceHeld, a.graceFrom = true, graceFrom
	}
	return err
}

// flush matches the batch against each folder in turn; what one folder
// holds is not looked for in the next.
func (a *auditComparison) flush(ctx context.Context) error {
	if len(a.batch) == 0 {
		return nil
	}
	pending := a.pending[:0]
	for i := range a.batch {
		pending = append(pending, i)
	}
	a.pending = pending
	read := false
	if a.sess == nil {
		a.sess = make([]*localindex.Session, len(a.folders))
	}
	for k, f := range a.folders {
		if len(pending) == 0 {
			break
		}
		assets := a.batch
		if len(pending) < len(a.batch) { // what the folders before did not hold
			assets = a.others[:0]
			for _, i := range pending {
				assets = append(assets, a.batch[i])
			}
			a.others = assets
		}
		ms, ok := f.matchAudit(ctx, a.lib, &a.sess[k], assets)
		if !ok {
			if a.declined == nil {
				a.declined = make([]bool, len(a.folders))
			}
			a.declined[k] = true
			continue
		}
		read = true
		if len(ms) != len(assets) {
			return fmt.Errorf("the matcher answered %d of %d assets", len(ms), len(assets))
		}
		next := pending[:0]
		for j, i := range pending {
			if !ms[j].Confidence.Present() && (ms[j].Edited == nil) {
				next = append(next, i)
			}
		}
		pending = next
	}
	if !read {
		return errNoFolder
	}
	for _, i := range pending {
		a.missing = append(a.missing, a.meta[i])
	}
	a.compared += len(a.batch)
	a.batch, a.meta = a.batch[:0], a.meta[:0]
	return nil
}

// takesAudit reports whether the folder takes part in the comparison of
// library: read this cycle, indexed, and holding the library. matchAudit
// answers only then, and the comparison memo keys on it. f.mu is held.
func (f *Folder) takesAudit(library string) bool {
	return f.readable && f.index != nil && f.holds(library)
}

// matchAudit implements auditFolder: the index scanned this cycle.
func (f *Folder) matchAudit(ctx context.Context, library string, sess **localindex.Session, assets []photo.Asset) ([]localindex.Match, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.takesAudit(library) {
		return nil, false
	}
	if *sess == nil || (*sess).Index() != f.index {
		*sess = f.index.Session(localindex.MatchOptions{Tolerance: f.Tolerance})
	}
	ms, err := (*sess).Match(ctx, assets)
	if err != nil && len(ms) != len(assets) {
		return nil, false
	}
	return ms, true
}
