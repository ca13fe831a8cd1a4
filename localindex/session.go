package localindex

import (
	"context"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// Session matches many batches of assets against one reading of the folder,
// for callers that go through a whole library in batches (the audit). Match
// reads every saved row of the folder to find the candidates of its assets,
// so matching a library in b batches that way reads the rows b times; a
// Session reads them once, files every file in one lookup and reuses it for
// each batch until a scan changes the directories. Each batch is matched as
// by Match (a file goes to one asset of the batch at most, the header read
// budget is per batch): the verdicts are the same, only the work differs.
// The lookup holds every file of the folder, so a Session costs memory in
// proportion to the folder; drop it when the library is done.
type Session struct {
	ix  *Index
	mo  MatchOptions
	gen uint64
	l   *lookup
	// stale: the last batch read headers, so the candidates' flags of
	// files without a cached capture time are out of date
	stale bool
}

// Session starts a Session on the index with the given options.
func (ix *Index) Session(mo MatchOptions) *Session {
	return &Session{ix: ix, mo: mo.withDefaults()}
}

// Index is the index the session matches against.
func (s *Session) Index() *Index { return s.ix }

func (mo MatchOptions) withDefaults() MatchOptions {
	if mo.Tolerance <= 0 {
		mo.Tolerance = 2 * time.Second
	}
	if mo.MaxHeaderReads <= 0 {
		mo.MaxHeaderReads = 20000
	}
	return mo
}

// Match looks for a local copy of each asset of one batch, like Index.Match.
func (s *Session) Match(ctx context.Context, assets []photo.Asset) ([]Match, error) {
	ix := s.ix
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if s.l == nil || s.gen != ix.gen {
		s.l = nil
		l, err := ix.gather(ctx, &wanted{all: true})
		if err != nil {
			return nil, err
		}
		s.l, s.gen = l, ix.gen
	} else if s.stale {
		s.l.markUnread() // capture times read by the last batch were written back
	}
	reads := ix.stats.MetaReads
	ms, err := ix.matchWith(ctx, assets, s.mo, s.l)
	s.stale = ix.stats.MetaReads != reads
	if err != nil {
		s.l = nil // read again rather than trust a half-written state
	}
	return ms, err
}
