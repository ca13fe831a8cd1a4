package agent

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder collects when cycles start and how many runs were skipped.
type recorder struct {
	mu     sync.Mutex
	starts map[string][]time.Duration
	skips  map[string]int
	t0     time.Time
}

func newRecorder() *recorder {
	return &recorder{starts: map[string][]time.Duration{}, skips: map[string]int{}, t0: time.Now()}
}

func (r *recorder) start(account string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.starts[account] = append(r.starts[account], time.Since(r.t0))
}

func (r *recorder) skip(account string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skips[account]++
}

func (r *recorder) snapshot(account string) ([]time.Duration, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.starts[account]...), r.skips[account]
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// runFor starts s for the accounts, lets d of the bubble's time pass, then
// shuts it down and waits for it.
func runFor(t *testing.T, s *Scheduler, d time.Duration, accounts ...string) {
	ctx, cancel := context.WithCancel(t.Context())
	s.Start(ctx, accounts)
	time.Sleep(d)
	cancel()
	s.Wait()
}

func TestSchedulerRunsAtStartThenEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		s := &Scheduler{Interval: time.Hour, OnSkip: rec.skip,
			Cycle: func(_ context.Context, a string) { rec.start(a) }}
		runFor(t, s, 3*time.Hour+30*time.Minute, "alice")
		got, skips := rec.snapshot("alice")
		want := []time.Duration{0, time.Hour, 2 * time.Hour, 3 * time.Hour}
		if !equalDurations(got, want) || skips != 0 {
			t.Errorf("starts %v skips %d, want %v and 0", got, skips, want)
		}
	})
}

func TestSchedulerAccountsAreIsolated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		s := &Scheduler{Interval: time.Hour, Timeout: 50 * time.Minute, OnSkip: rec.skip,
			Cycle: func(cctx context.Context, a string) {
				rec.start(a)
				if a == "stuck" {
					<-cctx.Done() // hangs until the cycle deadline
				}
			}}
		runFor(t, s, 2*time.Hour+time.Minute, "stuck", "fine")
		fine, _ := rec.snapshot("fine")
		stuck, _ := rec.snapshot("stuck")
		want := []time.Duration{0, time.Hour, 2 * time.Hour}
		if !equalDurations(fine, want) {
			t.Errorf("fine account started at %v, want %v despite the stuck one", fine, want)
		}
		if !equalDurations(stuck, want) {
			t.Errorf("stuck account started at %v, want %v (its deadline frees it)", stuck, want)
		}
	})
}

func TestSchedulerSkipsSlotsALongCycleOverran(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		s := &Scheduler{Interval: time.Hour, Timeout: 3 * time.Hour, OnSkip: rec.skip,
			Cycle: func(_ context.Context, a string) {
				rec.start(a)
				time.Sleep(90 * time.Minute)
			}}
		runFor(t, s, 4*time.Hour+time.Minute, "alice")
		got, skips := rec.snapshot("alice")
		want := []time.Duration{0, 2 * time.Hour, 4 * time.Hour}
		if !equalDurations(got, want) {
			t.Errorf("starts %v, want %v (never back to back)", got, want)
		}
		if skips != 2 {
			t.Errorf("skips = %d, want 2 (the 1h and 3h slots)", skips)
		}
	})
}

func TestSchedulerTrigger(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		ctx, cancel := context.WithCancel(t.Context())
		s := &Scheduler{Interval: time.Hour, MinGap: 10 * time.Minute, OnSkip: rec.skip,
			Cycle: func(_ context.Context, a string) {
				rec.start(a)
				time.Sleep(time.Minute)
			}}
		s.Start(ctx, []string{"alice", "bob"})
		synctest.Wait()
		if s.Trigger("alice") {
			t.Error("trigger while the first cycle runs was queued, want skipped")
		}
		time.Sleep(5 * time.Minute)
		if s.Trigger("alice") {
			t.Error("trigger 5 min after the last start was queued, want skipped (MinGap 10m)")
		}
		time.Sleep(10 * time.Minute)
		if !s.Trigger("alice") {
			t.Error("trigger 15 min after the last start was not queued")
		}
		synctest.Wait()
		time.Sleep(2 * time.Minute)
		if !s.TriggerAfterSignIn("alice") {
			t.Error("a trigger after a sign-in was refused within MinGap")
		}
		synctest.Wait()
		cancel()
		s.Wait()
		got, skips := rec.snapshot("alice")
		want := []time.Duration{0, 15 * time.Minute, 17 * time.Minute}
		if !equalDurations(got, want) || skips != 2 {
			t.Errorf("alice starts %v skips %d, want %v and 2", got, skips, want)
		}
		if bob, _ := rec.snapshot("bob"); len(bob) != 1 {
			t.Errorf("bob started %d times; a trigger for alice must not run bob", len(bob))
		}
		if s.Known("carol") || !s.Known("bob") {
			t.Error("Known disagrees with the accounts given to Start")
		}
	})
}

func TestSchedulerShutdownCancelsRunningCycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sawCancel bool
		s := &Scheduler{Interval: time.Hour,
			Cycle: func(cctx context.Context, _ string) {
				<-cctx.Done()
				sawCancel = true
			}}
		runFor(t, s, time.Minute, "alice")
		if !sawCancel {
			t.Error("running cycle did not see its context cancelled on shutdown")
		}
	})
}

func TestSchedulerJitterStaysWithinBounds(t *testing.T) {
	s := &Scheduler{Interval: time.Hour, Jitter: 0.1}
	lo, hi := 54*time.Minute, 66*time.Minute
	seenDifferent := false
	first := s.wait()
	for range 1000 {
		w := s.wait()
		if w < lo || w > hi {
			t.Fatalf("wait %v outside [%v, %v]", w, lo, hi)
		}
		if w != first {
			seenDifferent = true
		}
	}
	if !seenDifferent {
		t.Error("jitter never changed the wait")
	}
}
