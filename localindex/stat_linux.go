package localindex

import (
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

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
		fn(func(name string) (entryStat, error) {
			if err := unix.Fstatat(int(fd), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return entryStat{}, &os.PathError{Op: "stat", Path: filepath.Join(dirPath, name), Err: err}
			}
			return entryStat{size: st.Size, mtime: int64(st.Mtim.Sec)*1e9 + int64(st.Mtim.Nsec), mode: modeType(st.Mode)}, nil
		})
	})
	if cerr != nil {
		fn(lstatIn(dirPath))
	}
}

// modeType maps the file type bits of st_mode to fs.FileMode.
func modeType(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFREG:
		return 0
	}
	return fs.ModeIrregular
}
