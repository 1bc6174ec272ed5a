//go:build !unix

package tui

import "io"

// ownTerminal uses the terminal as it is where /dev/tty does not exist.
func ownTerminal(in io.Reader) (io.Reader, func()) { return in, func() {} }
