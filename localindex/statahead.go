package localindex

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A warm rescan stats every directory of the folder to find the few that
// changed (about 4 µs each on a small VM: 46 ms of CPU for the 11 500
// directories of 140 000 files), and before it can, a new process reads
// the saved summaries (loadRows). The two do not depend on each other: the
// summaries say which directories there are and what their mtime was, so
// with Options.StatAhead loadRows hands each row's directories to
// statAhead as soon as they are decoded, and its workers stat them while
// the next rows are read (a repeat verify at 700 000 files: 309 → 291 ms,
// the same CPU time). The scan that follows (only the first after the
// load, and only soon after it: statAheadFresh) takes a directory whose
// stat found it unchanged without statting it again; any other directory
// (changed, gone, no longer a directory, on another device) it stats as
// before.
//
// The stat is taken a few milliseconds before the scan would have taken
// it, which is no different from a scan that ran a little earlier: what
// changes in between has a newer mtime than the one stored, and the next
// scan lists it.

// statAheadWorkers is how many goroutines stat ahead of a scan. The load
// itself keeps one core busy; on a network share more calls in flight
// hide the latency.
const statAheadWorkers = 2

// statAheadFresh bounds how long after the load the stats are used: the
// daemon and verify scan right after opening the index; a scan much later
// stats for itself.
const statAheadFresh = 10 * time.Second

// Values of dirState.ahead.
const (
	aheadNone uint8 = iota
	aheadSame       // stat'ed by statAhead: a directory with the loaded mtime, on the root's device (inode in aheadIno)
	aheadNoID       // the same where the system has no inode numbers
)

// statAhead stats loaded directories in the background.
type statAhead struct {
	root  []byte // the folder's path with a trailing separator
	dev   uint64 // the root's device
	hasID bool
	q     chan []*dirState
	wg    sync.WaitGroup
	ctx   context.Context
	// same counts the directories found unchanged that a walk would keep
	// as they are (keepable); when that is every directory but the root,
	// and the root is unchanged too, the scan keeps the whole index
	// without walking it (walker.keepAll).
	same atomic.Int64
}

// startStatAhead starts the workers for the folder root; nil when the root
// cannot be stat'ed as a directory (the scan then finds out why).
func startStatAhead(ctx context.Context, root string) *statAhead {
	st, err := statDir(append([]byte(root), 0))
	if err != nil || !st.isDir {
		return nil
	}
	s := &statAhead{root: []byte(root), dev: st.id.dev, hasID: st.hasID,
		q: make(chan []*dirState, 64), ctx: ctx}
	if len(s.root) == 0 || !os.IsPathSeparator(s.root[len(s.root)-1]) {
		s.root = append(s.root, filepath.Separator)
	}
	s.wg.Add(statAheadWorkers)
	for range statAheadWorkers {
		go s.work()
	}
	return s
}

// add hands decoded directories to the workers; s may be nil.
func (s *statAhead) add(dirs []*dirState) {
	if s != nil && len(dirs) > 0 {
		s.q <- dirs
	}
}

// wait lets the workers finish; s may be nil.
func (s *statAhead) wait() {
	if s == nil {
		return
	}
	close(s.q)
	s.wg.Wait()
}

func (s *statAhead) work() {
	defer s.wg.Done()
	buf := make([]byte, 0, 256)
	for dirs := range s.q {
		if s.ctx.Err() != nil {
			continue // drain
		}
		for _, d := range dirs {
			buf = append(append(append(buf[:0], s.root...), filepath.FromSlash(d.rel)...), 0)
			st, err := statDir(buf)
			if err != nil || !st.isDir || st.mtime != d.mtime || st.hasID != s.hasID || st.hasID && st.id.dev != s.dev {
				continue
			}
			d.aheadIno, d.ahead = st.id.ino, aheadSame
			if !st.hasID {
				d.ahead = aheadNoID
			}
			if keepable(d) {
				s.same.Add(1)
			}
		}
	}
}

// keepable reports whether a walk that finds d unchanged keeps it as it
// is, with nothing else to visit through it: not racy, readable, no
// symlinked subdirectories (walked after the tree, through visited), not
// deeper than a walk goes.
func keepable(d *dirState) bool {
	return !d.racy && !d.unreadable && len(d.links) == 0 && strings.Count(d.rel, "/") < maxDepth
}

// aheadStat is the stat statAhead took of d (d.ahead != aheadNone), on the
// device dev.
func aheadStat(d *dirState, dev uint64) dirStat {
	st := dirStat{mtime: d.mtime, isDir: true}
	if d.ahead == aheadSame {
		st.id, st.hasID = fileID{dev: dev, ino: d.aheadIno}, true
	}
	return st
}
