package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/icloudmon/icloudmon/agent"
	"github.com/icloudmon/icloudmon/configs"
	"github.com/icloudmon/icloudmon/store"
)

func TestCorruptDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := configs.Default()
	cfg.DataDir = dir
	path := filepath.Join(dir, store.FileName)
	garbage := []byte(strings.Repeat("not a database ", 500))
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(&cfg); err == nil {
		t.Fatal("openStore accepted a corrupt file")
	}
	if got, _ := os.ReadFile(path); string(got) != string(garbage) {
		t.Fatal("openStore changed the corrupt file; one-shot commands must leave it alone")
	}
	db, err := openStoreRepairing(&cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("the daemon could not start over: %v", err)
	}
	defer db.Close()
	moved, _ := filepath.Glob(path + ".corrupt-*")
	if len(moved) != 1 {
		t.Fatalf("corrupt file not kept aside: %v", moved)
	}
	if got, _ := os.ReadFile(moved[0]); string(got) != string(garbage) {
		t.Error("the file kept aside is not the corrupt original")
	}
}

func TestCloudLibraries(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"personal", "hidden"}, []string{"personal"}},
		{[]string{"hidden"}, []string{"personal"}},
		{[]string{"all"}, []string{"all"}},
		{[]string{"shared", "personal"}, []string{"shared", "personal"}},
	} {
		t.Run(strings.Join(c.in, ","), func(t *testing.T) {
			if got := cloudLibraries(c.in); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("cloudLibraries(%v) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

// TestFolderLayoutReachesTheAgent: what the layout table says about a
// folder's importer is what the agent's folder carries, for the matcher
// and the remediation texts.
func TestFolderLayoutReachesTheAgent(t *testing.T) {
	cfg := configs.Default()
	cfg.DataDir = t.TempDir()
	acct := configs.DefaultAccount()
	acct.Name, acct.AppleID = "alice", "alice@example.com"
	for _, l := range []string{configs.LayoutAuto, configs.LayoutImmich, configs.LayoutOSXPhotos, configs.LayoutICloudPD} {
		f := configs.DefaultFolder()
		f.Name, f.Path, f.Layout = l, "/photos/"+l, l
		acct.Folders = append(acct.Folders, f)
	}
	rt := &app{cfg: &cfg, log: slog.New(slog.DiscardHandler)}
	got, err := rt.account(acct, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		importer string
		renames  bool
		hint     bool
	}{{"", false, false}, {"immich", true, true}, {"mac", false, false}, {"icloudpd", false, false}}
	for i, w := range want {
		f, ok := got.Folders[i].(*agent.Folder)
		if !ok {
			t.Fatalf("folder %d is a %T", i, got.Folders[i])
		}
		if f.Importer != w.importer || f.RenamesFiles != w.renames || (f.ImporterHint != "") != w.hint {
			t.Errorf("folder %s: importer %q, renames %v, hint %q; want %q, %v, hint %v",
				f.Name, f.Importer, f.RenamesFiles, f.ImporterHint, w.importer, w.renames, w.hint)
		}
	}
	acct.Folders[0].Layout = "lightroom"
	if _, err := rt.account(acct, nil, false); err == nil || !strings.Contains(err.Error(), `"lightroom"`) {
		t.Errorf("an unknown layout gives %v, want an error naming it", err)
	}
}
