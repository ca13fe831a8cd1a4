//go:build linux && (arm64 || riscv64)

package localindex

import "golang.org/x/sys/unix"

// The generic system call table of these platforms calls newfstatat
// "fstatat".
const sysFstatat = unix.SYS_FSTATAT
