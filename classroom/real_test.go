package classroom

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubetutor/kubetutor/tui/progress"
)

func TestStudentNamespaceIsADistinctDNSLabel(t *testing.T) {
	seen := map[string]string{}
	for _, name := range []string{"alice", "a", "bob-2", strings.Repeat("x", 32), "Alice", "a_b", "a-b ", "a.b", "ÄÖ", "", strings.Repeat("y", 80)} {
		ns := StudentNamespace(name)
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			t.Errorf("StudentNamespace(%q) = %q: %v", name, ns, errs)
		}
		if other, ok := seen[ns]; ok {
			t.Errorf("%q and %q share namespace %q", name, other, ns)
		}
		seen[ns] = name
	}
	if got := StudentNamespace("alice"); got != "kubetutor-alice" {
		t.Fatalf("StudentNamespace(alice) = %q", got)
	}
}

func newStore(t *testing.T, objs ...runtime.Object) (*ClusterStore, *fake.Clientset) {
	t.Helper()
	kube := fake.NewClientset(objs...)
	return &ClusterStore{Kube: kube, Class: "ws1", Limits: DefaultLimits()}, kube
}

func TestClusterStoreOpenPreparesTheNamespace(t *testing.T) {
	ctx := context.Background()
	s, kube := newStore(t)
	rec, err := s.Open(ctx, "alice", "key:SHA256:a")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "alice" || len(rec.Progress) != 0 {
		t.Fatalf("a new student's record = %+v", rec)
	}
	ns, err := kube.CoreV1().Namespaces().Get(ctx, "kubetutor-alice", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{LabelManagedBy: ManagedBy, LabelClass: "ws1", LabelStudent: "alice",
		"pod-security.kubernetes.io/enforce": "baseline"} {
		if ns.Labels[k] != v {
			t.Errorf("namespace label %s = %q, want %q", k, ns.Labels[k], v)
		}
	}
	q, err := kube.CoreV1().ResourceQuotas("kubetutor-alice").Get(ctx, QuotaName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := q.Spec.Hard[corev1.ResourcePods]; p.Value() != 10 {
		t.Errorf("quota pods = %v, want 10", p.String())
	}
	if c := q.Spec.Hard[corev1.ResourceLimitsCPU]; c.String() != "4" {
		t.Errorf("quota limits.cpu = %v, want 4 (twice requests)", c.String())
	}
	lr, err := kube.CoreV1().LimitRanges("kubetutor-alice").Get(ctx, LimitRangeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := lr.Spec.Limits[0].DefaultRequest[corev1.ResourceMemory]; d.String() != "64Mi" {
		t.Errorf("default memory request = %s", d.String())
	}
	if _, err := kube.CoreV1().ConfigMaps("kubetutor-alice").Get(ctx, ProgressConfigMap, metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}

	// A class restarted with other limits applies them.
	s.Limits.Pods = 3
	if _, err := s.Open(ctx, "alice", "key:SHA256:a"); err != nil {
		t.Fatal(err)
	}
	q, _ = kube.CoreV1().ResourceQuotas("kubetutor-alice").Get(ctx, QuotaName, metav1.GetOptions{})
	if p := q.Spec.Hard[corev1.ResourcePods]; p.Value() != 3 {
		t.Errorf("quota pods after a restart with 3 = %v", p.String())
	}

	// The name belongs to the first credential, whichever front end is asked.
	if _, err := s.Open(ctx, "alice", "key:SHA256:b"); err != errNameTaken {
		t.Fatalf("another key as alice: %v, want errNameTaken", err)
	}
	// Another class's namespace, or one kubetutor did not make, is never taken over.
	other := &ClusterStore{Kube: kube, Class: "ws2", Limits: DefaultLimits()}
	if _, err := other.Open(ctx, "alice", "key:SHA256:a"); err == nil || !strings.Contains(err.Error(), "not class \"ws2\"'s seat") {
		t.Fatalf("class ws2 opening ws1's alice: %v", err)
	}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kubetutor-bob"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, "bob", "password"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("an unlabelled kubetutor-bob: %v", err)
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, mut := range []func(*Limits){
		func(l *Limits) { l.CPU = "lots" },
		func(l *Limits) { l.Memory = "-1Gi" },
		func(l *Limits) { l.Pods = 0 },
		func(l *Limits) { l.DefaultCPU = "0" },
	} {
		l := DefaultLimits()
		mut(&l)
		if l.Validate() == nil {
			t.Errorf("%+v passed", l)
		}
	}
}

func progressBytes(t *testing.T, lessons map[string]*progress.Lesson) []byte {
	t.Helper()
	b, err := json.Marshal(progress.File{Format: progress.Format, Version: progress.Version, Lessons: lessons})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Two front ends serve the same student, each with its own progress store backed by the
// ConfigMap: every save merges lesson by lesson and step by step with what is stored, a save
// that conflicts (409: someone wrote between its read and its update) merges again, a reset
// at one front end stays reset, and a burst of conflicts longer than client-go's DefaultRetry
// still lands.
func TestClusterStoreProgressMergesAcrossFrontEnds(t *testing.T) {
	ctx := context.Background()
	s, kube := newStore(t)
	rec, err := s.Open(ctx, "alice", "password")
	if err != nil {
		t.Fatal(err)
	}
	var logged []string
	logf := func(f string, a ...any) { logged = append(logged, fmt.Sprintf(f, a...)) }
	fe1, _ := backedProgress(ctx, s, "alice", rec.Progress, logf)
	fe2, _ := backedProgress(ctx, s, "alice", rec.Progress, logf)
	do := func(p *progress.Store, lesson, step string) {
		t.Helper()
		if err := p.Update(lesson, func(l *progress.Lesson) { l.Step = step; l.StepOf(step).Done = true }); err != nil {
			t.Fatal(err)
		}
	}
	stored := func() progress.File {
		t.Helper()
		rec, err := s.Open(ctx, "alice", "password")
		if err != nil {
			t.Fatal(err)
		}
		f, err := progress.Parse(rec.Progress)
		if err != nil {
			t.Fatalf("%v: %s", err, rec.Progress)
		}
		return f
	}
	doneIn := func(f progress.File, lesson string) []string {
		var out []string
		if l := f.Lessons[lesson]; l != nil {
			for id, st := range l.Steps {
				if st.Done {
					out = append(out, id)
				}
			}
		}
		slices.Sort(out)
		return out
	}

	do(fe1, "statefulset-basics", "create")
	do(fe1, "lab-dns", "one")
	// fe2 has not read the ConfigMap since it opened; its save keeps fe1's step of the same
	// lesson (a newest-lesson-wins merge would drop it) and fe1's other lesson.
	do(fe2, "statefulset-basics", "scale")
	if got := doneIn(stored(), "statefulset-basics"); !slices.Equal(got, []string{"create", "scale"}) {
		t.Fatalf("steps of both front ends = %v", got)
	}
	if got := doneIn(stored(), "lab-dns"); !slices.Equal(got, []string{"one"}) {
		t.Fatalf("fe1's other lesson after fe2's save = %v", got)
	}

	// A third writer slips in between fe1's read and its update: the update conflicts and
	// fe1 merges again with what that writer stored.
	conflicts := 0
	kube.PrependReactor("update", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts > 0 {
			return false, nil, nil
		}
		conflicts++
		cm, _ := kube.Tracker().Get(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, "kubetutor-alice", ProgressConfigMap)
		c := cm.(*corev1.ConfigMap).DeepCopy()
		f, _ := progress.Parse([]byte(c.Data[progressKey]))
		f.Lessons["lab-other"] = &progress.Lesson{Step: "x", Steps: map[string]*progress.Step{"x": {Done: true}}, Updated: time.Now().UTC()}
		b, _ := json.Marshal(f)
		c.Data[progressKey] = string(b)
		c.ResourceVersion = "other-front-end"
		if err := kube.Tracker().Update(schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, c, "kubetutor-alice"); err != nil {
			t.Fatal(err)
		}
		return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, ProgressConfigMap, nil)
	})
	do(fe1, "statefulset-basics", "update")
	if conflicts != 1 {
		t.Fatalf("conflicts = %d, want 1", conflicts)
	}
	f := stored()
	if got := doneIn(f, "statefulset-basics"); !slices.Equal(got, []string{"create", "scale", "update"}) {
		t.Fatalf("after the conflict, basics = %v", got)
	}
	if got := doneIn(f, "lab-other"); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("the conflicting writer's lesson was lost: %v", got)
	}
	if l := fe1.Lesson("lab-other"); l.Steps["x"] == nil || !l.Steps["x"].Done {
		t.Fatalf("fe1 does not see the other writer's lesson after merging: %+v", l)
	}

	// fe1 resets lab-dns: it stays reset, in the ConfigMap and after fe2's next save.
	if err := fe1.ResetLesson("lab-dns"); err != nil {
		t.Fatal(err)
	}
	do(fe2, "statefulset-basics", "delete")
	if f := stored(); f.Lessons["lab-dns"] != nil {
		t.Fatalf("a reset lesson came back: %+v", f.Lessons["lab-dns"])
	}

	// A burst of conflicts (progress and statistics are two keys of one ConfigMap, saved
	// independently) outlasts client-go's DefaultRetry of 5 tries; the save still lands.
	burst := 0
	kube.PrependReactor("update", "configmaps", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if burst >= 7 {
			return false, nil, nil
		}
		burst++
		return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "configmaps"}, ProgressConfigMap, nil)
	})
	do(fe2, "statefulset-basics", "rolling")
	if got := doneIn(stored(), "statefulset-basics"); !slices.Contains(got, "rolling") {
		t.Fatalf("the save after %d conflicts did not land: %v", burst, got)
	}
	if len(logged) > 0 {
		t.Fatalf("saves that landed were logged as failures: %q", logged)
	}

	// Statistics: the larger time per lesson wins.
	if err := saveStats(ctx, s, "alice", []byte(`{"seconds":{"a":10,"b":5},"lang":"ko"}`)); err != nil {
		t.Fatal(err)
	}
	if err := saveStats(ctx, s, "alice", []byte(`{"seconds":{"a":3},"lang":"en"}`)); err != nil {
		t.Fatal(err)
	}
	rec, _ = s.Open(ctx, "alice", "password")
	var st stats
	if err := json.Unmarshal(rec.Stats, &st); err != nil {
		t.Fatal(err)
	}
	if st.Seconds["a"] != 10 || st.Seconds["b"] != 5 || st.Lang != "en" {
		t.Fatalf("merged stats = lang %q seconds %v", st.Lang, st.Seconds)
	}
}

func TestClusterStoreCleanupTakesOnlyTheClasssObjects(t *testing.T) {
	ctx := context.Background()
	mine := map[string]string{LabelManagedBy: ManagedBy, LabelClass: "ws1"}
	otherClass := map[string]string{LabelManagedBy: ManagedBy, LabelClass: "ws2"}
	solo := map[string]string{LabelManagedBy: ManagedBy}
	s, kube := newStore(t,
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kubetutor-read-kubetutor-alice", Labels: mine}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "kubetutor-read-kubetutor-alice", Labels: solo}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kubetutor-read-kubetutor-zed", Labels: otherClass}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kubetutor-read-kubetutor-statefulset-basics", Labels: solo}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kubetutor-zed", Labels: otherClass}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod"}},
	)
	for _, n := range []string{"alice", "bob"} {
		if _, err := s.Open(ctx, n, "password"); err != nil {
			t.Fatal(err)
		}
	}
	// The binding engine made for alice is labelled for the class once her seat is ready.
	if err := s.LabelClusterRBAC(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	plan, err := s.CleanupPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range plan {
		got = append(got, it.String())
	}
	want := "namespace/kubetutor-alice namespace/kubetutor-bob clusterrolebinding/kubetutor-read-kubetutor-alice clusterrole/kubetutor-read-kubetutor-alice"
	if strings.Join(got, " ") != want {
		t.Fatalf("plan = %v\nwant %s", got, want)
	}
	if err := s.Cleanup(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if plan, _ := s.CleanupPlan(ctx); len(plan) != 0 {
		t.Fatalf("left after cleanup: %v", plan)
	}
	for _, ns := range []string{"kubetutor-zed", "prod"} {
		if _, err := kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
			t.Errorf("namespace %s not ours, but: %v", ns, err)
		}
	}
	for _, cr := range []string{"kubetutor-read-kubetutor-zed", "kubetutor-read-kubetutor-statefulset-basics"} {
		if _, err := kube.RbacV1().ClusterRoles().Get(ctx, cr, metav1.GetOptions{}); err != nil {
			t.Errorf("ClusterRole %s not this class's, but: %v", cr, err)
		}
	}
}

// A student's progress follows them from one front end to another through the cluster, the
// name stays theirs, and the second front end's instructor sees them before they arrive.
func TestSecondFrontEndServesAReconnectingStudent(t *testing.T) {
	store, _ := newStore(t)
	real := func(o *Options) { o.StateDir = ""; o.Store = store }
	r1 := newRig(t, real)
	a, err := r1.dial("alice", gossh.PublicKeys(r1.alice.signer), "LANG", "en_US.UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice seated", func() bool { return strings.Contains(r1.screen("alice"), "player of alice [en]") })
	a.send("n")
	eventually(t, "alice on step two", func() bool { return strings.Contains(r1.screen("alice"), "step=two") })
	a.client.Close()
	<-a.closed
	eventually(t, "alice's seat saved", func() bool { return r1.class.waiting("alice") })

	// Another front end of the same class, with the same key files (newRig makes new keys:
	// share the first rig's).
	r2 := newRig(t, func(o *Options) {
		real(o)
		o.StudentsFile, o.InstructorsFile = r1.class.o.StudentsFile, r1.class.o.InstructorsFile
	})
	r2.alice, r2.bob = r1.alice, r1.bob
	r2.class.readElsewhere(context.Background())
	found := false
	for _, s := range r2.class.Status() {
		if s.Name == "alice" {
			found = true
			if s.Step != "two" || s.Connected {
				t.Fatalf("the second front end's view of alice: %+v", s)
			}
		}
	}
	if !found {
		t.Fatalf("the second front end's instructor does not list alice: %+v", r2.class.Status())
	}
	a2, err := r2.dial("alice", gossh.PublicKeys(r1.alice.signer), "LANG", "en_US.UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice back on step two at the other front end", func() bool { return strings.Contains(r2.screen("alice"), "step=two") })
	_ = a2
	// Bob's key cannot take alice's name at a front end that has never seen her connect.
	r3 := newRig(t, func(o *Options) {
		real(o)
		o.StudentsFile, o.InstructorsFile = r1.class.o.StudentsFile, r1.class.o.InstructorsFile
	})
	b, err := r3.dial("alice", gossh.PublicKeys(r1.bob.signer), "LANG", "en_US.UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	<-b.closed
	if !strings.Contains(b.output(), "belongs to another student") {
		t.Fatalf("bob as alice at a third front end: %q", b.output())
	}
	// The refused attempt bound nothing there: alice's own key still gets her seat.
	a3, err := r3.dial("alice", gossh.PublicKeys(r1.alice.signer), "LANG", "en_US.UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice seated at the third front end after bob's attempt", func() bool {
		return strings.Contains(r3.screen("alice"), "step=two")
	})
	_ = a3
}
