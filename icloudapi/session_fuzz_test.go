package icloudapi

import (
	"strings"
	"testing"
	"time"
)

// FuzzRestoreSession feeds arbitrary blobs to RestoreSession (what the
// credential store hands back): it must never panic; a refused blob gets an
// error that says to run `icloudmon login`; an accepted one must survive a
// MarshalSession/RestoreSession round trip and answer SessionExpiry.
func FuzzRestoreSession(f *testing.F) {
	c, err := New(Options{AppleID: "fuzz@example.com"})
	if err != nil {
		f.Fatal(err)
	}
	blob, err := c.MarshalSession()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(blob)
	f.Add([]byte(strings.Replace(string(blob), `"version":`, `"version":9`, 1)))
	f.Add([]byte(`{"version":1,"account":"fuzz@example.com","cookies":[{"name":"X-APPLE-WEBAUTH-USER","value":"\"v=1:s=0:d=1\"","domain":".icloud.com","path":"/","expires":"2030-01-01T00:00:00Z","quoted":true}]}`))
	f.Add([]byte(`{"version":1,"account":"other@example.com"}`))
	f.Add([]byte(`{"version":1,"account":"fuzz@example.com","attempts":["2026-01-01T00:00:00Z"],"rejected":{"salt":"AA==","sum":null}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"cookies":[null,{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := New(Options{AppleID: "fuzz@example.com", Now: func() time.Time { return time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) }})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.RestoreSession(data); err != nil {
			if !strings.Contains(err.Error(), "icloudmon login") {
				t.Fatalf("refusal without remediation: %v", err)
			}
			return
		}
		_, _ = c.SessionExpiry()
		_ = c.SignInAttempts()
		again, err := c.MarshalSession()
		if err != nil {
			t.Fatalf("an accepted session does not marshal: %v", err)
		}
		c2, _ := New(Options{AppleID: "fuzz@example.com"})
		if err := c2.RestoreSession(again); err != nil {
			t.Fatalf("round trip of an accepted session fails: %v\nin:  %q\nout: %q", err, data, again)
		}
	})
}
