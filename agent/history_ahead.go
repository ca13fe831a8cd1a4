package agent

import (
	"context"
	"time"

	"github.com/icloudmon/icloudmon/checks"
)

// A cycle needs the stored history only to judge what it observed, but
// reading it does not depend on the observation: with a daemon's hourly
// points kept for the 90-day upload window that is over 2 000 rows, about
// 40 ms of CPU (SQLite and JSON) that a repeat verify spent after its
// observation, on one core. readHistoryAhead reads them while the cycle
// observes; historyAt then builds the history at the check time from
// those rows, or reads again when the check time (Apple's clock) is so far
// from this machine's that the rows read ahead do not cover its window.

// historySlack widens the window read ahead, so that a clock of this
// machine that is off from Apple's by up to this much needs no second read.
const historySlack = 24 * time.Hour

// historyRead is a read of one account's history started before the
// cycle's observation.
type historyRead struct {
	since  time.Time // the rows read are those dated since
	done   chan struct{}
	points []storedPoint
	err    error
	cancel context.CancelFunc
}

// readHistoryAhead starts reading the history of name for a cycle started
// at start (this machine's clock). The read has the time limit of the
// cycle's record (recordTimeout), not the cycle's own: a cycle that ran
// out of time is still judged with its history.
func (a *Agent) readHistoryAhead(ctx context.Context, name string, start time.Time) *historyRead {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	h := &historyRead{since: a.historySince(start).Add(-historySlack), done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(h.done)
		h.points, h.err = a.readHistory(rctx, name, h.since)
	}()
	return h
}

// stop ends the read and waits for it; the cycle defers it, so that an
// interrupted cycle leaves no read behind.
func (h *historyRead) stop() {
	h.cancel()
	<-h.done
}

// historyAt is loadHistory at the check time now, from the rows h read
// when they cover its window.
func (a *Agent) historyAt(ctx context.Context, h *historyRead, name, owner string, now time.Time) checks.History {
	<-h.done
	if h.err != nil || a.historySince(now).Before(h.since) {
		return a.loadHistory(ctx, name, owner, now)
	}
	return a.buildHistory(h.points, owner, now)
}
