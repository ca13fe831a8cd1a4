package outlets

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/notify"
)

type gotifyMessage struct {
	Title    string `json:"title"`
	Message  string `json:"message"`
	Priority int    `json:"priority"`
	Date     string `json:"date"`
}

// A real Gotify server (gotify/server v2.6.3, built by .ci/run) receives
// the message of a failing cycle with a priority that rings the phone and
// the message of the resolving cycle with a silent one.
func TestGotifyReceivesFailingAndResolvingCycle(t *testing.T) {
	bin := need(t, "gotify-server", "run the gotify block of .ci/run (builds gotify/server v2.6.3 from the Go module proxy)")
	dir := t.TempDir()
	port := freePort(t)
	const adminPass = "ci-admin-pass"
	out := start(t, dir, []string{
		"GOTIFY_SERVER_PORT=" + itoa(port), "GOTIFY_SERVER_LISTENADDR=127.0.0.1",
		"GOTIFY_DATABASE_DIALECT=sqlite3", "GOTIFY_DATABASE_CONNECTION=" + filepath.Join(dir, "gotify.db"),
		"GOTIFY_DEFAULTUSER_NAME=admin", "GOTIFY_DEFAULTUSER_PASS=" + adminPass,
		"GOTIFY_UPLOADEDIMAGESDIR=" + filepath.Join(dir, "images"), "GOTIFY_PLUGINSDIR=" + filepath.Join(dir, "plugins"),
	}, bin)
	base := "http://" + addr(port)
	waitHTTP(t, base+"/health", 30*time.Second, out)

	// An application token, as a user creates one in the Gotify web UI.
	var app struct{ Token string }
	gotifyJSON(t, http.MethodPost, base+"/application", adminPass, `{"name":"icloudmon","description":"photo backup checks"}`, &app)
	if app.Token == "" {
		t.Fatal("Gotify returned no application token")
	}

	sendFailingThenResolving(t, dir, notify.Options{
		URLs:    []string{"gotify://" + addr(port) + "/" + app.Token + "?disabletls=yes"},
		BaseURL: "https://nas.example:9877",
	})

	var got struct{ Messages []gotifyMessage }
	gotifyJSON(t, http.MethodGet, base+"/message", adminPass, "", &got)
	if len(got.Messages) != 2 {
		t.Fatalf("Gotify holds %d messages, want 2 (failing, resolved): %+v", len(got.Messages), got.Messages)
	}
	resolved, failing := got.Messages[0], got.Messages[1] // newest first
	if failing.Title != "icloudmon alice: CRITICAL, local copy" || failing.Priority != 8 || !bytes.Contains([]byte(failing.Message), []byte("What to do:")) {
		t.Errorf("failing message as it arrived: %+v; want the CRITICAL title, priority 8 and what to do", failing)
	}
	if resolved.Title != "icloudmon alice: resolved, local copy" || resolved.Priority != 2 {
		t.Errorf("resolving message as it arrived: %+v; want the resolved title and priority 2", resolved)
	}
	b, _ := json.MarshalIndent(got.Messages, "", "  ")
	t.Logf("as stored by Gotify:\n%s", b)
	if os.Getenv("ICLOUDMON_OUTLETS_EVIDENCE") != "" {
		_ = os.WriteFile(filepath.Join(os.Getenv("ICLOUDMON_OUTLETS_EVIDENCE"), "gotify.json"), b, 0o600)
	}
}

// gotifyJSON calls the Gotify API as the admin user.
func gotifyJSON(t *testing.T, method, url, pass, body string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("admin", pass)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %s", method, url, resp.Status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: %v in %s", method, url, err, b)
	}
}
