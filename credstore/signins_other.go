//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package credstore

import (
	"errors"
	"os"
	"runtime"
)

// tryLock fails: without a lock shared between processes, sign-ins could
// overlap, so they are refused rather than risked.
func tryLock(*os.File) (bool, error) {
	return false, errors.New("no file lock shared between processes on " + runtime.GOOS + "; automatic sign-in is not supported here")
}

func unlockFile(*os.File) {}
