package icloudapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/go-resty/resty/v2"
)

func cannedResponse(status int, header http.Header, body string) *resty.Response {
	if header == nil {
		header = http.Header{}
	}
	r := &resty.Response{RawResponse: &http.Response{StatusCode: status, Header: header}}
	return r.SetBody([]byte(body))
}

// TestCompleteMapping covers signin/complete answers the fake does not
// produce on its own.
func TestCompleteMapping(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		kind   error
	}{
		{"hidden rejection", 200, http.Header{"X-Apple-I-Rscd": {"401"}}, `{}`, ErrPasswordRejected},
		{"locked 403", 403, nil, `{"serviceErrors":[{"code":"-20209","message":"locked"}]}`, ErrAccountLocked},
		{"security key", 409, nil, `{"authType":"hsa2","keyNames":["YubiKey 5C"]}`, ErrSecurityKeyOnly},
		{"2fa with phones", 409, nil, `{"authType":"hsa2","trustedPhoneNumbers":[{"id":2,"obfuscatedNumber":"••12"}]}`, ErrReauthRequired},
		{"throttled", 503, http.Header{"Retry-After": {"30"}}, `<html>`, ErrThrottled},
		{"bad 2fa JSON", 409, nil, `<html>`, ErrProtocol},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Options{AppleID: "a@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			err = c.afterComplete(context.Background(), cannedResponse(tc.status, tc.header, tc.body), "pw", false)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("err = %v, want %v", err, tc.kind)
			}
			var ae *Error
			if errors.As(err, &ae) && errors.Is(tc.kind, ErrReauthRequired) && (ae.TwoFactor == nil || len(ae.TwoFactor.Phones) != 1) {
				t.Errorf("phones from the 409 body lost: %+v", ae.TwoFactor)
			}
		})
	}
	c, _ := New(Options{AppleID: "a@example.com"})
	var he *HTTPError
	if err := c.afterComplete(context.Background(), cannedResponse(403, nil, `{}`), "pw", false); !errors.As(err, &he) || he.Status != 403 {
		t.Errorf("plain 403: %v (must not count as a wrong password)", err)
	}
	if c.sess.Rejected != nil {
		t.Error("a 403 marked the password as rejected")
	}
}

func TestLegacyTwoStepIsReported(t *testing.T) {
	r := accountLoginResponse{DSInfo: &dsInfo{DSID: "1", HSAVersion: 1}, HSAChallengeRequired: true}
	err := r.check("account_login")
	var ae *Error
	if !errors.As(err, &ae) || !errors.Is(err, ErrReauthRequired) || !strings.Contains(ae.Message, "legacy two-step") {
		t.Fatalf("err = %v", err)
	}
	r.HSAChallengeRequired = false
	if err := r.check("account_login"); err != nil {
		t.Fatalf("hsaVersion 1 without challenge: %v", err)
	}
}
