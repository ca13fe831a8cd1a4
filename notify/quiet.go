package notify

import (
	"fmt"
	"strings"
	"time"
)

// QuietHours is a daily window, in local wall-clock time, during which
// non-urgent messages are held back and sent, coalesced, when it ends. The
// window may span midnight ("22:00-07:00"). The zero value is "no quiet
// hours".
type QuietHours struct {
	start, end int // minutes after midnight; start == end means unset
	loc        *time.Location
}

// ParseQuietHours parses "HH:MM-HH:MM" (24-hour clock) in loc (nil means
// time.Local). An empty string gives no quiet hours.
func ParseQuietHours(s string, loc *time.Location) (QuietHours, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return QuietHours{}, nil
	}
	if loc == nil {
		loc = time.Local
	}
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM, for example 22:00-07:00", s)
	}
	start, err := parseClock(from)
	if err != nil {
		return QuietHours{}, fmt.Errorf("quiet hours %q: start: %w", s, err)
	}
	end, err := parseClock(to)
	if err != nil {
		return QuietHours{}, fmt.Errorf("quiet hours %q: end: %w", s, err)
	}
	if start == end {
		return QuietHours{}, fmt.Errorf("quiet hours %q: start and end are equal; leave quiet_hours empty to disable them", s)
	}
	return QuietHours{start: start, end: end, loc: loc}, nil
}

// parseClock parses "HH:MM" into minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day like 07:30", strings.TrimSpace(s))
	}
	return t.Hour()*60 + t.Minute(), nil
}

// IsZero reports whether no quiet hours are set.
func (q QuietHours) IsZero() bool { return q.start == q.end }

// String returns the "HH:MM-HH:MM" form, or "" when unset.
func (q QuietHours) String() string {
	if q.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", q.start/60, q.start%60, q.end/60, q.end%60)
}

// Contains reports whether t falls inside the quiet window.
func (q QuietHours) Contains(t time.Time) bool {
	if q.IsZero() {
		return false
	}
	lt := t.In(q.loc)
	m := lt.Hour()*60 + lt.Minute()
	if q.start < q.end {
		return m >= q.start && m < q.end
	}
	return m >= q.start || m < q.end // spans midnight
}

// End returns when the quiet window that contains t ends; t itself when t is
// not inside quiet hours.
func (q QuietHours) End(t time.Time) time.Time {
	if !q.Contains(t) {
		return t
	}
	lt := t.In(q.loc)
	y, mo, d := lt.Date()
	end := time.Date(y, mo, d, q.end/60, q.end%60, 0, 0, q.loc)
	if !end.After(lt) {
		end = time.Date(y, mo, d+1, q.end/60, q.end%60, 0, 0, q.loc)
	}
	return end
}
