package conformance

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubetutor/kubetutor/conformance/kit"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/engine/hostiletest"
	"github.com/kubetutor/kubetutor/lessons"
)

// TestHostileCorpusOnRealAPIServer runs the hostile corpus through the real-cluster path
// against the kit's kube-apiserver with RBAC: the lesson runs as its own ServiceAccount, each
// line is refused by the guard or denied by the API server, and nothing outside the lesson
// namespace, no cluster-wide object and no kubeconfig file changes. Then the ServiceAccount
// is shown to be held by the API server itself (requests that bypass the guard are denied),
// the lesson's own commands run under it, and cleanup removes its RBAC objects.
func TestHostileCorpusOnRealAPIServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := kit.Start(t)
	const other = "team-a"
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, nsObj(other), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kube.CoreV1().ConfigMaps(other).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep"}, Data: map[string]string{"a": "b"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("nodes: %v", err)
	}
	node := nodes.Items[0].Name

	env := hostiletest.Prepare(t, c.Kubeconfig, other)

	l, err := lessons.Get("statefulset-basics", "en")
	if err != nil {
		t.Fatal(err)
	}
	s, err := engine.NewKubeconfigSession(ctx, engine.KubeconfigOptions{Path: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	beforeEnter := hostiletest.Snapshot(t, ctx, c.Kube, engine.LessonNamespaceName(l.ID))
	plan, err := s.PlanLessonNamespace(ctx, l.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range l.Steps {
		plan.Commands = append(plan.Commands, st.Commands...)
	}
	if err := s.EnterLessonNamespace(ctx, plan); err != nil {
		t.Fatal(err)
	}
	ns := plan.Namespace
	if id := s.Identity(); !strings.Contains(id, "ServiceAccount "+ns+"/"+engine.LessonServiceAccount) {
		t.Fatalf("the lesson does not run as its ServiceAccount: %s", id)
	}
	t.Logf("identity: %s", s.Identity())

	corpus := env.Corpus(t, ns, node)
	before := hostiletest.Snapshot(t, ctx, c.Kube, ns)
	kcBefore := env.KubeconfigSums(t)
	counts := env.Run(t, ctx, corpus, s.RunKubectl, func(line string, err error, errOut string) (string, string) {
		var ge *engine.GuardError
		var ke *engine.KubectlError
		switch {
		case errors.As(err, &ge):
			return "guard", ""
		case errors.As(err, &ke) && strings.Contains(strings.ToLower(errOut), "forbidden"):
			return "API server", ""
		}
		return "", "neither refused by the guard nor denied by the API server"
	})
	if err := Settled(ctx, s); err != nil {
		t.Fatal(err)
	}
	if d := hostiletest.Diff(before, hostiletest.Snapshot(t, ctx, c.Kube, ns)); len(d) > 0 {
		t.Errorf("objects outside the lesson namespace changed:\n%s", strings.Join(d, "\n"))
	}
	if got := env.KubeconfigSums(t); got != kcBefore {
		t.Errorf("a kubeconfig file changed:\n%s\n%s", kcBefore, got)
	}
	guarded, denied := counts["guard"], counts["API server"]
	t.Logf("corpus: %d lines; %d refused by the guard, %d denied by the API server", len(corpus), guarded, denied)

	// The API server holds the line without the guard: the session's own clients carry the
	// ServiceAccount's token.
	kube := s.Kube()
	forbidden := func(what string, err error) {
		t.Helper()
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s as the lesson's ServiceAccount: %v, want Forbidden", what, err)
		}
	}
	forbidden("delete configmap in another namespace", kube.CoreV1().ConfigMaps(other).Delete(ctx, "keep", metav1.DeleteOptions{}))
	_, err = kube.CoreV1().Namespaces().Create(ctx, nsObj("evil"), metav1.CreateOptions{})
	forbidden("create a namespace", err)
	_, err = kube.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{})
	forbidden("cordon a node", err)
	_, err = kube.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
	forbidden("list kube-system secrets", err)
	_, err = kube.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "escalate"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, metav1.CreateOptions{})
	forbidden("create a Role", err)
	if _, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("the ServiceAccount may not list nodes: %v", err)
	}
	// A step on nodes is refused with the offer to run it as the learner.
	var ge *engine.GuardError
	if err := s.RunKubectl(ctx, "kubectl cordon "+node, nil, nil, nil); !errors.As(err, &ge) || !ge.OwnCredentials {
		t.Errorf("cordon: %v, want a refusal offering the learner's credentials", err)
	}
	if err := s.RunKubectlAsLearner(ctx, "kubectl cordon "+node, nil, nil, nil); err != nil {
		t.Errorf("cordon with the learner's credentials: %v", err)
	}
	if err := s.RunKubectlAsLearner(ctx, "kubectl uncordon "+node, nil, nil, nil); err != nil {
		t.Errorf("uncordon with the learner's credentials: %v", err)
	}

	// The lesson's own commands run under the ServiceAccount's Role.
	for _, st := range l.Steps {
		st = withoutContainerRuntime(st)
		for _, line := range st.RunnableCommands() {
			var out, errOut bytes.Buffer
			if err := s.RunKubectl(ctx, line, nil, &out, &errOut); err != nil {
				t.Fatalf("step %s: %s as the lesson's ServiceAccount: %v\n%s%s", st.ID, line, err, out.String(), errOut.String())
			}
			if err := Settled(ctx, s); err != nil {
				t.Fatalf("step %s: %v", st.ID, err)
			}
		}
	}

	if err := s.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	// PVs follow their claims once the namespace is gone: wait for the binder.
	var changed []string
	_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		changed = nil
		for _, d := range hostiletest.Diff(beforeEnter, hostiletest.Snapshot(t, ctx, c.Kube, ns)) {
			// cordon/uncordon above changed the node's resourceVersion, with the learner's
			// consent; the lesson namespace itself may still be terminating.
			if !strings.Contains(d, "node/"+node+"@") && !strings.Contains(d, " namespace/"+ns+"@") {
				changed = append(changed, d)
			}
		}
		return len(changed) == 0, nil
	})
	if len(changed) > 0 {
		t.Errorf("after cleanup the cluster differs from before the lesson:\n%s", strings.Join(changed, "\n"))
	}
}
