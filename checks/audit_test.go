package checks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/photo"
)

// auditMissing returns n missing assets of library lib, taken one a month
// apart from January 2019 on.
func auditMissing(n int, lib string) []AuditMissing {
	out := make([]AuditMissing, n)
	for i := range out {
		taken := time.Date(2019, time.Month(1+i%12), 3, 14, 0, 0, 0, time.UTC).AddDate(i/12, 0, 0)
		out[i] = AuditMissing{ID: fmt.Sprintf("%s-%03d", lib, i), Filename: fmt.Sprintf("IMG_%04d.JPG", 100+i),
			Taken: taken, Added: taken.Add(time.Hour), Size: 3_100_000 + int64(i)}
	}
	return out
}

// filledLib is a library whose first fill is done, compared this cycle.
func filledLib(name string, mirrored int, missing []AuditMissing) AuditLibrary {
	return AuditLibrary{Name: name, Filled: true, Mirrored: mirrored, Expected: mirrored,
		Compared: mirrored - 40, Excluded: 40, Missing: missing, LastComplete: now.Add(-5 * time.Minute)}
}

// fillingLib is a library whose first fill is under way.
func fillingLib(name string, mirrored, expected int) AuditLibrary {
	return AuditLibrary{Name: name, Mirrored: mirrored, Expected: expected}
}

// withAudit is a healthy observation with the given audited libraries.
func withAudit(libs ...AuditLibrary) Observation {
	o := healthyObs()
	o.Audit = &AuditObservation{Libraries: libs}
	return o
}

type auditCase struct {
	name    string
	obs     Observation
	status  Status // of library_audit
	pending bool
	account Status // the account's status
	has     []string
}

func auditCases() []auditCase {
	paused := fillingLib("personal", 42_000, 100_000)
	paused.Paused, paused.ResumeAt = true, now.Add(50*time.Minute)
	fillErr := fillingLib("personal", 42_000, 100_000)
	fillErr.Error = "CloudKit answered 503"
	updErr := filledLib("personal", 12_345, nil)
	updErr.Error = "CloudKit answered 503"
	updErrMissing := filledLib("personal", 12_345, auditMissing(2, "personal"))
	updErrMissing.Error = "CloudKit answered 503"
	updPaused := filledLib("personal", 12_345, nil)
	updPaused.Paused, updPaused.ResumeAt = true, now.Add(20*time.Minute)
	notCompared := filledLib("personal", 12_345, nil)
	notCompared.Compared, notCompared.Excluded = 0, 0
	allOut := filledLib("personal", 300, nil)
	allOut.Compared, allOut.Excluded = 0, 300
	unscanned := withAudit(filledLib("personal", 12_345, auditMissing(3, "personal")))
	unscanned.Folders[0].Health = FolderHealth{Scanned: true, Error: "folder does not exist"}
	noFolders := withAudit(filledLib("personal", 12_345, nil))
	noFolders.Folders = nil
	unknownCount := fillingLib("personal", 42_000, 0)
	return []auditCase{
		{name: "audit_all_present", obs: withAudit(filledLib("personal", 12_345, nil)), status: StatusOK, account: StatusOK,
			has: []string{"All 12,305 photos in library personal have a local copy"}},
		{name: "audit_missing_3", obs: withAudit(filledLib("personal", 12_345, auditMissing(3, "personal"))),
			status: StatusWarning, account: StatusWarning,
			has: []string{"3 of 12,305 photos in library personal have no local copy", "IMG_0100.JPG", "--until-found", "restore them from your backup"}},
		{name: "audit_missing_many_never_critical", obs: withAudit(filledLib("personal", 120_000, auditMissing(150, "personal"))),
			status: StatusWarning, account: StatusWarning, has: []string{"150 of 119,960 photos"}},
		{name: "audit_missing_two_libraries", obs: withAudit(filledLib("personal", 12_345, auditMissing(2, "personal")),
			filledLib("shared", 2_000, auditMissing(1, "shared"))),
			status: StatusWarning, account: StatusWarning, has: []string{"3 of 14,265 photos in iCloud have no local copy (personal 2, shared 1)"}},
		{name: "audit_missing_while_other_fills", obs: withAudit(filledLib("personal", 12_345, auditMissing(2, "personal")),
			fillingLib("shared", 500, 2_000)),
			status: StatusWarning, account: StatusWarning, has: []string{"2 of 12,305 photos", "Still listing every photo of library shared: 25 % (500 of 2,000)"}},
		{name: "audit_first_fill", obs: withAudit(fillingLib("personal", 42_000, 100_000)),
			status: StatusUnknown, pending: true, account: StatusOK,
			has: []string{"Still listing every photo of library personal: 42 % (42,000 of 100,000); no verdict until it is complete", "icloudmon audit"}},
		{name: "audit_first_fill_count_unknown", obs: withAudit(unknownCount),
			status: StatusUnknown, pending: true, account: StatusOK, has: []string{"library personal: 42,000 photos"}},
		{name: "audit_first_fill_nearly_done", obs: withAudit(fillingLib("personal", 99_999, 100_000)),
			status: StatusUnknown, pending: true, account: StatusOK, has: []string{"99 % (99,999 of 100,000)"}},
		{name: "audit_first_fill_paused", obs: withAudit(paused), status: StatusUnknown, pending: true, account: StatusOK,
			has: []string{"paused by the request budget until 2026-11-22 10:50 UTC"}},
		{name: "audit_filled_and_filling", obs: withAudit(filledLib("personal", 12_345, nil), fillingLib("shared", 500, 2_000)),
			status: StatusUnknown, pending: true, account: StatusOK, has: []string{"Still listing every photo of library shared"}},
		{name: "audit_fill_error", obs: withAudit(fillErr), status: StatusUnknown, account: StatusUnknown,
			has: []string{"could not be filled: CloudKit answered 503; 42,000 of 100,000 listed so far", "tries again next cycle"}},
		{name: "audit_update_error", obs: withAudit(updErr), status: StatusUnknown, account: StatusUnknown,
			has: []string{"could not be brought up to date: CloudKit answered 503 (last complete audit 2026-11-22 09:55 UTC)"}},
		{name: "audit_update_error_with_missing", obs: withAudit(updErrMissing), status: StatusWarning, account: StatusWarning,
			has: []string{"2 of 12,305 photos", "photos listed are from the last update"}},
		{name: "audit_update_paused", obs: withAudit(updPaused), status: StatusOK, account: StatusOK,
			has: []string{"All 12,305 photos", "paused by the request budget until 2026-11-22 10:20 UTC"}},
		{name: "audit_not_compared", obs: withAudit(notCompared), status: StatusUnknown, account: StatusUnknown,
			has: []string{"Library personal was not compared with the folders this cycle"}},
		{name: "audit_all_left_out", obs: withAudit(allOut), status: StatusOK, account: StatusOK,
			has: []string{"the audit's settings leave out all 300 of library personal"}},
		{name: "audit_empty_library", obs: withAudit(AuditLibrary{Name: "personal", Filled: true}), status: StatusOK, account: StatusOK,
			has: []string{"Nothing to compare: library personal holds no photo yet"}},
		{name: "audit_folder_unscanned", obs: unscanned, status: StatusUnknown,
			account: StatusCritical, has: []string{"Folder \"alice\" could not be scanned, so the audit cannot tell"}},
		{name: "audit_no_folders", obs: noFolders, status: StatusOK, account: StatusWarning, has: []string{"Not configured"}},
		{name: "audit_no_library", obs: withAudit(), status: StatusUnknown, account: StatusUnknown, has: []string{"No library was audited"}},
	}
}

// TestLibraryAudit runs every status of library_audit against goldens and
// the wording rules.
func TestLibraryAudit(t *testing.T) {
	for _, tc := range auditCases() {
		t.Run(tc.name, func(t *testing.T) {
			a := Evaluate(tc.obs, DefaultPolicy(), healthyHist(), now)
			c, ok := a.Check(CheckLibraryAudit)
			if !ok {
				t.Fatal("library_audit is not in the report although the audit is on")
			}
			if last := a.Checks[len(a.Checks)-1]; last.ID != CheckLibraryAudit {
				t.Errorf("library_audit is not last: %s", last.ID)
			}
			if c.Status != tc.status || c.Pending != tc.pending {
				t.Errorf("status %s pending %v (%s), want %s pending %v", c.Status, c.Pending, c.Summary, tc.status, tc.pending)
			}
			if a.Status != tc.account {
				t.Errorf("account status %s, want %s", a.Status, tc.account)
			}
			if c.Status == StatusWarning && c.Remediation == "" {
				t.Error("warning without a remediation")
			}
			if c.Status == StatusCritical {
				t.Error("library_audit is never critical")
			}
			rep := NewReport(now, a)
			text := RenderText(rep)
			all := c.Summary + "\n" + c.Remediation + "\n" + text
			for _, want := range tc.has {
				if !strings.Contains(all, want) {
					t.Errorf("%q not said; summary %q\n%s", want, c.Summary, text)
				}
			}
			checkWording(t, tc.name, c)
			golden(t, tc.name+".json", mustJSON(t, rep))
			golden(t, tc.name+".txt", []byte(text))
		})
	}
}

// TestLibraryAuditOff: without an audit the check is left out and the
// report is the one of the nine checks.
func TestLibraryAuditOff(t *testing.T) {
	a := Evaluate(healthyObs(), DefaultPolicy(), healthyHist(), now)
	if _, ok := a.Check(CheckLibraryAudit); ok || len(a.Checks) != len(AllChecks()) {
		t.Errorf("library_audit is reported with the audit off (%d checks)", len(a.Checks))
	}
	if a.Observed.Audit != nil {
		t.Errorf("audit facts with the audit off: %+v", a.Observed.Audit)
	}
}

// TestPendingDoesNotSetStatus: the first fill after an upgrade leaves the
// account ok (verify exits 0) while the check shows its progress; a real
// problem elsewhere still sets the status.
func TestPendingDoesNotSetStatus(t *testing.T) {
	obs := withAudit(fillingLib("personal", 10, 100_000))
	rep := NewReport(now, Evaluate(obs, DefaultPolicy(), healthyHist(), now))
	if rep.Status != StatusOK || rep.Status.Value() != 0 {
		t.Errorf("report status %s while only the first fill runs, want ok", rep.Status)
	}
	if !strings.Contains(RenderText(rep), "library_audit     pending") {
		t.Errorf("the text report does not say pending:\n%s", RenderText(rep))
	}
	obs = setMatch(obs, 5, photo.ConfidenceNone)
	if a := Evaluate(obs, DefaultPolicy(), healthyHist(), now); a.Status != StatusWarning {
		t.Errorf("account status %s with a missing newest photo, want warning", a.Status)
	}
}

// TestAuditDetails: every missing asset is in the details with its file
// name, dates, size and library, oldest taken first, under stable JSON
// names; the facts carry the counts and progress.
func TestAuditDetails(t *testing.T) {
	shared := auditMissing(2, "shared")
	shared[0].Taken = time.Date(2018, 5, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	obs := withAudit(filledLib("personal", 12_345, auditMissing(30, "personal")), filledLib("shared", 2_000, shared),
		fillingLib("other", 10, 40))
	a := Evaluate(obs, DefaultPolicy(), healthyHist(), now)
	c, _ := a.Check(CheckLibraryAudit)
	if c.Details == nil || len(c.Details.Missing) != 32 {
		t.Fatalf("details %+v, want 32 missing", c.Details)
	}
	first := c.Details.Missing[0]
	if first.Library != "shared" || first.ID != "shared-000" || first.Taken.Location() != time.UTC || first.Size != 3_100_000 {
		t.Errorf("first missing item %+v, want the shared photo of 2018 in UTC", first)
	}
	b, err := json.Marshal(first)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"id", "filename", "library", "added", "taken", "size"} {
		if _, ok := m[key]; !ok {
			t.Errorf("missing item JSON %s lacks %q", b, key)
		}
	}
	facts := a.Observed.Audit
	if len(facts) != 3 {
		t.Fatalf("audit facts %+v", facts)
	}
	if f := facts[0]; !f.Filled || f.Missing == nil || *f.Missing != 30 || *f.FillRatio != 1 || f.Mirrored != 12_345 || f.LastComplete.IsZero() {
		t.Errorf("personal facts %+v", f)
	}
	if f := facts[2]; f.Filled || f.Missing != nil || f.FillRatio == nil || *f.FillRatio != 0.25 {
		t.Errorf("filling facts %+v, want no missing count and ratio 0.25", f)
	}
	nearly := auditFacts(&AuditObservation{Libraries: []AuditLibrary{fillingLib("x", 100, 100)}})
	if r := *nearly[0].FillRatio; r >= 1 {
		t.Errorf("fill ratio %v before the fill is done, want below 1", r)
	}
	unknown := auditFacts(&AuditObservation{Libraries: []AuditLibrary{fillingLib("x", 100, 0)}})
	if unknown[0].FillRatio != nil || unknown[0].Expected != nil {
		t.Errorf("fill ratio %v with an unknown count, want absent", *unknown[0].FillRatio)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 42_000: "42,000", 1_234_567: "1,234,567", -1500: "-1,500"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
	if got := countOf(1, "photo"); got != "1 photo" {
		t.Errorf("countOf(1) = %q", got)
	}
}

func TestEvaluateAudit(t *testing.T) {
	c := EvaluateAudit(AuditObservation{Libraries: []AuditLibrary{filledLib("personal", 100, auditMissing(2, "personal"))}})
	if c.Status != StatusWarning || len(c.Details.Missing) != 2 || c.Remediation == "" {
		t.Errorf("EvaluateAudit = %+v", c)
	}
	if c := EvaluateAudit(AuditObservation{Libraries: []AuditLibrary{fillingLib("personal", 1, 2)}}); !c.Pending {
		t.Errorf("a first fill is not pending: %+v", c)
	}
	if c := EvaluateAudit(AuditObservation{}); c.Status != StatusUnknown {
		t.Errorf("no library: %s", c.Status)
	}
}

func TestAuditCSVRecord(t *testing.T) {
	it := Item{ID: "rec-1", Filename: "=HYPERLINK(\"x\")", Library: "personal", Size: 1234,
		Taken: time.Date(2019, 5, 1, 14, 0, 0, 0, time.FixedZone("CET", 3600))}
	got := AuditCSVRecord("alice", it)
	want := []string{"alice", "personal", "'=HYPERLINK(\"x\")", "2019-05-01T13:00:00Z", "", "1234", "rec-1"}
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(AuditCSVHeader) {
		t.Errorf("record %q, want %q", got, want)
	}
	if got := AuditCSVRecord("alice", Item{Filename: "IMG_1.JPG"}); got[2] != "IMG_1.JPG" || got[5] != "" {
		t.Errorf("plain record %q", got)
	}
}
