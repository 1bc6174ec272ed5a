//go:build unix

package sandbox

import "syscall"

// statSys is a sandbox file's Sys(): on unix, interp's -O and -G tests assert it is a
// *syscall.Stat_t (they would panic on nil); its zero uid and gid say root owns everything
// in a container.
func statSys() any { return &syscall.Stat_t{} }
