package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheckExitCodes(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"status":"x"}`))
	}))
	defer srv.Close()
	if code, out, _ := runCLI(t, "", "healthcheck", "--url", srv.URL+"/healthz"); code != 0 || !strings.Contains(out, `"status"`) {
		t.Errorf("healthy daemon: exit %d, output %q; want 0 and the JSON body", code, out)
	}
	status = http.StatusServiceUnavailable
	if code, _, errOut := runCLI(t, "", "healthcheck", "--url", srv.URL+"/healthz"); code != 1 || !strings.Contains(errOut, "503") {
		t.Errorf("stale daemon: exit %d, stderr %q; want 1 naming the status", code, errOut)
	}
	srv.Close()
	if code, _, errOut := runCLI(t, "", "healthcheck", "--url", srv.URL+"/healthz"); code != 1 || !strings.Contains(errOut, "does not answer") {
		t.Errorf("no daemon: exit %d, stderr %q; want 1 saying it does not answer", code, errOut)
	}
}

func TestHealthzURL(t *testing.T) {
	for listen, want := range map[string]string{
		":9877":         "http://127.0.0.1:9877/healthz",
		"0.0.0.0:9000":  "http://127.0.0.1:9000/healthz",
		"[::]:9877":     "http://127.0.0.1:9877/healthz",
		"10.0.0.5:9877": "http://10.0.0.5:9877/healthz",
	} {
		if got := healthzURL(listen); got != want {
			t.Errorf("healthzURL(%q) = %q, want %q", listen, got, want)
		}
	}
}

func TestColorizeMarksStatusesOnly(t *testing.T) {
	in := "icloudmon: WARNING at 2026-11-22 10:00 UTC\n\nalice: WARNING\n  CHECK  STATUS  SUMMARY\n  auth   ok      Signed in; the ok session works\n"
	out := colorize(in)
	if !strings.Contains(out, "\x1b[33mWARNING\x1b[0m at") || !strings.Contains(out, "auth   \x1b[32mok\x1b[0m") {
		t.Errorf("status words not coloured:\n%q", out)
	}
	if strings.Contains(out, "the \x1b[32mok") {
		t.Errorf("a summary word was coloured:\n%q", out)
	}
}
