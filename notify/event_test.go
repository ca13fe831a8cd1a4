package notify

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestCoalesce(t *testing.T) {
	r := func(check string, kind ReasonKind, from, to string) Reason {
		return Reason{Check: check, Kind: kind, From: from, To: to}
	}
	deadline := t0.Add(time.Hour)
	final := r("session_expiry", KindFinalReminder, "warning", "warning")
	final.Deadline = deadline
	for _, tc := range []struct {
		name           string
		earlier, later []Reason
		want           []Reason
	}{
		{"round trip disappears",
			[]Reason{r("folder", KindChanged, "ok", "warning")}, []Reason{r("folder", KindResolved, "warning", "ok")}, []Reason{}},
		{"escalation keeps the first from",
			[]Reason{r("storage", KindChanged, "ok", "warning")}, []Reason{r("storage", KindChanged, "warning", "critical")},
			[]Reason{r("storage", KindChanged, "ok", "critical")}},
		{"resolve after a reminder",
			[]Reason{r("auth", KindReminder, "critical", "critical")}, []Reason{r("auth", KindResolved, "critical", "ok")},
			[]Reason{r("auth", KindResolved, "critical", "ok")}},
		{"a reminder does not hide a change",
			[]Reason{r("auth", KindChanged, "ok", "critical")}, []Reason{r("auth", KindReminder, "critical", "critical")},
			[]Reason{r("auth", KindChanged, "ok", "critical")}},
		{"final wins and keeps its deadline",
			[]Reason{final}, []Reason{r("session_expiry", KindChanged, "warning", "critical")},
			[]Reason{{Check: "session_expiry", Kind: KindFinalReminder, From: "warning", To: "critical", Deadline: deadline}}},
		{"different checks stay apart",
			[]Reason{r("a", KindChanged, "ok", "warning")}, []Reason{r("b", KindChanged, "ok", "warning")},
			[]Reason{r("a", KindChanged, "ok", "warning"), r("b", KindChanged, "ok", "warning")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, coalesce(tc.earlier, tc.later)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		})
	}
}

func TestTruncateKeepsRunes(t *testing.T) {
	s := strings.Repeat("é", 200) // 400 bytes
	got := truncate(s, 251)
	if !utf8.ValidString(got) || len(got) > 251+len("…") {
		t.Fatalf("truncate = %q (%d bytes)", got, len(got))
	}
	if truncate("short", 250) != "short" {
		t.Error("a short text was changed")
	}
}
