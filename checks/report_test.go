package checks

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

func TestNewReport(t *testing.T) {
	empty := NewReport(now)
	if empty.Status != StatusUnknown || empty.Accounts == nil {
		t.Errorf("empty report = %+v, want unknown with an empty account list", empty)
	}
	b, _ := json.Marshal(empty)
	if !strings.Contains(string(b), `"accounts":[]`) {
		t.Errorf("empty report JSON %s lacks an empty accounts list", b)
	}
	ok := Evaluate(healthyObs(), DefaultPolicy(), healthyHist(), now)
	bob := Evaluate(blocked(AuthReauthRequired, ""), DefaultPolicy(), healthyHist(), now)
	bob.Name = "bob"
	r := NewReport(now.In(time.FixedZone("CET", 3600)), ok, bob)
	if r.Status != StatusCritical || r.CheckedAt.Location() != time.UTC {
		t.Errorf("report status %s at %v, want critical in UTC", r.Status, r.CheckedAt)
	}
}

// TestReportJSONSchema checks the field names of design §4 on a real report
// and that the JSON decodes back to the same report.
func TestReportJSONSchema(t *testing.T) {
	obs := healthyObs()
	obs = setMatch(obs, 5, photo.ConfidenceNone)
	r := NewReport(now, Evaluate(obs, DefaultPolicy(), healthyHist(), now))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Status    string `json:"status"`
		CheckedAt string `json:"checked_at"`
		Accounts  []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
			Checks []struct {
				ID, Status, Summary, Remediation string
				Details                          map[string]json.RawMessage
			} `json:"checks"`
			Observed map[string]json.RawMessage `json:"observed"`
		} `json:"accounts"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Status != "warning" || doc.CheckedAt != "2026-11-22T10:00:00Z" || doc.Accounts[0].Name != "alice" {
		t.Errorf("top level = %s %s %s", doc.Status, doc.CheckedAt, doc.Accounts[0].Name)
	}
	for _, key := range []string{"icloud_newest_added", "local_newest", "storage_free_ratio", "up", "reauth_required"} {
		if _, ok := doc.Accounts[0].Observed[key]; !ok {
			t.Errorf("observed lacks %q", key)
		}
	}
	lc := doc.Accounts[0].Checks[4]
	var missing []map[string]any
	if err := json.Unmarshal(lc.Details["missing"], &missing); err != nil || len(missing) != 1 {
		t.Fatalf("local_copy details.missing = %s (%v)", lc.Details["missing"], err)
	}
	for _, key := range []string{"filename", "added", "taken"} {
		if _, ok := missing[0][key]; !ok {
			t.Errorf("missing item lacks %q", key)
		}
	}
	if a := missing[0]["added"].(string); !strings.HasSuffix(a, "Z") {
		t.Errorf("added time %q is not UTC", a)
	}
	for _, enc := range [][]byte{b, mustJSON(t, r)} {
		var back Report
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, r) {
			t.Errorf("JSON round trip changed the report")
		}
	}
}

// mustJSON encodes r the way `verify --output json` and /api/status do
// (cmd/icloudmon writeReport, agent writeJSON): indented by two spaces,
// with encoding/json's default HTML escaping and a trailing newline.
func mustJSON(t *testing.T, r Report) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReportOmitsUnknownFacts(t *testing.T) {
	a := Evaluate(Observation{Account: "alice"}, DefaultPolicy(), History{}, now)
	b, _ := json.Marshal(a.Observed)
	if got := string(b); got != `{"up":false,"reauth_required":false}` {
		t.Errorf("observed facts of an empty observation = %s", got)
	}
}

func TestRenderText(t *testing.T) {
	if got := RenderText(NewReport(now)); !strings.Contains(got, "UNKNOWN") || !strings.Contains(got, "No account was checked") {
		t.Errorf("empty report text:\n%s", got)
	}
	obs := healthyObs()
	for i := range 14 {
		obs = setMatch(obs, i+3, photo.ConfidenceNone)
	}
	got := RenderText(NewReport(now, Evaluate(obs, DefaultPolicy(), healthyHist(), now)))
	if !strings.Contains(got, "… and 4 more") {
		t.Errorf("long item list is not capped:\n%s", got)
	}
	for _, line := range strings.Split(got, "\n") {
		if n := len([]rune(line)); n > wrapWidth && !strings.HasPrefix(line, "  ") {
			t.Errorf("line of %d runes: %q", n, line)
		}
	}
}

func TestWriteWrapped(t *testing.T) {
	var b strings.Builder
	writeWrapped(&b, "  what: ", strings.Repeat("word ", 40))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) < 2 {
		t.Fatalf("not wrapped: %q", b.String())
	}
	for i, l := range lines {
		if len(l) > wrapWidth {
			t.Errorf("line %d has %d chars", i, len(l))
		}
		if i > 0 && !strings.HasPrefix(l, "        word") {
			t.Errorf("continuation line %q not indented", l)
		}
	}
}

// TestNextPurgeIsOfUnprotectedItems pins the fact notify schedules its
// final reminder on: Observed.RecentlyDeletedNextPurge is the soonest
// known purge among items without a local copy, whatever the order of the
// items, and zero when every item has a copy.
func TestNextPurgeIsOfUnprotectedItems(t *testing.T) {
	obs := healthyObs()
	obs.RecentlyDeleted.Items = append(obs.RecentlyDeleted.Items,
		DeletedItem{ID: "del-3", Filename: "IMG_0102.HEIC", Library: "personal", PurgeAt: now.Add(12 * day), LocalCopy: photo.ConfidenceNone},
		DeletedItem{ID: "del-4", Filename: "IMG_0103.HEIC", Library: "personal", LocalCopy: photo.ConfidenceNone},
		DeletedItem{ID: "del-5", Filename: "IMG_0104.HEIC", Library: "personal", PurgeAt: now.Add(10 * day), LocalCopy: photo.ConfidencePossible},
		DeletedItem{ID: "del-6", Filename: "IMG_0105.HEIC", Library: "personal", PurgeAt: now.Add(11 * day)},
	)
	rep := Evaluate(obs, DefaultPolicy(), History{}, now)
	if want := now.Add(11 * day).UTC(); !rep.Observed.RecentlyDeletedNextPurge.Equal(want) {
		t.Errorf("next purge %s, want %s (del-6: the soonest without a copy)", rep.Observed.RecentlyDeletedNextPurge, want)
	}
	if rep := Evaluate(healthyObs(), DefaultPolicy(), History{}, now); !rep.Observed.RecentlyDeletedNextPurge.IsZero() {
		t.Errorf("every item has a copy, yet next purge is %s", rep.Observed.RecentlyDeletedNextPurge)
	}
}
