//go:build unix

package credstore

import (
	"os"
	"syscall"
)

// openNoBlock opens path for reading without blocking: a named pipe with
// no writer would otherwise hang the open (and `icloudmon verify`).
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
