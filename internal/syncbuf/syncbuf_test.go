package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// TestConcurrentWritesAndReads writes from several goroutines while reading;
// under -race a missing lock fails, and every write must be kept whole.
func TestConcurrentWritesAndReads(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				if _, err := b.Write([]byte("ab\n")); err != nil {
					t.Error(err)
				}
				_ = b.String()
			}
		})
	}
	wg.Wait()
	got := b.String()
	if n := strings.Count(got, "ab\n"); n != 400 || len(got) != 1200 {
		t.Fatalf("%d whole writes in %d bytes, want 400 in 1200", n, len(got))
	}
}
