package main

import (
	"strings"
	"testing"
)

// TestSmokeScreenModesResizeAndMouse: the player sets the terminal up itself (tui.Screen,
// with Bubble Tea's renderer off): the alternate screen and SGR mouse reporting are on while
// it runs, a resize reaches it (the help line is on the last row of the smaller window), the
// mouse wheel scrolls the step pane, and after ctrl+c and y (once a command ran) the terminal's modes are off.
func TestSmokeScreenModesResizeAndMouse(t *testing.T) {
	bin := kubetutorBinary(t)
	l := basicsLesson(t, "en")
	home, cache := userDirs(t)
	tm := startTerm(t, 120, 40, playerEnv(home, cache, "en_US.UTF-8"), bin)
	tm.waitText(l.Title)
	modes := func() string {
		return strings.TrimSpace(tm.run("display-message", "-p", "-t", "smoke",
			"#{alternate_on} #{mouse_button_flag} #{mouse_sgr_flag}"))
	}
	if got := modes(); got != "1 1 1" {
		t.Errorf("alternate screen, button mouse, SGR mouse = %q while running, want 1 1 1", got)
	}

	tm.run("resize-window", "-t", "smoke", "-x", "90", "-y", "30")
	tm.waitFor("the help line on the last row of 90×30", func(s string) bool {
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		return len(lines) == 30 && strings.Contains(lines[29], "quit")
	})

	tm.keys("Enter")
	tm.waitText(probe(l.Steps[0].Title), "↓ more")
	// A wheel step down over the step pane, as the terminal reports it in SGR mode.
	tm.run("send-keys", "-t", "smoke", "-l", "\x1b[<65;10;5M")
	tm.waitText("↑↓ more")

	// Something to lose, so that ctrl+c asks first.
	tm.keys("n")
	tm.waitText(probe(l.Steps[1].Title))
	tm.keys("Enter")
	tm.waitText("statefulset.apps/web created")
	tm.keys("C-c")
	tm.waitText("Quit kubetutor?")
	tm.keys("y")
	if code := tm.waitExit(); code != 0 {
		t.Fatalf("exit status %d after ctrl+c y, want 0; screen:\n%s", code, tm.screen())
	}
	if got := modes(); got != "0 0 0" {
		t.Errorf("alternate screen, button mouse, SGR mouse = %q after exit, want 0 0 0", got)
	}
	tm.assertCleanExitScreen()
}
