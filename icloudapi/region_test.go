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

// China: the global idmsa host by default (pyicloud 2026), the .com.cn
// home for the calls after signin/complete, and the idmsa.apple.com.cn
// override of icloudpd and kei through AuthURL (config endpoints.auth),
// whose host becomes the Origin of the sign-in calls.
func TestChinaHostsAndOrigins(t *testing.T) {
	c, err := New(Options{AppleID: "a@b.c", Region: "china"})
	if err != nil {
		t.Fatal(err)
	}
	c.sess.AuthAttributes = "attrs"
	if c.auth != "https://idmsa.apple.com/appleauth/auth" {
		t.Errorf("china idmsa default %q", c.auth)
	}
	in, after := c.idmsaHeaders(false), c.idmsaHeaders(true)
	if in["Origin"] != "https://idmsa.apple.com" || in["Referer"] != "https://idmsa.apple.com/" || in["X-Apple-Auth-Attributes"] != "attrs" {
		t.Errorf("sign-in headers: %v", in)
	}
	if after["Origin"] != "https://www.icloud.com.cn" || after["Referer"] != "https://www.icloud.com.cn/" || after["X-Apple-Auth-Attributes"] != "" {
		t.Errorf("headers after signin/complete: %v", after)
	}
	cn, err := New(Options{AppleID: "a@b.c", Region: "china", AuthURL: "https://idmsa.apple.com.cn/appleauth/auth"})
	if err != nil {
		t.Fatal(err)
	}
	if got := cn.idmsaHeaders(false)["Origin"]; got != "https://idmsa.apple.com.cn" {
		t.Errorf("sign-in Origin with the .com.cn idmsa: %q", got)
	}
	if got := cn.idmsaHeaders(true)["Origin"]; got != "https://www.icloud.com.cn" {
		t.Errorf("Origin after sign-in with the .com.cn idmsa: %q", got)
	}
}
