package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		if got := cloudLibraries(c.in); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("cloudLibraries(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
