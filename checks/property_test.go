package checks

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// factFields are fields whose zero value is a statement of fact rather
// than "not observed"; zeroing them is a different observation, not a
// removed piece, so the property does not apply to them.
var factFields = map[string]string{
	"StorageObservation.Used":        "0 bytes used is a fact (an empty account)",
	"Match.MissingParts":             "an empty list states that every part is there",
	"DeletedObservation.Items":       "an empty first page states that Recently Deleted is empty",
	"DeletedObservation.Total":       "nil states that the page holds every item",
	"FolderHealth.PreviousFiles":     "nil defers to the history baseline",
	"LibraryObservation.Shared":      "identity: which kind of library this is",
	"LibraryObservation.Monitored":   "configuration: which libraries are checked",
	"FolderObservation.RenamesFiles": "configuration: the folder layout",
	"Observation.Hidden":             "configuration: the account's rule for hidden items",
	"Observation.Folders":            "configuration: the agent observes every configured folder (a failed scan is still an entry), so no folder means none is configured",
	"FolderObservation.Libraries":    "configuration: which libraries a folder holds",
	"FolderHealth.Unreadable":        "an empty list states that every sub-directory was read",
}

// exempt reports per-check exceptions where another check takes over: an
// unknown indexing state makes the indexing check unknown (so the account
// stays non-ok), while icloud_upload judges the data it has.
func exempt(path string, id CheckID) bool {
	return id == CheckICloudUpload && strings.HasSuffix(path, ".Indexing")
}

// mutation is one way to remove a piece of an observation.
type mutation struct {
	path  string
	apply func(*Observation)
}

// mutations lists, for every field reachable in obs (through pointers and
// every slice element), the mutation that sets it to its zero value. With
// sampled, long slices contribute only some of their elements (-short and
// -race runs; a plain `go test` walks every element).
func mutations(obs Observation, sampled bool) []mutation {
	var out []mutation
	var walk func(v reflect.Value, path string, route []int)
	walk = func(v reflect.Value, path string, route []int) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path, route)
			}
		case reflect.Slice:
			for i := range v.Len() {
				if sampled && i > 3 && i%4 != 0 && i != v.Len()-1 {
					continue
				}
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), append(route, i))
			}
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				f := v.Type().Field(i)
				key := v.Type().Name() + "." + f.Name
				r := append(append([]int(nil), route...), i)
				if _, fact := factFields[key]; !fact && !v.Field(i).IsZero() {
					out = append(out, mutation{path: path + "." + f.Name, apply: zeroAt(r)})
				}
				walk(v.Field(i), path+"."+f.Name, r)
			}
		}
	}
	walk(reflect.ValueOf(obs), "obs", nil)
	return out
}

// zeroAt returns a function that zeroes the value at route (struct field
// indexes and slice indexes, following pointers) in an observation.
func zeroAt(route []int) func(*Observation) {
	return func(o *Observation) {
		v := reflect.ValueOf(o).Elem()
		for _, step := range route {
			for v.Kind() == reflect.Pointer {
				v = v.Elem()
			}
			if v.Kind() == reflect.Slice {
				v = v.Index(step)
			} else {
				v = v.Field(step)
			}
		}
		v.Set(reflect.Zero(v.Type()))
	}
}

// deepCopy copies an observation so that a mutation cannot touch the
// original's slices or pointers.
func deepCopy(o Observation) Observation {
	return copyValue(reflect.ValueOf(o)).Interface().(Observation)
}

func copyValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(v.Type().Elem())
		p.Elem().Set(copyValue(v.Elem()))
		return p
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		s := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			s.Index(i).Set(copyValue(v.Index(i)))
		}
		return s
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			c.Field(i).Set(copyValue(v.Field(i)))
		}
		return c
	}
	return v
}

// TestRemovingDataNeverMakesOK is the property test: for every scenario and
// every piece of its observation, zeroing that piece never turns a non-ok
// check (or account) into ok.
func TestRemovingDataNeverMakesOK(t *testing.T) {
	total := 0
	for _, sc := range scenarios() {
		p := DefaultPolicy()
		if sc.policy != nil {
			p = *sc.policy
		}
		base := Evaluate(sc.obs, p, sc.hist, now)
		for _, m := range mutations(sc.obs, testing.Short() || raceEnabled) {
			o := deepCopy(sc.obs)
			m.apply(&o)
			got := Evaluate(o, p, sc.hist, now)
			total++
			if base.Status != StatusOK && got.Status == StatusOK {
				t.Errorf("%s: removing %s turned the account from %s to ok", sc.name, m.path, base.Status)
			}
			for i, c := range base.Checks {
				if c.Status != StatusOK && got.Checks[i].Status == StatusOK && !exempt(m.path, c.ID) {
					t.Errorf("%s: removing %s turned %s from %s to ok (%s)", sc.name, m.path, c.ID, c.Status, got.Checks[i].Summary)
				}
			}
		}
	}
	if total < 500 {
		t.Errorf("only %d mutations were tried; the walker is broken", total)
	}
	t.Logf("%d mutations tried", total)
}

// TestMutationsDoNotTouchOriginal guards the test's own deep copy.
func TestMutationsDoNotTouchOriginal(t *testing.T) {
	obs := healthyObs()
	before := Evaluate(obs, DefaultPolicy(), healthyHist(), now)
	for _, m := range mutations(obs, false) {
		o := deepCopy(obs)
		m.apply(&o)
	}
	after := Evaluate(obs, DefaultPolicy(), healthyHist(), now)
	if !reflect.DeepEqual(before, after) {
		t.Fatal("applying mutations to copies changed the original observation")
	}
	if before.Status != StatusOK {
		t.Fatalf("healthy observation is %s", before.Status)
	}
}

// TestRemovingHistoryNeverMakesOK: forgetting the learned past (upload
// times, last success) never turns a non-ok check ok: the static thresholds
// used without history are never more lenient than learned ones, and transient
// sign-in trouble without a known last success stays unknown.
func TestRemovingHistoryNeverMakesOK(t *testing.T) {
	for _, sc := range scenarios() {
		p := DefaultPolicy()
		if sc.policy != nil {
			p = *sc.policy
		}
		base := Evaluate(sc.obs, p, sc.hist, now)
		for name, h := range map[string]History{
			"uploads":      {FolderFiles: sc.hist.FolderFiles, LastSuccess: sc.hist.LastSuccess},
			"last success": {FolderFiles: sc.hist.FolderFiles, Uploads: sc.hist.Uploads},
		} {
			got := Evaluate(sc.obs, p, h, now)
			for i, c := range base.Checks {
				if c.Status != StatusOK && got.Checks[i].Status == StatusOK {
					t.Errorf("%s: forgetting %s turned %s from %s to ok", sc.name, name, c.ID, c.Status)
				}
			}
		}
	}
}

// TestEvaluateDoesNotModifyItsInputs: Evaluate sorts and filters copies,
// never the caller's slices.
func TestEvaluateDoesNotModifyItsInputs(t *testing.T) {
	for _, sc := range scenarios() {
		// Reverse the (newest-first) lists so that an in-place sort shows.
		obs, hist := deepCopy(sc.obs), sc.hist
		for _, l := range obs.Libraries {
			slices.Reverse(l.Newest)
		}
		hist.Uploads = slices.Clone(hist.Uploads)
		slices.Reverse(hist.Uploads)
		wantObs, uploads := deepCopy(obs), slices.Clone(hist.Uploads)
		Evaluate(obs, DefaultPolicy(), hist, now)
		NewHistoryPoint(obs, hist, now)
		BuildHistory([]HistoryPoint{{At: now, Uploads: hist.Uploads}}, DefaultPolicy(), now)
		if !reflect.DeepEqual(obs, wantObs) || !reflect.DeepEqual(uploads, hist.Uploads) {
			t.Errorf("%s: Evaluate modified its input", sc.name)
		}
	}
}
