package main

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestClassroomGCPace: the classroom collects at its own pace under a memory limit sized by
// --max-students, unless the user set GOGC or GOMEMLIMIT.
func TestClassroomGCPace(t *testing.T) {
	prevGC, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(prevGC); debug.SetMemoryLimit(prevLimit) })
	gcPercent := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }

	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Setenv(k, v) // restored after the test
			os.Unsetenv(k)
		}
	}
	debug.SetGCPercent(100)
	classroomGC(60)
	if got := gcPercent(); got != classroomGCPercent {
		t.Errorf("GC percent = %d, want %d", got, classroomGCPercent)
	}
	if got, want := debug.SetMemoryLimit(-1), int64(256+60*15)<<20; got != want {
		t.Errorf("memory limit = %d, want %d (15 MB a seat and 256 MB)", got, want)
	}

	// The user's own settings stay.
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)
	classroomGC(60)
	if got := gcPercent(); got != 150 {
		t.Errorf("with GOGC=150 the GC percent became %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("with GOMEMLIMIT=1GiB the limit became %d", got)
	}
}
