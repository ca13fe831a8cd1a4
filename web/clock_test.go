package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/demo"
)

// demoAgent is the real agent over the demo's healthy library and folders,
// with clock as the NAS clock (Apple's is the real one).
func demoAgent(t *testing.T, clock func() time.Time) *agent.Agent {
	t.Helper()
	dir := t.TempDir()
	d, err := demo.Start(demo.Options{Scenario: "healthy", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	client, err := icloudapi.New(icloudapi.Options{AppleID: demo.AppleID, AuthURL: d.Server.AuthURL(),
		SetupURL: d.Server.SetupURL(), HomeURL: d.Server.HomeURL(), RootCAs: d.Server.CertPool(), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	cloud := &agent.ICloud{Account: demo.Account, Client: client, Sessions: &memSessions{}, DB: db, Now: clock,
		Password:  func(context.Context) (string, error) { return demo.Password, nil },
		Libraries: []string{"all"}, Newest: 50}
	var folders []agent.FolderSource
	for lib, path := range map[string]string{"personal": d.PhotosDir, "shared": d.SharedDir} {
		folders = append(folders, &agent.Folder{Name: lib, Path: path, Importer: "icloudpd", KV: db,
			Tolerance: 2 * time.Second, Libraries: []string{lib}})
	}
	a, err := agent.New(t.Context(), agent.Options{Accounts: []agent.Account{{Name: demo.Account, Cloud: cloud,
		Folders: folders, HiddenCovered: true}}, Policy: checks.DefaultPolicy(), DB: db, Interval: time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The status page tells people to fix the clock.
func TestStatusPageSaysTheNASClockIsOff(t *testing.T) {
	a := demoAgent(t, func() time.Time { return time.Now().Add(3 * 24 * time.Hour) })
	rep, err := a.RunCycle(t.Context(), demo.Account)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != checks.StatusOK {
		t.Fatalf("a healthy library with a NAS clock 3 days ahead is %s, want ok (ages on Apple's time):\n%+v", rep.Status, rep.Checks)
	}
	sched := &agent.Scheduler{Interval: time.Hour, Cycle: func(context.Context, string) {}}
	h, err := NewHandler(ServerOptions{Agent: a, Scheduler: sched, Gatherer: prometheus.NewRegistry(), WebToken: testToken})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "The NAS clock is 3 days ahead of Apple&#39;s: check NTP") {
		t.Errorf("status page (%d) does not say the NAS clock is 3 days ahead:\n%.3000s", rec.Code, rec.Body)
	}
}
