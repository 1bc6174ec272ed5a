package noheapprof

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// TestHeapProfilingOff: importing the package leaves no heap profiling sampler running.
func TestHeapProfilingOff(t *testing.T) {
	if os.Getenv("NOHEAPPROF_PRINT") != "" {
		fmt.Printf("rate=%d\n", runtime.MemProfileRate)
		return
	}
	if strings.Contains(os.Getenv("GODEBUG"), "memprofilerate=") {
		t.Skip("GODEBUG sets memprofilerate")
	}
	if runtime.MemProfileRate != 0 {
		t.Fatalf("runtime.MemProfileRate = %d, want 0", runtime.MemProfileRate)
	}
}

// TestGODEBUGWins: a memprofilerate set through GODEBUG is kept.
func TestGODEBUGWins(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHeapProfilingOff$", "-test.v")
	cmd.Env = append(os.Environ(), "NOHEAPPROF_PRINT=1", "GODEBUG=memprofilerate=4096")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "rate=4096\n") {
		t.Fatalf("with GODEBUG=memprofilerate=4096 the test binary reports:\n%s", out)
	}
}
