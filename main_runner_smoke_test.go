package main

import (
	"strings"
	"testing"
)

// TestSmokeStopThenRunAndExecInSimulator drives the real binary in tmux on the simulator:
//   - lock-up (issue 13, item 1): a `delete pvc` that waits on the claim's finalizer (its pod
//     still uses it) is stopped with esc, and the next command runs at once;
//   - exec -it (item 3): the simulator's player lends the terminal to `kubectl exec -it`, the
//     sandbox's shell answers, and exit returns to the player.
func TestSmokeStopThenRunAndExecInSimulator(t *testing.T) {
	name, run := tmuxPlayer(t, "kt-runner", "100x30")

	run("keys", name, ":")
	run("type", name, "kubectl apply -f web.yaml")
	run("keys", name, "Enter")
	run("wait", name, "statefulset.apps/web created", "20")
	run("type", name, "kubectl rollout status sts web")
	run("keys", name, "Enter")
	run("wait", name, "roll out complete", "60")

	// The claim is in use by web-0: kubectl deletes it and then waits for it to go, forever.
	// Typed in two bursts: a burst equal to a key name ("delete") is item 6 of the issue,
	// not this test's subject.
	run("type", name, "kubectl del")
	run("type", name, "ete pvc www-web-0")
	run("keys", name, "Enter")
	run("wait", name, `persistentvolumeclaim "www-web-0" deleted`, "20")
	run("wait", name, `running: kubectl delete pvc www-web-0`, "10")
	run("keys", name, "Escape")
	run("wait", name, `\(stopped\)`, "10")
	// The next command runs at once (it used to wait forever behind the stopped one).
	run("type", name, "kubectl get pvc www-web-0")
	run("keys", name, "Enter")
	run("wait", name, `www-web-0 +Terminating`, "10")
	run("type", name, "kubectl get pods")
	run("keys", name, "Enter")
	run("wait", name, `web-1 +1/1 +Running`, "10")

	// exec -it gets the terminal, on the simulator too.
	run("type", name, "kubectl exec -it web-1 -- sh")
	run("keys", name, "Enter")
	run("wait", name, `\$ kubectl exec -it web-1 -- sh`, "10")
	run("wait", name, `# *$`, "10")
	run("type", name, "echo sandbox-$((6*7))")
	run("keys", name, "Enter")
	run("wait", name, `^sandbox-42`, "10")
	run("type", name, "exit")
	run("keys", name, "Enter")
	// Back in the player, with the bar open again.
	run("wait", name, `StatefulSet Basics|kubectl · `, "10")
	screen := run("screen", name)
	if strings.Contains(screen, "sandbox-42") && !strings.Contains(screen, "kubectl") {
		t.Fatalf("still in the container's shell:\n%s", screen)
	}
}
