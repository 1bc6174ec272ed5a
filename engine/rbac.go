package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/transport"
)

// On a real cluster the API server, not only the guard, keeps a lesson in its namespace:
// after the learner confirms the plan, kubetutor creates (with the learner's credentials,
// once) a ServiceAccount, a Role with what the lesson's commands need and a RoleBinding in
// the lesson namespace, plus a ClusterRole and ClusterRoleBinding to read nodes,
// PersistentVolumes, StorageClasses and namespaces. From then on every request of the
// session (kubectl, watches, checks, exec) carries a short-lived token of that
// ServiceAccount from the TokenRequest API, renewed before it expires.

// LessonServiceAccount names the ServiceAccount, Role and RoleBinding in a lesson namespace.
const LessonServiceAccount = "kubetutor-lesson"

// lessonTokenTTL is how long each ServiceAccount token lives (the API's minimum is 10 min);
// tokenRefreshBefore is how long before expiry a new one is fetched.
const (
	lessonTokenTTL     = 10 * time.Minute
	tokenRefreshBefore = 2 * time.Minute
)

// lessonRBAC records the objects EnterLessonNamespace created for the lesson's identity.
type lessonRBAC struct {
	namespace          string
	clusterRole        string
	clusterRoleBinding string
}

// clusterReadName names the ClusterRole and ClusterRoleBinding of a lesson namespace.
func clusterReadName(ns string) string { return "kubetutor-read-" + ns }

// lessonRules turns what the lesson needs (LessonNeeds) into Role rules: one rule per
// resource the lesson's commands use, and the subresources they use (scale, exec, log).
// Cluster-wide needs are left out: the ServiceAccount never gets them.
func lessonRules(needs []AccessNeed) []rbacv1.PolicyRule {
	type key struct{ group, resource string }
	verbs := map[key]map[string]bool{}
	add := func(g, r string, vs ...string) {
		k := key{g, r}
		if verbs[k] == nil {
			verbs[k] = map[string]bool{}
		}
		for _, v := range vs {
			verbs[k][v] = true
		}
	}
	for _, n := range needs {
		if n.ClusterWide {
			continue
		}
		r := n.Resource
		if n.Subresource != "" {
			add(n.Group, r+"/"+n.Subresource, n.Verb, "get")
			continue
		}
		// Every verb on each resource the lesson uses: the namespace and the resource types
		// are the limit, so a learner may also edit or re-create the lesson's objects from
		// the command bar without running into the Role's fine print.
		add(n.Group, r, "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
	}
	// What the player does in any lesson: follow pods and their logs and events, run exec
	// checks (websocket exec asks for get, SPDY for create).
	add("", "pods", "get", "list", "watch")
	add("", "pods/log", "get")
	add("", "pods/exec", "get", "create")
	add("", "events", "get", "list", "watch")
	add("events.k8s.io", "events", "get", "list", "watch")
	keys := make([]key, 0, len(verbs))
	for k := range verbs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].group != keys[j].group {
			return keys[i].group < keys[j].group
		}
		return keys[i].resource < keys[j].resource
	})
	rules := make([]rbacv1.PolicyRule, 0, len(keys))
	for _, k := range keys {
		vs := make([]string, 0, len(verbs[k]))
		for v := range verbs[k] {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: []string{k.resource}, Verbs: vs})
	}
	return rules
}

// clusterReadRules are what every lesson may read outside its namespace.
var clusterReadRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"nodes", "persistentvolumes", "namespaces"}, Verbs: []string{"get", "list", "watch"}},
	{APIGroups: []string{"storage.k8s.io"}, Resources: []string{"storageclasses"}, Verbs: []string{"get", "list", "watch"}},
}

// RBACNeeds are the permissions the learner needs for kubetutor to set up the lesson's
// identity; doctor asks the server about each.
func RBACNeeds() []AccessNeed {
	return []AccessNeed{
		{Verb: "create", Resource: "serviceaccounts"},
		{Verb: "create", Resource: "serviceaccounts", Subresource: "token"},
		{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "roles"},
		{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "rolebindings"},
		{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", ClusterWide: true},
		{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings", ClusterWide: true},
		{Verb: "delete", Group: "rbac.authorization.k8s.io", Resource: "clusterroles", ClusterWide: true},
		{Verb: "delete", Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings", ClusterWide: true},
	}
}

// setupLessonIdentity creates the lesson's ServiceAccount and RBAC objects with the
// learner's credentials and switches the session to the ServiceAccount. It must run before
// anything else uses the session's clients (EnterLessonNamespace, before the player starts).
// On failure it removes what it created, leaves the session as the learner, and returns why.
func (s *Session) setupLessonIdentity(ctx context.Context, ns, lesson string, needs []AccessNeed) (err error) {
	learner := s.kube
	labels := map[string]string{LabelManagedBy: ManagedByValue, LabelLesson: lesson}
	made := &lessonRBAC{namespace: ns}
	defer func() {
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = deleteLessonRBAC(cctx, learner, made, true)
		}
	}()
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Labels: labels} }
	if _, err := learner.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta(LessonServiceAccount)},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ServiceAccount %s/%s: %w", ns, LessonServiceAccount, err)
	}
	role := &rbacv1.Role{ObjectMeta: meta(LessonServiceAccount), Rules: lessonRules(needs)}
	if _, err := learner.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		_, err = learner.RbacV1().Roles(ns).Update(ctx, role, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("updating Role %s/%s: %w", ns, LessonServiceAccount, err)
		}
	} else if err != nil {
		return fmt.Errorf("creating Role %s/%s: %w", ns, LessonServiceAccount, err)
	}
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: LessonServiceAccount, Namespace: ns}}
	rb := &rbacv1.RoleBinding{ObjectMeta: meta(LessonServiceAccount), Subjects: subject,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: LessonServiceAccount}}
	if _, err := learner.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating RoleBinding %s/%s: %w", ns, LessonServiceAccount, err)
	}
	name := clusterReadName(ns)
	cr := &rbacv1.ClusterRole{ObjectMeta: meta(name), Rules: clusterReadRules}
	if _, err := learner.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ClusterRole %s: %w", name, err)
	}
	made.clusterRole = name
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: meta(name), Subjects: subject,
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}}
	if _, err := learner.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating ClusterRoleBinding %s: %w", name, err)
	}
	made.clusterRoleBinding = name

	ts := &saTokenSource{kube: learner, ns: ns, name: LessonServiceAccount, now: time.Now}
	if _, err := ts.Token(); err != nil { // fail now, not on the first lesson command
		return fmt.Errorf("requesting a token for ServiceAccount %s/%s: %w", ns, LessonServiceAccount, err)
	}
	saCfg := serviceAccountConfig(s.cfg, ts)
	learnerCfg := s.cfg
	if err := s.setConfig(saCfg); err != nil {
		return err
	}
	s.real.mu.Lock()
	s.real.learnerCfg, s.real.learnerKube, s.real.rbac = learnerCfg, learner, made
	s.real.mu.Unlock()
	return nil
}

// serviceAccountConfig is base's server and TLS settings with none of its credentials,
// authenticating with ts's tokens.
func serviceAccountConfig(base *rest.Config, ts oauth2.TokenSource) *rest.Config {
	c := rest.AnonymousClientConfig(base)
	c.Wrap(transport.ResettableTokenSourceWrapTransport(transport.NewCachedTokenSource(ts)))
	return c
}

// saTokenSource asks the TokenRequest API, with the learner's credentials, for a token of
// the lesson's ServiceAccount, and hands it out until shortly before it expires.
type saTokenSource struct {
	kube     kubernetes.Interface
	ns, name string
	now      func() time.Time

	mu  sync.Mutex
	tok *oauth2.Token
}

func (t *saTokenSource) Token() (*oauth2.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok != nil && t.now().Before(t.tok.Expiry) {
		return t.tok, nil
	}
	ttl := int64(lessonTokenTTL / time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr, err := t.kube.CoreV1().ServiceAccounts(t.ns).CreateToken(ctx, t.name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &ttl}}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	if tr.Status.Token == "" {
		return nil, errors.New("the TokenRequest API returned no token")
	}
	exp := tr.Status.ExpirationTimestamp.Time
	if exp.IsZero() {
		exp = t.now().Add(lessonTokenTTL)
	}
	// The cached token source in front of this one keeps a token until its Expiry: renew
	// early, so no request carries a token about to lapse.
	t.tok = &oauth2.Token{AccessToken: tr.Status.Token, TokenType: "Bearer", Expiry: exp.Add(-tokenRefreshBefore)}
	return t.tok, nil
}

// deleteLessonRBAC removes what setupLessonIdentity created: the cluster-wide objects
// (only while they still carry kubetutor's label) and, with namespaced, the ServiceAccount,
// Role and RoleBinding.
func deleteLessonRBAC(ctx context.Context, kube kubernetes.Interface, r *lessonRBAC, namespaced bool) error {
	if r == nil {
		return nil
	}
	var errs []error
	if r.clusterRoleBinding != "" {
		if got, err := kube.RbacV1().ClusterRoleBindings().Get(ctx, r.clusterRoleBinding, metav1.GetOptions{}); err == nil &&
			got.Labels[LabelManagedBy] == ManagedByValue {
			if err := kube.RbacV1().ClusterRoleBindings().Delete(ctx, r.clusterRoleBinding, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting ClusterRoleBinding %s: %w", r.clusterRoleBinding, err))
			}
		}
	}
	if r.clusterRole != "" {
		if got, err := kube.RbacV1().ClusterRoles().Get(ctx, r.clusterRole, metav1.GetOptions{}); err == nil &&
			got.Labels[LabelManagedBy] == ManagedByValue {
			if err := kube.RbacV1().ClusterRoles().Delete(ctx, r.clusterRole, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting ClusterRole %s: %w", r.clusterRole, err))
			}
		}
	}
	if namespaced {
		ns := r.namespace
		for _, del := range []func() error{
			func() error {
				return kube.RbacV1().RoleBindings(ns).Delete(ctx, LessonServiceAccount, metav1.DeleteOptions{})
			},
			func() error { return kube.RbacV1().Roles(ns).Delete(ctx, LessonServiceAccount, metav1.DeleteOptions{}) },
			func() error {
				return kube.CoreV1().ServiceAccounts(ns).Delete(ctx, LessonServiceAccount, metav1.DeleteOptions{})
			},
		} {
			if err := del(); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Identity says, for the learner, as whom the session's commands run on a real cluster:
// the lesson's ServiceAccount, or the learner's own credentials with the guard alone.
// "" on the simulator or before a lesson namespace is entered.
func (s *Session) Identity() string {
	s.real.mu.Lock()
	defer s.real.mu.Unlock()
	switch {
	case s.real.ns == "":
		return ""
	case s.real.rbac != nil:
		return fmt.Sprintf("Commands run as ServiceAccount %s/%s, which may change only namespace %q "+
			"(and read nodes, PersistentVolumes, StorageClasses and namespaces).", s.real.ns, LessonServiceAccount, s.real.ns)
	case s.real.guardOnly != "":
		return fmt.Sprintf("Commands run with your own credentials, limited by kubetutor's command guard only: %s", s.real.guardOnly)
	}
	return "Commands run with your own credentials, limited by kubetutor's command guard only."
}

// RunKubectlAsLearner runs one command line with the learner's own credentials instead of
// the lesson's ServiceAccount: for a step that must act on cluster-wide objects (cordon,
// drain), after the learner said yes to it. Every other check still holds: the line may
// not leave the lesson namespace for namespaced objects, nor reach another cluster or file.
func (s *Session) RunKubectlAsLearner(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return s.runKubectl(context.WithValue(ctx, asLearnerKey{}, true), line, in, out, errOut, false)
}

// adminKube is the client with the learner's credentials: for setup and cleanup.
func (s *Session) adminKube() kubernetes.Interface {
	s.real.mu.Lock()
	defer s.real.mu.Unlock()
	if s.real.learnerKube != nil {
		return s.real.learnerKube
	}
	return s.kube
}

// guardOnlyReason turns a failed setup into the learner's explanation.
func guardOnlyReason(err error) string {
	if apierrors.IsForbidden(err) {
		return "you may not create a ServiceAccount and Roles here (" + strings.TrimSpace(err.Error()) + ")"
	}
	return err.Error()
}
