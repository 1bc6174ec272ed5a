//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// redirectStderr points file descriptor 2 at f while the TUI owns the terminal, so a library
// that writes to stderr directly (client-go's klog, kubectl's warnings) cannot scribble over
// the screen. The returned func puts the terminal back.
func redirectStderr(f *os.File) (restore func()) {
	saved, err := unix.Dup(2)
	if err != nil {
		return func() {}
	}
	if err := unix.Dup2(int(f.Fd()), 2); err != nil {
		_ = unix.Close(saved)
		return func() {}
	}
	return func() {
		_ = unix.Dup2(saved, 2)
		_ = unix.Close(saved)
	}
}
