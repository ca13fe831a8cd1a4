package checks

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// evaluateScenario runs Evaluate for a scenario.
func evaluateScenario(sc scenario) AccountReport {
	p := DefaultPolicy()
	if sc.policy != nil {
		p = *sc.policy
	}
	return Evaluate(sc.obs, p, sc.hist, now)
}

func TestScenarioCount(t *testing.T) {
	seen := map[string]bool{}
	for _, sc := range scenarios() {
		if seen[sc.name] {
			t.Errorf("duplicate scenario name %q", sc.name)
		}
		seen[sc.name] = true
	}
	if len(seen) < 30 {
		t.Errorf("the scenario suite has %d cases, want at least 30", len(seen))
	}
}

func TestScenarios(t *testing.T) {
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			a := evaluateScenario(sc)
			checkStatuses(t, a, sc.want)
			if sc.verify != nil {
				sc.verify(t, a)
			}
			rep := NewReport(now, a)
			golden(t, sc.name+".json", mustJSON(t, rep))
			golden(t, sc.name+".txt", []byte(RenderText(rep)))
		})
	}
}

// checkStatuses compares every check status with want (absent = ok) and
// the account status with the worst of them.
func checkStatuses(t *testing.T, a AccountReport, want map[CheckID]Status) {
	t.Helper()
	ids := AllChecks()
	if len(a.Checks) != len(ids) {
		t.Fatalf("got %d checks, want %d", len(a.Checks), len(ids))
	}
	var all []Status
	for i, id := range ids {
		c := a.Checks[i]
		w, ok := want[id]
		if !ok {
			w = StatusOK
		}
		all = append(all, w)
		if c.ID != id {
			t.Errorf("check %d is %s, want %s", i, c.ID, id)
		}
		if c.Status != w {
			t.Errorf("%s = %s (%s), want %s", id, c.Status, c.Summary, w)
		}
		if c.Summary == "" {
			t.Errorf("%s has no summary", id)
		}
		if (c.Status == StatusWarning || c.Status == StatusCritical) && c.Remediation == "" {
			t.Errorf("%s is %s without a remediation", id, c.Status)
		}
	}
	if w := Worst(all...); a.Status != w {
		t.Errorf("account status %s, want %s", a.Status, w)
	}
}

// golden compares got with testdata/golden/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run `go test ./checks -run TestScenarios -update` to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (rerun with -update if intended):\n%s", name, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first differing lines of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n- " + wl + "\n+ " + gl + "\n")
			shown++
		}
	}
	return b.String()
}

func verifyAdaptive(want bool) func(testingT, AccountReport) {
	return func(t testingT, a AccountReport) {
		t.Helper()
		c, _ := a.Check(CheckICloudUpload)
		if c.Details == nil || c.Details.Upload == nil {
			t.Errorf("icloud_upload has no upload details")
			return
		}
		if c.Details.Upload.Adaptive != want {
			t.Errorf("adaptive = %v, want %v (%+v)", c.Details.Upload.Adaptive, want, *c.Details.Upload)
		}
	}
}

func verifyEvents(events, gaps int) func(testingT, AccountReport) {
	return func(t testingT, a AccountReport) {
		t.Helper()
		c, _ := a.Check(CheckICloudUpload)
		if c.Details == nil || c.Details.Upload == nil {
			t.Errorf("icloud_upload has no upload details")
			return
		}
		if u := c.Details.Upload; u.Events != events || u.Gaps != gaps {
			t.Errorf("learned %d events and %d gaps, want %d and %d", u.Events, u.Gaps, events, gaps)
		}
	}
}

// verifyEditedOnly: never missing; n photos reported as "only the edited
// version is here" (listed as incomplete, the original missing).
func verifyEditedOnly(n int) func(testingT, AccountReport) {
	return func(t testingT, a AccountReport) {
		t.Helper()
		verifyFolderFacts(0)(t, a)
		c, _ := a.Check(CheckLocalCopy)
		if got := strings.Count(c.Summary, "only the edited version is here"); got != min(n, 1) {
			t.Errorf("summary %q: want the edited-only phrase %d times", c.Summary, min(n, 1))
		}
		got := 0
		if c.Details != nil {
			for _, it := range c.Details.Incomplete {
				if slices.Contains(it.MissingParts, photo.PartOriginal) {
					got++
				}
			}
		}
		if got != n {
			t.Errorf("%d incomplete items lack the original, want %d", got, n)
		}
	}
}

// verifyIncomplete: nothing missing, n photos with a part missing.
func verifyIncomplete(n int) func(testingT, AccountReport) {
	return func(t testingT, a AccountReport) {
		t.Helper()
		verifyFolderFacts(0)(t, a)
		if got := len(localCopyDetails(a).Incomplete); got != n {
			t.Errorf("%d incomplete items, want %d", got, n)
		}
	}
}

// localCopyDetails are the details of a's local_copy result (empty when
// it has none).
func localCopyDetails(a AccountReport) Details {
	if c, _ := a.Check(CheckLocalCopy); c.Details != nil {
		return *c.Details
	}
	return Details{}
}

func verifyFolderFacts(missing int) func(testingT, AccountReport) {
	return func(t testingT, a AccountReport) {
		t.Helper()
		if len(a.Observed.Folders) == 0 || a.Observed.Folders[0].Missing == nil {
			t.Errorf("observed folder facts lack a missing count")
			return
		}
		if got := *a.Observed.Folders[0].Missing; got != missing {
			t.Errorf("observed missing = %d, want %d", got, missing)
		}
		if n := len(localCopyDetails(a).Missing); n != missing {
			t.Errorf("local_copy lists %d missing items, want %d", n, missing)
		}
	}
}

func verifyLag(want time.Duration) func(testingT, AccountReport) {
	return func(t testingT, a AccountReport) {
		t.Helper()
		f := a.Observed.Folders[0]
		if f.LagSeconds == nil || *f.LagSeconds != want.Seconds() {
			t.Errorf("observed lag = %v, want %v", f.LagSeconds, want.Seconds())
		}
	}
}

func verifyReauth(want bool) func(testingT, AccountReport) {
	return func(t testingT, a AccountReport) {
		t.Helper()
		if a.Observed.ReauthRequired != want || a.Observed.Up {
			t.Errorf("observed reauth_required=%v up=%v, want %v and false", a.Observed.ReauthRequired, a.Observed.Up, want)
		}
	}
}
