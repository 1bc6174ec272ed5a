package lessons

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"strings"
	"testing"
)

func TestLintVacuousFlagsChecksThatCannotFail(t *testing.T) {
	one := 1
	exists := true
	svc := Check{Desc: "svc", JSONPath: &JSONPathCheck{Resource: "svc", Name: "nginx", Exists: &exists}}
	pods := Check{Desc: "pods", Count: &CountCheck{Resource: "pods", Equals: &one}}
	l := Lesson{Source: "x/en.yaml", Steps: []Step{
		{ID: "create", Cmds: []Command{{Line: "kubectl apply -f web.yaml"}}, Checks: []Check{svc, pods}},
		{ID: "same-again", Cmds: []Command{{Line: "kubectl delete pod web-0"}}, Checks: []Check{{Desc: "other words", Count: pods.Count}}},
		{ID: "read", Cmds: []Command{{Line: "kubectl get pods"}}, Checks: []Check{svc}},
		{ID: "read-honest", Cmds: []Command{{Line: "kubectl get pods"}}, Checks: []Check{svc, {Desc: "o", Output: &OutputCheck{Command: "kubectl get pods", Contains: "web-0"}}}},
		{ID: "exec", Cmds: []Command{{Line: "kubectl exec web-0 -- touch /x"}}, Checks: []Check{pods}},
		{ID: "reading", Cmds: []Command{{Line: "kubectl get pods"}}},
		{ID: "simulated", Simulate: &Simulate{RecoverNodes: true}, Checks: []Check{svc}},
	}}
	var got []string
	for _, err := range lintVacuous(l) {
		got = append(got, err.Error())
	}
	want := []string{
		`x/en.yaml: step "same-again": checks: cannot fail: step "create" already requires every one of them`,
		`x/en.yaml: step "read": checks: cannot fail: the step changes nothing`,
	}
	if len(got) != len(want) {
		t.Fatalf("lintVacuous = %q; want %d errors", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q; want prefix %q", i, got[i], want[i])
		}
	}
}

// {node-of:POD} is the node the pod was on at the baseline, even after the step moved it.
func TestNodePlaceholderKeepsTheBaselineNode(t *testing.T) {
	s, ctx := simWithWeb(t)
	st := Step{ID: "drain", Lang: "en",
		Cmds:   []Command{{Line: "kubectl drain {node-of:web-1} --force --ignore-daemonsets"}, {Line: "kubectl uncordon {node-of:web-1}"}},
		Checks: []Check{{Desc: "schedulable", JSONPath: &JSONPathCheck{Resource: "nodes", Name: "{node-of:web-1}", Path: "{.spec.unschedulable}", Equals: strp("")}}},
	}
	pod, err := s.Kube().CoreV1().Pods(s.Namespace()).Get(ctx, "web-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node := pod.Spec.NodeName
	o := Baseline(ctx, s, st)
	defer o.Close()
	drain, err := o.Expand(st.Cmds[0].Line)
	if err != nil || drain != "kubectl drain "+node+" --force --ignore-daemonsets" {
		t.Fatalf("Expand = %q, %v; want the node %s", drain, err, node)
	}
	if err := s.RunKubectl(ctx, drain, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if r := EvaluateSince(ctx, s, st, o)[0]; r.OK || !strings.Contains(r.Detail, "nodes/"+node) {
		t.Errorf("the node is cordoned, yet ok=%v %q", r.OK, r.Detail)
	}
	uncordon, _ := o.Expand(st.Cmds[1].Line)
	if uncordon != "kubectl uncordon "+node {
		t.Errorf("after the drain Expand = %q; want the baseline's node %s", uncordon, node)
	}
	if err := s.RunKubectl(ctx, uncordon, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if r := EvaluateSince(ctx, s, st, o)[0]; !r.OK {
		t.Errorf("after uncordon: %s", r.Detail)
	}
	if _, err := (*StepObserver)(nil).Expand("kubectl uncordon {node-of:web-1}"); err == nil {
		t.Error("Expand without a baseline filled in a node")
	}
}
