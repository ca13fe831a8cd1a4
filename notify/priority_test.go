package notify

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/checks"
)

// toFake sends every request to the fake server, whatever host the service
// hard-codes (api.pushover.net, api.telegram.org).
type toFake struct{ fake *url.URL }

func (t toFake) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = t.fake.Scheme, t.fake.Host
	return http.DefaultTransport.RoundTrip(r)
}

// Issue 22 item 3: each push service gets its own priority from the
// message's severity: a critical change wakes the phone, a resolved one
// does not; Gotify no longer gets shoutrrr's default 0 (no notification at
// all on Android).
func TestPriorityPerService(t *testing.T) {
	type sent struct{ gotify, pushover, telegram string }
	for _, tc := range []struct {
		name string
		to   checks.Status
		want sent
	}{
		{"critical", checks.StatusCritical, sent{gotify: "8", pushover: "1", telegram: "false"}},
		{"warning", checks.StatusWarning, sent{gotify: "5", pushover: "", telegram: "false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPriorities(t, []checks.Report{rep(one(checks.CheckAuth, tc.to))}, tc.want.gotify, tc.want.pushover, tc.want.telegram)
		})
	}
	t.Run("resolved", func(t *testing.T) {
		checkPriorities(t, []checks.Report{rep(one(checks.CheckAuth, checks.StatusWarning)), rep(one(checks.CheckAuth, checks.StatusOK))},
			"2", "-1", "true")
	})
}

// checkPriorities runs the reports as cycles and checks the priority that
// the last message carried to each service.
func checkPriorities(t *testing.T, reports []checks.Report, gotify, pushover, telegramSilent string) {
	t.Helper()
	srv := newFake(t, false, http.StatusOK, `{"ok":true,"status":1,"result":{}}`)
	fake, _ := url.Parse(srv.URL)
	n, _ := newNotifier(t, Options{
		URLs: []string{
			"gotify://" + srv.hostPort() + "/AbCdEfGhIjKlMnO?disabletls=yes",
			"pushover://shoutrrr:apitokenapitokenapitokenapi@userkeyuserkeyuserkeyuserke/",
			"telegram://123456:ABC-token@telegram?chats=@family",
		},
		HTTPClient: &http.Client{Transport: toFake{fake}},
	})
	for _, r := range reports {
		if _, err := n.Notify(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	var gotG, gotP, gotT string
	seenG, seenP, seenT := false, false, false
	for _, r := range srv.requests() {
		switch {
		case r.Path == "/message":
			var body struct {
				Priority json.Number `json:"priority"`
			}
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
				t.Fatalf("gotify body %q: %v", r.Body, err)
			}
			gotG, seenG = body.Priority.String(), true
		case strings.Contains(r.Path, "messages.json"):
			q, _ := url.ParseQuery(r.Body)
			gotP, seenP = q.Get("priority"), true
			if !q.Has("priority") {
				gotP = ""
			} else if gotP == "0" {
				gotP = "" // the service default
			}
		case strings.Contains(r.Path, "sendMessage"):
			var body struct {
				Silent bool `json:"disable_notification"`
			}
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
				t.Fatalf("telegram body %q: %v", r.Body, err)
			}
			gotT, seenT = map[bool]string{true: "true", false: "false"}[body.Silent], true
		}
	}
	if !seenG || !seenP || !seenT {
		t.Fatalf("not every service was reached (gotify %v, pushover %v, telegram %v): %+v", seenG, seenP, seenT, srv.requests())
	}
	if gotG != gotify || gotP != pushover || gotT != telegramSilent {
		t.Errorf("gotify priority %q, pushover priority %q, telegram silent %q; want %q, %q, %q",
			gotG, gotP, gotT, gotify, pushover, telegramSilent)
	}
}

// A priority the user wrote into the URL wins over the severity's.
func TestPriorityInTheURLWins(t *testing.T) {
	srv := newFake(t, false, http.StatusOK, `{}`)
	n, _ := newNotifier(t, Options{URLs: []string{"gotify://" + srv.hostPort() + "/AbCdEfGhIjKlMnO?disabletls=yes&priority=3"}})
	if _, err := n.Notify(t.Context(), rep(one(checks.CheckAuth, checks.StatusCritical))); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 1 || !strings.Contains(strings.ReplaceAll(reqs[0].Body, " ", ""), `"priority":3`) {
		t.Fatalf("gotify requests %+v, want one with the URL's priority 3", reqs)
	}
}
