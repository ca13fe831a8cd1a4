//go:build !linux

package localindex

import "os"

// withStatAt hands fn a statFunc based on os.Lstat.
func withStatAt(_ *os.File, dirPath string, fn func(statFunc)) {
	fn(lstatIn(dirPath))
}
