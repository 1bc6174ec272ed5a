package conformance

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/conformance/kit"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

const evilManifest = "apiVersion: v1\nkind: Namespace\nmetadata: {name: evil}\n---\n" +
	`{"apiVersion":"v1","kind":"ConfigMap","Kind":"Namespace","metadata":{"name":"evil","namespace":"team-a","Namespace":"kube-system"}}` + "\n"

// hostileCorpus reads the main module's corpus (engine/testdata/hostile-commands.txt).
func hostileCorpus(t *testing.T, repl map[string]string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "engine", "testdata", "hostile-commands.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pairs []string
	for k, v := range repl {
		pairs = append(pairs, k, v)
	}
	r := strings.NewReplacer(pairs...)
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, r.Replace(line))
		}
	}
	return out
}

// wholeCluster lists, with resourceVersions, everything outside namespace skip that a
// hostile command could change: namespaces and the objects in them, nodes, PVs,
// StorageClasses, ClusterRoles and ClusterRoleBindings.
func wholeCluster(t *testing.T, ctx context.Context, kube kubernetes.Interface, skip string) []string {
	t.Helper()
	var out []string
	nss, err := kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		if n.Name == skip {
			continue
		}
		out = append(out, "namespace/"+n.Name+"@"+n.ResourceVersion)
		cms, _ := kube.CoreV1().ConfigMaps(n.Name).List(ctx, metav1.ListOptions{})
		for _, o := range cms.Items {
			out = append(out, "configmap/"+n.Name+"/"+o.Name+"@"+o.ResourceVersion)
		}
		pods, _ := kube.CoreV1().Pods(n.Name).List(ctx, metav1.ListOptions{})
		for _, o := range pods.Items {
			out = append(out, "pod/"+n.Name+"/"+o.Name+"@"+o.ResourceVersion)
		}
		svcs, _ := kube.CoreV1().Services(n.Name).List(ctx, metav1.ListOptions{})
		for _, o := range svcs.Items {
			out = append(out, "service/"+n.Name+"/"+o.Name+"@"+o.ResourceVersion)
		}
		sas, _ := kube.CoreV1().ServiceAccounts(n.Name).List(ctx, metav1.ListOptions{})
		for _, o := range sas.Items {
			out = append(out, "serviceaccount/"+n.Name+"/"+o.Name+"@"+o.ResourceVersion)
		}
		rbs, _ := kube.RbacV1().RoleBindings(n.Name).List(ctx, metav1.ListOptions{})
		for _, o := range rbs.Items {
			out = append(out, "rolebinding/"+n.Name+"/"+o.Name+"@"+o.ResourceVersion)
		}
	}
	nodes, _ := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	for _, o := range nodes.Items {
		out = append(out, "node/"+o.Name+"@"+o.ResourceVersion)
	}
	pvs, _ := kube.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	for _, o := range pvs.Items {
		out = append(out, "pv/"+o.Name+"@"+o.ResourceVersion)
	}
	scs, _ := kube.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	for _, o := range scs.Items {
		out = append(out, "storageclass/"+o.Name+"@"+o.ResourceVersion)
	}
	crs, _ := kube.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	for _, o := range crs.Items {
		out = append(out, "clusterrole/"+o.Name+"@"+o.ResourceVersion)
	}
	crbs, _ := kube.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	for _, o := range crbs.Items {
		out = append(out, "clusterrolebinding/"+o.Name+"@"+o.ResourceVersion)
	}
	sort.Strings(out)
	return out
}

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

	dir := t.TempDir()
	kc, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc.Contexts["victim"] = kc.Contexts[kc.CurrentContext]
	homeKC := filepath.Join(dir, "home", ".kube", "config")
	if err := os.MkdirAll(filepath.Dir(homeKC), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*kc, homeKC); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("KUBECONFIG", homeKC)
	evilDir := filepath.Join(dir, "evil")
	if err := os.MkdirAll(evilDir, 0o700); err != nil {
		t.Fatal(err)
	}
	evilFile := filepath.Join(evilDir, "evil.yaml")
	if err := os.WriteFile(evilFile, []byte(evilManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(evilDir, "kustomization.yaml"), []byte("resources: [evil.yaml]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sums := func() string {
		var out []string
		for _, p := range []string{c.Kubeconfig, homeKC} {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %x", p, sha256.Sum256(b)))
		}
		return strings.Join(out, "\n")
	}

	l, err := lessons.Get("statefulset-basics", "en")
	if err != nil {
		t.Fatal(err)
	}
	s, err := engine.NewKubeconfigSession(ctx, engine.KubeconfigOptions{Path: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	beforeEnter := wholeCluster(t, ctx, c.Kube, engine.LessonNamespaceName(l.ID))
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

	corpus := hostileCorpus(t, map[string]string{"LESSON_NS": ns, "OTHER_NS": other, "NODE": node,
		"HOME_KUBECONFIG": homeKC, "EVIL_FILE": evilFile, "EVIL_DIR": evilDir})
	if len(corpus) < 60 {
		t.Fatalf("corpus of %d lines, want at least 60", len(corpus))
	}
	before := wholeCluster(t, ctx, c.Kube, ns)
	kcBefore := sums()
	guarded, denied := 0, 0
	for _, line := range corpus {
		var out, errOut bytes.Buffer
		err := s.RunKubectl(ctx, line, strings.NewReader(evilManifest), &out, &errOut)
		var ge *engine.GuardError
		var ke *engine.KubectlError
		switch {
		case err == nil:
			t.Errorf("%s: ran:\n%s%s", line, out.String(), errOut.String())
		case errors.As(err, &ge):
			guarded++
		case errors.As(err, &ke) && strings.Contains(strings.ToLower(errOut.String()), "forbidden"):
			denied++
		default:
			t.Errorf("%s: neither refused by the guard nor denied by the API server: %v %s", line, err, errOut.String())
		}
	}
	if err := Settled(ctx, s); err != nil {
		t.Fatal(err)
	}
	if d := DiffLines(before, wholeCluster(t, ctx, c.Kube, ns)); len(d) > 0 {
		t.Errorf("objects outside the lesson namespace changed:\n%s", strings.Join(d, "\n"))
	}
	if got := sums(); got != kcBefore {
		t.Errorf("a kubeconfig file changed:\n%s\n%s", kcBefore, got)
	}
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
		for _, d := range DiffLines(beforeEnter, wholeCluster(t, ctx, c.Kube, ns)) {
			// cordon/uncordon above changed the node's resourceVersion, with the learner's consent.
			if !strings.Contains(d, "node/"+node+"@") {
				changed = append(changed, d)
			}
		}
		return len(changed) == 0, nil
	})
	if len(changed) > 0 {
		t.Errorf("after cleanup the cluster differs from before the lesson:\n%s", strings.Join(changed, "\n"))
	}
}
