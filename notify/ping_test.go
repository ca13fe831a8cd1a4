package notify

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/checks"
)

func TestHealthchecksAndUptimeKumaPerCycle(t *testing.T) {
	hc := newFake(t, false, http.StatusOK, "OK")
	kuma := newFake(t, false, http.StatusOK, `{"ok":true}`)
	now := t0
	n, _ := newNotifier(t, Options{
		HealthchecksURL: hc.URL + "/ping/5f1c0a3e-uuid",
		UptimeKumaURL:   kuma.URL + "/api/push/pushtoken123?status=up&msg=OK&ping=",
		Now:             func() time.Time { return now },
	})
	cycle := func(r checks.Report) string {
		c, res := n.Start(t.Context(), "")
		if len(res) != 1 || res[0].Err != nil {
			t.Fatalf("start results = %+v", res)
		}
		now = now.Add(1500 * time.Millisecond)
		res, err := c.Done(t.Context(), r)
		if err != nil || len(res) != 2 || res[0].Err != nil || res[1].Err != nil {
			t.Fatalf("done = %+v, %v", res, err)
		}
		return c.RunID()
	}
	rid1 := cycle(rep(acct{name: "alice"}))
	rid2 := cycle(rep(one(checks.CheckLocalCopy, checks.StatusWarning)))
	rid3 := cycle(rep(one(checks.CheckAuth, checks.StatusCritical)))
	c, _ := n.Start(t.Context(), "")
	c.Failed(t.Context(), errBoom)
	rid4 := c.RunID()

	type ping struct{ Path, RID, Body string }
	var pings []ping
	for _, r := range hc.requests() {
		pings = append(pings, ping{r.Path, r.Query.Get("rid"), firstLine(r.Body)})
	}
	want := []ping{
		{"/ping/5f1c0a3e-uuid/start", rid1, ""},
		{"/ping/5f1c0a3e-uuid", rid1, "icloudmon: ok at 2026-11-22T12:00:00Z"},
		{"/ping/5f1c0a3e-uuid/start", rid2, ""},
		{"/ping/5f1c0a3e-uuid/1", rid2, "icloudmon: warning at 2026-11-22T12:00:00Z"},
		{"/ping/5f1c0a3e-uuid/start", rid3, ""},
		{"/ping/5f1c0a3e-uuid/2", rid3, "icloudmon: critical at 2026-11-22T12:00:00Z"},
		{"/ping/5f1c0a3e-uuid/start", rid4, ""},
		{"/ping/5f1c0a3e-uuid/fail", rid4, "icloudmon cycle failed: boom"},
	}
	if diff := cmp.Diff(want, pings); diff != "" {
		t.Fatalf("healthchecks pings (-want +got):\n%s", diff)
	}
	if len(map[string]bool{rid1: true, rid2: true, rid3: true, rid4: true}) != 4 || len(rid1) != 36 {
		t.Errorf("run ids are not distinct UUIDs: %s %s %s %s", rid1, rid2, rid3, rid4)
	}
	body := hc.requests()[3].Body
	if !strings.Contains(body, "local_copy warning: local_copy is warning") {
		t.Errorf("log body lacks the check summary:\n%s", body)
	}

	type push struct{ Path, Status, Msg, Ping string }
	var pushes []push
	for _, r := range kuma.requests() {
		pushes = append(pushes, push{r.Path, r.Query.Get("status"), r.Query.Get("msg"), r.Query.Get("ping")})
	}
	wantPush := []push{
		{"/api/push/pushtoken123", "up", "ok", "1500"},
		{"/api/push/pushtoken123", "up", "warning: alice local_copy: local_copy is warning", "1500"},
		{"/api/push/pushtoken123", "down", "critical: alice auth: auth is critical", "1500"},
		{"/api/push/pushtoken123", "down", "icloudmon cycle failed: boom", "0"},
	}
	if diff := cmp.Diff(wantPush, pushes); diff != "" {
		t.Fatalf("Uptime Kuma pushes (-want +got):\n%s", diff)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestPerAccountPingURL(t *testing.T) {
	hc := newFake(t, false, http.StatusOK, "OK")
	n, _ := newNotifier(t, Options{HealthchecksURL: hc.URL + "/ping/key/icloudmon-{account}"})
	c, _ := n.Start(t.Context(), "alice")
	_, _ = c.Done(t.Context(), rep(acct{name: "alice"}))
	var paths []string
	for _, r := range hc.requests() {
		paths = append(paths, r.Path)
	}
	if diff := cmp.Diff([]string{"/ping/key/icloudmon-alice/start", "/ping/key/icloudmon-alice"}, paths); diff != "" {
		t.Fatalf("paths (-want +got):\n%s", diff)
	}
}

func TestSharedPingURLReportsTheWorstAccount(t *testing.T) {
	hc := newFake(t, false, http.StatusOK, "OK")
	kuma := newFake(t, false, http.StatusOK, `{"ok":true}`)
	n, _ := newNotifier(t, Options{HealthchecksURL: hc.URL + "/uuid", UptimeKumaURL: kuma.URL + "/api/push/tok"})
	run := func(a acct) {
		c, _ := n.Start(t.Context(), a.name)
		if _, err := c.Done(t.Context(), rep(a)); err != nil {
			t.Fatal(err)
		}
	}
	run(acct{name: "bob", statuses: map[checks.CheckID]checks.Status{checks.CheckAuth: checks.StatusCritical}})
	run(acct{name: "alice"})
	run(acct{name: "bob"})
	run(acct{name: "alice"})
	var got []string
	for _, r := range hc.requests() {
		if !strings.HasSuffix(r.Path, "/start") {
			got = append(got, r.Path)
		}
	}
	if diff := cmp.Diff([]string{"/uuid/2", "/uuid/2", "/uuid", "/uuid"}, got); diff != "" {
		t.Fatalf("healthchecks pings (-want +got):\n%s", diff)
	}
	alice := hc.requests()[3]
	if !strings.Contains(alice.Body, "bob: critical (last cycle)") {
		t.Errorf("alice's ping does not say why it fails:\n%s", alice.Body)
	}
	var status []string
	for _, r := range kuma.requests() {
		status = append(status, r.Query.Get("status"))
	}
	if diff := cmp.Diff([]string{"down", "down", "up", "up"}, status); diff != "" {
		t.Fatalf("kuma statuses (-want +got):\n%s", diff)
	}
	if msg := kuma.requests()[1].Query.Get("msg"); msg != "ok; bob: critical (last cycle)" {
		t.Errorf("kuma msg = %q", msg)
	}
}
