package icloudapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"
)

// FuzzDecodeAuthResponse feeds arbitrary bodies to every decoder of auth
// and setup answers: none may panic, and every failure must be typed.
func FuzzDecodeAuthResponse(f *testing.F) {
	for _, name := range []string{"auth_requires_2fa", "2fa_flow_valid_code", "2fa_flow_invalid_code", "successful_auth",
		"failed_auth", "failed_auth_503", "auth_non_2fa"} {
		for _, it := range loadAuthCassette(f, name) {
			f.Add(it.body(), it.Response.Status.Code)
		}
	}
	if page, err := os.ReadFile("testdata/auth/trusted_phone_numbers_boot_args.html"); err == nil {
		f.Add(page, 200)
	}
	f.Add([]byte(`{"authType":"hsa2","securityCode":{"valid":true},"fsaChallenge":null}`), 409)
	f.Add([]byte(`{"domainToUse":"iCloud.com.cn"}`), 200)
	c, err := New(Options{AppleID: "fuzz@example.com"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		var login accountLoginResponse
		if json.Unmarshal(body, &login) == nil {
			var ae *Error
			if err := login.check("account_login"); err != nil && (!errors.As(err, &ae) || ae.Message == "") {
				t.Fatalf("untyped or empty error %v", err)
			}
		}
		var ch challengeBody
		if json.Unmarshal(body, &ch) == nil && ch.options() == nil {
			t.Fatal("nil options")
		}
		if tf, err := parseBootArgs(body); err == nil && tf.CodeLength <= 0 {
			t.Fatalf("code length %d", tf.CodeLength)
		}
		_ = serviceErrorCode(body)
		if status < 100 || status > 599 {
			return
		}
		it := authInteraction{}
		it.Response.Status.Code = status
		resp := it.resty().SetBody(body)
		resp.RawResponse.Header = http.Header{"Retry-After": {string(body)}}
		if err := c.idmsaStatus("fuzz", resp); status >= 300 && err == nil {
			t.Fatalf("status %d mapped to success", status)
		}
	})
}
