//go:build !unix

package credstore

import "os"

// openNoBlock opens path for reading; the caller has checked that it is a
// regular file.
func openNoBlock(path string) (*os.File, error) {
	return os.Open(path)
}
