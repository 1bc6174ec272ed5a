package conformance

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubetutor/kubetutor/conformance/kit"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// TestRelativeChecksOnTheRealControlPlane runs the checks relative to a step's start (changed,
// event, observed, output) against the kit's real apiserver and StatefulSet controller: they
// fail at the baseline and pass once a pod is replaced and the set scaled, as on the simulator
// (lessons/change_test.go). Nothing here needs a container runtime.
func TestRelativeChecksOnTheRealControlPlane(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := kit.Start(t)
	const ns = "kubetutor-relative"
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := engine.NewKubeconfigSession(ctx, engine.KubeconfigOptions{Path: c.Kubeconfig, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RunKubectl(ctx, "kubectl apply -f web.yaml", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := Settled(ctx, s); err != nil {
		t.Fatal(err)
	}
	st := lessons.Step{ID: "rel", Lang: "en", Checks: []lessons.Check{
		{Desc: "web-0 recreated", Changed: &lessons.ChangedCheck{Resource: "pods", Name: "web-0", How: "recreated"}},
		{Desc: "web-1 deleted", Changed: &lessons.ChangedCheck{Resource: "pods", Name: "web-1", How: "deleted"}},
		{Desc: "generation", Changed: &lessons.ChangedCheck{Resource: "sts", Name: "web", How: "generation"}},
		{Desc: "replicas", Changed: &lessons.ChangedCheck{Resource: "sts", Name: "web", How: "field", Path: "{.spec.replicas}"}},
		{Desc: "sts deleted a pod", Event: &lessons.EventCheck{Reason: "SuccessfulDelete", Kind: "StatefulSet", Name: "web"}},
		{Desc: "sts created web-0", Event: &lessons.EventCheck{Reason: "SuccessfulCreate", Kind: "StatefulSet", Name: "web", Message: "web-0"}},
		{Desc: "web-0 terminating", Observed: &lessons.ObservedCheck{Name: "web-0", Terminating: true}},
		{Desc: "web-0 pending", Observed: &lessons.ObservedCheck{Name: "web-0", Phase: "Pending"}},
		{Desc: "looked", Output: &lessons.OutputCheck{Command: "kubectl get sts web", Contains: "1/1"}},
	}}
	obs := lessons.Baseline(ctx, s, st)
	defer obs.Close()
	for _, r := range lessons.EvaluateSince(ctx, s, st, obs) {
		if r.OK {
			t.Errorf("%q passes at the baseline", r.Desc)
		}
	}
	for _, line := range []string{"kubectl delete pod web-0", "kubectl scale sts web --replicas=1"} {
		if err := s.RunKubectl(ctx, line, nil, nil, nil); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if err := Settled(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	if err := s.RunKubectl(ctx, "kubectl get sts web", nil, &out, nil); err != nil {
		t.Fatal(err)
	}
	obs.Ran("kubectl get sts web", out.String())
	var failed []string
	_ = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		failed = lessons.FailedChecks(lessons.EvaluateSince(ctx, s, st, obs))
		return len(failed) == 0, nil
	})
	if len(failed) > 0 {
		t.Errorf("relative checks fail on the real control plane: %v", failed)
	}
}
