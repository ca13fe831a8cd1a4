package configs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a duration in Go syntax ("90m", "1h30m", "2s") that
// may also use the units d (24 hours) and w (7 days): "7d", "2w", "1d12h".
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration; write for example 6h, 7d or 2w")
	}
	var b strings.Builder
	rest := in
	for rest != "" {
		num, unit, tail := splitDurationPart(rest)
		if num == "" || unit == "" {
			return 0, fmt.Errorf("%q is not a duration; write for example 30m, 6h, 7d or 2w", s)
		}
		switch unit {
		case "d", "w":
			n, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("%q is not a duration; write for example 30m, 6h, 7d or 2w", s)
			}
			if unit == "w" {
				n *= 7
			}
			b.WriteString(strconv.FormatFloat(n*24, 'f', -1, 64) + "h")
		default:
			b.WriteString(num + unit)
		}
		rest = tail
	}
	d, err := time.ParseDuration(b.String())
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write for example 30m, 6h, 7d or 2w", s)
	}
	return d, nil
}

// splitDurationPart splits "12.5h30m" into "12.5", "h", "30m".
func splitDurationPart(s string) (num, unit, rest string) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && (s[i] == '.' || (s[i] >= '0' && s[i] <= '9')) {
		i++
	}
	j := i
	for j < len(s) && (s[j] < '0' || s[j] > '9') && s[j] != '.' && s[j] != '-' && s[j] != '+' {
		j++
	}
	return s[:i], s[i:j], s[j:]
}

// FormatDuration writes d in a form ParseDuration reads back: whole days as
// "7d", otherwise Go syntax without zero
// components ("1h", "1h30m", "2s").
func FormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
