package engine

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
)

// fakeRealSession is a real-cluster session on a fake clientset that answers TokenRequests.
func fakeRealSession(t *testing.T, objs ...runtime.Object) (*Session, *fake.Clientset, *atomic.Int64) {
	t.Helper()
	cs := fake.NewClientset(objs...)
	var tokens atomic.Int64
	cs.PrependReactor("create", "serviceaccounts", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "token" {
			return false, nil, nil
		}
		n := tokens.Add(1)
		return true, &authenticationv1.TokenRequest{Status: authenticationv1.TokenRequestStatus{
			Token: "sa-token-" + string(rune('0'+n)), ExpirationTimestamp: metav1.NewTime(time.Now().Add(lessonTokenTTL))}}, nil
	})
	s, err := newSessionDir()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.cfg = &rest.Config{Host: "https://learner.example:6443", BearerToken: "learner-secret"}
	s.kube = cs
	s.ns = "default"
	s.label = "prod"
	return s, cs, &tokens
}

func TestLessonIdentityCreatesRunsAsAndRemoves(t *testing.T) {
	ctx := context.Background()
	s, cs, tokens := fakeRealSession(t)
	lines := []string{"kubectl apply -f web.yaml", "kubectl scale sts web --replicas=5", "kubectl delete pvc -l app=nginx", "kubectl exec web-0 -- hostname"}
	plan, err := s.PlanLessonNamespace(ctx, "statefulset-basics", "")
	if err != nil {
		t.Fatal(err)
	}
	plan.Commands = lines
	if !strings.Contains(plan.Describe(), "ServiceAccount") {
		t.Errorf("the plan does not tell the learner about the ServiceAccount:\n%s", plan.Describe())
	}
	if err := s.EnterLessonNamespace(ctx, plan); err != nil {
		t.Fatal(err)
	}
	ns := plan.Namespace
	if id := s.Identity(); !strings.Contains(id, "ServiceAccount "+ns+"/"+LessonServiceAccount) {
		t.Fatalf("Identity() = %q", id)
	}
	nsObj, _ := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if nsObj.Labels["pod-security.kubernetes.io/enforce"] != "baseline" {
		t.Errorf("namespace labels %v", nsObj.Labels)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, LessonServiceAccount, metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	role, err := cs.RbacV1().Roles(ns).Get(ctx, LessonServiceAccount, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{}
	for _, r := range role.Rules {
		rules[r.APIGroups[0]+"/"+r.Resources[0]] = strings.Join(r.Verbs, ",")
	}
	for res, verbs := range map[string]string{
		"apps/statefulsets": "create", "apps/statefulsets/scale": "patch", "/persistentvolumeclaims": "delete",
		"/pods/exec": "create", "/services": "create",
	} {
		if !strings.Contains(rules[res], verbs) {
			t.Errorf("Role rule %s = %q, want %s among its verbs (rules %v)", res, rules[res], verbs, rules)
		}
	}
	for _, forbidden := range []string{"/namespaces", "/nodes", "rbac.authorization.k8s.io/roles", "/secrets"} {
		if _, ok := rules[forbidden]; ok {
			t.Errorf("the Role grants %s", forbidden)
		}
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Get(ctx, LessonServiceAccount, metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	cr, err := cs.RbacV1().ClusterRoles().Get(ctx, clusterReadName(ns), metav1.GetOptions{})
	if err != nil || cr.Labels[LabelManagedBy] != ManagedByValue {
		t.Fatalf("ClusterRole: %v %v", err, cr)
	}
	for _, r := range cr.Rules {
		for _, v := range r.Verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("the ClusterRole grants %s on %v", v, r.Resources)
			}
		}
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, clusterReadName(ns), metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	// Every client and kubectl run now carries the ServiceAccount's token, never the learner's.
	cfg := s.sessionRESTConfig(ctx)
	if cfg.BearerToken != "" || cfg.Host != "https://learner.example:6443" || cfg.WrapTransport == nil {
		t.Fatalf("session config: token %q host %q wrap %v", cfg.BearerToken, cfg.Host, cfg.WrapTransport != nil)
	}
	if got := s.sessionRESTConfig(context.WithValue(ctx, asLearnerKey{}, true)); got.BearerToken != "learner-secret" {
		t.Fatalf("a run as the learner uses %q", got.BearerToken)
	}
	if tokens.Load() != 1 {
		t.Fatalf("%d TokenRequests, want 1", tokens.Load())
	}
	plan2, err := s.CleanupPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan2, " "); !strings.Contains(p, "clusterrole/"+clusterReadName(ns)) || !strings.Contains(p, "clusterrolebinding/") {
		t.Fatalf("cleanup plan %v", plan2)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = s.Cleanup(cctx) // the fake never finishes deleting a namespace; the RBAC objects are what matter here
	if _, err := cs.RbacV1().ClusterRoles().Get(ctx, clusterReadName(ns), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ClusterRole left behind: %v", err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, clusterReadName(ns), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ClusterRoleBinding left behind: %v", err)
	}
}

func TestLessonIdentityFallsBackToTheGuard(t *testing.T) {
	ctx := context.Background()
	s, cs, _ := fakeRealSession(t)
	cs.PrependReactor("create", "clusterroles", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}, "x", errors.New("no"))
	})
	plan, err := s.PlanLessonNamespace(ctx, "statefulset-basics", "")
	if err != nil {
		t.Fatal(err)
	}
	plan.Commands = []string{"kubectl apply -f web.yaml"}
	if err := s.EnterLessonNamespace(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if id := s.Identity(); !strings.Contains(id, "guard only") || !strings.Contains(id, "may not create") {
		t.Fatalf("Identity() = %q", id)
	}
	if cfg := s.sessionRESTConfig(ctx); cfg.BearerToken != "learner-secret" {
		t.Fatal("the session left the learner's credentials although setup failed")
	}
	// What was made before the refusal is gone again.
	if _, err := cs.CoreV1().ServiceAccounts(plan.Namespace).Get(ctx, LessonServiceAccount, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("ServiceAccount left behind: %v", err)
	}
	// The guard still refuses what leaves the namespace (here without discovery: nodes).
	var ge *GuardError
	if err := s.CheckCommand("kubectl cordon node-1"); !errors.As(err, &ge) || !ge.OwnCredentials {
		t.Fatalf("cordon: %v", err)
	}
}

func TestServiceAccountTokenIsRenewedBeforeExpiry(t *testing.T) {
	_, cs, tokens := fakeRealSession(t)
	now := time.Now()
	ts := &saTokenSource{kube: cs, ns: "lesson", name: LessonServiceAccount, now: func() time.Time { return now }}
	t1, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); err != nil || tokens.Load() != 1 {
		t.Fatalf("a fresh token was not reused: %d requests", tokens.Load())
	}
	now = now.Add(lessonTokenTTL - tokenRefreshBefore + time.Second)
	t2, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	if tokens.Load() != 2 || t2.AccessToken == t1.AccessToken {
		t.Fatalf("the token was not renewed before it expired: %d requests", tokens.Load())
	}
	if !t2.Expiry.Before(now.Add(lessonTokenTTL)) {
		t.Fatalf("expiry %v leaves no margin", t2.Expiry)
	}
}

var _ = corev1.Namespace{}
