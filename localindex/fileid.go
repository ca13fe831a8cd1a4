package localindex

import (
	"os"
	"path/filepath"
)

// fileID identifies a directory (device and inode) for loop detection.
type fileID struct{ dev, ino uint64 }

// lstatIn returns a statFunc using os.Lstat on paths inside dir.
func lstatIn(dir string) statFunc {
	return func(name string) (int64, int64, error) {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			return 0, 0, err
		}
		return fi.Size(), fi.ModTime().UnixNano(), nil
	}
}
