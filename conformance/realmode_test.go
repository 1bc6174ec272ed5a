package conformance

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubetutor/kubetutor/conformance/kit"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// outside lists every object outside ns that a lesson could touch, as "kind/ns/name@rv".
func outside(t *testing.T, ctx context.Context, c *kit.Cluster, ns string) []string {
	t.Helper()
	var out []string
	nss, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		if n.Name == ns {
			continue
		}
		out = append(out, "namespace/"+n.Name+"@"+n.ResourceVersion)
		pods, _ := c.Kube.CoreV1().Pods(n.Name).List(ctx, metav1.ListOptions{})
		for _, p := range pods.Items {
			out = append(out, "pod/"+n.Name+"/"+p.Name+"@"+p.ResourceVersion)
		}
		svcs, _ := c.Kube.CoreV1().Services(n.Name).List(ctx, metav1.ListOptions{})
		for _, s := range svcs.Items {
			out = append(out, "service/"+n.Name+"/"+s.Name+"@"+s.ResourceVersion)
		}
		pvcs, _ := c.Kube.CoreV1().PersistentVolumeClaims(n.Name).List(ctx, metav1.ListOptions{})
		for _, p := range pvcs.Items {
			out = append(out, "pvc/"+n.Name+"/"+p.Name+"@"+p.ResourceVersion)
		}
		sets, _ := c.Kube.AppsV1().StatefulSets(n.Name).List(ctx, metav1.ListOptions{})
		for _, s := range sets.Items {
			out = append(out, "sts/"+n.Name+"/"+s.Name+"@"+s.ResourceVersion)
		}
	}
	nodes, _ := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	for _, n := range nodes.Items {
		out = append(out, "node/"+n.Name+"@"+n.ResourceVersion)
	}
	pvs, _ := c.Kube.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	for _, p := range pvs.Items {
		out = append(out, "pv/"+p.Name)
	}
	scs, _ := c.Kube.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	for _, s := range scs.Items {
		out = append(out, "storageclass/"+s.Name+"@"+s.ResourceVersion)
	}
	sort.Strings(out)
	return out
}

// TestRealModePlaysLessonAndCleansUp plays StatefulSet Basics in real-cluster mode against the
// kit's control plane, as `kubetutor --kubeconfig` does: doctor, a namespace of its own,
// every step's commands and checks, guarded commands, cleanup. Afterwards nothing the lesson
// made is left (PVCs and their PVs included) and nothing outside its namespace changed.
func TestRealModePlaysLessonAndCleansUp(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := kit.Start(t)
	l, err := lessons.Get("statefulset-basics", "en")
	if err != nil {
		t.Fatal(err)
	}
	s, err := engine.NewKubeconfigSession(ctx, engine.KubeconfigOptions{Path: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ns := engine.LessonNamespaceName(l.ID)
	before := outside(t, ctx, c, ns)

	plan, err := s.PlanLessonNamespace(ctx, l.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Create || plan.Namespace != "kubetutor-statefulset-basics" {
		t.Fatalf("plan %+v", plan)
	}
	if _, err := s.PlanLessonNamespace(ctx, l.ID, "kube-system"); err == nil {
		t.Fatal("kube-system accepted as a lesson namespace")
	}
	var lines []string
	for _, st := range l.Steps {
		lines = append(lines, st.Commands...)
	}
	needs := append(engine.LessonNeeds(lines), engine.AccessNeed{Verb: "create", Resource: "namespaces", ClusterWide: true})
	for _, d := range s.Doctor(ctx, engine.DoctorOptions{Namespace: ns, Needs: needs, NeedsStorage: true}) {
		if d.Status != engine.DoctorOK {
			t.Errorf("doctor %s: %s %s (%s)", d.Name, d.Status, d.Detail, d.Fix)
		}
		if d.Name == "server" && !strings.Contains(d.Detail, "v1.37.2") {
			t.Errorf("doctor server: %s (built without the version ldflags?)", d.Detail)
		}
	}

	if err := s.EnterLessonNamespace(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Label(), "REAL cluster") || s.Namespace() != ns {
		t.Fatalf("label %q namespace %q", s.Label(), s.Namespace())
	}
	got, err := c.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil || got.Labels[engine.LabelManagedBy] != engine.ManagedByValue {
		t.Fatalf("namespace %v labels %v", err, got.Labels)
	}

	// Image pulls, with consent: one image pulls, one does not.
	c.Kubelet.FailImage("registry.k8s.io/nginx-slim:0.99", "ErrImagePull")
	for img, want := range map[string]string{"k8s.gcr.io/nginx-slim:0.8": engine.DoctorOK, "registry.k8s.io/nginx-slim:0.99": engine.DoctorFail} {
		res := s.Doctor(ctx, engine.DoctorOptions{Namespace: ns, Images: []string{img}, PullTest: true, PullTimeout: time.Minute})
		last := res[len(res)-1]
		if last.Status != want {
			t.Errorf("pull check %s: %s %s, want %s", img, last.Status, last.Detail, want)
		}
	}

	// The guard, through the same RunKubectl the command bar and the lesson runner use.
	for _, line := range []string{"kubectl delete pod x -n default", "kubectl create namespace other", "kubectl cordon sim-node-1"} {
		err := s.RunKubectl(ctx, line, nil, nil, nil)
		var ge *engine.GuardError
		if !errors.As(err, &ge) {
			t.Errorf("%s: not refused: %v", line, err)
		}
	}

	for _, st := range l.Steps {
		st = withoutContainerRuntime(st)    // the kit has no container runtime (see differential_test.go)
		obs := lessons.Baseline(ctx, s, st) // the step's start, for its relative checks
		for _, line := range st.RunnableCommands() {
			var out, errOut bytes.Buffer
			if err := s.RunKubectl(ctx, line, nil, &out, &errOut); err != nil {
				t.Fatalf("step %s: %s: %v\n%s%s", st.ID, line, err, out.String(), errOut.String())
			}
			obs.Ran(line, out.String()+errOut.String())
			if err := Settled(ctx, s); err != nil {
				t.Fatalf("step %s: %v", st.ID, err)
			}
		}
		if len(st.Checks) > 0 {
			var failed []string
			_ = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
				failed = nil
				for _, r := range lessons.EvaluateSince(ctx, s, st, obs) {
					if !r.OK {
						failed = append(failed, r.Desc+": "+r.Detail)
					}
				}
				return len(failed) == 0, nil
			})
			if len(failed) > 0 {
				t.Fatalf("step %s: checks fail on the real control plane: %v", st.ID, failed)
			}
		}
		obs.Close()
	}
	// The lesson's last step deletes the claims; leave some behind to see cleanup take them.
	if err := s.RunKubectl(ctx, "kubectl apply -f web.yaml", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := Settled(ctx, s); err != nil {
		t.Fatal(err)
	}
	items, err := s.CleanupPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := "namespace/" + ns; len(items) == 0 || !strings.HasPrefix(items[0], want) ||
		!strings.Contains(strings.Join(items, " "), "persistentvolumeclaim/www-web-0") {
		t.Fatalf("cleanup plan %v", items)
	}
	if err := s.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace still there: %v", err)
	}
	// PVs follow their claims (reclaim policy Delete): wait for the binder to remove them.
	var after []string
	_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		after = outside(t, ctx, c, ns)
		return strings.Join(after, "\n") == strings.Join(before, "\n"), nil
	})
	if d := DiffLines(before, after); len(d) > 0 {
		t.Fatalf("objects outside the lesson namespace changed or were left behind:\n%s", strings.Join(d, "\n"))
	}
}

// TestDoctorReportsMissingRBAC checks a learner without rights, then with a Role granting the
// lesson's resources in the lesson namespace.
func TestDoctorReportsMissingRBAC(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := kit.Start(t)
	const ns = "kubetutor-statefulset-basics"
	// A kubeconfig for user "learner": the admin's credentials impersonating them.
	kc, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc.AuthInfos["kit"].Impersonate = "learner"
	path := filepath.Join(t.TempDir(), "learner")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	s, err := engine.NewKubeconfigSession(ctx, engine.KubeconfigOptions{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	needs := engine.LessonNeeds([]string{"kubectl apply -f web.yaml", "kubectl scale sts web --replicas=5"})
	perm := func() engine.DoctorCheck {
		for _, d := range s.Doctor(ctx, engine.DoctorOptions{Namespace: ns, Needs: needs}) {
			if d.Name == "permissions" {
				return d
			}
		}
		t.Fatal("no permissions check")
		return engine.DoctorCheck{}
	}
	if d := perm(); d.Status != engine.DoctorFail || !strings.Contains(d.Detail, "create statefulsets.apps") || !strings.Contains(d.Fix, "simulator") {
		t.Fatalf("without rights: %+v", d)
	}
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, nsObj(ns), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The built-in edit role is filled by the aggregation controller, which the kit does not
	// run: a Role with explicit rules stands in for it.
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "lesson", Namespace: ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"", "apps"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}
	if _, err := c.Kube.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "learner-edit", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "lesson"},
		Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: "learner"}}}
	if _, err := c.Kube.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var d engine.DoctorCheck
	_ = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		d = perm()
		return d.Status == engine.DoctorOK, nil
	})
	if d.Status != engine.DoctorOK {
		t.Fatalf("with the edit role: %+v", d)
	}
}

func nsObj(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}
