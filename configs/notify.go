package configs

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// shoutrrrServices are the service names of shoutrrr v0.17 (its router's
// service map); "generic+https://…" names the service "generic".
var shoutrrrServices = []string{
	"bark", "discord", "generic", "googlechat", "gotify", "hangouts", "ifttt", "join", "lark",
	"logger", "matrix", "mattermost", "mqtt", "mqtts", "notifiarr", "ntfy", "opsgenie", "pagerduty",
	"pushbullet", "pushover", "rocketchat", "signal", "slack", "smtp", "teams", "telegram",
	"twilio", "wecom", "xmpp", "zulip",
}

// shoutrrrURL checks only the scheme of a notification URL: the rest holds
// credentials and is never printed.
func (v *validator) shoutrrrURL(key, raw string) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok || scheme == "" {
		v.add(key, "is not a URL; write a shoutrrr URL such as ntfy://ntfy.sh/my-topic")
		return
	}
	service, _, _ := strings.Cut(strings.ToLower(scheme), "+")
	if !slices.Contains(shoutrrrServices, service) {
		v.add(key, "scheme %q is not a notification service; use one of %s", scheme, strings.Join(shoutrrrServices, ", "))
	}
}

// ParseQuietHours parses "HH:MM-HH:MM" and returns both times as offsets
// from midnight. The range may wrap midnight ("22:00-07:00").
func ParseQuietHours(s string) (start, end time.Duration, err error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if ok {
		start, err = parseClock(from)
		if err == nil {
			end, err = parseClock(to)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("%q is not a time range; write HH:MM-HH:MM in local time, for example \"22:00-07:00\"", s)
	}
	if start == end {
		return 0, 0, fmt.Errorf("%q starts and ends at the same time; leave quiet_hours empty for no quiet hours", s)
	}
	return start, end, nil
}

func parseClock(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// QuietWindow returns notify.quiet_hours as offsets from local midnight;
// ok is false when no quiet hours are set (or the value is invalid, which
// Validate reports).
func (n Notify) QuietWindow() (start, end time.Duration, ok bool) {
	if n.QuietHours == "" {
		return 0, 0, false
	}
	start, end, err := ParseQuietHours(n.QuietHours)
	return start, end, err == nil
}
