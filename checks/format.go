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

// plural prints "1 photo", "3 photos", "1 library", "2 libraries".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %s", n, pluralWord(word))
}

// pluralWord is the plural of an English noun as the reports use them.
func pluralWord(word string) string {
	if strings.HasSuffix(word, "y") && !strings.HasSuffix(word, "ay") && !strings.HasSuffix(word, "ey") {
		return word[:len(word)-1] + "ies"
	}
	return word + "s"
}

// folderLabel names a folder as the user named it in the configuration
// (folders[].name, derived from the path when not set), quoted; the path
// when there is no name. Summaries use it so that they do not lead with a
// path that only exists inside a container.
func folderLabel(name, path string) string {
	if name != "" {
		return "folder \"" + name + "\""
	}
	if path == "" {
		return "a folder without a path"
	}
	return "folder " + path
}

// folderRef names a folder with its path, for remediation texts that
// send the user to the disk: `folder "alice" (/photos/alice)`.
func folderRef(name, path string) string {
	if name == "" || path == "" {
		return folderLabel(name, path)
	}
	return folderLabel(name, "") + " (" + path + ")"
}

// withReason appends reason (an error or Apple's message) to summary,
// clause by clause, leaving out every clause that only restates the
// summary: "X does not exist" + "folder does not exist: is the share
// mounted?" gives "X does not exist: is the share mounted?", and "Apple
// needs a new two-factor sign-in" + "Apple asks for a two-factor code"
// gives the summary alone.
func withReason(summary, reason string) string {
	seen := significantWords(summary)
	out := summary
	for _, clause := range strings.Split(reason, ": ") {
		clause = strings.TrimSpace(clause)
		switch {
		case clause == "":
		case !restates(clause, seen):
			out += ": " + clause
		default:
			// "folder cannot be read (permission denied)": the words
			// restate, the parenthesis is the news.
			if i, j := strings.Index(clause, " ("), strings.LastIndex(clause, ")"); i >= 0 && j > i {
				out += clause[i : j+1]
			}
		}
	}
	return out
}

// restates reports whether clause says again what was said: at least a
// third of its significant words were said already, and it brings no new
// figure or name (an HTTP status, a count, a domain or a path is always
// worth keeping).
func restates(clause string, said map[string]bool) bool {
	words := significantWords(clause)
	shared := 0
	for w := range words {
		switch {
		case said[w]:
			shared++
		case strings.ContainsAny(w, "0123456789./@"):
			return false
		}
	}
	return len(words) > 0 && 3*shared >= len(words)
}

// significantWords are the lower-cased words of s of five letters or more,
// or with a digit, dot, slash or @ (a figure or a name), without the names every
// message carries (Apple, iCloud).
func significantWords(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(strings.ToLower(s)) {
		w = strings.Trim(w, `.,;:()"'?!`)
		if (utf8.RuneCountInString(w) < 5 && !strings.ContainsAny(w, "0123456789")) || w == "apple" || w == "apple's" || w == "icloud" {
			continue
		}
		out[w] = true
	}
	return out
}

// FormatBytes prints a byte count in the units Apple names its iCloud
// plans in: Apple says GB and TB but counts in 1024³ and 1024⁴ bytes (the
// free 5 GB tier reports totalStorageInBytes 5368709120, recorded in
// picklepete/pyicloud tests/const_account.py), so a 200 GB plan prints as
// "200 GB", not "214.7 GB". At most one decimal, none from 100 up.
func FormatBytes(b int64) string {
	units := []string{"KB", "MB", "GB", "TB", "PB"}
	if b < 1024 {
		return fmt.Sprintf("%d bytes", b)
	}
	v, i := float64(b)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v >= 100 {
		return fmt.Sprintf("%.0f %s", v, units[i])
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " " + units[i]
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
