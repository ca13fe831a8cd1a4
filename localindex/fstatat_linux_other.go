//go:build linux && !(amd64 || arm64 || riscv64)

package localindex

import "golang.org/x/sys/unix"

// fstatatNUL lstats the entry named by the NUL-terminated bytes at name
// relative to the open directory fd. On these platforms unix.Fstatat picks
// the right system call (fstatat64 on 32-bit ones, statx on loong64) and
// converts the result.
func fstatatNUL(fd int, name *byte, st *unix.Stat_t) error {
	return unix.Fstatat(fd, unix.BytePtrToString(name), st, unix.AT_SYMLINK_NOFOLLOW)
}

// statNUL stats the NUL-terminated path at name, following symlinks.
func statNUL(name *byte, st *unix.Stat_t) error {
	return unix.Stat(unix.BytePtrToString(name), st)
}
