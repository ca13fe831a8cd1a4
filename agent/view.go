package agent

import (
	"context"
	"net/http"
	"time"

	"github.com/icloudmon/icloudmon/store"
)

// What the web package reads besides Report and AccountNames: the clock,
// the health handler and the stored history. None of it triggers an Apple
// request.

// Now is the agent's clock.
func (a *Agent) Now() time.Time { return a.now() }

// Health serves /healthz: whether every account finished a cycle within
// two intervals.
func (a *Agent) Health() http.Handler { return a.health }

// History returns the history rows (history.Record as JSON) of account
// recorded since since, oldest first.
func (a *Agent) History(ctx context.Context, account string, since time.Time) ([]store.HistoryPoint, error) {
	return a.db.History(ctx, account, since)
}
