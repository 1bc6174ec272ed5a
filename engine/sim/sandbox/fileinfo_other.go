//go:build !unix

package sandbox

// statSys is a sandbox file's Sys(): elsewhere (Windows, for the release builds) interp reads
// no Stat_t, and syscall has none.
func statSys() any { return nil }
