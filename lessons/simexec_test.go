package lessons

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine"
)

// simWithWeb starts a simulator session on a fake clock with web.yaml applied and settled.
func simWithWeb(t *testing.T) (*engine.Session, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	fake := testingclock.NewFakeClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	s, err := engine.NewSimSession(ctx, engine.SimOptions{Fake: fake, AutoAdvance: true, Seed: 1})
	if err != nil {
		t.Fatalf("NewSimSession: %v", err)
	}
	t.Cleanup(s.Close)
	for _, line := range []string{"kubectl apply -f web.yaml"} {
		if err := s.RunKubectl(ctx, line, nil, nil, nil); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	return s, ctx
}

func strp(s string) *string { return &s }

func TestExecCheckThroughTheSession(t *testing.T) {
	s, ctx := simWithWeb(t)
	if err := s.RunKubectl(ctx, `kubectl exec web-1 -- sh -c 'echo $(hostname) > /usr/share/nginx/html/index.html'`, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		check  ExecCheck
		ok     bool
		detail string
	}{
		{"equals trims the newline", ExecCheck{Pod: "web-0", Command: []string{"hostname"}, Equals: strp("web-0")}, true, ""},
		{"equals differs", ExecCheck{Pod: "web-0", Command: []string{"hostname"}, Equals: strp("web-1")}, false, `want hostname in pods/web-0 to print "web-1", it printed "web-0"`},
		{"contains", ExecCheck{Pod: "web-1", Container: "nginx", Command: []string{"curl", "-s", "localhost"}, Contains: strp("web-1")}, true, ""},
		{"contains misses", ExecCheck{Pod: "web-0", Command: []string{"curl", "-s", "localhost"}, Contains: strp("web-0\n")}, false, "it printed"},
		{"command fails", ExecCheck{Pod: "web-0", Command: []string{"cat", "/nope"}, Contains: strp("x")}, false, "pods/web-0: cat /nope failed"},
		{"no such pod", ExecCheck{Pod: "web-9", Command: []string{"hostname"}, Equals: strp("web-9")}, false, "pods/web-9: hostname failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(ctx, s, Step{Lang: "en", Checks: []Check{{Desc: "d", Exec: &tc.check}}})
			if res[0].OK != tc.ok || !strings.Contains(res[0].Detail, tc.detail) {
				t.Errorf("ok=%v detail %q; want ok=%v detail containing %q", res[0].OK, res[0].Detail, tc.ok, tc.detail)
			}
		})
	}
	ko := Evaluate(ctx, s, Step{Lang: "ko", Checks: []Check{{Desc: "d", Exec: &ExecCheck{Pod: "web-0", Command: []string{"hostname"}, Equals: strp("x")}}}})
	if want := `pods/web-0에서 hostname 명령의 출력이 지금 "web-0"입니다(기대하는 출력: "x")`; ko[0].Detail != want {
		t.Errorf("Korean detail %q, want %q", ko[0].Detail, want)
	}
	// Without a session there is nothing to exec through.
	res := EvaluateChecks(ctx, s.Dynamic(), s.Namespace(), []Check{{Desc: "d", Exec: &ExecCheck{Pod: "web-0", Command: []string{"hostname"}, Equals: strp("web-0")}}})
	if res[0].OK || !strings.Contains(res[0].Detail, "need a cluster session") {
		t.Errorf("EvaluateChecks exec: %+v", res[0])
	}
}

func TestSimulateNodeFailureAndRecovery(t *testing.T) {
	s, ctx := simWithWeb(t)
	notReady := func(n int) Step {
		return Step{Lang: "en", Checks: []Check{{Desc: "nodes", Count: &CountCheck{Resource: "nodes", NotReady: true, Equals: &n}}}}
	}
	if res := Evaluate(ctx, s, notReady(0)); !Passed(res) {
		t.Fatalf("before: %v", FailedChecks(res))
	}
	fail := Step{ID: "cut", Lang: "en", Simulate: &Simulate{FailNodeOf: "web-0"}}
	said, err := RunSimulate(ctx, s, fail)
	if err != nil {
		t.Fatal(err)
	}
	pod, err := s.Kube().CoreV1().Pods("default").Get(ctx, "web-0", metav1GetOptions)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said, pod.Spec.NodeName) || !strings.Contains(said, "web-0") {
		t.Errorf("said %q; want it to name node %s and pod web-0", said, pod.Spec.NodeName)
	}
	// The node turns NotReady once the node-monitor grace period has passed.
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if res := awaitChecks(ctx, s, notReady(1), nil); !Passed(res) {
		t.Fatalf("after failNodeOf: %v", FailedChecks(res))
	}
	said, err = RunSimulate(ctx, s, Step{ID: "back", Lang: "ko", Simulate: &Simulate{RecoverNodes: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(said, pod.Spec.NodeName) || !strings.Contains(said, "다시 연결") {
		t.Errorf("said %q", said)
	}
	if res := awaitChecks(ctx, s, notReady(0), nil); !Passed(res) {
		t.Fatalf("after recoverNodes: %v", FailedChecks(res))
	}
	if _, err := RunSimulate(ctx, s, Step{Simulate: &Simulate{FailNodeOf: "web-9"}}); err == nil {
		t.Error("failNodeOf a missing pod: want an error")
	}
	if _, err := RunSimulate(ctx, nil, fail); !errors.Is(err, ErrNotSimulated) {
		t.Errorf("no session: err %v, want ErrNotSimulated", err)
	}
	if said, err := RunSimulate(ctx, s, Step{}); said != "" || err != nil {
		t.Errorf("no simulate: %q %v", said, err)
	}
}

var metav1GetOptions = metav1.GetOptions{}
