package icloudapi

import (
	"context"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// TestWrongRegionInAnyStatus: Apple's {"domainToUse": …} answer means the
// account belongs to another region whatever the HTTP status and whichever
// endpoint says it (users saw it as a 302 without Location on accountLogin;
// icloudpd and pyicloud read the field regardless of the status).
func TestWrongRegionInAnyStatus(t *testing.T) {
	body := `{"domainToUse":"iCloud.com.cn"}`
	tests := []struct {
		name string
		sc   fakeicloud.Scenario
	}{
		{"accountLogin 302 without Location", fakeicloud.Scenario{DomainToUse: "iCloud.com.cn"}},
		{"accountLogin 200", fakeicloud.Scenario{DomainToUse: "iCloud.com.cn", DomainToUseStatus: 200}},
		{"accountLogin 400", fakeicloud.Scenario{DomainToUse: "iCloud.com.cn", DomainToUseStatus: 400}},
		{"accountLogin 421", fakeicloud.Scenario{DomainToUse: "iCloud.com.cn", DomainToUseStatus: 421}},
		{"signin/init 302", fakeicloud.Scenario{Faults: map[string]fakeicloud.Fault{pInit: {Status: 302, Body: body}}}},
		{"signin/init 503", fakeicloud.Scenario{Faults: map[string]fakeicloud.Fault{pInit: {Status: 503, Body: body}}}},
		{"signin/complete 200", fakeicloud.Scenario{Faults: map[string]fakeicloud.Fault{pComplete: {Status: 200, Body: body}}}},
		{"signin/complete 302", fakeicloud.Scenario{Faults: map[string]fakeicloud.Fault{pComplete: {Status: 302, Body: body}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newAuthEnv(t, tc.sc)
			ae := wantAPIError(t, e.client(nil).Authenticate(context.Background(), testPassword), ErrWrongRegion)
			if ae.Domain != "iCloud.com.cn" {
				t.Errorf("Domain = %q", ae.Domain)
			}
			if !strings.Contains(ae.Remediation, "region: china") {
				t.Errorf("remediation %q does not name the region line", ae.Remediation)
			}
		})
	}
}

// TestWrongRegionIsRemembered: once Apple named another domain, automatic
// sign-ins stop without a single request — in this process and after a
// restart — until the region changes or a person signs in.
func TestWrongRegionIsRemembered(t *testing.T) {
	e := newAuthEnv(t, fakeicloud.Scenario{DomainToUse: "iCloud.com.cn"})
	ctx := context.Background()
	c := e.client(nil)
	wantKind(t, c.Authenticate(ctx, testPassword), ErrWrongRegion)
	first := len(e.srv.Requests())
	if first == 0 {
		t.Fatal("no request was made")
	}
	for range 5 {
		wantKind(t, c.Authenticate(ctx, testPassword), ErrWrongRegion)
	}
	restarted := e.client(sessionBlob(t, c))
	for range 5 {
		ae := wantAPIError(t, restarted.Authenticate(ctx, testPassword), ErrWrongRegion)
		if ae.Domain != "iCloud.com.cn" || !strings.Contains(ae.Message, "not signing in again") {
			t.Errorf("remembered error: %+v", ae)
		}
	}
	if n := len(e.srv.Requests()); n != first {
		t.Errorf("%d more requests after Apple named the region; want none", n-first)
	}
	if n := srpAttempts(e.srv); n != 1 {
		t.Errorf("%d SRP attempts, want 1", n)
	}
	if got := restarted.WrongRegion(); got != "iCloud.com.cn" {
		t.Errorf("WrongRegion() = %q", got)
	}

	// Another setup endpoint (the region was changed in the config): the
	// block does not apply and a sign-in is tried again.
	opts := e.opts
	opts.SetupURL = "https://setup.example.cn/setup/ws/1"
	other, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.RestoreSession(sessionBlob(t, c)); err != nil {
		t.Fatal(err)
	}
	e.srv.Update(func(sc *fakeicloud.Scenario) { sc.DomainToUse = "" })
	if other.WrongRegion() != "" {
		t.Error("the block applies to another setup endpoint")
	}
	// A person signing in clears it too.
	if err := restarted.SignIn(ctx, testPassword); err != nil {
		t.Fatalf("interactive sign-in after the region was fixed: %v", err)
	}
	if restarted.WrongRegion() != "" {
		t.Error("a successful interactive sign-in did not clear the block")
	}
}
