package agent

import (
	"sync"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/icloudapi"
	"github.com/icloudmon/icloudmon/internal/demo"
)

// TestStoredSnapshotIsReadWhileTheSessionIsValidated (issue 25): a repeat
// cycle reads the stored Photos snapshot while the validate request is in
// flight, not after it. The validate answer is held back (in the client's
// Observe hook) until the snapshot was read; reading it only after the
// sign-in would never release it.
func TestStoredSnapshotIsReadWhileTheSessionIsValidated(t *testing.T) {
	r := newRig(t, rigOptions{})
	if rep := r.cycle(); status(rep, checks.CheckAuth) != "ok" {
		t.Fatalf("first cycle: auth %s", status(rep, checks.CheckAuth))
	}
	r.build(rigOptions{}) // a new process: the session and snapshot come from the stores
	loaded := make(chan struct{})
	var once sync.Once
	r.cloud.snapshotLoaded = func() { once.Do(func() { close(loaded) }) }
	var mu sync.Mutex
	validated, early := 0, 0
	client, err := icloudapi.New(icloudapi.Options{
		AppleID: demo.AppleID, AuthURL: r.server.AuthURL(), SetupURL: r.server.SetupURL(), HomeURL: r.server.HomeURL(),
		RootCAs: r.server.CertPool(), Now: r.clock.Now, Timeout: 10 * time.Second,
		Observe: func(endpoint string, _ int) {
			if endpoint != "validate" {
				return
			}
			select {
			case <-loaded:
				mu.Lock()
				early++
				mu.Unlock()
			case <-time.After(3 * time.Second):
			}
			mu.Lock()
			validated++
			mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.cloud.Client = client
	rep := r.cycle()
	if status(rep, checks.CheckAuth) != "ok" {
		t.Fatalf("repeat cycle: auth %s", status(rep, checks.CheckAuth))
	}
	mu.Lock()
	defer mu.Unlock()
	if validated == 0 {
		t.Fatalf("the repeat cycle sent no validate request")
	}
	if early != validated {
		t.Errorf("the stored snapshot was read after the session was validated (%d of %d validate answers came first)", validated-early, validated)
	}
}
