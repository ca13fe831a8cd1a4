package agent

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/demo"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
	"github.com/icloudmon/icloudmon/notify"
)

// soakPeriod is one repetition of the soak's story; every period has the
// same events at the same offsets.
const soakPeriod = 48 * time.Hour

// Offsets within a period. Uploads every 4 h stop for the stall.
const (
	soakSessionExpiry = 2 * time.Hour  // web session expires: accountLogin replay
	soakReauth        = 4 * time.Hour  // session tokens revoked: SRP with the trust token
	soakDelete        = 6 * time.Hour  // a photo with a local copy is deleted
	soakStallFrom     = 12 * time.Hour // last upload at 8 h: warning at 20 h, critical at 38 h
	soakStallTo       = 40 * time.Hour
	soakStorageFull   = 24 * time.Hour
	soakStorageFreed  = 30 * time.Hour
)

// webhookLog collects the reasons of every notification.
// newWebhookLog serves a webhookLog for the test and returns it with its URL.
func newWebhookLog(t *testing.T) (*webhookLog, string) {
	t.Helper()
	hook := &webhookLog{}
	hs := httptest.NewServer(hook)
	t.Cleanup(hs.Close)
	return hook, hs.URL
}

type webhookLog struct {
	mu      sync.Mutex
	reasons []string
	kinds   []string // ReasonKind of each reason
	events  int
}

func (w *webhookLog) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev notify.Event
	if json.Unmarshal(body, &ev) != nil {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events++
	for _, re := range ev.Reasons {
		w.reasons = append(w.reasons, re.Check+"→"+re.To)
		w.kinds = append(w.kinds, string(re.Kind))
	}
	rw.WriteHeader(http.StatusNoContent)
}

// seenKinds returns "check→status (kind)" for every reason.
func (w *webhookLog) seenKinds() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, len(w.reasons))
	for i := range w.reasons {
		out[i] = w.reasons[i] + " (" + w.kinds[i] + ")"
	}
	return out
}

func (w *webhookLog) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.reasons)
}

func soakDays(t *testing.T) int {
	if v := os.Getenv("ICLOUDMON_SOAK_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 || n%2 != 0 {
			t.Fatalf("ICLOUDMON_SOAK_DAYS=%q: want an even number of days ≥ 4", v)
		}
		return n
	}
	return 4 // short mode for CI: two periods
}

// TestSoak runs the agent every 10 simulated minutes for days against a
// library that changes (uploads, a deletion, a stall, storage filling and
// freed, a web session expiry, a re-auth). It checks that goroutines and
// heap stay flat, that history is pruned to its retention and the
// database stops growing, and that exactly the expected notifications go
// out. ICLOUDMON_SOAK_DAYS=30 runs the full month.
func TestSoak(t *testing.T) {
	days := soakDays(t)
	hook, hookURL := newWebhookLog(t)
	policy := checks.DefaultPolicy()
	policy.UploadWarning, policy.UploadCritical, policy.UploadAdaptive = 12*time.Hour, 30*time.Hour, false
	policy.UploadHistory = 24 * time.Hour // retention: 2 days of points
	r := newRig(t, rigOptions{policy: &policy, webhook: hookURL})
	s := &soak{r: r, start: r.clock.Now()}
	var baseGoroutines int
	var baseHeap uint64
	var baseDB int64
	for i := 0; r.clock.Now().Sub(s.start) < time.Duration(days)*24*time.Hour; i++ {
		s.events()
		rep := r.cycle()
		s.checkReport(t, rep)
		if r.clock.Now().Sub(s.start) == soakPeriod {
			baseGoroutines, baseHeap, baseDB = runtime.NumGoroutine(), liveHeap(), dbSize(t, r)
		}
		r.clock.Advance(10 * time.Minute)
	}
	s.flushLogs()
	s.assertEnd(t, days, baseGoroutines, baseHeap, baseDB)
	want := expectedReasons(days)
	if got := hook.seen(); !slices.Equal(got, want) {
		t.Errorf("notifications:\n got %v\nwant %v", got, want)
	}
}

type soak struct {
	r        *rig
	start    time.Time
	upload   int
	srp      int // SRP sign-ins seen in flushed logs
	requests int // requests seen in flushed logs
}

// flushLogs checks the fake's logs so far (read-only) and forgets them:
// they are test memory, not the agent's.
func (s *soak) flushLogs() {
	assertReadOnly(s.r.t, s.r)
	s.srp += srpAttempts(s.r)
	s.requests += s.r.requests()
	s.r.server.ResetRequests()
	s.r.photos.ResetLog()
}

// events applies the story's changes due at the current time.
func (s *soak) events() {
	r := s.r
	off := r.clock.Now().Sub(s.start) % soakPeriod
	if off%(4*time.Hour) == 0 && (off < soakStallFrom || off >= soakStallTo) {
		s.addUpload()
	}
	switch off {
	case 0:
		s.flushLogs()
	case soakSessionExpiry:
		r.server.ExpireWebSessions()
	case soakReauth:
		r.server.ExpireSessionTokens()
	case soakDelete:
		victim := r.lib.Newest(fakeicloud.PrimaryZone, 80)[70]
		if err := r.lib.Delete(victim.ID, r.clock.Now()); err != nil {
			r.t.Fatal(err)
		}
	case soakStorageFull:
		r.lib.SetStorage(199<<30, 200<<30)
	case soakStorageFreed:
		r.lib.SetStorage(60<<30, 200<<30)
	}
}

// addUpload adds a photo to iCloud and, at once, its copy to the folder.
func (s *soak) addUpload() {
	r := s.r
	s.upload++
	now := r.clock.Now()
	a := r.lib.Add(fakeicloud.Asset{Filename: fmt.Sprintf("IMG_S%04d.HEIC", s.upload), UTI: "public.heic",
		Size: int64(1_000_000 + s.upload), Width: 4032, Height: 3024, Added: now, Taken: now.Add(-time.Minute)})
	wall := a.Taken.UTC().Add(time.Duration(a.TZOffset) * time.Second)
	if err := demo.SparseFile(filepath.Join(r.photoDir, wall.Format("2006/01/02")), a.Filename, a.Size, now); err != nil {
		r.t.Fatal(err)
	}
}

// checkReport: only the checks the story drives may leave ok.
func (s *soak) checkReport(t *testing.T, rep checks.AccountReport) {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Status == checks.StatusOK || c.ID == checks.CheckICloudUpload || c.ID == checks.CheckStorage {
			continue
		}
		t.Fatalf("at +%s %s is %s: %s", s.r.clock.Now().Sub(s.start), c.ID, c.Status, c.Summary)
	}
}

func (s *soak) assertEnd(t *testing.T, days, goroutines int, heap uint64, db int64) {
	t.Helper()
	r := s.r
	// A leak stays; goroutines that are ending (the fake's and the HTTP
	// client's of a connection being closed) get a moment to end, as a
	// single sample right after a cycle may catch them on their way out.
	g := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); g > goroutines+5 && time.Now().Before(deadline); g = runtime.NumGoroutine() {
		time.Sleep(50 * time.Millisecond)
	}
	if g > goroutines+5 {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("goroutines grew from %d after one period to %d after %d days; their stacks:\n%s", goroutines, g, days, buf)
	}
	if h := liveHeap(); h > heap+heap/2+2<<20 {
		t.Errorf("live heap grew from %d to %d bytes", heap, h)
	}
	rows, err := r.db.History(t.Context(), demo.Account, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// Retention 2 days (upload history 1 day + 1 day), pruned once a day:
	// at most 3 days of 10-minute points.
	if limit := 3 * 24 * 6; len(rows) > limit {
		t.Errorf("%d history points kept after %d days, want at most %d (retention 2 days, daily pruning)", len(rows), days, limit)
	}
	if size := dbSize(t, r); size > db*2+1<<20 {
		t.Errorf("database grew from %d bytes after one period to %d after %d days", db, size, days)
	}
	t.Logf("after one period: goroutines %d, heap %d, database %d bytes", goroutines, heap, db)
	t.Logf("%d days, %d cycles, %d uploads, %d SRP sign-ins, %d history points, database %d bytes, %d requests, goroutines %d, heap %d",
		days, days*144, s.upload, s.srp, len(rows), dbSize(t, r), s.requests, runtime.NumGoroutine(), liveHeap())
	if got, want := s.srp, days/2+1; got != want {
		t.Errorf("%d SRP sign-ins, want %d (the first and one re-auth per period)", got, want)
	}
}

// expectedReasons: per period, the stall warns then goes critical and
// recovers; storage goes critical and recovers. Nothing else.
func expectedReasons(days int) []string {
	var out []string
	for range days / 2 {
		out = append(out, "icloud_upload→warning", "storage→critical", "storage→ok", "icloud_upload→critical", "icloud_upload→ok")
	}
	return out
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func dbSize(t *testing.T, r *rig) int64 {
	t.Helper()
	var total int64
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(filepath.Join(r.dir, "data", "icloudmon.db"+suffix)); err == nil {
			total += fi.Size()
		}
	}
	return total
}
