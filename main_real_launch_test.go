package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/tui"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// TestRealModeIsTheSamePlayer (issue 13, item 11): real-cluster mode launches the same
// player as the simulator. Played on a simulator reached only through a kubeconfig (so the
// player treats it as a real cluster), the line-by-line player (--plain) runs a step's
// command in the lesson's namespace and saves progress, which real mode used to drop.
func TestRealModeIsTheSamePlayer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sim, err := engine.NewSimSession(ctx, engine.SimOptions{Fake: testingclock.NewFakeClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)),
		AutoAdvance: true, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	if err := sim.WriteKubeconfig(kc); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	logger, logFile, closeLog, err := openLog(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer closeLog()

	// The answers: whatever the doctor says ("no" to the simulator instead, "yes" to going
	// on; the player reads a stray answer as a bad pick and asks again), then the plain
	// player: lesson 1, n to the first step with a command, Enter runs it, q; then "yes" to cleaning up.
	l := basicsLesson(t, "en")
	step := 0
	for step < len(l.Steps) && len(l.Steps[step].RunnableCommands()) == 0 {
		step++
	}
	if step == len(l.Steps) {
		t.Fatal("the lesson runs nothing")
	}
	first := l.Steps[step].RunnableCommands()
	old := promptIn
	promptIn = strings.NewReader("n\ny\n1\n" + strings.Repeat("n\n", step) + "\nq\ny\n")
	defer func() { promptIn = old }()
	var out bytes.Buffer
	c := config{lang: "en", speed: 1, plain: true}
	r := &realFlags{kubeconfig: kc, yes: true, lesson: "statefulset-basics"}
	if err := playReal(ctx, c, r, logger, logFile, &out); err != nil {
		t.Fatalf("playReal: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "$ "+first[0]+"\n") {
		t.Fatalf("the plain player on a real cluster did not run %q:\n%s", first[0], out.String())
	}
	path, err := progress.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), l.ID) {
		t.Fatalf("no progress saved for %s on a real cluster (%v):\n%s", l.ID, err, b)
	}
}

// TestLaunchHandsOneCluster: both modes hand the player the same kind of cluster, and the
// player's options follow from it; only reset is left out on a real cluster.
func TestLaunchHandsOneCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	live, err := engine.NewLiveSim(ctx, engine.SimOptions{Fake: testingclock.NewFakeClock(time.Now()), AutoAdvance: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	simOpts := tui.Options{Cluster: playerCluster{Live: live}}.FromCluster()
	realOpts := tui.Options{Cluster: playerCluster{Live: engine.NewLiveReal(live.Session())}}.FromCluster()
	for name, o := range map[string]tui.Options{"simulator": simOpts, "real": realOpts} {
		if o.Evaluate == nil || o.Simulate == nil || o.List == nil || o.WatchObjects == nil {
			t.Errorf("%s: checks, simulate, picture views or row history left out", name)
		}
	}
	if simOpts.Reset == nil || realOpts.Reset != nil {
		t.Errorf("reset: simulator %v, real %v; want only the simulator's", simOpts.Reset != nil, realOpts.Reset != nil)
	}
	if err := engine.NewLiveReal(live.Session()).Reset(ctx); err != engine.ErrCannotReset {
		t.Errorf("Reset on a real cluster = %v", err)
	}
	// Completion through kubectl, on the simulator too (issue 13, item 3).
	var c tui.Cluster = playerCluster{Live: live}
	comp, ok := c.(tui.Completer)
	if !ok {
		t.Fatal("the simulator's cluster does not complete")
	}
	got, err := comp.Complete(ctx, "kubectl get pods --wat")
	if err != nil || strings.Join(got, " ") != "--watch --watch-only" {
		t.Errorf("completion on the simulator: %q, %v", got, err)
	}
	if _, ok := c.(tui.TerminalRunner); !ok {
		t.Error("the simulator's cluster lends no terminal (exec -it, run -it, edit)")
	}
}
