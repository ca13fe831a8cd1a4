package agent

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/icloudmon/icloudmon/checks"
	"github.com/icloudmon/icloudmon/internal/demo"
	"github.com/icloudmon/icloudmon/internal/fakeicloud"
)

// readPaths are the only paths a cycle may reach: sign-in (SRP, session
// validation and replay) and the Photos reads. Logout, 2FA code delivery,
// and every CloudKit write are absent.
var allowedPaths = map[string]bool{
	"/appleauth/auth/authorize/signin": true,
	"/appleauth/auth/signin/init":      true,
	"/appleauth/auth/signin/complete":  true,
	"/appleauth/auth/repair/complete":  true,
	"/appleauth/auth":                  true, // GET: the 2FA options page, read only
	"/setup/ws/1/accountLogin":         true,
	"/setup/ws/1/validate":             true,
	"/setup/ws/1/storageUsageInfo":     true,
}

var allowedCloudKitOps = []string{"/zones/list", "/changes/database", "/changes/zone", "/records/query", "/internal/records/query/batch"}

func pathAllowed(p string) bool {
	if allowedPaths[p] {
		return true
	}
	if !strings.HasPrefix(p, "/database/1/com.apple.photos.cloud/production/") {
		return false
	}
	for _, op := range allowedCloudKitOps {
		if strings.HasSuffix(p, op) {
			return true
		}
	}
	return false
}

// assertReadOnly fails when the fake saw a mutating or non-read request.
func assertReadOnly(t *testing.T, r *rig) {
	t.Helper()
	if m := r.photos.Mutations(); len(m) != 0 {
		t.Errorf("the fake recorded %d mutating CloudKit requests: %+v", len(m), m)
	}
	for _, req := range r.server.Requests() {
		if !pathAllowed(req.Path) || req.Status == 403 {
			t.Errorf("a cycle sent %s %s (status %d): not a read path", req.Method, req.Path, req.Status)
		}
	}
}

// TestCyclesAreReadOnlyInEveryScenario runs several cycles per demo
// scenario — including a web session expiry and a full session loss in
// between, so that every sign-in path is taken — and checks that the fake
// saw nothing but reads.
func TestCyclesAreReadOnlyInEveryScenario(t *testing.T) {
	for _, scenario := range demo.Scenarios {
		t.Run(scenario, func(t *testing.T) {
			r := newRig(t, rigOptions{scenario: scenario, audit: auditOptions()})
			r.cycle()
			r.clock.Advance(10 * time.Minute)
			r.server.ExpireWebSessions()
			r.cycle()
			r.clock.Advance(10 * time.Minute)
			r.server.ExpireSessionTokens()
			r.cycle()
			r.clock.Advance(10 * time.Minute)
			r.build(rigOptions{audit: auditOptions()}) // a restart: the session comes from the store
			r.cycle()
			if r.requests() == 0 {
				t.Fatal("the fake saw no request at all")
			}
			// reauth never gets past the sign-in; every other scenario reads
			// the whole library too.
			if scenario != "reauth" && !slices.ContainsFunc(r.server.Requests(), func(q fakeicloud.Request) bool { return strings.HasSuffix(q.Path, "/changes/zone") }) {
				t.Fatal("the whole-library audit sent no changes/zone request: its reads are not covered")
			}
			assertReadOnly(t, r)
		})
	}
}

// fileState is what a write, create, delete, rename or chmod would change.
type fileState struct {
	Mode  fs.FileMode
	Size  int64
	Mtime time.Time
	Ctime time.Time
}

func snapshotTree(t *testing.T, root string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fileState{Mode: fi.Mode(), Size: fi.Size(), Mtime: fi.ModTime()}
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			st.Ctime = time.Unix(sys.Ctim.Sec, sys.Ctim.Nsec)
		}
		out[p] = st
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// chmodTree removes (or restores) write permission on the whole folder.
func chmodTree(t *testing.T, root string, writable bool) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o444)
		if d.IsDir() {
			mode = 0o555
		}
		if writable {
			mode |= 0o200
		}
		return os.Chmod(p, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFolderReadOnly runs cycles on a folder without write permission. Tests
// may run as root, which ignores permissions, so the test also proves that
// nothing in the folder was created, removed, written or re-moded: every
// entry keeps its size, mtime, mode and ctime.
func TestFolderReadOnly(t *testing.T) {
	r := newRig(t, rigOptions{})
	chmodTree(t, r.photoDir, false)
	t.Cleanup(func() { chmodTree(t, r.photoDir, true) })
	if os.Geteuid() == 0 {
		t.Log("running as root: permissions are not enforced; relying on the unchanged-tree assertion")
	}
	before := snapshotTree(t, r.photoDir)
	time.Sleep(20 * time.Millisecond) // a write now would get a later ctime
	r.folder.FullScan = true
	for range 3 {
		rep := r.cycle()
		for _, id := range []checks.CheckID{checks.CheckFolder, checks.CheckLocalCopy, checks.CheckAuth} {
			if got := status(rep, id); got != "ok" {
				c, _ := rep.Check(id)
				t.Errorf("%s on a read-only folder is %s (%s), want ok", id, got, c.Summary)
			}
		}
		r.clock.Advance(10 * time.Minute)
	}
	if diff := cmp.Diff(before, snapshotTree(t, r.photoDir)); diff != "" {
		t.Errorf("cycles changed the photo folder (-before +after):\n%s", diff)
	}
	assertReadOnly(t, r)
}
