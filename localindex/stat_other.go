//go:build !linux

package localindex

import "os"

// statFunc returns size and mtime (unix ns) of a name in the directory being
// listed, without following symlinks.
type statFunc func(name string) (size, mtime int64, err error)

// withStatAt hands fn a statFunc based on os.Lstat.
func withStatAt(_ *os.File, dirPath string, fn func(statFunc)) {
	fn(lstatIn(dirPath))
}
