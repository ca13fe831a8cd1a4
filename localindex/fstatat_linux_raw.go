//go:build linux && (amd64 || arm64 || riscv64)

package localindex

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fstatatNUL lstats the entry named by the NUL-terminated bytes at name
// (a name inside a getdents64 answer) relative to the open directory fd.
// unix.Fstatat takes a string and copies it into a new NUL-terminated
// slice for every call; on a cold scan of a large folder that is one
// allocation per file for nothing, as the answer already holds the name
// with its NUL. On these 64-bit platforms the system call fills a
// unix.Stat_t directly, as unix.Fstatat does there (newfstatat on amd64,
// the same call named fstatat on arm64 and riscv64).
func fstatatNUL(fd int, name *byte, st *unix.Stat_t) error {
	_, _, e := syscall.Syscall6(sysFstatat, uintptr(fd), uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0) //nolint:gosec // pointers to a live buffer and a local, for the call only
	if e != 0 {
		return e
	}
	return nil
}

// statNUL stats the NUL-terminated path at name, following symlinks, as
// os.Stat does (fstatat relative to the working directory, no flags).
func statNUL(name *byte, st *unix.Stat_t) error {
	cwd := unix.AT_FDCWD
	_, _, e := syscall.Syscall6(sysFstatat, uintptr(cwd), uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(st)), 0, 0, 0) //nolint:gosec // pointers to a live buffer and a local, for the call only
	if e != 0 {
		return e
	}
	return nil
}
