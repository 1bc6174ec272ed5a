package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestSmokeCommandBar types `:kubectl get pods` into the real player in tmux, driven by
// /work/shared/tools/tui-drive as a person would, and sees kubectl's table; a watch then
// streams until esc, and the player still quits cleanly.
func TestSmokeCommandBar(t *testing.T) {
	name, run := tmuxPlayer(t, "kt-cmdbar", "100x30")

	run("keys", name, ":")
	run("type", name, "kubectl apply -f web.yaml")
	run("keys", name, "Enter")
	run("wait", name, "statefulset.apps/web created", "20")
	// rollout status returns once both pods are Ready, so the table below is not a race.
	run("type", name, "kubectl rollout status sts web")
	run("keys", name, "Enter")
	run("wait", name, "roll out complete", "60")
	run("type", name, "kubectl get pods")
	run("keys", name, "Enter")
	screen := run("wait", name, `web-1 +1/1 +Running`, "20")
	screen = run("screen", name)
	if !regexp.MustCompile(`(?m)^NAME +READY +STATUS +RESTARTS +AGE`).MatchString(screen) || !strings.Contains(screen, "$ kubectl get pods") {
		t.Fatalf("no pods table on screen:\n%s", screen)
	}

	// A watch streams and the bar says it runs; esc stops it, esc again closes the bar.
	run("type", name, "get pods -w")
	run("keys", name, "Enter")
	run("wait", name, `running: kubectl get pods -w`, "10")
	run("keys", name, "Escape")
	run("wait", name, `\(stopped\)`, "10")
	run("keys", name, "Escape")
	run("keys", name, "q")
	for _, l := range strings.Split(run("screen", name), "\n") {
		if strings.Contains(l, "kubectl · enter run") {
			t.Fatalf("the bar is still open after esc:\n%s", run("screen", name))
		}
	}
}
