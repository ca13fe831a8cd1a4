package checks

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
)

func TestStatusNamesValuesAndJSON(t *testing.T) {
	tests := []struct {
		s     Status
		name  string
		value int
	}{
		{StatusOK, "ok", 0},
		{StatusWarning, "warning", 1},
		{StatusCritical, "critical", 2},
		{StatusUnknown, "unknown", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.String(); got != tt.name {
				t.Errorf("String() = %q, want %q", got, tt.name)
			}
			if got := tt.s.Value(); got != tt.value {
				t.Errorf("%s.Value() = %d, want %d", tt.name, got, tt.value)
			}
			b, err := json.Marshal(tt.s)
			if err != nil || string(b) != `"`+tt.name+`"` {
				t.Errorf("json.Marshal(%s) = %s, %v", tt.name, b, err)
			}
			var back Status
			if err := json.Unmarshal(b, &back); err != nil || back != tt.s {
				t.Errorf("json round trip of %s = %v, %v", tt.name, back, err)
			}
		})
	}
	var zero Status
	if zero != StatusUnknown {
		t.Errorf("the zero Status is %s, want unknown", zero)
	}
	if Status(42).String() != "unknown" || Status(42).Value() != 3 {
		t.Errorf("an out-of-range status must read as unknown")
	}
	var s Status
	if err := json.Unmarshal([]byte(`"OK"`), &s); err == nil {
		t.Errorf("unmarshal of an invalid status name succeeded")
	}
}

func TestWorst(t *testing.T) {
	tests := []struct {
		in   []Status
		want Status
	}{
		{nil, StatusUnknown},
		{[]Status{StatusOK}, StatusOK},
		{[]Status{StatusOK, StatusWarning}, StatusWarning},
		{[]Status{StatusWarning, StatusUnknown}, StatusUnknown},
		{[]Status{StatusUnknown, StatusCritical, StatusWarning}, StatusCritical},
		{[]Status{StatusCritical, StatusOK}, StatusCritical},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v", tt.in), func(t *testing.T) {
			if got := Worst(tt.in...); got != tt.want {
				t.Errorf("Worst(%v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestAllChecksIsAFreshSlice(t *testing.T) {
	a := AllChecks()
	a[0] = "changed"
	if AllChecks()[0] != CheckAuth {
		t.Fatal("AllChecks returns shared state")
	}
	always := 0
	for _, d := range checkTable {
		if d.only == nil {
			always++
		}
	}
	if len(a) != always || slices.Contains(a, CheckLibraryAudit) {
		t.Fatalf("AllChecks has %d ids %v, the table %d rows that every report has", len(a), a, always)
	}
}

func TestAuthKindBlocker(t *testing.T) {
	transient := map[AuthKind]bool{AuthOK: true, AuthNone: true, AuthThrottled: true, AuthNetworkError: true, AuthServiceError: true}
	for _, k := range []AuthKind{AuthOK, AuthNone, AuthReauthRequired, AuthPasswordRejected, AuthPasswordMissing, AuthLocked,
		AuthPasswordChangeRequired, AuthWebAccessDisabled, AuthTermsNotAccepted, AuthSetupIncomplete, AuthWrongRegion,
		AuthSecurityKeyOnly, AuthSignInBudget, AuthThrottled, AuthNetworkError, AuthServiceError} {
		if got := k.Blocker(); got == transient[k] {
			t.Errorf("%q.Blocker() = %v", k, got)
		}
		if k.NeedsLogin() && !k.Blocker() {
			t.Errorf("%q needs a login but is not a blocker", k)
		}
		if authShort(k) == "" || authRemediation(k, "alice") == "" {
			t.Errorf("%q lacks a description or remediation", k)
		}
	}
}

func TestZeroPolicyFallsBackToDefaults(t *testing.T) {
	for _, sc := range scenarios() {
		want := Evaluate(sc.obs, DefaultPolicy(), sc.hist, now)
		p := Policy{UploadAdaptive: true}
		got := Evaluate(sc.obs, p, sc.hist, now)
		if want.Status != got.Status {
			t.Errorf("%s: zero policy gave %s, defaults %s", sc.name, got.Status, want.Status)
		}
	}
}

func TestFormatting(t *testing.T) {
	durs := map[string]string{
		fmtDur(0): "less than a minute", fmtDur(35 * 60e9): "35 min", fmtDur(12 * 3600e9): "12 h",
		fmtDur(day + 3*3600e9): "1 day 3 h", fmtDur(4 * day): "4 days", fmtDur(-2 * day): "2 days",
		FormatBytes(999): "999 bytes", FormatBytes(200 << 30): "200 GB", FormatBytes(5 << 30): "5 GB", FormatBytes(2 << 40): "2 TB",
		FormatBytes(33_100_000_000): "30.8 GB", FormatBytes(1536): "1.5 KB",
		fmtPercent(0.1): "10 %", fmtPercent(0.015): "1.5 %",
	}
	for got, want := range durs {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
