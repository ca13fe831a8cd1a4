package agent

import (
	"context"
	"math"
	"testing"
)

// TestBudgetKeptAfterCycleTimeout: a cycle that runs out of time while
// filling the mirror still stores what is left of its request budget, so
// that the next cycle does not start again with a full bucket. (At 500 000
// assets on a loaded machine, the first cycle of `icloudmon run` hit
// cycle_timeout after about 4 000 requests and "could not store the audit's
// request budget: context deadline exceeded": the next cycle could send
// requests_per_cycle more.)
func TestBudgetKeptAfterCycleTimeout(t *testing.T) {
	r := newRig(t, rigOptions{audit: auditOptions()})
	c := r.cloud
	log := c.logger()
	ctx, cancel := context.WithCancel(context.Background())
	b := c.loadBucket(ctx, log)
	if b.Tokens != c.Audit.capacity() {
		t.Fatalf("a new bucket holds %v requests, want %v", b.Tokens, c.Audit.capacity())
	}
	b.Tokens = 3
	cancel() // the cycle's time is up
	c.saveBucket(ctx, log, b)
	got := c.loadBucket(context.Background(), log)
	if math.Abs(got.Tokens-3) > 1 {
		t.Fatalf("after a cycle that ended with 3 requests left, the next one has %v", got.Tokens)
	}
}
