package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

// catRunner is a container whose every command copies stdin to stdout, and says hello first.
type catRunner struct{}

func (catRunner) Run(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
	fmt.Fprintf(s.Stdout, "%s in %s: %s\n", argv[0], pod.Name, strings.Join(argv[1:], " "))
	if s.Stdin != nil {
		_, _ = io.Copy(s.Stdout, s.Stdin)
	}
	return 0, nil
}

func TestNeedsTerminal(t *testing.T) {
	for line, want := range map[string]bool{
		"kubectl exec -it web-0 -- sh":                                            true,
		"exec -ti web-0 -- sh":                                                    true,
		"kubectl exec web-0 -- hostname":                                          false,
		"kubectl exec web-0 -c nginx -- ls -it":                                   false,
		"kubectl run -i --tty --image busybox:1.28 dns-test --restart=Never --rm": true,
		"kubectl attach -i dns-test":                                              true,
		"kubectl edit sts web":                                                    true,
		"kubectl -n default edit sts web":                                         true,
		"kubectl get pods -w":                                                     false,
		"kubectl run web --image nginx":                                           false,
		"kubectl exec --stdin --tty web-0 -- sh":                                  true,
		`kubectl exec web-0 -- sh -c "echo -it"`:                                  false,
	} {
		if got := NeedsTerminal(line); got != want {
			t.Errorf("NeedsTerminal(%q) = %v, want %v", line, got, want)
		}
	}
}

// TestRunKubectlTerminalRunAttach: `kubectl run -i --rm` in-process creates the pod, waits
// for it, attaches its stdin to the container's command, and deletes it afterwards.
func TestRunKubectlTerminalRunAttach(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s, err := NewSimSession(ctx, SimOptions{Fake: testingclock.NewFakeClock(simEpoch), AutoAdvance: true, Seed: 7, Runner: catRunner{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	err = s.RunKubectlTerminal(ctx, "kubectl run -i --rm --restart=Never --image busybox:1.28 t -- cat", strings.NewReader("typed\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("run -i: %v\nstdout %q\nstderr %q", err, out.String(), errOut.String())
	}
	if want := "cat in t: \ntyped\npod \"t\" deleted from default namespace\n"; out.String() != want {
		t.Fatalf("run -i printed %q, want %q (stderr %q)", out.String(), want, errOut.String())
	}
}

func TestCompletionSources(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl apply -f web.yaml", "service/nginx created\nstatefulset.apps/web created\n")
	waitIdle(t, s)
	res, err := s.ResourceNames(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pods", "po", "pod", "statefulsets", "sts", "persistentvolumeclaims", "pvc"} {
		if !slices.Contains(res, want) {
			t.Errorf("ResourceNames lacks %q: %v", want, res)
		}
	}
	if slices.Contains(res, "pods/exec") || slices.Contains(res, "pods/log") {
		t.Errorf("ResourceNames lists subresources: %v", res)
	}
	names, err := s.ObjectNames(testCtx(t), "po", "")
	if err != nil || !slices.Equal(names, []string{"web-0", "web-1"}) {
		t.Fatalf("ObjectNames(po) = %v, %v", names, err)
	}
	if _, err := s.ObjectNames(testCtx(t), "bogus", ""); err == nil {
		t.Fatal("ObjectNames(bogus) should fail")
	}
}
