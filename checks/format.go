package checks

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// fmtTime prints an instant for people, in UTC, to the minute.
func fmtTime(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// fmtDur prints a duration for people with at most two units:
// "4 days 3 h", "12 h 5 min", "35 min", "less than a minute".
func fmtDur(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	days := int(d / day)
	hours := int(d % day / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	switch {
	case days > 0 && hours > 0:
		return fmt.Sprintf("%s %d h", plural(days, "day"), hours)
	case days > 0:
		return plural(days, "day")
	case hours > 0 && mins > 0:
		return fmt.Sprintf("%d h %d min", hours, mins)
	case hours > 0:
		return fmt.Sprintf("%d h", hours)
	case mins > 0:
		return fmt.Sprintf("%d min", mins)
	}
	return "less than a minute"
}

// plural prints "1 photo", "3 photos".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// fmtBytes prints a byte count in decimal units as Apple does (GB, TB).
func fmtBytes(b int64) string {
	const unit = 1000
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	v, exp := float64(b), 0
	for v >= unit && exp < 4 {
		v /= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGTP"[exp-1])
}

// fmtPercent prints a ratio as a percentage with up to one decimal.
func fmtPercent(r float64) string {
	s := fmt.Sprintf("%.1f", r*100)
	return strings.TrimSuffix(s, ".0") + " %"
}

// capitalize upper-cases the first letter.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
