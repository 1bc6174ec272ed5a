package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// tmuxPlayerEnv is tmuxPlayer with more environment (extra, e.g. the editor variables,
// overrides the player's).
func tmuxPlayerEnv(t *testing.T, prefix, size string, extra map[string]string) (string, func(args ...string) string) {
	t.Helper()
	drive := tuiDrive(t)
	bin := kubetutorBinary(t)
	home, cache := userDirs(t)
	name := fmt.Sprintf("%s-%d", prefix, os.Getpid())
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(drive, args...).CombinedOutput()
		if err != nil {
			screen, _ := exec.Command(drive, "screen", name).CombinedOutput()
			t.Fatalf("tui-drive %s: %v\n%s\nscreen:\n%s", strings.Join(args, " "), err, out, screen)
		}
		return string(out)
	}
	env := playerEnv(home, cache, "en_US.UTF-8")
	for k, v := range extra {
		env[k] = v
	}
	args := []string{"start", name, size, "env"}
	for k, v := range env {
		args = append(args, k+"="+v)
	}
	run(append(args, bin, "--speed", "20")...)
	t.Cleanup(func() { exec.Command(drive, "stop", name).Run() }) //nolint:errcheck
	run("wait", name, "StatefulSet Basics", "20")
	return name, run
}

// TestSmokeEditBuiltinEditor: a learner who set no editor types `kubectl edit statefulset
// web` in the real player's command bar; the built-in editor opens (not vi), replicas 2 → 3
// and ctrl+s apply the change to the simulator, and a third pod comes.
func TestSmokeEditBuiltinEditor(t *testing.T) {
	name, run := tmuxPlayerEnv(t, "kt-edit", "120x40", map[string]string{"EDITOR": "", "KUBE_EDITOR": "", "VISUAL": ""})
	run("keys", name, ":")
	run("type", name, "kubectl apply -f web.yaml")
	run("keys", name, "Enter")
	run("wait", name, "statefulset.apps/web created", "20")
	run("type", name, "kubectl edit statefulset web")
	run("keys", name, "Enter")
	screen := run("wait", name, "Please edit the object below", "20")
	screen = run("screen", name)
	// Down moves one screen row (a long line wraps over several), so the rows between the
	// first text line and spec.replicas are the presses it takes.
	rows := strings.Split(screen, "\n")
	first, target, line := -1, -1, ""
	for i, r := range rows {
		if first < 0 && regexp.MustCompile(`^\s*1\s+# Please edit`).MatchString(r) {
			first = i
		}
		if m := regexp.MustCompile(`^\s*(\d+)\s+  replicas: 2\s*$`).FindStringSubmatch(r); m != nil && target < 0 {
			target, line = i, m[1]
		}
	}
	if first < 0 || target < 0 {
		t.Fatalf("no first line or spec.replicas line in the editor:\n%s", screen)
	}
	run("keys", name, "-N", strconv.Itoa(target-first), "Down")
	run("wait", name, "line "+line+" of", "10")
	run("keys", name, "End", "BSpace")
	run("type", name, "3")
	run("wait", name, `\(modified\)`, "10")
	run("keys", name, "C-s")
	run("wait", name, "statefulset.apps/web edited", "20")
	run("type", name, "kubectl rollout status sts web")
	run("keys", name, "Enter")
	run("wait", name, "roll out complete", "60")
	run("type", name, "kubectl get pods")
	run("keys", name, "Enter")
	run("wait", name, `web-2 +1/1 +Running`, "20")
}

// TestSmokeEditOwnEditor: a learner with EDITOR set gets it in the terminal, as with the
// kubectl binary (here a script that sets replicas to 3); apply edit-last-applied, which has
// no terminal path, opens the built-in editor, and esc cancels it.
func TestSmokeEditOwnEditor(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "editor.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sed -i 's/^  replicas: 2$/  replicas: 3/' \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	name, run := tmuxPlayerEnv(t, "kt-ownedit", "120x40", map[string]string{"EDITOR": script, "KUBE_EDITOR": ""})
	run("keys", name, ":")
	run("type", name, "kubectl apply -f web.yaml")
	run("keys", name, "Enter")
	run("wait", name, "statefulset.apps/web created", "20")
	run("type", name, "kubectl edit statefulset web")
	run("keys", name, "Enter")
	// kubectl's own words went to the terminal while the editor had it; the bar notes the
	// return, and the object shows the change.
	run("wait", name, "back from the terminal", "20")
	run("type", name, "kubectl get sts web -o jsonpath={.spec.replicas}")
	run("keys", name, "Enter")
	run("wait", name, `^3`, "20")
	run("type", name, "kubectl apply edit-last-applied sts web")
	run("keys", name, "Enter")
	run("wait", name, "Please edit the 'last-applied-configuration' annotations below", "20")
	run("keys", name, "Escape")
	run("wait", name, "Edit cancelled, no changes made", "20")
}
