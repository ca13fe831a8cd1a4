package localindex

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// statFunc returns size and mtime (unix ns) of a name in the directory being
// listed, without following symlinks.
type statFunc func(name string) (size, mtime int64, err error)

// withStatAt hands fn a statFunc that uses fstatat on the open directory, so
// the kernel does not walk the whole path again for each of its files.
func withStatAt(dir *os.File, dirPath string, fn func(statFunc)) {
	rc, err := dir.SyscallConn()
	if err != nil {
		fn(lstatIn(dirPath))
		return
	}
	cerr := rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		fn(func(name string) (int64, int64, error) {
			if err := unix.Fstatat(int(fd), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return 0, 0, &os.PathError{Op: "stat", Path: filepath.Join(dirPath, name), Err: err}
			}
			return st.Size, st.Mtim.Sec*1e9 + st.Mtim.Nsec, nil
		})
	})
	if cerr != nil {
		fn(lstatIn(dirPath))
	}
}
