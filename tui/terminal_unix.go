//go:build unix

package tui

import (
	"io"
	"os"
	"syscall"

	"github.com/charmbracelet/x/term"
)

// ownTerminal gives a terminal command its own handle on the terminal: kubectl's stdin copy
// goroutine stays blocked in Read after the command ends, and on the shared stdin it would
// swallow the learner's next key (the first esc after exec -it, issue 13 item 10). A fresh,
// non-blocking /dev/tty is closed when the command ends, which wakes that Read for good.
// kubectl reads os.Stdin itself once it sees a terminal (StreamOptions.SetupTTY takes the
// std streams), so os.Stdin points at that handle while the command runs: only one terminal
// command runs at a time (the terminal is lent to it), and the player's own input reader
// keeps the *os.File it was given. Anything else (not a terminal, no /dev/tty) is used as
// it is.
func ownTerminal(in io.Reader) (io.Reader, func()) {
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return in, func() {}
	}
	fd, err := syscall.Open("/dev/tty", syscall.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return in, func() {}
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return in, func() {}
	}
	tty := os.NewFile(uintptr(fd), "/dev/tty") // non-blocking: Go's poller can wake its readers
	stdin := os.Stdin
	os.Stdin = tty
	return tty, func() {
		os.Stdin = stdin
		tty.Close()
	}
}
