package outlets

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// alertingScenarios are the demo scenarios an agent runs under, with the
// alerts (name/severity) the shipped rules must fire for it: none for
// healthy.
var alertingScenarios = map[string][]string{
	"healthy": nil,
	"stalled": {"IcloudmonUploadsStalled/critical"},
	"reauth":  {"IcloudmonReauthRequired/critical"},
}

// forRE matches the "for:" durations of alerts.yml, shortened for a live
// run (the rules are unchanged otherwise).
var forRE = regexp.MustCompile(`(?m)^(\s+for:) \S+$`)

// A live Prometheus (Debian's prometheus) scraping three demo agents with
// configs/prometheus/alerts.yml sends the expected alerts to a live
// Alertmanager (prometheus-alertmanager): one per broken scenario, none
// for the healthy agent.
func TestPrometheusAndAlertmanagerFireForDemoScenarios(t *testing.T) {
	prom := need(t, "prometheus", "apt-get install prometheus")
	am := need(t, "prometheus-alertmanager", "apt-get install prometheus-alertmanager")
	dir := t.TempDir()
	bin := buildIcloudmon(t, dir)

	targets := map[string]string{} // instance → scenario
	for scenario := range alertingScenarios {
		port := freePort(t)
		out := start(t, dir, []string{"DBUS_SESSION_BUS_ADDRESS="}, bin, "demo", "--scenario", scenario,
			"--listen", addr(port), "--data-dir", filepath.Join(dir, "demo-"+scenario))
		waitHTTP(t, "http://"+addr(port)+"/healthz", 60*time.Second, out)
		targets[addr(port)] = scenario
	}

	amPort := freePort(t)
	amCfg := filepath.Join(dir, "alertmanager.yml")
	writeFile(t, amCfg, "route:\n  receiver: nobody\n  group_wait: 1s\nreceivers:\n  - name: nobody\n")
	amOut := start(t, dir, nil, am, "--config.file="+amCfg, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+addr(amPort), "--cluster.listen-address=")
	waitHTTP(t, "http://"+addr(amPort)+"/-/ready", 30*time.Second, amOut)

	rules, err := os.ReadFile(filepath.Join("..", "..", "configs", "prometheus", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "alerts.yml"), forRE.ReplaceAllString(string(rules), "$1 5s"))
	var tlist []string
	for a := range targets {
		tlist = append(tlist, `"`+a+`"`)
	}
	sort.Strings(tlist)
	promPort := freePort(t)
	writeFile(t, filepath.Join(dir, "prometheus.yml"), fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [alerts.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["%s"]}]
scrape_configs:
  - job_name: icloudmon
    static_configs: [{targets: [%s]}]
`, addr(amPort), strings.Join(tlist, ", ")))
	promOut := start(t, dir, nil, prom, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"), "--web.listen-address="+addr(promPort))
	waitHTTP(t, "http://"+addr(promPort)+"/-/ready", 30*time.Second, promOut)

	want := map[string]bool{}
	for instance, scenario := range targets {
		for _, a := range alertingScenarios[scenario] {
			want[instance+" "+a] = true
		}
	}
	// Wait until every expected alert reached Alertmanager, then give the
	// rules a little longer to show any unexpected one.
	deadline := time.Now().Add(90 * time.Second)
	var got map[string]bool
	for time.Now().Before(deadline) {
		got = amAlerts(t, addr(amPort))
		if containsAll(got, want) {
			break
		}
		time.Sleep(time.Second)
	}
	time.Sleep(8 * time.Second)
	got = amAlerts(t, addr(amPort))
	for k := range want {
		if !got[k] {
			t.Errorf("Alertmanager never received %s (scenario %s); it has %v", k, targets[strings.Fields(k)[0]], keys(got))
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("unexpected alert %s for scenario %s", k, targets[strings.Fields(k)[0]])
		}
	}
	t.Logf("alerts in Alertmanager: %v", keys(got))
}

// buildIcloudmon builds the binary under test.
func buildIcloudmon(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "icloudmon")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "../../cmd/icloudmon")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// amAlerts lists the active alerts in Alertmanager as "instance name/severity".
func amAlerts(t *testing.T, am string) map[string]bool {
	t.Helper()
	resp, err := http.Get("http://" + am + "/api/v2/alerts?active=true") //nolint:noctx // local test server
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var alerts []struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.Unmarshal(b, &alerts); err != nil {
		t.Fatalf("alertmanager answer %s: %v", b, err)
	}
	out := map[string]bool{}
	for _, a := range alerts {
		out[a.Labels["instance"]+" "+a.Labels["alertname"]+"/"+a.Labels["severity"]] = true
	}
	return out
}

func containsAll(got, want map[string]bool) bool {
	for k := range want {
		if !got[k] {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
