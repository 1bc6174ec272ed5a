package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// guardedSession is a simulator session that guards as a real cluster does in a lesson
// namespace: the guard resolves resources through the simulator's discovery.
func guardedSession(t *testing.T, ns string) *Session {
	t.Helper()
	s, _ := newTestSession(t)
	s.ns = ns
	s.real.ns = ns
	return s
}

func TestGuardAllowsEverythingOutsideALesson(t *testing.T) {
	s := &Session{ns: "default"}
	for _, line := range []string{"kubectl delete ns kube-system", "kubectl cordon sim-node-1", "kubectl apply -f web.yaml -n other",
		"kubectl get pods -A", "kubectl get --raw /api/v1/namespaces/kube-system/secrets"} {
		if err := s.CheckCommand(line); err != nil {
			t.Errorf("%s: refused without a lesson namespace: %v", line, err)
		}
	}
}

func TestGuardLessonCommandsRun(t *testing.T) {
	s := guardedSession(t, "kubetutor-statefulset-basics")
	for _, line := range []string{
		"kubectl apply -f web.yaml",
		"kubectl apply -f https://k8s.io/examples/application/web/web.yaml",
		"kubectl get pods -w -l app=nginx",
		"kubectl delete pod -l app=nginx",
		"kubectl scale sts web --replicas=5",
		`kubectl patch sts web -p '{"spec":{"replicas":3}}'`,
		`kubectl patch statefulset web --type='json' -p='[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"registry.k8s.io/nginx-slim:0.24"}]'`,
		"kubectl delete statefulset web --cascade=orphan",
		"kubectl delete pvc -l app=nginx",
		"kubectl exec web-0 -- hostname",
		"kubectl rollout status sts/web",
		"kubectl get nodes", // reads of the cluster-wide objects lessons show
		"kubectl get pv",
		"kubectl get ns kubetutor-statefulset-basics",
		"kubectl delete pod web-0 -n kubetutor-statefulset-basics",
		"kubectl delete pod web-0 --namespace=kubetutor-statefulset-basics",
		"kubectl get all",
		"kubectl get --raw /api/v1/namespaces/kubetutor-statefulset-basics/pods",
		"kubectl logs sts/web",
		"kubectl exec sts/web -- hostname",
		"kubectl create configmap x --from-literal=a=b",
		"kubectl run dns-test --image busybox:1.28 --restart=Never",
		"kubectl version", "kubectl api-resources", "kubectl explain sts",
	} {
		if err := s.CheckCommand(line); err != nil {
			t.Errorf("%s: refused: %v", line, err)
		}
	}
}

func TestGuardRefusesWritesOutsideTheLessonNamespace(t *testing.T) {
	s := guardedSession(t, "kubetutor-statefulset-basics")
	for line, want := range map[string]string{
		"kubectl get pods -n kube-system":                          "kube-system",
		"kubectl get pods -A":                                      "--all-namespaces",
		"kubectl get secrets -n default":                           `namespace "default"`,
		"kubectl get clusterroles":                                 "on a real cluster",
		"kubectl get --raw /api/v1/namespaces/kube-system/secrets": "outside",
		"kubectl get --raw /api/v1/namespaces/kubetutor-statefulset-basics/../kube-system/secrets": "plain",
		"kubectl get --raw https://evil.example/api":                                               "a path",
		"kubectl get --raw //evil.example/api":                                                     "a path",
		"kubectl delete --raw /api/v1/namespaces/kubetutor-statefulset-basics/pods/web-0":          "--raw",
		"kubectl delete -- namespace foo":                                                          "cluster-wide",
		"kubectl delete -Rn other pod web-0":                                                       `namespace "other"`,
		"kubectl apply -f web.yaml --prune -l app=nginx":                                           "--prune",
		"kubectl debug node/sim-node-1 -it --image=busybox":                                        "cluster-wide",
		"kubectl exec -- web-0 hostname":                                                           "before --",
		"kubectl create namespace x":                                                               "cluster-wide",
		"kubectl create priorityclass high --value=1000":                                           "on a real cluster",
		"kubectl describe node sim-node-1":                                                         "cluster-wide",
		"kubectl describe ns default":                                                              "cluster-wide",
		"kubectl port-forward web-0 8080:80 --address 0.0.0.0":                                     "other computers",
		"kubectl delete frobnicators x":                                                            "doesn't have a resource type",
		"kubectl set subject clusterrolebinding x --user=me":                                       "on a real cluster",
		"kubectl cluster-info":                                                                     "cannot tell",
		"kubectl certificate approve x":                                                            "nodes",
		"kubectl delete pod web-0 -n default":                                                      `namespace "default"`,
		"kubectl delete pod web-0 --namespace=team-a":                                              `namespace "team-a"`,
		"kubectl delete pod web-0 -nteam-a":                                                        `namespace "team-a"`,
		"kubectl -n kube-system delete pod coredns":                                                "kube-system",
		"kubectl delete pods --all -A":                                                             "--all-namespaces",
		"kubectl delete ns kubetutor-statefulset-basics":                                           "cluster-wide",
		"kubectl delete namespace/foo":                                                             "cluster-wide",
		"kubectl delete pv pvc-123":                                                                "cluster-wide",
		"kubectl label node sim-node-1 a=b":                                                        "cluster-wide",
		"kubectl cordon sim-node-1":                                                                "nodes",
		"kubectl drain sim-node-1":                                                                 "nodes",
		"kubectl apply -f web.yaml --context prod":                                                 "--context",
		"kubectl delete pod web-0 --as=admin":                                                      "--as",
		"kubectl config use-context prod":                                                          "kubeconfig",
		"kubectl config current-context":                                                           "kubeconfig",
		"kubectl apply -f https://example.com/x.yaml":                                              "network",
		"kubectl create clusterrolebinding x --clusterrole=cluster-admin --group=me":               "on a real cluster",
		"kubectl rollout restart sts/web -n other":                                                 `namespace "other"`,
		"kubectl exec -n other web-0 -- rm -rf /data":                                              `namespace "other"`,
		"kubectl label node sim-node-1 a=b --overwrite":                                            "cluster-wide",
	} {
		err := s.CheckCommand(line)
		var ge *GuardError
		if !errors.As(err, &ge) {
			t.Errorf("%s: not refused (err %v)", line, err)
			continue
		}
		if !strings.Contains(ge.Reason, want) {
			t.Errorf("%s: reason %q does not mention %q", line, ge.Reason, want)
		}
	}
}

// The guard decodes manifests as kubectl does (exact keys, Lists flattened) and refuses
// cluster-wide objects and other namespaces; files that are not kubetutor's are refused.
func TestGuardReadsManifestFiles(t *testing.T) {
	objs, err := decodeObjects([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n" +
		`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}]}` + "\n---\n" +
		`{"apiVersion":"v1","kind":"ConfigMap","Kind":"Namespace","metadata":{"name":"b","Namespace":"prod"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetName()+"@"+o.GetNamespace())
	}
	// Keys differing only in case are not the fields kubectl sends: kind and namespace are
	// read with their exact names, as kubectl and the API server read them.
	if strings.Join(got, " ") != "ConfigMap/a@ Namespace/x@ ConfigMap/b@" {
		t.Fatalf("decoded %v", got)
	}
	s := guardedSession(t, "lesson")
	dir := t.TempDir()
	p := filepath.Join(dir, "ns.yaml")
	if err := os.WriteFile(p, []byte("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var ge *GuardError
	if err := s.CheckCommand("kubectl create -f " + p); !errors.As(err, &ge) {
		t.Errorf("a local file outside the lesson: %v", err)
	}
	if err := s.CheckCommand("kubectl apply -f web.yaml"); err != nil {
		t.Errorf("web.yaml refused: %v", err)
	}
	if err := s.CheckCommand("kubectl apply -f web.yaml -n other"); !errors.As(err, &ge) {
		t.Errorf("web.yaml in another namespace: %v", err)
	}
}

func TestLessonNamespaceName(t *testing.T) {
	for in, want := range map[string]string{
		"statefulset-basics":    "kubetutor-statefulset-basics",
		"MySQL_Replicated":      "kubetutor-mysql-replicated",
		"":                      "kubetutor",
		strings.Repeat("a", 80): "kubetutor-" + strings.Repeat("a", 53),
	} {
		if got := LessonNamespaceName(in); got != want {
			t.Errorf("LessonNamespaceName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLessonNeedsAndImages(t *testing.T) {
	lines := []string{
		"kubectl apply -f web.yaml",
		"kubectl scale sts web --replicas=5",
		"kubectl delete pvc -l app=nginx",
		`kubectl patch statefulset web --type='json' -p='[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"registry.k8s.io/nginx-slim:0.24"}]'`,
		"kubectl exec web-0 -- hostname",
	}
	needs := map[string]bool{}
	for _, n := range LessonNeeds(lines) {
		needs[n.String()] = true
	}
	for _, want := range []string{"create statefulsets.apps", "create services", "patch statefulsets.apps/scale",
		"delete persistentvolumeclaims", "patch statefulsets.apps", "create pods/exec", "watch pods"} {
		if !needs[want] {
			t.Errorf("LessonNeeds lacks %q (has %v)", want, needs)
		}
	}
	imgs := LessonImages(lines)
	if strings.Join(imgs, " ") != "registry.k8s.io/nginx-slim:0.24" {
		t.Errorf("LessonImages = %v", imgs)
	}
	if !LessonNeedsStorage(lines) || LessonNeedsStorage([]string{"kubectl get pods"}) {
		t.Error("LessonNeedsStorage is wrong")
	}
}
