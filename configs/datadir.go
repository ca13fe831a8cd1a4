package configs

import (
	"os"
	"path/filepath"
)

// containerMarkers are files a container runtime leaves (Docker's
// /.dockerenv, Podman's /run/.containerenv). configs imports no project
// package, so this repeats credstore.InContainer's test.
var containerMarkers = []string{"/.dockerenv", "/run/.containerenv"}

// inContainer reports whether icloudmon seems to run in a container;
// replaceable by tests.
var inContainer = func() bool {
	for _, m := range containerMarkers {
		if _, err := os.Stat(m); err == nil {
			return true
		}
	}
	entries, err := os.ReadDir("/run/secrets")
	return err == nil && len(entries) > 0
}

// defaultDataDir is data_dir when nothing sets it: /data in a container
// (the image's volume), and outside one a per-user directory, so that
// `icloudmon verify` run by root on a host does not create /data:
// $XDG_DATA_HOME/icloudmon, else $HOME/.local/share/icloudmon. "" when
// there is no home directory (validation then asks for data_dir).
func defaultDataDir() string {
	if inContainer() {
		return "/data"
	}
	if x := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "icloudmon")
	}
	if home, err := os.UserHomeDir(); err == nil && filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "share", "icloudmon")
	}
	return ""
}

// resolveDataDir replaces the built-in /data with defaultDataDir when
// neither the file, the environment nor a flag set data_dir.
func (l *loader) resolveDataDir(cfg *Config) {
	_, inFile := l.pos["data_dir"]
	_, byEnv := l.fromEnv["data_dir"]
	_, byFlag := l.fromFlag["data_dir"]
	if !inFile && !byEnv && !byFlag {
		cfg.DataDir = defaultDataDir()
	}
}
