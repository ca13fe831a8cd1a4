package localindex

import (
	"io/fs"

	"golang.org/x/sys/unix"
)

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
