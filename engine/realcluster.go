package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Labels kubetutor puts on a namespace it creates for a lesson on a real cluster. Only a
// namespace carrying LabelManagedBy=ManagedByValue is ever deleted by kubetutor.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedByValue = "kubetutor"
	LabelLesson    = "kubetutor.dev/lesson"
)

// realState is a real-cluster session's lesson namespace.
type realState struct {
	mu      sync.Mutex
	ns      string    // "" until EnterLessonNamespace
	ours    bool      // kubetutor created (and labelled) it
	since   time.Time // objects created from here on are the lesson's (for a namespace not ours)
	context string

	// learnerCfg and learnerKube are the learner's own credentials once the session runs as
	// the lesson's ServiceAccount (rbac.go): used for setup, cleanup and a command the
	// learner chose to run as themselves. Nil while the session runs as the learner.
	learnerCfg  *rest.Config
	learnerKube kubernetes.Interface
	rbac        *lessonRBAC // what rbac.go created, nil if nothing
	guardOnly   string      // why the session falls back to the guard alone ("" if not)
}

func (s *Session) lessonNamespace() string {
	s.real.mu.Lock()
	defer s.real.mu.Unlock()
	return s.real.ns
}

// LessonNamespaceName is the namespace a lesson uses on a real cluster unless the learner
// names one: "kubetutor-<lesson id>", cut to a valid namespace name.
func LessonNamespaceName(lessonID string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(lessonID) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	n := "kubetutor-" + strings.Trim(b.String(), "-")
	if len(n) > validation.DNS1123LabelMaxLength {
		n = n[:validation.DNS1123LabelMaxLength]
	}
	return strings.TrimRight(n, "-")
}

// NamespacePlan is what EnterLessonNamespace will do, for the learner to confirm first.
type NamespacePlan struct {
	Lesson    string
	Namespace string
	Context   string
	Server    string
	Create    bool // the namespace does not exist yet: kubetutor creates and labels it
	Ours      bool // it exists and kubetutor created it earlier (labelled)
	// Commands are the lesson's command lines. When set, EnterLessonNamespace gives the
	// lesson its own ServiceAccount with a Role derived from them (rbac.go) and runs every
	// later request as it; when empty, the session keeps the learner's credentials.
	Commands []string
}

// Describe is the question put to the learner before the first change to a real cluster.
func (p NamespacePlan) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "This lesson will change a REAL cluster: context %q (%s).\n", p.Context, p.Server)
	switch {
	case p.Create:
		fmt.Fprintf(&b, "It will create the namespace %q (labelled %s=%s) and work only inside it.\n",
			p.Namespace, LabelManagedBy, ManagedByValue)
	case p.Ours:
		fmt.Fprintf(&b, "It will reuse the namespace %q, which kubetutor created earlier, and work only inside it.\n", p.Namespace)
	default:
		fmt.Fprintf(&b, "It will work inside the existing namespace %q, which kubetutor did not create: "+
			"cleanup removes only what the lesson created there, never the namespace.\n", p.Namespace)
	}
	if len(p.Commands) > 0 {
		fmt.Fprintf(&b, "It will create there a ServiceAccount %q with a Role allowing what the lesson does, and run every command as it;\n"+
			"a ClusterRole (labelled %s=%s, removed at cleanup) lets it read nodes, PersistentVolumes, StorageClasses and namespaces.\n",
			LessonServiceAccount, LabelManagedBy, ManagedByValue)
	}
	b.WriteString("Commands that would change anything outside it are refused. At the end you are offered a cleanup.\n")
	return b.String()
}

// PlanLessonNamespace decides which namespace a lesson uses on this real cluster: name, or
// LessonNamespaceName(lessonID) when name is "". Nothing is changed yet.
func (s *Session) PlanLessonNamespace(ctx context.Context, lessonID, name string) (NamespacePlan, error) {
	if s.sim != nil {
		return NamespacePlan{}, fmt.Errorf("engine: lesson namespaces are for real clusters; the simulator is all the lesson's")
	}
	if name == "" {
		name = LessonNamespaceName(lessonID)
	}
	if protectedNamespaces[name] {
		return NamespacePlan{}, fmt.Errorf("namespace %q belongs to the cluster itself; kubetutor never uses it (pick another with -n)", name)
	}
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return NamespacePlan{}, fmt.Errorf("%q is not a valid namespace name: %s", name, strings.Join(errs, "; "))
	}
	p := NamespacePlan{Lesson: lessonID, Namespace: name, Context: s.kubeContext, Server: s.cfg.Host}
	ns, err := s.kube.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		p.Create = true
	case err != nil:
		return p, fmt.Errorf("reading namespace %q: %w", name, err)
	case ns.DeletionTimestamp != nil:
		return p, fmt.Errorf("namespace %q is being deleted; wait until it is gone, or pick another with -n", name)
	default:
		p.Ours = ns.Labels[LabelManagedBy] == ManagedByValue
	}
	return p, nil
}

// EnterLessonNamespace carries out a plan the learner confirmed: it creates and labels the
// namespace if needed, and from then on the session works in it (kubectl, watches, checks)
// and refuses commands that would change anything outside it (CheckCommand).
func (s *Session) EnterLessonNamespace(ctx context.Context, p NamespacePlan) error {
	if s.sim != nil {
		return fmt.Errorf("engine: lesson namespaces are for real clusters")
	}
	ours := p.Ours
	since := time.Now()
	if p.Create {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: p.Namespace, Labels: map[string]string{
			LabelManagedBy: ManagedByValue, LabelLesson: strings.TrimPrefix(LessonNamespaceName(p.Lesson), "kubetutor-"),
			// Pod Security admission keeps the lesson's pods (and `kubectl debug node`)
			// from reaching the node's host: no privileged, hostPath or host namespaces.
			"pod-security.kubernetes.io/enforce": "baseline",
		}}}
		created, err := s.kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("creating namespace %q: %w", p.Namespace, err)
		}
		ours = true
		since = created.CreationTimestamp.Time
	} else if got, err := s.kube.CoreV1().Namespaces().Get(ctx, p.Namespace, metav1.GetOptions{}); err != nil {
		return fmt.Errorf("reading namespace %q: %w", p.Namespace, err)
	} else {
		ours = got.Labels[LabelManagedBy] == ManagedByValue
		// The server's clock decides creationTimestamps; a marker of "now" in its terms is
		// not available without writing, so allow for a little skew.
		since = time.Now().Add(-2 * time.Second)
	}
	s.real.mu.Lock()
	s.real.ns, s.real.ours, s.real.since, s.real.context = p.Namespace, ours, since, s.label
	s.real.mu.Unlock()
	s.ns = p.Namespace
	// The status line names the cluster through Label: make a real one unmistakable.
	s.label = "REAL cluster " + s.real.context
	if len(p.Commands) > 0 {
		needs := LessonNeeds(p.Commands)
		if err := s.setupLessonIdentity(ctx, p.Namespace, strings.TrimPrefix(LessonNamespaceName(p.Lesson), "kubetutor-"), needs); err != nil {
			// The API server cannot enforce the namespace for us: the guard alone does.
			s.real.mu.Lock()
			s.real.guardOnly = guardOnlyReason(err)
			s.real.mu.Unlock()
		}
	}
	return nil
}

// CleanupPlan lists what Cleanup would delete, one "kind/name" per line.
func (s *Session) CleanupPlan(ctx context.Context) ([]string, error) {
	s.real.mu.Lock()
	ns, ours, since := s.real.ns, s.real.ours, s.real.since
	s.real.mu.Unlock()
	if ns == "" {
		return nil, fmt.Errorf("engine: no lesson namespace on this session")
	}
	items, err := s.lessonObjects(ctx, ns, ours, since)
	if err != nil {
		return nil, err
	}
	s.real.mu.Lock()
	r := s.real.rbac
	s.real.mu.Unlock()
	if r != nil {
		items = append(items, "clusterrolebinding/"+r.clusterRoleBinding, "clusterrole/"+r.clusterRole)
		if !ours {
			items = append(items, "rolebinding/"+LessonServiceAccount, "role/"+LessonServiceAccount, "serviceaccount/"+LessonServiceAccount)
		}
	}
	if ours {
		items = append([]string{"namespace/" + ns + " (and everything in it)"}, items...)
	}
	return items, nil
}

// lessonObjects lists the lesson's objects in ns: all of them in a namespace kubetutor
// created, else those created since the lesson began.
func (s *Session) lessonObjects(ctx context.Context, ns string, ours bool, since time.Time) ([]string, error) {
	kube := s.adminKube()
	var out []string
	keep := func(m metav1.ObjectMeta) bool {
		return ours || !m.CreationTimestamp.Time.Before(since.Truncate(time.Second))
	}
	sets, err := kube.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing StatefulSets: %w", err)
	}
	for _, o := range sets.Items {
		if keep(o.ObjectMeta) {
			out = append(out, "statefulset/"+o.Name)
		}
	}
	svcs, err := kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing Services: %w", err)
	}
	for _, o := range svcs.Items {
		if keep(o.ObjectMeta) {
			out = append(out, "service/"+o.Name)
		}
	}
	pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing pods: %w", err)
	}
	for _, o := range pods.Items {
		if keep(o.ObjectMeta) {
			out = append(out, "pod/"+o.Name)
		}
	}
	pvcs, err := kube.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing PVCs: %w", err)
	}
	for _, o := range pvcs.Items {
		if keep(o.ObjectMeta) {
			out = append(out, "persistentvolumeclaim/"+o.Name)
		}
	}
	cms, err := kube.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing ConfigMaps: %w", err)
	}
	for _, o := range cms.Items {
		if keep(o.ObjectMeta) && o.Name != "kube-root-ca.crt" {
			out = append(out, "configmap/"+o.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Cleanup removes what the lesson created: the whole namespace when kubetutor created it
// (checked again on the live object: a namespace without kubetutor's label is never
// deleted), otherwise the lesson's objects in it, PVCs included. It waits until they are
// gone or ctx ends.
func (s *Session) Cleanup(ctx context.Context) error {
	s.real.mu.Lock()
	ns, ours, since := s.real.ns, s.real.ours, s.real.since
	s.real.mu.Unlock()
	if ns == "" {
		return fmt.Errorf("engine: no lesson namespace on this session")
	}
	kube := s.adminKube()
	s.real.mu.Lock()
	r := s.real.rbac
	s.real.mu.Unlock()
	if err := deleteLessonRBAC(ctx, kube, r, !ours); err != nil {
		return err
	}
	if ours {
		live, err := kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading namespace %q: %w", ns, err)
		}
		if live.Labels[LabelManagedBy] != ManagedByValue {
			return fmt.Errorf("namespace %q has lost kubetutor's label; not deleting it", ns)
		}
		uid := live.UID
		bg := metav1.DeletePropagationBackground
		err = kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &bg})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting namespace %q: %w", ns, err)
		}
		return wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			_, err := kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
	}
	items, err := s.lessonObjects(ctx, ns, false, since)
	if err != nil {
		return err
	}
	bg := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &bg}
	for _, it := range items {
		kind, name, _ := strings.Cut(it, "/")
		var err error
		switch kind {
		case "statefulset":
			err = kube.AppsV1().StatefulSets(ns).Delete(ctx, name, opts)
		case "service":
			err = kube.CoreV1().Services(ns).Delete(ctx, name, opts)
		case "pod":
			err = kube.CoreV1().Pods(ns).Delete(ctx, name, opts)
		case "persistentvolumeclaim":
			err = kube.CoreV1().PersistentVolumeClaims(ns).Delete(ctx, name, opts)
		case "configmap":
			err = kube.CoreV1().ConfigMaps(ns).Delete(ctx, name, opts)
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s: %w", it, err)
		}
	}
	return wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		left, err := s.lessonObjects(ctx, ns, false, since)
		return err == nil && len(left) == 0, nil
	})
}
