package notify

import (
	"time"
)

// Status values as they appear in messages and events (design §3).
const (
	statusOK       = "ok"
	statusWarning  = "warning"
	statusCritical = "critical"
	statusUnknown  = "unknown"
)

// severity orders statuses for "worst of" like checks.Worst does:
// ok < warning < unknown < critical.
func severity(status string) int {
	switch status {
	case statusOK:
		return 0
	case statusWarning:
		return 1
	case statusCritical:
		return 3
	default:
		return 2
	}
}

// ReasonKind says why a reason is in a message.
type ReasonKind string

// Reason kinds (stable API of the JSON webhook event).
const (
	// KindChanged: the check's status changed to a non-ok status.
	KindChanged ReasonKind = "changed"
	// KindResolved: the check is ok again.
	KindResolved ReasonKind = "resolved"
	// KindReminder: the check is still failing after remind_every.
	KindReminder ReasonKind = "reminder"
	// KindFinalReminder: the last day before a deadline (session expiry,
	// purge of a Recently Deleted item without a local copy).
	KindFinalReminder ReasonKind = "final_reminder"
	// KindFlapping: the check changed status too often; further changes are
	// held back until it settles.
	KindFlapping ReasonKind = "flapping"
	// KindTest: a test message from `icloudmon notify test`.
	KindTest ReasonKind = "test"
)

// rank orders kinds when two reasons for one check are coalesced.
func (k ReasonKind) rank() int {
	switch k {
	case KindFinalReminder:
		return 4
	case KindFlapping:
		return 3
	case KindChanged, KindResolved:
		return 2
	default:
		return 1
	}
}

// Reason is one check's contribution to a message.
type Reason struct {
	Account     string     `json:"account"`
	Check       string     `json:"check"`
	Kind        ReasonKind `json:"kind"`
	From        string     `json:"from,omitempty"` // previous status; empty when first seen
	To          string     `json:"to"`             // current status
	Summary     string     `json:"summary"`
	Remediation string     `json:"remediation,omitempty"`
	Link        string     `json:"link,omitempty"`
	Deadline    time.Time  `json:"deadline,omitzero"` // final reminders: session expiry or purge time
	Time        time.Time  `json:"time"`
}

// Event is the body of the JSON webhook: one per account and message, with
// the typed reasons that made it.
type Event struct {
	Type    string    `json:"type"` // "alert" or "test"
	Account string    `json:"account,omitempty"`
	Status  string    `json:"status"` // worst current status among the reasons
	Title   string    `json:"title"`
	Message string    `json:"message"` // the same text the chat targets get
	Link    string    `json:"link,omitempty"`
	Time    time.Time `json:"time"`
	Reasons []Reason  `json:"reasons"`
}

// coalesce merges later reasons into earlier ones, one reason per check:
// the first "from", the last "to", the strongest kind. A change that ends
// where it started (warning at night, ok by morning) disappears.
func coalesce(earlier, later []Reason) []Reason {
	out := append([]Reason(nil), earlier...)
	for _, r := range later {
		i := indexOfCheck(out, r.Check)
		if i < 0 {
			out = append(out, r)
			continue
		}
		out[i] = mergeReason(out[i], r)
	}
	kept := out[:0]
	for _, r := range out {
		if (r.Kind == KindChanged || r.Kind == KindResolved) && r.From == r.To {
			continue
		}
		kept = append(kept, r)
	}
	return kept
}

func indexOfCheck(rs []Reason, check string) int {
	for i, r := range rs {
		if r.Check == check {
			return i
		}
	}
	return -1
}

// mergeReason combines two reasons for one check, a before b.
func mergeReason(a, b Reason) Reason {
	m := b
	m.From = a.From
	if a.Kind == KindReminder && b.Kind != KindReminder {
		m.From = b.From // a reminder carries no transition
	}
	if a.Kind.rank() > b.Kind.rank() {
		m.Kind = a.Kind
	}
	if m.Deadline.IsZero() {
		m.Deadline = a.Deadline
	}
	if m.Kind == KindChanged || m.Kind == KindResolved {
		m.Kind = KindChanged
		if m.To == statusOK {
			m.Kind = KindResolved
		}
	}
	return m
}

// worstTo returns the worst current status among rs.
func worstTo(rs []Reason) string {
	worst := statusOK
	for _, r := range rs {
		if severity(r.To) > severity(worst) {
			worst = r.To
		}
	}
	return worst
}
