package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/credstore"
	"github.com/icloudmon/icloudmon/localindex"
)

// TestVerifyScansTheFolderWhileBuilding (issue 25): verify's wiring starts
// scanning the first account's folders as soon as the store is open, so
// that the scan does not wait for the rest (the system's TLS roots, the
// clients); the cycle then matches against that scan.
func TestVerifyScansTheFolderWhileBuilding(t *testing.T) {
	root := t.TempDir()
	for _, rel := range []string{"2026/01/02/IMG_0001.JPG", "2026/01/03/IMG_0002.JPG"} {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("jpeg"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := configs.Default()
	cfg.DataDir = t.TempDir()
	acct := configs.DefaultAccount()
	acct.Name, acct.AppleID = "alice", "alice@example.com"
	f := configs.DefaultFolder()
	f.Name, f.Path = "photos", root
	acct.Folders = []configs.Folder{f}
	cfg.Accounts = []configs.Account{acct}
	rt, err := build(t.Context(), &cfg, slog.New(slog.DiscardHandler),
		buildOptions{noNotify: true, sessions: credstore.ModeFile, scanEarly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if rt.scanned == nil {
		t.Fatal("build started no scan")
	}
	select {
	case <-rt.scanned:
	case <-time.After(10 * time.Second):
		t.Fatal("the scan did not finish")
	}
	// Before any cycle, the folder's index is saved in the store.
	ix, err := localindex.Open(t.Context(), rt.db, root, localindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := ix.FileCount(); n != 2 {
		t.Errorf("the saved index holds %d files, want 2", n)
	}
}
