package notify

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/checks"
)

const (
	ok       = checks.StatusOK
	warning  = checks.StatusWarning
	critical = checks.StatusCritical
	unknown  = checks.StatusUnknown
)

// timeline runs hourly cycles from start for hours, with the report that
// statusAt gives for each hour.
func (h *harness) timeline(start time.Time, hours int, at func(hour int) checks.Report) {
	h.t.Helper()
	for i := range hours {
		h.cycle(start.Add(time.Duration(i)*time.Hour), at(i))
	}
}

func TestChangeThenResolveSendsOneMessageEach(t *testing.T) {
	h := newHarness(t, Options{BaseURL: "https://nas.example:9877/"})
	h.timeline(t0, 24, func(i int) checks.Report {
		switch {
		case i >= 5 && i < 11:
			return rep(one(checks.CheckLocalCopy, warning))
		default:
			return rep(one(checks.CheckLocalCopy, ok))
		}
	})
	want := []got{
		{At: t0.Add(5 * time.Hour), Reasons: []string{"changed:local_copy:ok>warning"}},
		{At: t0.Add(11 * time.Hour), Reasons: []string{"resolved:local_copy:warning>ok"}},
	}
	msgs := h.rec.all()
	if diff := cmp.Diff(want, summarise(msgs)); diff != "" {
		t.Fatalf("messages (-want +got):\n%s", diff)
	}
	first := msgs[0].m
	for _, s := range []string{"fix local_copy on the iPhone", "https://nas.example:9877/#alice", "local_copy is warning"} {
		if !strings.Contains(first.Body, s) {
			t.Errorf("change message lacks %q:\n%s", s, first.Body)
		}
	}
	if !strings.Contains(msgs[1].m.Title, "resolved") {
		t.Errorf("resolve title = %q, want it to say resolved", msgs[1].m.Title)
	}
}

func TestFirstCycleAnnouncesOnlyProblems(t *testing.T) {
	h := newHarness(t, Options{})
	h.cycle(t0, rep(acct{name: "alice"}, acct{name: "bob", statuses: map[checks.CheckID]checks.Status{checks.CheckStorage: critical}}))
	want := []got{{At: t0, Reasons: []string{"changed:storage:>critical"}}}
	h.wantMessages(want)
	if a := h.rec.all()[0].m.Event.Account; a != "bob" {
		t.Errorf("account = %q, want bob", a)
	}
}

func TestRemindersEveryRemindEvery(t *testing.T) {
	h := newHarness(t, Options{RemindEvery: 24 * time.Hour})
	h.timeline(t0, 3*24, func(int) checks.Report { return rep(one(checks.CheckICloudUpload, critical)) })
	want := []got{
		{At: t0, Reasons: []string{"changed:icloud_upload:>critical"}},
		{At: t0.Add(24 * time.Hour), Reasons: []string{"reminder:icloud_upload:critical>critical"}},
		{At: t0.Add(48 * time.Hour), Reasons: []string{"reminder:icloud_upload:critical>critical"}},
	}
	h.wantMessages(want)
	if title := h.rec.all()[1].m.Title; !strings.Contains(title, "CRITICAL") {
		t.Errorf("reminder title %q does not say CRITICAL", title)
	}
}

func TestEscalationIsAChange(t *testing.T) {
	h := newHarness(t, Options{})
	h.timeline(t0, 10, func(i int) checks.Report {
		if i < 4 {
			return rep(one(checks.CheckStorage, warning))
		}
		return rep(one(checks.CheckStorage, critical))
	})
	want := []got{
		{At: t0, Reasons: []string{"changed:storage:>warning"}},
		{At: t0.Add(4 * time.Hour), Reasons: []string{"changed:storage:warning>critical"}},
	}
	h.wantMessages(want)
}

func TestFinalDayReminderBeforeSessionExpiry(t *testing.T) {
	// The session expires 7 days after t0 plus 3 hours. session_expiry is a
	// warning all along (thresholds raised by the user), reminded daily;
	// the last regular reminder comes 3 hours before the final window
	// opens, and the final reminder is sent anyway.
	expiry := t0.Add(7*24*time.Hour + 3*time.Hour)
	h := newHarness(t, Options{RemindEvery: 24 * time.Hour, BaseURL: "https://nas.example"})
	h.timeline(t0, 7*24+3, func(int) checks.Report {
		a := one(checks.CheckSessionExpiry, warning)
		a.session = expiry
		return rep(a)
	})
	var want []got
	want = append(want, got{At: t0, Reasons: []string{"changed:session_expiry:>warning"}})
	for d := 1; d <= 6; d++ {
		want = append(want, got{At: t0.Add(time.Duration(d) * 24 * time.Hour), Reasons: []string{"reminder:session_expiry:warning>warning"}})
	}
	want = append(want, got{At: expiry.Add(-24 * time.Hour), Reasons: []string{"final_reminder:session_expiry:warning>warning"}})
	msgs := h.rec.all()
	if diff := cmp.Diff(want, summarise(msgs)); diff != "" {
		t.Fatalf("messages (-want +got):\n%s", diff)
	}
	final := msgs[len(msgs)-1].m
	if !strings.Contains(final.Title, "LAST DAY") || !strings.Contains(final.Body, "https://nas.example/auth/alice") {
		t.Errorf("final reminder lacks LAST DAY or the re-auth link:\n%s\n%s", final.Title, final.Body)
	}
	if d := final.Event.Reasons[0].Deadline; !d.Equal(expiry) {
		t.Errorf("deadline = %v, want %v", d, expiry)
	}
}

func TestFinalReminderCoalescesWithTheChangeToCritical(t *testing.T) {
	expiry := t0.Add(48 * time.Hour)
	h := newHarness(t, Options{})
	h.timeline(t0, 47, func(i int) checks.Report {
		st := warning
		if t0.Add(time.Duration(i) * time.Hour).After(expiry.Add(-25 * time.Hour)) {
			st = critical
		}
		a := one(checks.CheckSessionExpiry, st)
		a.session = expiry
		return rep(a)
	})
	want := []got{
		{At: t0, Reasons: []string{"changed:session_expiry:>warning"}},
		{At: t0.Add(24 * time.Hour), Reasons: []string{"final_reminder:session_expiry:warning>critical"}},
	}
	h.wantMessages(want)
}

func TestFinalReminderBeforeRecentlyDeletedPurge(t *testing.T) {
	// Two items without a copy, purged on different days: each gets its
	// own final reminder, on its last day, regardless of the daily
	// reminders.
	purge1 := t0.Add(36 * time.Hour)
	purge2 := t0.Add(4 * 24 * time.Hour)
	h := newHarness(t, Options{RemindEvery: 24 * time.Hour})
	h.timeline(t0, 4*24, func(i int) checks.Report {
		a := one(checks.CheckRecentlyDeleted, warning)
		a.purge = purge1
		if !t0.Add(time.Duration(i) * time.Hour).Before(purge1) {
			a.purge = purge2
		}
		return rep(a)
	})
	want := []got{
		{At: t0, Reasons: []string{"changed:recently_deleted:>warning"}},
		{At: purge1.Add(-24 * time.Hour), Reasons: []string{"final_reminder:recently_deleted:warning>warning"}},
		{At: purge1, Reasons: []string{"reminder:recently_deleted:warning>warning"}},
		{At: purge1.Add(24 * time.Hour), Reasons: []string{"reminder:recently_deleted:warning>warning"}},
		{At: purge2.Add(-24 * time.Hour), Reasons: []string{"final_reminder:recently_deleted:warning>warning"}},
	}
	h.wantMessages(want)
}

func TestQuietHoursDeferThenCoalesce(t *testing.T) {
	// Quiet 22:00-07:00. At 23:00 local_copy turns warning, at 02:00 storage
	// turns warning, at 03:00 folder turns warning and at 05:00 back to ok.
	// At 07:00 one message carries local_copy and storage; folder's round
	// trip is not worth waking anyone.
	night := time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{QuietHours: "22:00-07:00", QuietHoursCritical: true})
	h.timeline(night, 14, func(i int) checks.Report {
		hour := night.Add(time.Duration(i) * time.Hour)
		s := map[checks.CheckID]checks.Status{}
		if !hour.Before(night.Add(3 * time.Hour)) {
			s[checks.CheckLocalCopy] = warning
		}
		if !hour.Before(night.Add(6 * time.Hour)) {
			s[checks.CheckStorage] = warning
		}
		if hour.Hour() >= 3 && hour.Hour() < 5 {
			s[checks.CheckFolder] = warning
		}
		return rep(acct{name: "alice", statuses: s})
	})
	want := []got{{At: night.Add(11 * time.Hour), Reasons: []string{"changed:local_copy:ok>warning", "changed:storage:ok>warning"}}}
	h.wantMessages(want)
}

func TestQuietHoursCriticalOverride(t *testing.T) {
	night := time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		override bool
		want     []got
	}{
		{true, []got{{At: night, Reasons: []string{"changed:auth:>critical"}}}},
		{false, []got{{At: night.Add(8 * time.Hour), Reasons: []string{"changed:auth:>critical"}}}},
	} {
		t.Run(fmt.Sprintf("override=%v", tc.override), func(t *testing.T) {
			h := newHarness(t, Options{QuietHours: "22:00-07:00", QuietHoursCritical: tc.override})
			h.timeline(night, 10, func(int) checks.Report { return rep(one(checks.CheckAuth, critical)) })
			if diff := cmp.Diff(tc.want, summarise(h.rec.all())); diff != "" {
				t.Errorf("override=%v: messages (-want +got):\n%s", tc.override, diff)
			}
		})
	}
}

func TestQuietHoursFinalReminderGoesOutWhenTheDeadlineIsInside(t *testing.T) {
	// The session expires at 05:00, inside quiet hours, and the final
	// window opens when the agent first sees it at 23:00: waiting until
	// 07:00 would be too late, so it goes out at once even without the
	// critical override.
	night := time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC)
	expiry := night.Add(6 * time.Hour)
	h := newHarness(t, Options{QuietHours: "22:00-07:00"})
	a := one(checks.CheckSessionExpiry, critical)
	a.session = expiry
	h.cycle(night, rep(a))
	want := []got{{At: night, Reasons: []string{"final_reminder:session_expiry:>critical"}}}
	h.wantMessages(want)
}

func TestFlushSendsDeferredMessagesWhenQuietHoursEnd(t *testing.T) {
	night := time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC)
	h := newHarness(t, Options{QuietHours: "22:00-07:00"})
	h.cycle(night, rep(one(checks.CheckLocalCopy, warning)))
	h.clock.Set(night.Add(7 * time.Hour)) // 06:00, still quiet
	if _, err := h.n.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(h.rec.all()); n != 0 {
		t.Fatalf("flush during quiet hours sent %d messages", n)
	}
	h.clock.Set(night.Add(8*time.Hour + time.Minute)) // 07:01
	for range 2 {
		if _, err := h.n.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	want := []got{{At: night.Add(8*time.Hour + time.Minute), Reasons: []string{"changed:local_copy:>warning"}}}
	h.wantMessages(want)
	h.cycle(night.Add(9*time.Hour), rep(one(checks.CheckLocalCopy, warning)))
	if n := len(h.rec.all()); n != 1 {
		t.Fatalf("after the flush a cycle sent again: %d messages", n)
	}
}

func TestRestartSendsNothingNew(t *testing.T) {
	h := newHarness(t, Options{RemindEvery: 24 * time.Hour})
	failing := func(int) checks.Report { return rep(one(checks.CheckAuth, critical)) }
	h.timeline(t0, 5, failing)
	// A crash loop: twelve restarts in an hour, each running a cycle.
	for i := range 12 {
		h.restart()
		h.cycle(t0.Add(5*time.Hour+time.Duration(i)*5*time.Minute), failing(0))
	}
	h.restart()
	h.timeline(t0.Add(6*time.Hour), 19, failing)
	want := []got{
		{At: t0, Reasons: []string{"changed:auth:>critical"}},
		{At: t0.Add(24 * time.Hour), Reasons: []string{"reminder:auth:critical>critical"}},
	}
	h.wantMessages(want)
}

func TestCrashBetweenSaveAndSendDoesNotRepeat(t *testing.T) {
	// The decision is saved before sending. Simulate a crash right after
	// the save: decide runs, deliver never does. After the restart the
	// change is not sent again (at most once).
	h := newHarness(t, Options{})
	v := viewOf(rep(one(checks.CheckStorage, critical)).Accounts[0])
	rs, err := h.n.decide(t.Context(), "alice", func(st *accountState) []Reason { return h.n.machine.step(st, v, t0) })
	if err != nil || len(rs) != 1 {
		t.Fatalf("decide = %v, %v; want one reason", rs, err)
	}
	h.restart()
	h.timeline(t0.Add(time.Hour), 5, func(int) checks.Report { return rep(one(checks.CheckStorage, critical)) })
	if n := len(h.rec.all()); n != 0 {
		t.Fatalf("after the crash %d messages were sent, want 0", n)
	}
}

func TestFlappingCheckDoesNotStorm(t *testing.T) {
	// local_copy alternates every hour for a day, then stays warning. Four
	// changes go out (the fourth saying it flaps), then nothing until it
	// has been stable for the flap window (6 hours after the last change
	// at hour 23); then the settled status is announced once.
	h := newHarness(t, Options{FlapWindow: 6 * time.Hour, FlapChanges: 4})
	h.timeline(t0, 36, func(i int) checks.Report {
		if i < 24 && i%2 == 0 {
			return rep(one(checks.CheckLocalCopy, ok))
		}
		return rep(one(checks.CheckLocalCopy, warning))
	})
	want := []got{
		{At: t0.Add(1 * time.Hour), Reasons: []string{"changed:local_copy:ok>warning"}},
		{At: t0.Add(2 * time.Hour), Reasons: []string{"resolved:local_copy:warning>ok"}},
		{At: t0.Add(3 * time.Hour), Reasons: []string{"changed:local_copy:ok>warning"}},
		{At: t0.Add(4 * time.Hour), Reasons: []string{"flapping:local_copy:warning>ok"}},
		{At: t0.Add(29 * time.Hour), Reasons: []string{"changed:local_copy:ok>warning"}},
	}
	h.wantMessages(want)
}

func TestFlappingSettlesAndEscalates(t *testing.T) {
	h := newHarness(t, Options{FlapWindow: 6 * time.Hour, FlapChanges: 4})
	// Flap ok/warning for 8 hours, go critical at hour 8 (worse than the
	// episode showed: sent), flap critical/warning until hour 12, then
	// stay ok: resolved once stable for 6 hours.
	h.timeline(t0, 24, func(i int) checks.Report {
		switch {
		case i < 8 && i%2 == 0:
			return rep(one(checks.CheckStorage, ok))
		case i < 8:
			return rep(one(checks.CheckStorage, warning))
		case i < 12 && i%2 == 0:
			return rep(one(checks.CheckStorage, critical))
		case i < 12:
			return rep(one(checks.CheckStorage, warning))
		default:
			return rep(one(checks.CheckStorage, ok))
		}
	})
	want := []got{
		{At: t0.Add(1 * time.Hour), Reasons: []string{"changed:storage:ok>warning"}},
		{At: t0.Add(2 * time.Hour), Reasons: []string{"resolved:storage:warning>ok"}},
		{At: t0.Add(3 * time.Hour), Reasons: []string{"changed:storage:ok>warning"}},
		{At: t0.Add(4 * time.Hour), Reasons: []string{"flapping:storage:warning>ok"}},
		{At: t0.Add(8 * time.Hour), Reasons: []string{"changed:storage:ok>critical"}},
		{At: t0.Add(18 * time.Hour), Reasons: []string{"resolved:storage:critical>ok"}},
	}
	h.wantMessages(want)
}

func TestManyChangesInOneCycleMakeOneMessagePerAccount(t *testing.T) {
	h := newHarness(t, Options{})
	all := map[checks.CheckID]checks.Status{}
	for _, id := range checks.AllChecks() {
		all[id] = warning
	}
	all[checks.CheckAuth] = critical
	h.cycle(t0, rep(acct{name: "alice", statuses: all}, acct{name: "bob", statuses: all}))
	msgs := h.rec.all()
	if len(msgs) != 2 {
		t.Fatalf("got %d messages, want one per account (2)", len(msgs))
	}
	for _, m := range msgs {
		if n := len(m.m.Event.Reasons); n != len(checks.AllChecks()) {
			t.Errorf("%s: %d reasons, want %d", m.m.Event.Account, n, len(checks.AllChecks()))
		}
		if m.m.Event.Reasons[0].Check != "auth" || m.m.Event.Status != "critical" {
			t.Errorf("%s: worst reason first: got %s/%s", m.m.Event.Account, m.m.Event.Reasons[0].Check, m.m.Event.Status)
		}
	}
}

func TestStateSaveFailureSendsNothing(t *testing.T) {
	h := newHarness(t, Options{})
	h.kv.failPut = errBoom
	_, err := h.n.Notify(t.Context(), rep(one(checks.CheckAuth, critical)))
	if err == nil || !strings.Contains(err.Error(), "alice") {
		t.Fatalf("err = %v, want a save error naming the account", err)
	}
	if n := len(h.rec.all()); n != 0 {
		t.Fatalf("%d messages sent without saved state", n)
	}
}

func TestCorruptStateIsRebuilt(t *testing.T) {
	h := newHarness(t, Options{})
	if err := h.kv.Put(t.Context(), stateNamespace, stateKeyPrefix+"alice", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	h.cycle(t0, rep(one(checks.CheckAuth, critical)))
	h.cycle(t0.Add(time.Hour), rep(one(checks.CheckAuth, critical)))
	if n := len(h.rec.all()); n != 1 {
		t.Fatalf("got %d messages, want 1", n)
	}
	if !strings.Contains(h.logs.String(), "alert state") {
		t.Errorf("the corrupt state was not logged:\n%s", h.logs.String())
	}
}

func TestNewerStateFormatIsRefused(t *testing.T) {
	h := newHarness(t, Options{})
	if err := h.kv.Put(t.Context(), stateNamespace, stateKeyPrefix+"alice", []byte(`{"v":99}`)); err != nil {
		t.Fatal(err)
	}
	_, err := h.n.Notify(t.Context(), rep(one(checks.CheckAuth, critical)))
	if err == nil || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("err = %v, want advice to upgrade", err)
	}
	raw, _, _ := h.kv.Get(t.Context(), stateNamespace, stateKeyPrefix+"alice")
	if string(raw) != `{"v":99}` {
		t.Errorf("the newer state was overwritten: %s", raw)
	}
}

func TestUnknownBlipsAreNotNews(t *testing.T) {
	// auth: ok, unknown for 3 hours (Apple throttled us), ok again: nothing.
	// Then unknown for 8 hours: announced once after the 6-hour grace,
	// never reminded, resolved when ok. local_copy warning, then unknown
	// for a while, then warning again: the warning stands, no message.
	h := newHarness(t, Options{UnknownAfter: 6 * time.Hour, RemindEvery: 4 * time.Hour})
	h.timeline(t0, 30, func(i int) checks.Report {
		s := map[checks.CheckID]checks.Status{checks.CheckLocalCopy: warning}
		if (i >= 2 && i < 5) || (i >= 10 && i < 18) {
			s[checks.CheckAuth] = unknown
		}
		if i >= 1 && i < 3 {
			s[checks.CheckLocalCopy] = unknown
		}
		return rep(acct{name: "alice", statuses: s})
	})
	var want []got
	want = append(want, got{At: t0, Reasons: []string{"changed:local_copy:>warning"}})
	for hr := 4; hr < 30; hr += 4 {
		r := got{At: t0.Add(time.Duration(hr) * time.Hour), Reasons: []string{"reminder:local_copy:warning>warning"}}
		switch hr {
		case 16:
			r.Reasons = []string{"changed:auth:ok>unknown", "reminder:local_copy:warning>warning"}
		}
		want = append(want, r)
		if hr == 16 {
			want = append(want, got{At: t0.Add(18 * time.Hour), Reasons: []string{"resolved:auth:unknown>ok"}})
		}
	}
	h.wantMessages(want)
}

func TestQuietHoursFinalReminderWaitsForTheMorningWhenItCan(t *testing.T) {
	// recently_deleted has been critical since the afternoon; its final
	// window opens at 23:00 for a purge at 22:00 the next day. Even with
	// the critical override it is no news that cannot wait until 07:00.
	day := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	purge := time.Date(2026, 11, 23, 22, 30, 0, 0, time.UTC)
	h := newHarness(t, Options{QuietHours: "22:00-07:00", QuietHoursCritical: true})
	h.timeline(day, 18, func(int) checks.Report {
		a := one(checks.CheckRecentlyDeleted, critical)
		a.purge = purge
		return rep(a)
	})
	want := []got{
		{At: day, Reasons: []string{"changed:recently_deleted:>critical"}},
		{At: day.Add(16 * time.Hour), Reasons: []string{"final_reminder:recently_deleted:critical>critical"}},
	}
	h.wantMessages(want)
}

// TestPendingCheckNeverNotifies: after an upgrade that switches the
// whole-library audit on, its first fill keeps library_audit unknown and
// pending for days; no message may go out for it, and the first verdict
// after the fill is announced like any first verdict (a warning is news,
// an ok is not).
func TestPendingCheckNeverNotifies(t *testing.T) {
	h := newHarness(t, Options{UnknownAfter: 6 * time.Hour, RemindEvery: 24 * time.Hour})
	withAudit := func(st checks.Status, pending bool) checks.Report {
		r := rep(one(checks.CheckLocalCopy, ok))
		r.Accounts[0].Checks = append(r.Accounts[0].Checks, checks.CheckResult{
			ID: checks.CheckLibraryAudit, Status: st, Pending: pending, Summary: "Still listing every photo of library personal: 42 %",
		})
		return r
	}
	h.timeline(t0, 72, func(i int) checks.Report {
		if i < 60 {
			return withAudit(unknown, true)
		}
		return withAudit(warning, false)
	})
	want := []got{{At: t0.Add(60 * time.Hour), Reasons: []string{"changed:library_audit:>warning"}}}
	h.wantMessages(want)
	if s := reportSummary(withAudit(unknown, true)); !strings.Contains(s, "library_audit pending:") {
		t.Errorf("ping log does not say pending:\n%s", s)
	}
	if hl := headline(withAudit(unknown, true)); strings.Contains(hl, "library_audit") {
		t.Errorf("headline names the pending check: %q", hl)
	}
}

// TestNilLoggerDiscards: a Notifier without a Logger logs nothing, not
// even to slog's default (design §8: a nil logger discards).
func TestNilLoggerDiscards(t *testing.T) {
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	kv := newMemKV()
	if err := kv.Put(t.Context(), stateNamespace, stateKeyPrefix+"alice", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	n, err := New(kv, Options{Now: func() time.Time { return t0 }, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(t.Context(), rep(one(checks.CheckAuth, critical))); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Errorf("a nil Logger wrote to slog's default: %s", logs.String())
	}
}
