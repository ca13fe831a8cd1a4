package agent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func getHealth(t *testing.T, h *health) (int, healthReport) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	var rep healthReport
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatalf("healthz body is not JSON: %v: %s", err, rec.Body)
	}
	return rec.Code, rep
}

func TestHealthLifecycle(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	h := newHealth(time.Hour, []string{"alice", "bob"}, clock.now)

	if code, rep := getHealth(t, h); code != http.StatusOK || rep.Status != "starting" {
		t.Errorf("at start: %d %q, want 200 starting", code, rep.Status)
	}
	clock.advance(10 * time.Minute)
	h.cycleFinished("alice")
	h.cycleFinished("bob")
	if code, rep := getHealth(t, h); code != http.StatusOK || rep.Status != "ok" || rep.Accounts["alice"].LastCycle == nil {
		t.Errorf("after both cycles: %d %+v, want 200 ok with last_cycle", code, rep)
	}
	clock.advance(2*time.Hour + time.Minute)
	h.cycleFinished("alice")
	code, rep := getHealth(t, h)
	if code != http.StatusServiceUnavailable || rep.Status != "stale" || !rep.Accounts["bob"].Stale || rep.Accounts["alice"].Stale {
		t.Errorf("bob overdue: %d %+v, want 503 stale naming bob only", code, rep)
	}
}

func TestHealthNeverFinishedGoesStale(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	h := newHealth(10*time.Minute, []string{"alice"}, clock.now)
	clock.advance(21 * time.Minute)
	if code, _ := getHealth(t, h); code != http.StatusServiceUnavailable {
		t.Errorf("no cycle finished after 2×interval: %d, want 503", code)
	}
}
