package engine

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestWaitingCommandsMatchKubectl: the commands whose waits run on the run's context
// (kubectl_waits.go: delete, rollout status, attach, port-forward, replace --force) print, fail and exit exactly as kubectl does. Three simulators with the
// same seed and fake clock get the same commands: through the in-process runner, through the
// in-process runner with kubectl's own Run (the library kubetutor links, v0.37: must be
// identical), and through the installed /usr/bin/kubectl with the session's kubeconfig
// (identical but for what changed between its version and v0.37, versionDifferences).
func TestWaitingCommandsMatchKubectl(t *testing.T) {
	bin, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("this test compares with the real kubectl: install kubectl (expected at /usr/bin/kubectl)")
	}
	ours, _ := newTestSession(t)
	lib, _ := newTestSession(t)
	lib.kubectlOwnRuns.Store(true)
	theirs, _ := newTestSession(t)
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := theirs.WriteKubeconfig(kubeconfig); err != nil {
		t.Fatal(err)
	}
	real := func(line, stdin string) (string, string, int) {
		args, err := SplitCommandLine(line)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(testCtx(t), bin, args[1:]...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+dir, "KUBECTL_KUBERC=false")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(stdin)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err = cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return out.String(), errOut.String(), code
	}
	inProcess := func(s *Session, line, stdin string) (string, string, int) {
		var out, errOut bytes.Buffer
		err := s.RunKubectl(testCtx(t), line, strings.NewReader(stdin), &out, &errOut)
		code := 0
		var ke *KubectlError
		if errors.As(err, &ke) {
			code = ke.Code
		} else if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return out.String(), errOut.String(), code
	}
	both := func(line string) {
		t.Helper()
		for _, s := range []*Session{ours, lib, theirs} {
			mustKubectl(t, s, line, "")
			waitIdle(t, s)
		}
	}
	both("kubectl apply -f web.yaml")
	both("kubectl create configmap a --from-literal=k=v")
	both("kubectl create configmap r")
	const cmR = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: r\ndata:\n  k: v\n"
	const cmS = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n"
	for _, name := range []string{"c", "d", "e", "f", "g", "h"} {
		both("kubectl create configmap " + name)
	}
	both("kubectl run solo --image=registry.k8s.io/nginx-slim:0.24 --restart=Never")
	for _, tc := range []struct{ line, stdin string }{
		{line: "kubectl delete pod nosuch"},
		{line: "kubectl delete pod nosuch --ignore-not-found"},
		{line: "kubectl delete pods -l app=nosuch"},
		{line: "kubectl delete configmap a b"},
		{line: "kubectl delete cm c -o name"},
		{line: "kubectl delete cm d --wait=false"},
		{line: "kubectl delete cm e --dry-run=client"},
		{line: "kubectl delete cm e --dry-run=server"},
		{line: "kubectl delete cm f --interactive", stdin: "n\n"},
		{line: "kubectl delete cm f -i", stdin: "y\n"},
		{line: "kubectl delete cm g --now"},
		{line: "kubectl delete cm h --grace-period=0"},
		{line: "kubectl delete cm h --force --grace-period=5"},
		{line: "kubectl delete cm h --force"},
		{line: "kubectl delete -n default storageclass standard"},
		// A waiting delete that succeeds, on a pod no controller recreates. With web-1 the
		// installed kubectl (v1.32) hung once in CI: the fake clock, advancing at once,
		// deleted and recreated the StatefulSet's pod between kubectl's get and its list, and
		// a wait that looks the object up by name then waits for a DELETED event that already
		// went by (v0.37's wait also compares the UID). A real cluster takes seconds to
		// recreate a pod, so it never shows there.
		{line: "kubectl delete pod solo --timeout=1m"},
		// Waits on deletion time out after 2s, not 1s: kubectl's wait (IsDeleted) watches on
		// the --timeout context, so the simulator's stream ends only when kubectl cancels it;
		// with 1s the watch always lasts under a second and client-go's reflector, depending on
		// which channel it sees first, warns "very short watch" on stderr (a client-side race
		// that a real apiserver shows too). TestWatchEndsOnlyOnRealTimeoutOrClient
		// (engine/sim/api) proves the server keeps the watch open.
		{line: "kubectl delete pvc www-web-0 --timeout=2s"},
		{line: "kubectl delete"},
		{line: "kubectl delete cm --all --selector=x=y"},
		{line: "kubectl delete cm -o yaml x"},
		{line: "kubectl rollout status sts/web"},
		{line: "kubectl rollout status statefulset web --watch=false"},
		{line: "kubectl rollout status sts/nosuch"},
		{line: "kubectl rollout status pod/web-0"},
		{line: "kubectl rollout status sts -l app=nosuch"},
		{line: "kubectl rollout status sts/web --revision=-1"},
		{line: "kubectl rollout status"},
		{line: "kubectl rollout status sts/web --revision=7"},
		{line: "kubectl replace --force -f -", stdin: cmR},
		{line: "kubectl replace --force --grace-period=0 -f -", stdin: cmR},
		{line: "kubectl replace --force --grace-period=0 -o name -f -", stdin: cmR},
		{line: "kubectl replace --force --grace-period=0 -f -", stdin: cmS},
		{line: "kubectl replace --grace-period=0 -f -", stdin: cmR},
		{line: "kubectl replace --force --dry-run=client -f -", stdin: cmR},
		{line: "kubectl replace --force -f -"},
		{line: "kubectl replace --force"},
		{line: "kubectl replace -f -", stdin: cmR},
		{line: "kubectl attach nosuch"},
		{line: "kubectl attach web-0 --pod-running-timeout=0"},
		{line: "kubectl port-forward nosuch 80"},
		{line: "kubectl port-forward web-0"},
		// rollout status and delete that time out while the simulator stands still.
		{line: "pause"},
		{line: "kubectl scale sts web --replicas=3"},
		{line: "kubectl rollout status sts/web --timeout=1s"},
		{line: "kubectl rollout status sts/web --watch=false"},
		{line: "kubectl delete pod web-0 --timeout=2s"},
		{line: "kubectl delete pod web-0 --wait=false"},
		{line: "kubectl replace --force --grace-period=0 --timeout=2s -f -", stdin: podWeb1},
	} {
		if tc.line == "pause" {
			ours.Sim().Pause()
			lib.Sim().Pause()
			theirs.Sim().Pause()
			continue
		}
		libOut, libErr, libCode := inProcess(lib, tc.line, tc.stdin)
		realOut, realErr, realCode := real(tc.line, tc.stdin)
		gotOut, gotErr, gotCode := inProcess(ours, tc.line, tc.stdin)
		if gotOut != libOut || gotErr != libErr || gotCode != libCode {
			t.Errorf("%s (stdin %q):\nkubectl's own Run: exit %d\n%q\n%q\nkubetutor's:       exit %d\n%q\n%q",
				tc.line, tc.stdin, libCode, libOut, libErr, gotCode, gotOut, gotErr)
		}
		gotOut, gotErr = versionDifferences.Replace(gotOut), versionDifferences.Replace(gotErr)
		realErr = reflectorDeadlineNoise.ReplaceAllString(realErr, "")
		if gotOut != realOut || gotErr != realErr || gotCode != realCode {
			t.Errorf("%s (stdin %q):\n%s: exit %d\n%q\n%q\nin-process (as v1.32 would say it): exit %d\n%q\n%q",
				tc.line, tc.stdin, bin, realCode, realOut, realErr, gotCode, gotOut, gotErr)
		}
		if !ours.Sim().Paused() {
			waitIdle(t, ours)
			waitIdle(t, lib)
			waitIdle(t, theirs)
		}
	}
}

// reflectorDeadlineNoise is client-go's log line when a wait's --timeout ends before its
// informer's first watch request has returned: on a loaded machine (CI's race run) the
// installed kubectl printed it once after "timed out waiting", on a simulator that had
// answered like the others. It is client-side timing, which a real apiserver shows the same.
var reflectorDeadlineNoise = regexp.MustCompile(`(?m)^E\d{4} [0-9:.]+ +\d+ reflector\.go:\d+\] .*context deadline exceeded.*\n`)

// versionDifferences turns kubectl v0.37's wording into that of the installed kubectl
// (v1.32): since v1.33 delete names the namespace it deleted from and --interactive's
// default answer is a capital N.
var versionDifferences = strings.NewReplacer(
	" deleted from default namespace", " deleted",
	"(y/N): ", "(y/n): ",
)
