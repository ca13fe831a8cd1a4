package checks

import (
	"slices"
	"testing"
)

// TestAuthTableRows: every outcome is listed once, reads as a sentence,
// and every blocker tells the person what to do; what `login` fixes is a
// blocker.
func TestAuthTableRows(t *testing.T) {
	seen := map[AuthKind]bool{}
	for _, d := range authTable {
		t.Run(string(d.kind), func(t *testing.T) {
			if seen[d.kind] {
				t.Errorf("%q is listed twice", d.kind)
			}
			seen[d.kind] = true
			if d.short == "" {
				t.Error("no short description")
			}
			if d.blocker && d.remedy == nil && d.advice == "" {
				t.Error("a blocker without a remedy")
			}
			if d.needsLogin && !d.blocker {
				t.Error("login fixes it, but it is no blocker")
			}
			if d.kind.Blocker() != d.blocker || d.kind.NeedsLogin() != d.needsLogin {
				t.Errorf("Blocker %v, NeedsLogin %v disagree with the row", d.kind.Blocker(), d.kind.NeedsLogin())
			}
		})
	}
	if slices.Contains(AuthKinds(), AuthNone) || len(AuthKinds()) != len(authTable)-1 {
		t.Errorf("AuthKinds = %v: every outcome but none", AuthKinds())
	}
	if k := AuthKind("something_new"); !k.Blocker() || k.NeedsLogin() || authShort(k) != "sign-in failed (something_new)" {
		t.Errorf("an outcome outside the table: blocker %v, needs login %v, %q", k.Blocker(), k.NeedsLogin(), authShort(k))
	}
}
