// Package noheapprof turns Go's heap profiling sampler off for the whole process, as early
// in its initialisation as an import of ours runs (its path sorts before the k8s.io
// packages, whose schemes allocate the most at start).
//
// Why: kubectl's command package links runtime/pprof for kubectl's --profile flag, and once
// it is linked the runtime samples an allocation every 512 KB on average and keeps each
// sampled call stack in profiling buckets that are never freed: 1.4 MB of a player's
// resident memory at the menu and in a lesson (BENCHMARKS.md, "RSS, fifth pass"), growing
// with every new call stack a long session samples. Nothing reads them: the player refuses
// kubectl's --profile (engine/kubectl.go: it would profile the whole program, not the
// command), and kubetutor has no profiling endpoint. Whoever wants heap profiles sets
// GODEBUG=memprofilerate=N, which is left alone.
package noheapprof

import (
	"os"
	"runtime"
	"strings"
)

func init() {
	if !strings.Contains(os.Getenv("GODEBUG"), "memprofilerate=") {
		runtime.MemProfileRate = 0
	}
}
