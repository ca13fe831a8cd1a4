package conformance

import (
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// A multi-day case (multi/<name>/) moves one NAS through weeks of
// simulated days, one `verify --no-cache` per day, with a data_dir that
// persists from day to day (history, adaptive thresholds, baselines) and
// an expected verdict per day.
//
//	case.json      as for a single case (the session is day 0's)
//	timeline.json  {"days": [dayStep, ...]} in day order
//	worlds/NN/     what Apple answers and what the folders hold on the
//	               days that point at it: responses/, local.json
//	exchanges/     the distinct request sequences of the days
//	records/       each CloudKit record pair once; the pages of the
//	               worlds include them ({{include:…}}, replay_test.go)
//	README.md      why each day's verdict is right
//
// Every time in a world (bodies, local files) is an offset from T0, the
// midnight that starts day 0, so that a photo added on day 3 keeps its
// date on day 20. A day's cycle runs at T0 + day + at on Apple's clock
// (the replay's Date header); the NAS clock of that run is Apple's plus
// nas_skew (the binary's simulated clock, see clock_conformance.go).
type multiTimeline struct {
	Days []dayStep `json:"days"`
}

type dayStep struct {
	Day int `json:"day"`
	// At is the time of day of the cycle (default "12h").
	At string `json:"at,omitempty"`
	// NASSkew is the NAS clock minus Apple's, e.g. "-10d" (default 0).
	NASSkew string `json:"nas_skew,omitempty"`
	// World is the directory (relative to the case) of the day's world:
	// responses/ and local.json.
	World string `json:"world"`
	// Exchanges is the day's request sequence (relative to the case; the
	// bodies it names are relative to World).
	Exchanges string `json:"exchanges"`
	// Folders gives a folder's state: "present" (default: the world's
	// files), "empty" (an unmounted share's mount point) or "absent".
	Folders map[string]string `json:"folders,omitempty"`
	// Session, if set, is a new saved session written before the run, as
	// `icloudmon login` leaves it that day; offsets are from the day's time.
	Session *sessionSpec `json:"session,omitempty"`
	Expect  expectation  `json:"expect"`
	// Why names the event of the day (for the table).
	Why string `json:"why,omitempty"`
}

type sessionSpec struct {
	WebExpires   string `json:"web_expires"`
	TrustExpires string `json:"trust_expires"`
}

// dayResult is one simulated day of one case.
type dayResult struct {
	day                         int
	falseAlarms, missed, others []string
}

var (
	multiMu      sync.Mutex
	multiResults = map[string][]dayResult{}
)

func TestMultiDay(t *testing.T) {
	dirs, err := filepath.Glob("multi/*")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 10 {
		t.Fatalf("want at least 10 multi-day cases under multi/, found %d", len(dirs))
	}
	t.Run("cases", func(t *testing.T) {
		for _, dir := range dirs {
			t.Run(filepath.Base(dir), func(t *testing.T) {
				t.Parallel()
				res := runMulti(t, dir)
				multiMu.Lock()
				multiResults[filepath.Base(dir)] = res
				multiMu.Unlock()
			})
		}
	})
	if out := os.Getenv("ICLOUDMON_MULTI_TABLE"); out != "" {
		writeMultiTable(t, out)
	}
}

func runMulti(t *testing.T, dir string) []dayResult {
	var spec caseSpec
	var tl multiTimeline
	readJSON(t, filepath.Join(dir, "case.json"), &spec)
	readJSON(t, filepath.Join(dir, "timeline.json"), &tl)
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Fatalf("every case needs a README.md saying why its verdicts are right: %v", err)
	}
	if len(tl.Days) == 0 || spec.Session == nil {
		t.Fatal("a multi-day case needs days and a day-0 session")
	}
	t0 := time.Now().UTC().Truncate(24 * time.Hour)
	tmp := t.TempDir()
	var out []dayResult
	for i, step := range tl.Days {
		if i > 0 && step.Day <= tl.Days[i-1].Day {
			t.Fatalf("timeline: day %d after day %d", step.Day, tl.Days[i-1].Day)
		}
		if i == 0 {
			step.Session = &sessionSpec{WebExpires: spec.Session.WebExpires, TrustExpires: spec.Session.TrustExpires}
		}
		res, diffs := runDay(t, dir, tmp, spec, step, t0)
		out = append(out, res)
		if len(diffs) > 0 {
			t.Errorf("day %d (%s): verdict differs from the rules in docs/checks.md (see %s/README.md):\n  %s",
				step.Day, step.Why, dir, strings.Join(diffs, "\n  "))
		}
	}
	return out
}

// runDay runs one simulated day and classifies how it differs from the
// expectation.
func runDay(t *testing.T, dir, tmp string, spec caseSpec, step dayStep, t0 time.Time) (dayResult, []string) {
	t.Helper()
	at := "12h"
	if step.At != "" {
		at = step.At
	}
	apple := t0.Add(time.Duration(step.Day)*24*time.Hour + mustRel(at))
	nas := apple.Add(mustRel(step.NASSkew))
	world := filepath.Join(dir, step.World)
	var exchanges []exchange
	var local map[string][]localFile
	readJSON(t, filepath.Join(dir, step.Exchanges), &exchanges)
	if _, err := os.Stat(filepath.Join(world, "local.json")); err == nil {
		readJSON(t, filepath.Join(world, "local.json"), &local)
	}

	srv := newReplay(world, exchanges, t0)
	started := time.Now()
	srv.date = func() time.Time { return apple.Add(time.Since(started)) }
	defer srv.Close()
	cfg := writeDayConfig(t, tmp, spec, step, srv, local, t0, apple)
	env := []string{"ICLOUDMON_CONFORMANCE_CLOCK=" + nas.Add(time.Since(started)).Format(time.RFC3339Nano)}
	out, code := verify(t, tmp, cfg, env, "--no-cache")
	var diffs []string
	for _, p := range srv.problems() {
		diffs = append(diffs, "replay: "+p)
	}
	diffs = append(diffs, judge(t, step.Expect, out, code)...)
	if len(diffs) > 0 {
		diffs = append(diffs, "full output:\n"+string(out))
	}
	got, _ := checkStatuses(t, out, code)
	res := dayResult{day: step.Day}
	for id, want := range step.Expect.Checks {
		g := got[id]
		switch {
		case g == want:
		case want == "ok":
			res.falseAlarms = append(res.falseAlarms, id+" "+g)
		case g == "ok":
			res.missed = append(res.missed, id+" (want "+want+")")
		default:
			res.others = append(res.others, id+" "+g+" (want "+want+")")
		}
	}
	return res, diffs
}

// writeDayConfig lays out the day's folders, writes the saved session if
// the day has one, and returns the configuration for the day's replay.
// data_dir persists from day to day.
func writeDayConfig(t *testing.T, tmp string, spec caseSpec, step dayStep, srv *replay, local map[string][]localFile, t0, apple time.Time) string {
	t.Helper()
	data, ca := dataDirAndCA(t, tmp, srv)
	var folders []map[string]any
	for _, f := range spec.Folders {
		p := filepath.Join(tmp, "folders", f.Name)
		must(t, os.RemoveAll(p))
		state := step.Folders[f.Name]
		switch state {
		case "", "present":
			must(t, os.MkdirAll(p, 0o755))
			for _, lf := range local[f.Name] {
				must(t, materialise(p, lf, t0))
			}
		case "empty":
			must(t, os.MkdirAll(p, 0o755))
		case "absent":
		default:
			t.Fatalf("day %d: folder %s: unknown state %q (present, empty, absent)", step.Day, f.Name, state)
		}
		folders = append(folders, map[string]any{"path": p, "name": f.Name, "layout": f.Layout})
	}
	for name := range local {
		if !hasFolder(spec, name) {
			t.Fatalf("local.json describes folder %q that case.json does not configure", name)
		}
	}
	if step.Session != nil {
		s := spec
		s.Session = &struct {
			WebExpires   string `json:"web_expires"`
			TrustExpires string `json:"trust_expires"`
		}{step.Session.WebExpires, step.Session.TrustExpires}
		writeSession(t, data, s, apple)
	}
	password := map[string]any{"keyring": false, "env": "CONFORMANCE_NO_SUCH_PASSWORD"}
	return writeConfigFile(t, tmp, data, ca, spec, srv, folders, password)
}

// writeMultiTable writes the per-case summary of the multi-day run as a
// Markdown table (ICLOUDMON_MULTI_TABLE=path).
func writeMultiTable(t *testing.T, path string) {
	multiMu.Lock()
	defer multiMu.Unlock()
	names := make([]string, 0, len(multiResults))
	for n := range multiResults {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| case | days | false alarms | missed incidents | other differences |\n|---|---|---|---|---|\n")
	var days, fa, mi, ot int
	for _, n := range names {
		var f, m, o []string
		for _, r := range multiResults[n] {
			for _, x := range r.falseAlarms {
				f = append(f, fmt.Sprintf("day %d: %s", r.day, x))
			}
			for _, x := range r.missed {
				m = append(m, fmt.Sprintf("day %d: %s", r.day, x))
			}
			for _, x := range r.others {
				o = append(o, fmt.Sprintf("day %d: %s", r.day, x))
			}
		}
		days += len(multiResults[n])
		fa, mi, ot = fa+len(f), mi+len(m), ot+len(o)
		fmt.Fprintf(&b, "| [%s](multi/%s/) | %d | %s | %s | %s |\n", n, n, len(multiResults[n]), list(f), list(m), list(o))
	}
	fmt.Fprintf(&b, "| **total** | %d | %d | %d | %d |\n", days, fa, mi, ot)
	must(t, os.WriteFile(path, []byte(b.String()), 0o600))
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "0"
	}
	return fmt.Sprintf("%d: %s", len(xs), strings.Join(xs, "; "))
}

func pemOf(srv *replay) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.srv.Certificate().Raw})
}
