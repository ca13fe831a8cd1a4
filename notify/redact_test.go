package notify

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestRedactorScrubsServiceURLParts(t *testing.T) {
	for _, tc := range []struct {
		url     string
		errText string // what an error might say
		secrets []string
	}{
		{"telegram://123456:AAE-bot-token@telegram?chats=-100987654", `Post "https://api.telegram.org/bot123456:AAE-bot-token/sendMessage": EOF; chat -100987654`,
			[]string{"AAE-bot-token", "-100987654"}},
		{"discord://tok-abcdef@998877665544", `Post "https://discord.com/api/webhooks/998877665544/tok-abcdef": 401`,
			[]string{"tok-abcdef", "998877665544"}},
		{"smtp://mailer:p%40ss%2Fword@mail.example:587/?to=me@example.com", `auth failed for mailer with p@ss/word at mail.example`,
			[]string{"p@ss/word", "mailer", "mail.example"}},
		{"gotify://gotify.example/Atoken123", `Post "https://gotify.example/message?token=Atoken123": 401`,
			[]string{"Atoken123"}},
		{"pushover://shoutrrr:apitoken42@userkey42/?devices=phone", `bad user userkey42 token apitoken42`,
			[]string{"apitoken42", "userkey42"}},
	} {
		t.Run(tc.url, func(t *testing.T) {
			r := newRedactor(tc.url, false)
			got := r.scrub(tc.errText)
			for _, s := range tc.secrets {
				if strings.Contains(got, s) {
					t.Errorf("%s: %q survives in %q", tc.url, s, got)
				}
			}
			if !strings.Contains(got, redactedText) {
				t.Errorf("%s: nothing redacted in %q", tc.url, got)
			}
		})
	}
}

func TestScrubErrKeepsTimeoutButNotTheChain(t *testing.T) {
	inner := fmt.Errorf("Post %q: %w", "https://hc-ping.com/uuid-secret-1", errTimeoutForTest{})
	err := newRedactor("https://hc-ping.com/uuid-secret-1", true).scrubErr(inner)
	if strings.Contains(err.Error(), "uuid-secret-1") {
		t.Fatalf("secret in %q", err)
	}
	if errors.Unwrap(err) != nil {
		t.Error("the unscrubbed error is still reachable through Unwrap")
	}
	var to interface{ Timeout() bool }
	if !errors.As(err, &to) || !to.Timeout() {
		t.Error("the timeout nature of the error was lost")
	}
}

type errTimeoutForTest struct{}

func (errTimeoutForTest) Error() string { return "i/o timeout" }
func (errTimeoutForTest) Timeout() bool { return true }

func TestQuietHours(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 22, h, m, 0, 0, time.UTC) }
	q, err := ParseQuietHours("22:00-07:00", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t     time.Time
		quiet bool
		end   time.Time
	}{
		{at(21, 59), false, at(21, 59)},
		{at(22, 0), true, at(7, 0).AddDate(0, 0, 1)},
		{at(23, 30), true, at(7, 0).AddDate(0, 0, 1)},
		{at(0, 0), true, at(7, 0)},
		{at(6, 59), true, at(7, 0)},
		{at(7, 0), false, at(7, 0)},
		{at(12, 0), false, at(12, 0)},
	} {
		t.Run(tc.t.Format("15:04"), func(t *testing.T) {
			if got := q.Contains(tc.t); got != tc.quiet {
				t.Errorf("Contains(%s) = %v", tc.t.Format("15:04"), got)
			}
			if got := q.End(tc.t); !got.Equal(tc.end) {
				t.Errorf("End(%s) = %s, want %s", tc.t.Format("15:04"), got, tc.end)
			}
		})
	}
	day, _ := ParseQuietHours("12:30-14:00", time.UTC)
	if !day.Contains(at(13, 0)) || day.Contains(at(14, 0)) || day.Contains(at(12, 29)) {
		t.Error("a same-day window is wrong")
	}
	if q.String() != "22:00-07:00" {
		t.Errorf("String = %q", q.String())
	}
	for _, bad := range []string{"22:00", "25:00-07:00", "22:00-7", "07:00-07:00", "night"} {
		if _, err := ParseQuietHours(bad, time.UTC); err == nil {
			t.Errorf("ParseQuietHours(%q) accepted", bad)
		}
	}
	if z, err := ParseQuietHours(" ", nil); err != nil || !z.IsZero() || z.Contains(at(23, 0)) {
		t.Errorf("empty quiet hours = %v, %v", z, err)
	}
}
