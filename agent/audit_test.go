package agent

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/demo"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// auditOptions: a budget that never gets in the way.
func auditOptions() *AuditOptions {
	return &AuditOptions{RequestsPerDay: 5000, RequestsPerCycle: 1000}
}

// observeAudit runs the observation of one cycle (what RunCycle evaluates)
// and returns it with the changes/zone requests it sent.
func (r *rig) observeAudit() (checks.Observation, int) {
	r.t.Helper()
	acct, _ := r.agent.account(demo.Account)
	before := r.zoneChangesSent()
	obs := r.agent.observe(r.t.Context(), acct)
	return obs, r.zoneChangesSent() - before
}

func (r *rig) zoneChangesSent() int {
	n := 0
	for _, q := range r.server.Requests() {
		if strings.HasSuffix(q.Path, "/changes/zone") {
			n++
		}
	}
	return n
}

func auditLib(t *testing.T, obs checks.Observation, name string) checks.AuditLibrary {
	t.Helper()
	if obs.Audit == nil {
		t.Fatal("no audit in the observation")
	}
	for _, l := range obs.Audit.Libraries {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no audit of library %s in %+v", name, obs.Audit.Libraries)
	return checks.AuditLibrary{}
}

// fillPages is how many changes/zone pages a whole read of the zone takes,
// asked of the fake directly.
func fillPages(t *testing.T, lib *fakeicloud.Library, zone string) int {
	t.Helper()
	h := fakeicloud.NewPhotosHandler(lib)
	token := ""
	for pages := 1; pages < 1000; pages++ {
		body := `{"zones":[{"zoneID":{"zoneName":"` + zone + `"},"resultsLimit":200`
		if token != "" {
			body += `,"syncToken":"` + token + `"`
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/database/1/com.apple.photos.cloud/production/private/changes/zone",
			strings.NewReader(body+"}]}")))
		var resp struct {
			Zones []struct {
				SyncToken  string `json:"syncToken"`
				MoreComing bool   `json:"moreComing"`
			} `json:"zones"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || len(resp.Zones) != 1 {
			t.Fatalf("changes/zone of the fake: %v %s", err, w.Body.String())
		}
		if !resp.Zones[0].MoreComing {
			return pages
		}
		token = resp.Zones[0].SyncToken
	}
	t.Fatal("changes/zone never ended")
	return 0
}

// removeLocal deletes the folder's copies of an asset (original and Live
// Photo video) and returns how many files went.
func removeLocal(t *testing.T, root string, a fakeicloud.Asset) int {
	t.Helper()
	stem := strings.TrimSuffix(a.Filename, filepath.Ext(a.Filename))
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), stem) && (fi.Size() == a.Size || fi.Size() == a.LiveVideoSize) {
			n++
			return os.Remove(p)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("removing the copy of %s: %d files, %v", a.Filename, n, err)
	}
	return n
}

// oldVisible returns a visible personal asset far from the newest.
func oldVisible(lib *fakeicloud.Library, rank int) fakeicloud.Asset {
	return lib.Newest(fakeicloud.PrimaryZone, rank+1)[rank]
}

// removeOldLocal deletes the local copy of the visible personal asset at rank
// (far from the newest) and returns that asset.
func (r *rig) removeOldLocal(rank int) fakeicloud.Asset {
	old := oldVisible(r.lib, rank)
	removeLocal(r.t, r.photoDir, old)
	return old
}

// TestAuditFindsAnOldMissingPhotoThatLocalCopyCannotSee is the issue's
// "done when": an old photo missing locally is found by the audit and by
// nothing else (local_copy, which looks at the newest, stays ok).
func TestAuditFindsAnOldMissingPhotoThatLocalCopyCannotSee(t *testing.T) {
	r := newRig(t, rigOptions{audit: auditOptions()})
	old := r.removeOldLocal(300)
	obs, sent := r.observeAudit()
	personal := auditLib(t, obs, "personal")
	if sent == 0 || !personal.Filled || personal.Error != "" {
		t.Fatalf("first cycle: %d changes/zone requests, %+v", sent, personal)
	}
	if len(personal.Missing) != 1 || personal.Missing[0].ID != old.ID || personal.Missing[0].Filename != old.Filename ||
		personal.Missing[0].Size != old.Size || !personal.Missing[0].Taken.Equal(old.Taken) {
		t.Fatalf("missing: %+v, want only %s (%s)", personal.Missing, old.Filename, old.ID)
	}
	visible := len(r.lib.Newest(fakeicloud.PrimaryZone, 10_000))
	if personal.Compared+personal.Excluded != visible+r.lib.HiddenCount(fakeicloud.PrimaryZone) || personal.Compared == 0 {
		t.Fatalf("compared %d + excluded %d, want the %d visible and %d hidden assets", personal.Compared, personal.Excluded,
			visible, r.lib.HiddenCount(fakeicloud.PrimaryZone))
	}
	if personal.LastComplete.IsZero() || personal.Mirrored < visible {
		t.Fatalf("mirror state: %+v", personal)
	}
	rep := checks.Evaluate(obs, checks.DefaultPolicy(), checks.History{}, r.clock.Now())
	if local, _ := rep.Check(checks.CheckLocalCopy); local.Status != checks.StatusOK {
		t.Fatalf("local_copy is %s (%s), want ok: only the audit can see an old photo", local.Status, local.Summary)
	}
	// a no-change cycle costs no request of the mirror, and still compares
	obs, sent = r.observeAudit()
	if sent != 0 || len(auditLib(t, obs, "personal").Missing) != 1 {
		t.Fatalf("no-change cycle: %d changes/zone requests, missing %v", sent, auditLib(t, obs, "personal").Missing)
	}
}

func TestAuditDeletedAssetLeavesTheMirror(t *testing.T) {
	r := newRig(t, rigOptions{audit: auditOptions()})
	old := r.removeOldLocal(250)
	obs, _ := r.observeAudit()
	before := auditLib(t, obs, "personal")
	if len(before.Missing) != 1 {
		t.Fatalf("missing before: %+v", before.Missing)
	}
	// deleted in iCloud (Recently Deleted), then purged: it leaves the
	// audit at once and the mirror at the purge
	r.clock.Advance(time.Hour)
	if err := r.lib.Delete(old.ID, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	obs, sent := r.observeAudit()
	if l := auditLib(t, obs, "personal"); sent != 1 || len(l.Missing) != 0 || l.Mirrored != before.Mirrored {
		t.Fatalf("after the delete: %d requests, %+v", sent, l)
	}
	r.clock.Advance(time.Hour)
	if err := r.lib.Purge(old.ID); err != nil {
		t.Fatal(err)
	}
	obs, sent = r.observeAudit()
	if l := auditLib(t, obs, "personal"); sent != 1 || len(l.Missing) != 0 || l.Mirrored != before.Mirrored-1 {
		t.Fatalf("after the purge: %d requests, mirrored %d (was %d), missing %v", sent, l.Mirrored, before.Mirrored, l.Missing)
	}
}

func TestAuditHiddenExcludedByConfiguration(t *testing.T) {
	// the rig's folder holds no hidden item
	hidden := 0
	for _, include := range []bool{false, true} {
		o := auditOptions()
		o.IncludeHidden = include
		r := newRig(t, rigOptions{audit: o})
		hidden = r.lib.HiddenCount(fakeicloud.PrimaryZone)
		obs, _ := r.observeAudit()
		l := auditLib(t, obs, "personal")
		want := 0
		if include {
			want = hidden
		}
		if hidden == 0 || len(l.Missing) != want {
			t.Fatalf("include_hidden %v: %d missing, want %d (%d hidden in iCloud)", include, len(l.Missing), want, hidden)
		}
	}
}

func TestAuditSinceExcludesOlderPhotos(t *testing.T) {
	o := auditOptions()
	r := newRig(t, rigOptions{audit: o})
	old := r.removeOldLocal(320)
	o.Since = old.Taken.Add(time.Second)
	obs, _ := r.observeAudit()
	if l := auditLib(t, obs, "personal"); len(l.Missing) != 0 || l.Excluded == 0 {
		t.Fatalf("taken before audit.since: %+v", l.Missing)
	}
}

// TestAuditFillPacedResumedAcrossRestarts: a budget of 1 request per cycle
// stops the fill mid-way; later cycles, and a restarted process, continue
// from the stored continuation: the whole fill costs the pages of one read.
func TestAuditFillPacedResumedAcrossRestarts(t *testing.T) {
	o := &AuditOptions{RequestsPerDay: 24, RequestsPerCycle: 1} // one an hour
	r := newRig(t, rigOptions{audit: o})
	pages := fillPages(t, r.lib, fakeicloud.PrimaryZone) + fillPages(t, r.lib, fakeicloud.SharedZone)
	obs, sent := r.observeAudit()
	personal := auditLib(t, obs, "personal")
	if sent != 1 || personal.Filled || !personal.Paused || personal.Mirrored == 0 || !personal.ResumeAt.After(r.clock.Now()) {
		t.Fatalf("first cycle: %d requests, %+v", sent, personal)
	}
	// The library after the one that spent the budget waits too: paused,
	// not failed, so the check stays pending and verify does not exit 3
	// during a first fill (found by make bench: "could not be filled: the
	// audit's request budget is used up").
	if shared := auditLib(t, obs, "shared"); shared.Error != "" || !shared.Paused || !shared.ResumeAt.Equal(personal.ResumeAt) {
		t.Fatalf("the library the budget did not reach: %+v, want paused until %s", shared, personal.ResumeAt)
	}
	if res := checks.EvaluateAudit(*obs.Audit); !res.Pending || res.Status != checks.StatusUnknown {
		t.Fatalf("a first fill paused by the budget: %s pending=%v %q, want pending", res.Status, res.Pending, res.Summary)
	}
	// too early: the budget has not refilled, nothing is sent
	r.clock.Advance(10 * time.Minute)
	if _, sent := r.observeAudit(); sent != 0 {
		t.Fatalf("%d requests before the budget refilled", sent)
	}
	total := 1
	for i := 0; i < 3*pages; i++ {
		r.clock.Advance(time.Hour)
		if i == 1 {
			r.build(rigOptions{audit: o}) // a restart
		}
		obs, sent = r.observeAudit()
		total += sent
		if auditLib(t, obs, "personal").Filled && auditLib(t, obs, "shared").Filled {
			break
		}
	}
	if !auditLib(t, obs, "personal").Filled || !auditLib(t, obs, "shared").Filled {
		t.Fatalf("not filled after %d requests: %+v", total, obs.Audit.Libraries)
	}
	if total != pages {
		t.Fatalf("the paced fill took %d requests, a whole read takes %d: a restart read again from scratch", total, pages)
	}
}

func TestAuditRefusedTokenStartsAFreshFill(t *testing.T) {
	r := newRig(t, rigOptions{audit: auditOptions()})
	old := r.removeOldLocal(280)
	r.observeAudit()
	r.lib.ForgetSyncTokens()
	r.clock.Advance(time.Hour)
	gone := oldVisible(r.lib, 100)
	if err := r.lib.Purge(gone.ID); err != nil {
		t.Fatal(err)
	}
	obs, sent := r.observeAudit()
	l := auditLib(t, obs, "personal")
	pages := fillPages(t, r.lib, fakeicloud.PrimaryZone) + fillPages(t, r.lib, fakeicloud.SharedZone)
	if sent != pages+2 || !l.Filled || l.Error != "" || len(l.Missing) != 1 || l.Missing[0].ID != old.ID {
		t.Fatalf("after a refused token: %d requests (want 2 refusals + %d pages), %+v", sent, pages, l)
	}
	visible := len(r.lib.Newest(fakeicloud.PrimaryZone, 10_000))
	if l.Compared+l.Excluded != visible+r.lib.HiddenCount(fakeicloud.PrimaryZone) {
		t.Fatalf("compared %d + excluded %d after the fresh fill; the purged asset must be gone", l.Compared, l.Excluded)
	}
}

func TestAuditStopsWhenThrottled(t *testing.T) {
	r := newRig(t, rigOptions{audit: auditOptions()})
	r.photos.Inject(fakeicloud.PhotosFault{Path: "changes/zone", CKError: "THROTTLED", Reason: "slow down", TableStatus: true, RetryAfterBody: 7200})
	obs, _ := r.observeAudit()
	l := auditLib(t, obs, "personal")
	if l.Error == "" || l.Filled {
		t.Fatalf("throttled: %+v", l)
	}
	if s := auditLib(t, obs, "shared"); s.Error == "" {
		t.Fatalf("the other library was still asked after throttling: %+v", s)
	}
	// the back-off holds: the next cycle sends nothing at all
	before := r.requests()
	obs, _ = r.observeAudit()
	if n := r.requests() - before; n != 0 || obs.Audit == nil {
		t.Fatalf("%d requests during the back-off (audit %v)", n, obs.Audit)
	}
}

func TestAgentAuditForeground(t *testing.T) {
	o := &AuditOptions{RequestsPerDay: 24, RequestsPerCycle: 1}
	r := newRig(t, rigOptions{audit: o})
	r.removeOldLocal(300)
	var reports []checks.AuditProgress
	audit, err := r.agent.Audit(r.t.Context(), demo.Account, func(p checks.AuditProgress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	var personal checks.AuditLibrary
	for _, l := range audit.Libraries {
		if l.Name == "personal" {
			personal = l
		}
	}
	if !personal.Filled || len(personal.Missing) != 1 || personal.Paused {
		t.Fatalf("foreground audit (ignores the daily pace): %+v", personal)
	}
	if len(reports) < 2 || !reports[len(reports)-1].Done || reports[0].Requests != 1 {
		t.Fatalf("progress: %+v", reports)
	}
	if _, err := r.agent.Audit(r.t.Context(), "nobody", nil); err == nil {
		t.Fatal("no error for an unknown account")
	}
}

// TestAuditNoFolderNoVerdict: with the folder gone (an unmounted share),
// the audit says why it could not compare instead of calling every photo
// missing.
func TestAuditNoFolderNoVerdict(t *testing.T) {
	r := newRig(t, rigOptions{audit: auditOptions()})
	r.observeAudit()
	if err := os.RemoveAll(r.photoDir); err != nil {
		t.Fatal(err)
	}
	obs, _ := r.observeAudit()
	l := auditLib(t, obs, "personal")
	if len(l.Missing) != 0 || l.Compared != 0 || !strings.Contains(l.Error, "no folder") || !l.Filled {
		t.Fatalf("folder gone: %+v", l)
	}
}

// TestAuditGivesMemoryBack: a comparison of many assets returns the
// memory of its session to the system when it ends; a small one does not
// pay for a forced collection.
func TestAuditGivesMemoryBack(t *testing.T) {
	r := newRig(t, rigOptions{audit: auditOptions()})
	calls := 0
	defer func(f func(), n int) { freeOSMemory, auditReleaseAfter = f, n }(freeOSMemory, auditReleaseAfter)
	freeOSMemory = func() { calls++ }
	auditReleaseAfter = 1_000_000
	obs, _ := r.observeAudit()
	personal := auditLib(t, obs, "personal")
	if personal.Compared == 0 || calls != 0 {
		t.Fatalf("compared %d assets, memory given back %d times; want some assets and no call below the threshold", personal.Compared, calls)
	}
	auditReleaseAfter = personal.Compared
	if _, _ = r.observeAudit(); calls != 1 {
		t.Fatalf("memory given back %d times after comparing %d assets, want once", calls, personal.Compared)
	}
}
