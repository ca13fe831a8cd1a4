package agent

import (
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// health tracks whether the agent's loops are alive: every account must
// have finished a cycle (whatever its verdict) within 2 × interval. It says
// nothing about the photos themselves — an iCloud outage is a finished
// cycle with a critical report, not an unhealthy agent — so a container
// orchestrator never restarts icloudmon because Apple is down.
type health struct {
	mu       sync.Mutex
	interval time.Duration
	started  time.Time
	finished map[string]time.Time
	now      func() time.Time
}

func newHealth(interval time.Duration, accounts []string, now func() time.Time) *health {
	h := &health{interval: interval, started: now(), finished: map[string]time.Time{}, now: now}
	for _, a := range accounts {
		h.finished[a] = time.Time{}
	}
	return h
}

// cycleFinished records that account completed a cycle.
func (h *health) cycleFinished(account string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.finished[account] = h.now()
}

// healthReport is the JSON body of /healthz.
type healthReport struct {
	Status   string                  `json:"status"` // "ok", "starting" or "stale"
	Interval string                  `json:"interval"`
	Accounts map[string]healthDetail `json:"accounts"`
}

type healthDetail struct {
	LastCycle *time.Time `json:"last_cycle,omitempty"`
	Stale     bool       `json:"stale"`
}

func (h *health) report() (healthReport, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	limit := 2 * h.interval
	rep := healthReport{Status: "ok", Interval: h.interval.String(), Accounts: map[string]healthDetail{}}
	names := make([]string, 0, len(h.finished))
	for a := range h.finished {
		names = append(names, a)
	}
	sort.Strings(names)
	healthy := true
	for _, a := range names {
		at := h.finished[a]
		d := healthDetail{}
		switch {
		case !at.IsZero():
			t := at.UTC()
			d.LastCycle = &t
			d.Stale = now.Sub(at) > limit
		case now.Sub(h.started) > limit:
			d.Stale = true
		default:
			rep.Status = "starting"
		}
		if d.Stale {
			healthy = false
		}
		rep.Accounts[a] = d
	}
	if !healthy {
		rep.Status = "stale"
	}
	return rep, healthy
}

// ServeHTTP answers /healthz: 200 while healthy (or starting), 503 when a
// cycle is overdue, always with a JSON body.
func (h *health) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	rep, ok := h.report()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(rep)
}
