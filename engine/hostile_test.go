package engine

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/hostiletest"
)

// TestHostileCorpusOnServedSimulator runs the hostile corpus through the real-cluster path
// (a kubeconfig session in a lesson namespace) against the simulator served as a cluster.
// The simulator has no RBAC, so the session falls back to the guard alone: every line must
// be refused before it runs, and nothing outside the lesson namespace, no cluster-wide
// object and no kubeconfig file may change.
func TestHostileCorpusOnServedSimulator(t *testing.T) {
	ctx := testCtx(t)
	sim, _ := newTestSession(t)
	const other = "team-a"
	admin := sim.Kube()
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: other}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ConfigMaps(other).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep"}, Data: map[string]string{"a": "b"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Pods(other).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "keeper"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, sim)

	learnerKC := t.TempDir() + "/learner.kubeconfig"
	if err := sim.WriteKubeconfig(learnerKC); err != nil {
		t.Fatal(err)
	}
	env := hostiletest.Prepare(t, learnerKC, other)
	s, err := NewKubeconfigSession(ctx, KubeconfigOptions{Path: learnerKC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	plan, err := s.PlanLessonNamespace(ctx, "statefulset-basics", "")
	if err != nil {
		t.Fatal(err)
	}
	plan.Commands = []string{"kubectl apply -f web.yaml", "kubectl scale sts web --replicas=5", "kubectl delete pvc -l app=nginx"}
	if err := s.EnterLessonNamespace(ctx, plan); err != nil {
		t.Fatal(err)
	}
	t.Logf("identity: %s", s.Identity())
	ns := plan.Namespace

	nodes, err := admin.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("nodes: %v", err)
	}
	corpus := env.Corpus(t, ns, nodes.Items[0].Name)
	before := hostiletest.Snapshot(t, ctx, admin, ns)
	kcBefore := env.KubeconfigSums(t)
	counts := env.Run(t, ctx, corpus, s.RunKubectl, func(line string, err error, errOut string) (string, string) {
		var ge *GuardError
		if errors.As(err, &ge) {
			return "guard", ""
		}
		// Refused otherwise: the shell-like splitter or kubectl's own parser.
		t.Logf("%s: %v %s", line, err, strings.TrimSpace(errOut))
		var ke *KubectlError
		if errors.As(err, &ke) && !strings.Contains(errOut, "unknown") {
			return "", "the guard let it through and kubectl ran it"
		}
		return "parser", ""
	})
	waitIdle(t, sim)
	if d := hostiletest.Diff(before, hostiletest.Snapshot(t, ctx, admin, ns)); len(d) > 0 {
		t.Errorf("objects outside the lesson namespace changed:\n%s", strings.Join(d, "\n"))
	}
	if after := env.KubeconfigSums(t); after != kcBefore {
		t.Errorf("a kubeconfig file changed:\n%s\n%s", kcBefore, after)
	}
	t.Logf("corpus: %d lines, %d refused by the guard, %d by kubectl's parser or the splitter", len(corpus), counts["guard"], counts["parser"])
}
