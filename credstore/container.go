package credstore

import (
	"os"
	"path/filepath"
)

// containerMarkers are files a container runtime leaves: Docker's
// /.dockerenv and Podman's /run/.containerenv.
var containerMarkers = []string{"/.dockerenv", "/run/.containerenv"}

// InContainer reports whether icloudmon seems to run in a container
// (Docker, Podman, or anything that mounted a secret under /run/secrets),
// so that messages can give the fix that works there: a Docker secret, not
// the OS keychain.
func InContainer() bool {
	for _, m := range containerMarkers {
		if _, err := os.Stat(m); err == nil {
			return true
		}
	}
	entries, err := os.ReadDir(filepath.Clean(dockerSecretsDir))
	return err == nil && len(entries) > 0
}

// PasswordHint is the way to store a password that works where icloudmon
// runs: a Docker secret in a container, the OS keychain elsewhere.
func PasswordHint(account string, inContainer bool) string {
	if inContainer {
		return "in a container, put the password in a Docker secret (a file holding only the password, mode 0600 or 0400) " +
			"and point password.file at it, e.g. /run/secrets/" + account + "_icloud"
	}
	return "store it in the OS keychain with `icloudmon password set --account " + account +
		"`, or in a file only you can read (chmod 600) named by password.file"
}
