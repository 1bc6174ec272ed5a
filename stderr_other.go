//go:build !unix

package main

import "os"

// redirectStderr is a no-op where file descriptors cannot be swapped; klog is still sent to
// the log file.
func redirectStderr(*os.File) (restore func()) { return func() {} }
