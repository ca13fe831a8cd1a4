package agent

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// CycleFunc runs one check cycle for one account. It must honour ctx and
// must not panic; errors are the cycle's own business (recorded in its
// report), so the scheduler never stops because a cycle failed.
type CycleFunc func(ctx context.Context, account string)

// Scheduler runs a CycleFunc for each account: once at start, then every
// Interval with jitter, never two cycles of one account at the same time.
// Cycles of different accounts are independent: one slow or failing
// account never delays another.
type Scheduler struct {
	Interval time.Duration
	// Jitter is the fraction of Interval by which each wait is randomly
	// lengthened or shortened (0.1 = ±10 %), so that many agents do not hit
	// Apple in lock-step.
	Jitter float64
	// Timeout bounds one cycle; zero means Interval.
	Timeout time.Duration
	Cycle   CycleFunc
	// MinGap is the shortest time between the starts of two cycles of one
	// account that a manual trigger may cause (design §7: Apple is not to
	// be hammered). Zero allows a trigger at any time.
	MinGap time.Duration
	// OnSkip is called when a run is skipped: a trigger while a cycle of
	// the same account runs or within MinGap of the last start, or a slot
	// missed because a cycle outlasted the interval.
	OnSkip func(account string)

	mu    sync.Mutex
	loops map[string]*accountLoop
	wg    sync.WaitGroup
}

// accountLoop is the scheduler's state for one account.
type accountLoop struct {
	trigger     chan struct{}
	running     bool
	lastStarted time.Time
}

// Start launches one loop per account and returns at once. The loops stop
// when ctx is cancelled; Wait waits for them, including running cycles,
// which see their context cancelled.
func (s *Scheduler) Start(ctx context.Context, accounts []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loops = make(map[string]*accountLoop, len(accounts))
	for _, a := range accounts {
		l := &accountLoop{trigger: make(chan struct{}, 1)}
		s.loops[a] = l
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.loop(ctx, a, l)
		}()
	}
}

// Wait blocks until every loop started by Start has returned.
func (s *Scheduler) Wait() { s.wg.Wait() }

// Trigger asks for a cycle of account now (an empty account means all).
// It reports whether at least one cycle was queued. A trigger for an
// account whose cycle is running, already queued, or started less than
// MinGap ago is skipped and counted.
func (s *Scheduler) Trigger(account string) bool { return s.trigger(account, false) }

// TriggerAfterSignIn queues a cycle of account even within MinGap (but
// never beside a running one): after a person renewed the session, the
// status should not wait for the next interval.
func (s *Scheduler) TriggerAfterSignIn(account string) bool { return s.trigger(account, true) }

func (s *Scheduler) trigger(account string, ignoreGap bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	queued := false
	for name, l := range s.loops {
		if account != "" && name != account {
			continue
		}
		if l.running || (!ignoreGap && s.MinGap > 0 && time.Since(l.lastStarted) < s.MinGap) {
			s.skip(name)
			continue
		}
		select {
		case l.trigger <- struct{}{}:
			queued = true
		default:
			s.skip(name)
		}
	}
	return queued
}

// Known reports whether the scheduler runs cycles for account.
func (s *Scheduler) Known(account string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.loops[account]
	return ok
}

func (s *Scheduler) setRunning(l *accountLoop, running bool, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l.running = running
	if running {
		l.lastStarted = at
	}
}

func (s *Scheduler) loop(ctx context.Context, account string, l *accountLoop) {
	for {
		started := time.Now()
		s.setRunning(l, true, started)
		s.runOnce(ctx, account)
		s.setRunning(l, false, started)
		if ctx.Err() != nil {
			return
		}
		next := started.Add(s.wait())
		// A cycle that outlasted its interval: the missed slot is skipped,
		// not run back to back.
		for !time.Now().Before(next) {
			s.skip(account)
			next = next.Add(s.wait())
		}
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-l.trigger:
			timer.Stop()
		}
	}
}

func (s *Scheduler) runOnce(ctx context.Context, account string) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = s.Interval
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s.Cycle(cctx, account)
}

// wait returns Interval lengthened or shortened by up to Jitter.
func (s *Scheduler) wait() time.Duration {
	if s.Jitter <= 0 {
		return s.Interval
	}
	f := 1 + s.Jitter*(2*rand.Float64()-1) //nolint:gosec // jitter needs no cryptographic randomness
	return time.Duration(float64(s.Interval) * f)
}

func (s *Scheduler) skip(account string) {
	if s.OnSkip != nil {
		s.OnSkip(account)
	}
}
