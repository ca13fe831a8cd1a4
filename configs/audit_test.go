package configs

import (
	"strings"
	"testing"
	"time"
)

func TestAuditValidation(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Audit)
		want string // "" = valid
	}{
		{"defaults", func(*Audit) {}, ""},
		{"since", func(a *Audit) { a.Since = "2015-01-01" }, ""},
		{"zero per day", func(a *Audit) { a.RequestsPerDay = 0 }, "audit.requests_per_day: 0 is not between 1 and 5000"},
		{"too many per day", func(a *Audit) { a.RequestsPerDay = 20000 }, "audit.requests_per_day: 20000 is not between 1 and 5000"},
		{"cycle above day", func(a *Audit) { a.RequestsPerDay, a.RequestsPerCycle = 10, 50 }, "audit.requests_per_cycle: 50 is not between 1 and audit.requests_per_day (10)"},
		{"bad since", func(a *Audit) { a.Since = "01/02/2015" }, `audit.since: "01/02/2015" is not a date; write YYYY-MM-DD`},
		{"future since", func(a *Audit) { a.Since = time.Now().AddDate(1, 0, 0).Format("2006-01-02") }, "is in the future"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := DefaultAudit()
			tc.edit(&a)
			v := &validator{}
			v.audit(&a)
			got := ""
			if len(v.ps) > 0 {
				got = v.ps[0].Error()
			}
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	if d := (Audit{Since: "2015-03-04"}).SinceDay(); !d.Equal(time.Date(2015, 3, 4, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("SinceDay = %v", d)
	}
	if !DefaultAudit().Enabled || DefaultAudit().RequestsPerDay > 1000 {
		t.Fatal("the audit is on by default, well under what icloudpd users send a day")
	}
}
