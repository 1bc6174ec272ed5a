package main

import (
	"io"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"k8s.io/utils/clock"

	"github.com/kubetutor/kubetutor/tui"
)

// stepClock hands the test every function scheduled with AfterFunc, to run when it decides:
// the releaser's waits then need no real time and no sleeps.
type stepClock struct {
	waits   []time.Duration
	pending []func()
}

func (c *stepClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	c.waits = append(c.waits, d)
	c.pending = append(c.pending, f)
	return stoppedTimer{}
}

type stoppedTimer struct{}

func (stoppedTimer) C() <-chan time.Time      { return nil }
func (stoppedTimer) Stop() bool               { return true }
func (stoppedTimer) Reset(time.Duration) bool { return true }

// fireLast runs the most recently scheduled function and forgets it.
func (c *stepClock) fireLast(t *testing.T) {
	t.Helper()
	if len(c.pending) == 0 {
		t.Fatal("nothing is scheduled")
	}
	f := c.pending[len(c.pending)-1]
	c.pending = c.pending[:len(c.pending)-1]
	f()
}

func newTestReleaser(rev *uint64, known bool) (*memoryReleaser, *stepClock, *int) {
	c := &stepClock{}
	releases := 0
	m := &memoryReleaser{clock: c, quiet: quietRelease, release: func() { releases++ },
		rev: func() (uint64, bool) { return *rev, known }}
	return m, c, &releases
}

// TestMemoryReleasedOnceWhenQuiet: activity arms one wait; when it ends with the cluster
// unchanged the heap is released once, and nothing more is scheduled until new activity.
func TestMemoryReleasedOnceWhenQuiet(t *testing.T) {
	rev := uint64(7)
	m, c, releases := newTestReleaser(&rev, true)
	m.Touch()
	if len(c.pending) != 1 || c.waits[0] != quietRelease {
		t.Fatalf("Touch scheduled %v, want one wait of %v", c.waits, quietRelease)
	}
	c.fireLast(t)
	if *releases != 1 {
		t.Fatalf("releases = %d after a quiet wait, want 1", *releases)
	}
	if len(c.pending) != 0 {
		t.Fatalf("%d waits scheduled after the release: idle must schedule nothing", len(c.pending))
	}
	m.Touch()
	c.fireLast(t)
	if *releases != 2 {
		t.Fatalf("releases = %d after new activity and quiet, want 2", *releases)
	}
}

// TestMemoryReleaseWaitsForTheClusterToSettle: a cluster still changing when the wait ends
// (a rollout after a command) gets one more wait instead of a release.
func TestMemoryReleaseWaitsForTheClusterToSettle(t *testing.T) {
	rev := uint64(7)
	m, c, releases := newTestReleaser(&rev, true)
	m.Touch()
	rev = 9
	c.fireLast(t)
	if *releases != 0 || len(c.pending) != 1 {
		t.Fatalf("cluster moved during the wait: releases %d, pending %d; want 0 and one more wait", *releases, len(c.pending))
	}
	c.fireLast(t)
	if *releases != 1 {
		t.Fatalf("releases = %d once the cluster stood still, want 1", *releases)
	}
}

// TestMemoryReleaseSupersededAndStopped: only the latest wait decides (an older timer that
// fires anyway does nothing), and Stop cancels the pending one.
func TestMemoryReleaseSupersededAndStopped(t *testing.T) {
	rev := uint64(1)
	m, c, releases := newTestReleaser(&rev, false) // revision unknown (a real cluster)
	m.Touch()
	m.Touch()
	old := c.pending[0]
	c.fireLast(t)
	old()
	if *releases != 1 {
		t.Fatalf("releases = %d after two Touches, want 1", *releases)
	}
	m.Touch()
	m.Stop()
	c.fireLast(t)
	if *releases != 1 {
		t.Fatalf("a stopped releaser released (releases = %d)", *releases)
	}
	var nilReleaser *memoryReleaser
	nilReleaser.Touch() // a cluster without a releaser: no panic
}

// TestSubcommandsRestoreGCPace: only the player keeps start-up's slower collector until its
// first frame; any other subcommand runs at the process's own pace (GOGC) from the start.
func TestSubcommandsRestoreGCPace(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Fatalf("run this test without GOGC (it is %q)", os.Getenv("GOGC"))
	}
	var out, errOut strings.Builder
	if code := run([]string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("version: exit %d: %s", code, errOut.String())
	}
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	if p != 100 {
		t.Fatalf("GC percent after `kubetutor version` = %d, want the default 100", p)
	}
}

// TestLanguageSwitchLoadsTheOtherLanguage: the player starts with the built-in lessons in its
// own language only (lessons.EmbeddedIn), so L must load the other one then: same lessons, in
// the other language.
func TestLanguageSwitchLoadsTheOtherLanguage(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	c := config{lang: "en"}
	cat, err := loadCatalog(c)
	if err != nil {
		t.Fatal(err)
	}
	var o tui.Options
	playerOptions(&o, cat, c, log.New(io.Discard, "", 0))
	ko := o.LessonsFor("ko")
	if len(ko) != len(cat) || len(ko) == 0 {
		t.Fatalf("L to Korean gave %d lessons, the English menu has %d", len(ko), len(cat))
	}
	for i := range ko {
		if ko[i].ID != cat[i].ID || ko[i].Lang != "ko" || ko[i].Title == cat[i].Title {
			t.Errorf("lesson %d after L: %s in %q titled %q; want %s in Korean", i, ko[i].ID, ko[i].Lang, ko[i].Title, cat[i].ID)
		}
	}
}

// TestPlayerHeapProfilingOff: the player runs without Go's heap profiling sampler, whose
// buckets held 1.4 MB (internal/noheapprof); kubectl's runtime/pprof keeps it linked.
func TestPlayerHeapProfilingOff(t *testing.T) {
	if strings.Contains(os.Getenv("GODEBUG"), "memprofilerate=") {
		t.Skip("GODEBUG sets memprofilerate")
	}
	if runtime.MemProfileRate != 0 {
		t.Fatalf("runtime.MemProfileRate = %d in the player's process, want 0", runtime.MemProfileRate)
	}
}
