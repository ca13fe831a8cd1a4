package metrics

import (
	"strings"
	"testing"
)

// safeName's length limit is checked beside its pattern: 64 bytes pass,
// 65 become "other", as do URLs and characters outside the set.
func TestSafeNameLength(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ntfy", "ntfy"}, {strings.Repeat("a", 64), strings.Repeat("a", 64)}, {strings.Repeat("a", 65), labelOther},
		{"", labelOther}, {"a b", labelOther}, {"user@example.com", labelOther}, {"https://x/y", labelOther},
		{"v1.2+build/x_y-z", "v1.2+build/x_y-z"},
	} {
		if got := safeName(c.in); got != c.want {
			t.Errorf("safeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
