package agent

import (
	"context"
	"time"
)

// FlushEvery is how often the daemon releases notifications that quiet
// hours held back: at most this late after quiet hours end, instead of at
// the next cycle (up to an interval later).
const FlushEvery = time.Minute

// RunNotifyFlusher calls the notifier's Flush every period until ctx ends,
// so that messages held back by quiet hours go out when they end. It
// returns at once when the agent has no notifier.
func (a *Agent) RunNotifyFlusher(ctx context.Context, every time.Duration) {
	if a.notifier == nil {
		return
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			results, err := a.notifier.Flush(ctx)
			a.countNotifications(results)
			if err != nil && ctx.Err() == nil {
				a.log.Warn("releasing notifications held back by quiet hours failed", "err", err)
			}
		}
	}
}
