package notify

import (
	"time"
)

// finalWindow is "the last day": a deadline closer than this gets its final
// reminder, whatever reminders were sent before.
const finalWindow = 24 * time.Hour

// finalSlack treats deadlines this close to each other as the same deadline
// (a purge time recomputed a few seconds later, two items purged minutes
// apart), so one final reminder covers them.
const finalSlack = time.Hour

// deadlineChecks are the checks whose deadline gets a final reminder.
const (
	checkSessionExpiry   = "session_expiry"
	checkRecentlyDeleted = "recently_deleted"
	checkAuth            = "auth"
)

// machine is the alert policy: when a check's status deserves a message.
type machine struct {
	remindEvery   time.Duration
	unknownAfter  time.Duration
	flapWindow    time.Duration
	flapChanges   int
	quiet         QuietHours
	quietCritical bool // critical changes and final reminders break quiet hours
	link          func(account, check string) string
}

// step runs one cycle of the state machine for one account. It updates st
// and returns the reasons to send now (nil when nothing is due or all is
// held back by quiet hours).
func (m *machine) step(st *accountState, acc accountView, now time.Time) []Reason {
	var rs []Reason
	for _, c := range acc.Checks {
		if r, ok := m.stepCheck(st.check(c.ID), c, acc.Name, now); ok {
			rs = append(rs, r)
		}
	}
	rs = coalesce(rs, m.finals(st, acc, now))
	st.prune(now)
	st.Updated = now
	return m.release(st, rs, now)
}

// stepCheck decides about one check: a change, a reminder, or nothing.
func (m *machine) stepCheck(cs *checkState, c checkView, account string, now time.Time) (Reason, bool) {
	m.trackChanges(cs, c.Status, now)
	if m.holdUnknown(cs, c.Status, now) {
		return Reason{}, false
	}
	switch {
	case cs.Announced == "" && c.Status == statusOK:
		cs.Announced = statusOK // first seen healthy: nothing to say
		return Reason{}, false
	case c.Status != cs.Announced:
		return m.change(cs, c, account, now)
	case c.Status != statusOK && c.Status != statusUnknown && now.Sub(cs.Notified) >= m.remindEvery:
		cs.Notified = now
		return m.reason(KindReminder, c, account, c.Status, now), true
	}
	return Reason{}, false
}

// holdUnknown keeps a check that has just become unknown quiet for the
// unknown grace: a cycle or two that could not read iCloud (network,
// throttling) is not news, and the status people know still stands.
func (m *machine) holdUnknown(cs *checkState, status string, now time.Time) bool {
	if status != statusUnknown || cs.Announced == statusUnknown {
		cs.UnknownSince = time.Time{}
		return false
	}
	if cs.UnknownSince.IsZero() {
		cs.UnknownSince = now
	}
	return now.Sub(cs.UnknownSince) < m.unknownAfter
}

// trackChanges records a change between known statuses (unknown blips do
// not count) and ends a flapping episode once no change happened for the
// flap window.
func (m *machine) trackChanges(cs *checkState, status string, now time.Time) {
	if status != statusUnknown {
		if cs.Observed != "" && cs.Observed != status {
			cs.Changes = append(cs.Changes, now)
		}
		cs.Observed = status
	}
	kept := cs.Changes[:0]
	for _, t := range cs.Changes {
		if now.Sub(t) < m.flapWindow {
			kept = append(kept, t)
		}
	}
	cs.Changes = kept
	if cs.Flapping && len(cs.Changes) == 0 {
		cs.Flapping, cs.FlapWorst = false, ""
	}
}

// change announces a new status, unless the check is flapping and the new
// status is no worse than what the episode already announced.
func (m *machine) change(cs *checkState, c checkView, account string, now time.Time) (Reason, bool) {
	if cs.Flapping && severity(c.Status) <= severity(cs.FlapWorst) {
		return Reason{}, false
	}
	kind := KindChanged
	if c.Status == statusOK {
		kind = KindResolved
	}
	if !cs.Flapping && len(cs.Changes) >= m.flapChanges {
		cs.Flapping, cs.FlapWorst, kind = true, cs.Announced, KindFlapping
	}
	if cs.Flapping && severity(c.Status) > severity(cs.FlapWorst) {
		cs.FlapWorst = c.Status
	}
	from := cs.Announced
	cs.Announced, cs.Notified = c.Status, now
	return m.reason(kind, c, account, from, now), true
}

// reason builds a Reason for check c.
func (m *machine) reason(kind ReasonKind, c checkView, account, from string, now time.Time) Reason {
	return Reason{
		Account: account, Check: c.ID, Kind: kind, From: from, To: c.Status,
		Summary: c.Summary, Remediation: c.Remediation, Link: m.link(account, c.ID), Time: now,
	}
}

// finals returns the final reminders due: the last day before the session
// expires or before a Recently Deleted item without a copy is purged. They
// are sent once per deadline, even if a reminder was sent recently.
func (m *machine) finals(st *accountState, acc accountView, now time.Time) []Reason {
	var rs []Reason
	for _, d := range []struct {
		check    string
		deadline time.Time
	}{{checkSessionExpiry, acc.SessionExpiry}, {checkRecentlyDeleted, acc.NextPurge}} {
		if r, ok := m.final(st, acc, d.check, d.deadline, now); ok {
			rs = append(rs, r)
		}
	}
	return rs
}

// final decides about the final reminder of one deadline.
func (m *machine) final(st *accountState, acc accountView, check string, deadline, now time.Time) (Reason, bool) {
	if deadline.IsZero() || !now.Before(deadline) || deadline.Sub(now) > finalWindow {
		return Reason{}, false
	}
	if sent, ok := st.Final[check]; ok && absDuration(sent.Sub(deadline)) < finalSlack {
		return Reason{}, false
	}
	st.Final[check] = deadline
	c, ok := acc.find(check)
	if !ok {
		c = checkView{ID: check, Status: statusCritical}
	}
	st.check(check).Notified = now
	r := m.reason(KindFinalReminder, c, acc.Name, c.Status, now)
	r.Deadline = deadline
	return r, true
}

// release applies quiet hours: outside them, held-back reasons and the new
// ones go out together; inside, they are held unless one is urgent.
func (m *machine) release(st *accountState, rs []Reason, now time.Time) []Reason {
	all := coalesce(st.Pending, rs)
	if !m.quiet.Contains(now) || m.urgent(all, now) {
		st.Pending = nil
		return all
	}
	st.Pending = all
	return nil
}

// urgent reports whether some reason must break quiet hours: a final
// reminder whose deadline passes before quiet hours end, and, when critical
// overrides quiet hours, a change to critical. A final reminder that can
// wait for the morning waits.
func (m *machine) urgent(rs []Reason, now time.Time) bool {
	end := m.quiet.End(now)
	for _, r := range rs {
		if r.Kind == KindFinalReminder && !r.Deadline.After(end) {
			return true
		}
		changed := r.From != r.To && r.Kind != KindReminder && r.Kind != KindResolved
		if m.quietCritical && changed && r.To == statusCritical {
			return true
		}
	}
	return false
}

// prune forgets final-reminder deadlines long past.
func (st *accountState) prune(now time.Time) {
	for check, d := range st.Final {
		if now.Sub(d) > finalWindow {
			delete(st.Final, check)
		}
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
