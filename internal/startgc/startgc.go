// Package startgc slows Go's garbage collector down while kubetutor starts. Package
// initialisation (kubectl's schemes, glamour's highlighter) and the player's start (every
// lesson of the language decoded and checked) allocate some 20 MB that is nearly all garbage
// or kept for good; collecting it at the default pace cost about a fifth of the CPU before the
// first menu frame. The player returns the garbage to the system once it is quiet
// (main_memory.go). Its import path sorts early, so its init runs before most of the heavy
// ones. A GOGC the user set higher, or off, is left alone.
package startgc

import (
	"runtime/debug"
	"sync"
)

// Percent is the collector's pace (GOGC) until Restore.
const Percent = 400

var (
	prev    = -1
	raised  bool
	restore sync.Once
)

func init() {
	prev = debug.SetGCPercent(Percent)
	if prev < 0 || prev >= Percent {
		debug.SetGCPercent(prev)
		return
	}
	raised = true
}

// Restore puts back the pace the process started with; later calls do nothing.
func Restore() {
	restore.Do(func() {
		if raised {
			debug.SetGCPercent(prev)
		}
	})
}
