package main

import (
	"strings"
	"testing"
	"time"
)

// TestSmokeBurstAndEscAfterExec drives the real binary in tmux on the simulator (issue 13):
//   - item 6: a line typed in one read (tmux sends it whole) lands in the command bar as
//     text, key-name words ("delete", "esc") included;
//   - item 4: ctrl+c clears a typed line and does not quit;
//   - item 10: after `run -it` returns, the first esc closes the bar (kubectl's stdin copier
//     used to swallow it).
func TestSmokeBurstAndEscAfterExec(t *testing.T) {
	name, run := tmuxPlayer(t, "kt-tui", "80x24")

	run("type", name, ":kubectl delete pod x esc")
	run("wait", name, `: kubectl delete pod x esc`, "10")
	run("keys", name, "C-c")
	run("wait", name, `: kubectl …`, "10")
	if s := run("screen", name); !strings.Contains(s, "esc close") {
		t.Fatalf("ctrl+c on a typed line closed the bar or quit:\n%s", s)
	}

	run("type", name, "run -i --tty --image busybox:1.28 smoke --restart=Never --rm")
	run("keys", name, "Enter")
	run("wait", name, `/ # *$`, "30")
	run("type", name, "exit")
	run("keys", name, "Enter")
	run("wait", name, `back from the terminal`, "20")
	run("keys", name, "Escape")
	// The menu shows behind the bar too, so wait for the bar's help line to go: polling the
	// screen, since the redraw arrives when it arrives.
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := run("screen", name)
		if !strings.Contains(s, "esc close") && strings.Contains(s, "Pick a lesson") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first esc after run -it did not close the bar:\n%s", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
