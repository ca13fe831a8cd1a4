package notify

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/checks"
)

// request is what a fake server received.
type request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   string
}

// fakeServer records requests and answers with status and body.
type fakeServer struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	status int
	answer string
	delay  time.Duration
}

func newFake(t *testing.T, tls bool, status int, answer string) *fakeServer {
	t.Helper()
	f := &fakeServer{status: status, answer: answer}
	h := http.HandlerFunc(f.serve)
	if tls {
		f.Server = httptest.NewUnstartedServer(h)
		f.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected in one test
		f.StartTLS()
	} else {
		f.Server = httptest.NewServer(h)
	}
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body)})
	delay := f.delay
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.answer)
}

func (f *fakeServer) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// hostPort is the fake's "127.0.0.1:port".
func (f *fakeServer) hostPort() string {
	return strings.TrimPrefix(strings.TrimPrefix(f.URL, "http://"), "https://")
}

// newNotifier builds a Notifier for sender tests at t0.
func newNotifier(t *testing.T, opts Options) (*Notifier, *bytes.Buffer) {
	t.Helper()
	logs := &bytes.Buffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	opts.Location = time.UTC
	n, err := New(newMemKV(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n, logs
}

func TestNtfyAndGenericWebhookReceiveTheChange(t *testing.T) {
	ntfy := newFake(t, false, http.StatusOK, "{}")
	generic := newFake(t, false, http.StatusOK, "")
	n, _ := newNotifier(t, Options{
		URLs: []string{
			"ntfy://bob:s3cret@" + ntfy.hostPort() + "/icloudmon-alerts?scheme=http",
			"generic+http://" + generic.hostPort() + "/hook?template=json",
		},
		BaseURL: "https://nas.example",
	})
	results, err := n.Notify(t.Context(), rep(one(checks.CheckAuth, checks.StatusCritical)))
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{{Notifier: "ntfy", Target: "ntfy#1", Account: "alice"}, {Notifier: "generic", Target: "generic#2", Account: "alice"}}
	if diff := cmp.Diff(want, results, cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) }),
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Duration" }, cmp.Ignore())); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}

	nr := ntfy.requests()
	if len(nr) != 1 {
		t.Fatalf("ntfy got %d requests, want 1", len(nr))
	}
	if nr[0].Path != "/icloudmon-alerts" || nr[0].Header.Get("Title") != "icloudmon alice: CRITICAL, sign-in" {
		t.Errorf("ntfy request: path %q title %q", nr[0].Path, nr[0].Header.Get("Title"))
	}
	if c, p := nr[0].Header.Get("Click"), nr[0].Header.Get("Priority"); c != "https://nas.example/auth/alice" || !strings.EqualFold(p, "high") {
		t.Errorf("ntfy click %q priority %q, want the re-auth page and high", c, p)
	}
	if u, p, ok := (&http.Request{Header: nr[0].Header}).BasicAuth(); !ok || u != "bob" || p != "s3cret" {
		t.Errorf("ntfy basic auth = %q %q %v", u, p, ok)
	}
	for _, s := range []string{"[CRITICAL] Sign-in: auth is critical", "What to do: fix auth on the iPhone", "https://nas.example/auth/alice"} {
		if !strings.Contains(nr[0].Body, s) {
			t.Errorf("ntfy body lacks %q:\n%s", s, nr[0].Body)
		}
	}

	gr := generic.requests()
	if len(gr) != 1 {
		t.Fatalf("generic got %d requests, want 1", len(gr))
	}
	var payload map[string]string
	if err := json.Unmarshal([]byte(gr[0].Body), &payload); err != nil {
		t.Fatalf("generic body %q: %v", gr[0].Body, err)
	}
	if payload["title"] != "icloudmon alice: CRITICAL, sign-in" || !strings.Contains(payload["message"], "auth is critical") {
		t.Errorf("generic payload = %v", payload)
	}
}

func TestShoutrrrOverTLSWithTheTestCA(t *testing.T) {
	srv := newFake(t, true, http.StatusOK, "")
	n, _ := newNotifier(t, Options{
		URLs:       []string{"generic+https://" + srv.hostPort() + "/hook"},
		HTTPClient: srv.Client(), // trusts the test CA; verification stays on
	})
	res := n.Test(t.Context())
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("results = %+v", res)
	}
	if got := srv.requests(); len(got) != 1 || !strings.Contains(got[0].Body, "test message from icloudmon") {
		t.Fatalf("requests = %+v", got)
	}

	// Without the test CA the same URL fails: TLS is verified.
	n2, _ := newNotifier(t, Options{URLs: []string{"generic+https://" + srv.hostPort() + "/hook"}})
	if res := n2.Test(t.Context()); res[0].Err == nil {
		t.Fatal("a server with an unknown CA was accepted")
	}
}

func TestJSONWebhookCarriesTypedReasons(t *testing.T) {
	hook := newFake(t, true, http.StatusNoContent, "")
	n, _ := newNotifier(t, Options{WebhookURL: hook.URL + "/events", HTTPClient: hook.Client(), BaseURL: "https://nas.example"})
	a := one(checks.CheckLocalCopy, checks.StatusWarning)
	if _, err := n.Notify(t.Context(), rep(a)); err != nil {
		t.Fatal(err)
	}
	reqs := hook.requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("requests = %+v", reqs)
	}
	var ev Event
	if err := json.Unmarshal([]byte(reqs[0].Body), &ev); err != nil {
		t.Fatal(err)
	}
	want := Event{
		Type: "alert", Account: "alice", Status: "warning", Title: "icloudmon alice: WARNING, local copy",
		Link: "https://nas.example/#alice", Time: t0,
		Reasons: []Reason{{
			Account: "alice", Check: "local_copy", Kind: KindChanged, To: "warning",
			Summary: "local_copy is warning", Remediation: "fix local_copy on the iPhone",
			Link: "https://nas.example/#alice", Time: t0,
		}},
	}
	if diff := cmp.Diff(want, ev, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Message" }, cmp.Ignore())); diff != "" {
		t.Fatalf("event (-want +got):\n%s", diff)
	}
	if !strings.Contains(reqs[0].Body, `"kind":"changed"`) || strings.Contains(reqs[0].Body, `"deadline"`) {
		t.Errorf("event JSON: %s", reqs[0].Body)
	}
}

func TestFailingTargetDoesNotBlockOthers(t *testing.T) {
	slow := newFake(t, false, http.StatusOK, "{}")
	slow.delay = 10 * time.Second
	broken := newFake(t, false, http.StatusInternalServerError, `{"error":"down"}`)
	good := newFake(t, false, http.StatusOK, "{}")
	n, _ := newNotifier(t, Options{
		URLs: []string{
			"ntfy://" + slow.hostPort() + "/slow?scheme=http",
			"ntfy://" + broken.hostPort() + "/broken?scheme=http",
			"ntfy://" + good.hostPort() + "/good?scheme=http",
		},
		WebhookURL: broken.URL + "/hook",
		Timeout:    300 * time.Millisecond,
	})
	start := time.Now()
	results, err := n.Notify(t.Context(), rep(one(checks.CheckStorage, checks.StatusCritical)))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a slow target held the cycle for %v", took)
	}
	var outcomes []string
	for _, r := range results {
		outcomes = append(outcomes, r.Target+"="+r.Outcome())
	}
	want := []string{"ntfy#1=failure", "ntfy#2=failure", "ntfy#3=success", "webhook=failure"}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if len(good.requests()) != 1 {
		t.Errorf("the good target got %d requests", len(good.requests()))
	}
	if !strings.Contains(results[3].Err.Error(), "500") {
		t.Errorf("webhook error %q does not name the status", results[3].Err)
	}
}

func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	// A closed port: every send fails with an error that, unscrubbed,
	// would contain the URL.
	dead := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(dead.URL, "http://")
	dead.Close()
	secrets := []string{"topsecret-topic-4711", "hunter2pass", "hc-uuid-0badcafe", "kumatoken99", "hooksecret77"}
	n, logs := newNotifier(t, Options{
		URLs: []string{
			"ntfy://admin:hunter2pass@" + addr + "/topsecret-topic-4711?scheme=http",
			"generic+http://" + addr + "/api/hooksecret77",
		},
		WebhookURL:      "http://" + addr + "/hooksecret77",
		HealthchecksURL: "http://" + addr + "/hc-uuid-0badcafe",
		UptimeKumaURL:   "http://" + addr + "/api/push/kumatoken99?status=up&msg=OK&ping=",
		Timeout:         2 * time.Second,
	})
	var all []Result
	c, res := n.Start(t.Context(), "")
	all = append(all, res...)
	res, _ = c.Done(t.Context(), rep(one(checks.CheckAuth, checks.StatusCritical)))
	all = append(all, res...)
	all = append(all, n.Test(t.Context())...)
	if len(all) != 1+3+2+3+2 { // start; 3 targets + 2 pings; test of 3 targets + 2 pings
		t.Fatalf("got %d results, want 11", len(all))
	}
	var texts []string
	for _, r := range all {
		if r.Err == nil {
			t.Errorf("%s succeeded against a closed port", r.Target)
			continue
		}
		texts = append(texts, r.Err.Error())
		t.Logf("%s: %v", r.Target, r.Err)
	}
	texts = append(texts, logs.String())
	for _, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q leaked in %q", s, text)
			}
		}
	}
}

func TestNewRejectsBadSettingsWithoutEchoingThem(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"unknown service", Options{URLs: []string{"nosuch://secret-token-1234@host/x"}}, "notify.urls #1"},
		{"bad ntfy", Options{URLs: []string{"ntfy://secret-token-1234@"}}, "notify.urls #1"},
		{"webhook scheme", Options{WebhookURL: "ftp://secret-token-1234/x"}, "notify.webhook_url"},
		{"healthchecks", Options{HealthchecksURL: "hc-ping.com/secret-token-1234"}, "notify.healthchecks_url"},
		{"kuma", Options{UptimeKumaURL: "::secret-token-1234"}, "notify.uptime_kuma_url"},
		{"quiet hours", Options{QuietHours: "22:00"}, "notify.quiet_hours"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(newMemKV(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err = %v, want it to name %s", tc.name, err, tc.want)
				return
			}
			if strings.Contains(err.Error(), "secret-token-1234") {
				t.Errorf("%s: error echoes the secret: %v", tc.name, err)
			}
		})
	}
}

func TestTestReportsEveryTarget(t *testing.T) {
	ntfy := newFake(t, false, http.StatusOK, "{}")
	hook := newFake(t, false, http.StatusOK, "")
	hc := newFake(t, false, http.StatusOK, "OK")
	kuma := newFake(t, false, http.StatusNotFound, `{"ok":false,"msg":"Monitor not found or not active."}`)
	n, _ := newNotifier(t, Options{
		URLs:            []string{"ntfy://" + ntfy.hostPort() + "/t?scheme=http"},
		WebhookURL:      hook.URL + "/hook",
		HealthchecksURL: hc.URL + "/uuid",
		UptimeKumaURL:   kuma.URL + "/api/push/tok",
	})
	if diff := cmp.Diff([]string{"ntfy#1", "webhook", "healthchecks", "uptime_kuma"}, n.Targets()); diff != "" {
		t.Errorf("Targets (-want +got):\n%s", diff)
	}
	results := n.Test(t.Context())
	var outcomes []string
	for _, r := range results {
		outcomes = append(outcomes, r.Notifier+"/"+r.Target+"="+r.Outcome())
	}
	want := []string{"ntfy/ntfy#1=success", "webhook/webhook=success", "healthchecks/healthchecks=success", "uptime_kuma/uptime_kuma=failure"}
	if diff := cmp.Diff(want, outcomes); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if got := ntfy.requests()[0].Header.Get("Title"); got != "icloudmon: test message" {
		t.Errorf("ntfy title = %q", got)
	}
	if got := hc.requests()[0].Path; got != "/uuid/log" {
		t.Errorf("healthchecks test path = %q, want /uuid/log (does not change the check's state)", got)
	}
	var ev Event
	if err := json.Unmarshal([]byte(hook.requests()[0].Body), &ev); err != nil || ev.Type != "test" || ev.Reasons[0].Kind != KindTest {
		t.Errorf("webhook test event = %+v, %v", ev, err)
	}
}

func TestServicesWithoutTitleGetItInTheText(t *testing.T) {
	chat := newFake(t, true, http.StatusOK, "{}")
	plain := newFake(t, false, http.StatusOK, "")
	ntfy := newFake(t, false, http.StatusOK, "{}")
	n, _ := newNotifier(t, Options{
		URLs: []string{
			"googlechat://" + chat.hostPort() + "/v1/spaces/AAA/messages?key=k1&token=t1",
			"generic+http://" + plain.hostPort() + "/plain",
			"ntfy://" + ntfy.hostPort() + "/topic?scheme=http&title=Family+backup",
		},
		HTTPClient: chat.Client(),
	})
	results, err := n.Notify(t.Context(), rep(one(checks.CheckFolder, checks.StatusCritical)))
	if err != nil || len(results) != 3 || results[0].Err != nil || results[1].Err != nil || results[2].Err != nil {
		t.Fatalf("results = %+v, %v", results, err)
	}
	var payload struct{ Text string }
	if err := json.Unmarshal([]byte(chat.requests()[0].Body), &payload); err != nil {
		t.Fatal(err)
	}
	const title = "icloudmon alice: CRITICAL, photo folder\n\n[CRITICAL] Photo folder: folder is critical"
	if !strings.HasPrefix(payload.Text, title) {
		t.Errorf("google chat text = %q, want the title first", payload.Text)
	}
	for _, r := range append(plain.requests(), ntfy.requests()...) {
		if !strings.HasPrefix(r.Body, title) {
			t.Errorf("%s body = %q, want the title first", r.Path, r.Body)
		}
		if r.Path == "/topic" && r.Header.Get("Title") != "Family backup" {
			t.Errorf("ntfy title = %q, want the user's own", r.Header.Get("Title"))
		}
	}
}

// TestSimulatedDaysThroughFakeServers runs three and a half days of hourly cycles
// through a fake ntfy and a JSON webhook: the servers see one message per
// real change, the reminders, the final-day reminder and nothing else.
func TestSimulatedDaysThroughFakeServers(t *testing.T) {
	ntfy := newFake(t, false, http.StatusOK, "{}")
	hook := newFake(t, false, http.StatusOK, "")
	now := t0
	kv := newMemKV()
	opts := Options{
		URLs:        []string{"ntfy://" + ntfy.hostPort() + "/family?scheme=http"},
		WebhookURL:  hook.URL + "/events",
		RemindEvery: 24 * time.Hour,
		Now:         func() time.Time { return now },
		Location:    time.UTC,
		Logger:      slog.New(slog.DiscardHandler),
	}
	n, err := New(kv, opts)
	if err != nil {
		t.Fatal(err)
	}
	expiry := t0.Add(3*24*time.Hour + 12*time.Hour)
	for h := range 84 { // until the session expires
		now = t0.Add(time.Duration(h) * time.Hour)
		if h == 50 { // the agent restarts
			if n, err = New(kv, opts); err != nil {
				t.Fatal(err)
			}
		}
		a := acct{name: "alice", session: expiry, statuses: map[checks.CheckID]checks.Status{}}
		if h >= 2 && h < 30 {
			a.statuses[checks.CheckLocalCopy] = checks.StatusWarning
		}
		if now.After(expiry.Add(-7 * 24 * time.Hour)) {
			a.statuses[checks.CheckSessionExpiry] = checks.StatusWarning
		}
		if _, err := n.Notify(t.Context(), rep(a)); err != nil {
			t.Fatal(err)
		}
	}
	var events []string
	for _, r := range hook.requests() {
		var ev Event
		if err := json.Unmarshal([]byte(r.Body), &ev); err != nil {
			t.Fatal(err)
		}
		line := ev.Time.Sub(t0).String()
		for _, rs := range ev.Reasons {
			line += " " + string(rs.Kind) + ":" + rs.Check
		}
		events = append(events, line)
	}
	want := []string{
		"0s changed:session_expiry",
		"2h0m0s changed:local_copy",
		"24h0m0s reminder:session_expiry",
		"26h0m0s reminder:local_copy",
		"30h0m0s resolved:local_copy",
		"48h0m0s reminder:session_expiry",
		"60h0m0s final_reminder:session_expiry",
	}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Fatalf("webhook events (-want +got):\n%s", diff)
	}
	if got := len(ntfy.requests()); got != len(want) {
		t.Errorf("ntfy got %d messages, want %d", got, len(want))
	}
}

func TestConcurrentAccountCyclesShareTargets(t *testing.T) {
	ntfy := newFake(t, false, http.StatusOK, "{}")
	n, _ := newNotifier(t, Options{URLs: []string{"ntfy://" + ntfy.hostPort() + "/t?scheme=http"}})
	var wg sync.WaitGroup
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := acct{name: name, statuses: map[checks.CheckID]checks.Status{checks.CheckStorage: checks.StatusWarning}}
			if _, err := n.Notify(t.Context(), rep(a)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	titles := map[string]bool{}
	for _, r := range ntfy.requests() {
		if v := r.Header.Values("Title"); len(v) != 1 {
			t.Errorf("Title headers = %q, want exactly one", v)
		}
		titles[r.Header.Get("Title")] = true
	}
	if len(titles) != 4 || !titles["icloudmon carol: WARNING, iCloud storage"] {
		t.Fatalf("titles = %v, want one per account", titles)
	}
}

func TestTLSVerificationCannotBeSwitchedOffInTheURL(t *testing.T) {
	for _, u := range []string{
		"ntfy://ntfy.example/t?disabletlsverification=yes",
		"gotify://gotify.example/Atoken?InsecureSkipVerify=true",
		"smtp://u:p@mail.example:587/?to=a@example.com&skiptlsverify=1",
	} {
		_, err := New(newMemKV(), Options{URLs: []string{u}})
		if err == nil || !strings.Contains(err.Error(), "tls.ca_file") {
			t.Errorf("%s: err = %v, want a refusal", u, err)
		}
	}
	if _, err := New(newMemKV(), Options{URLs: []string{"ntfy://ntfy.example/t?disabletlsverification=no"}}); err != nil {
		t.Errorf("an explicit no was refused: %v", err)
	}
	// Even if a service did turn it off internally, the injected client
	// (which verifies) replaces its own.
	srv := newFake(t, true, http.StatusOK, "{}")
	n, _ := newNotifier(t, Options{URLs: []string{"ntfy://" + srv.hostPort() + "/t"}})
	res := n.Test(t.Context())
	if len(res) != 1 || res[0].Err == nil {
		t.Fatalf("a server with an unknown CA was accepted: %+v", res)
	}
	if len(srv.requests()) != 0 {
		t.Fatal("the message reached a server whose certificate was not verified")
	}
}

func TestCommonServiceURLsAreAccepted(t *testing.T) {
	urls := []string{
		"ntfy://ntfy.sh/family-photos",
		"gotify://gotify.example/AbCdEf123",
		"telegram://123456:ABC-token@telegram?chats=@family",
		"discord://token@123456789",
		"slack://hook:T00000000-B00000000-XXXXXXXXXXXXXXXXXXXXXXXX@webhook",
		"pushover://shoutrrr:apitoken@userkey/",
		"matrix://user:password@matrix.example/?rooms=!room:matrix.example",
		"smtp://user:pass@mail.example:587/?from=icloudmon@example.com&to=me@example.com",
		"generic+https://hooks.example/icloudmon",
	}
	n, err := New(newMemKV(), Options{URLs: urls})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ntfy#1", "gotify#2", "telegram#3", "discord#4", "slack#5", "pushover#6", "matrix#7", "smtp#8", "generic#9"}
	if diff := cmp.Diff(want, n.Targets()); diff != "" {
		t.Fatalf("targets (-want +got):\n%s", diff)
	}
}
