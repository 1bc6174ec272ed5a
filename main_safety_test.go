package main

import (
	"bytes"
	"strings"
	"testing"
)

// A lesson whose command reaches another cluster or a file of the learner's computer is
// refused by lint, solve, demo and the player alike (they all load lessons through the same
// check), naming the file, step and field.
func TestHostileLessonRefusedEverywhere(t *testing.T) {
	for _, hostile := range []string{
		"kubectl --kubeconfig=/home/me/.kube/config delete sts web",
		"kubectl delete sts web --context prod",
		"kubectl -s https://evil.example delete sts web",
		"kubectl delete -f /etc/passwd",
	} {
		dir := t.TempDir()
		writeLesson(t, dir, "tiny", "en", strings.Replace(tinyLesson, "kubectl delete sts web", hostile, 1))
		for _, args := range [][]string{
			{"lessons", "lint", dir},
			{"--lessons", dir, "lessons", "solve", "tiny"},
			{"--lessons", dir, "demo", "tiny"},
			{"--lessons", dir, "--log", dir + "/log"},
		} {
			var out, errOut bytes.Buffer
			code := run(args, &out, &errOut)
			all := out.String() + errOut.String()
			if code == 0 {
				t.Errorf("%v with %q: exit 0\n%s", args, hostile, all)
				continue
			}
			if want := `tiny/en.yaml: step "delete": commands[0]: "` + hostile + `"`; !strings.Contains(all, want) {
				t.Errorf("%v: output does not name the step and field (%s):\n%s", args, want, all)
			}
		}
	}
}
