package startgc

import (
	"os"
	"runtime/debug"
	"strconv"
	"testing"
)

func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestRaisedUntilRestore: from package initialisation the collector runs at Percent; Restore
// puts back the process's own pace once, and later calls change nothing.
func TestRaisedUntilRestore(t *testing.T) {
	own := 100
	if v := os.Getenv("GOGC"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n >= Percent {
			t.Fatalf("run this test without GOGC or with GOGC below %d (it is %q)", Percent, v)
		}
		own = n
	}
	if got := gcPercent(); got != Percent {
		t.Fatalf("GC percent after init = %d, want %d", got, Percent)
	}
	Restore()
	if got := gcPercent(); got != own {
		t.Fatalf("GC percent after Restore = %d, want the process's own %d", got, own)
	}
	debug.SetGCPercent(own + 7)
	Restore()
	if got := gcPercent(); got != own+7 {
		t.Fatalf("a second Restore changed the GC percent to %d", got)
	}
	debug.SetGCPercent(own)
}
