package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func guardedSession(ns string) *Session {
	s := &Session{ns: ns}
	s.real.ns = ns
	return s
}

func TestGuardAllowsEverythingOutsideALesson(t *testing.T) {
	s := &Session{ns: "default"}
	for _, line := range []string{"kubectl delete ns kube-system", "kubectl cordon sim-node-1", "kubectl apply -f web.yaml -n other"} {
		if err := s.CheckCommand(line); err != nil {
			t.Errorf("%s: refused without a lesson namespace: %v", line, err)
		}
	}
}

func TestGuardLessonCommandsRun(t *testing.T) {
	s := guardedSession("kubetutor-statefulset-basics")
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
		"kubectl get pods -n kube-system", // reads are fine anywhere
		"kubectl get nodes",               // reads of cluster-wide objects too
		"kubectl get pods -A",             // and across namespaces
		"kubectl delete pod web-0 -n kubetutor-statefulset-basics",
		"kubectl delete pod web-0 --namespace=kubetutor-statefulset-basics",
		"kubectl config current-context",
	} {
		if err := s.CheckCommand(line); err != nil {
			t.Errorf("%s: refused: %v", line, err)
		}
	}
}

func TestGuardRefusesWritesOutsideTheLessonNamespace(t *testing.T) {
	s := guardedSession("kubetutor-statefulset-basics")
	for line, want := range map[string]string{
		"kubectl delete pod web-0 -n default":                                        `namespace "default"`,
		"kubectl delete pod web-0 --namespace=team-a":                                `namespace "team-a"`,
		"kubectl delete pod web-0 -nteam-a":                                          `namespace "team-a"`,
		"kubectl -n kube-system delete pod coredns":                                  "kube-system",
		"kubectl delete pods --all -A":                                               "--all-namespaces",
		"kubectl delete ns kubetutor-statefulset-basics":                             "cluster-wide",
		"kubectl delete namespace/foo":                                               "cluster-wide",
		"kubectl delete pv pvc-123":                                                  "cluster-wide",
		"kubectl label node sim-node-1 a=b":                                          "cluster-wide",
		"kubectl cordon sim-node-1":                                                  "nodes",
		"kubectl drain sim-node-1":                                                   "nodes",
		"kubectl apply -f web.yaml --context prod":                                   "another cluster",
		"kubectl delete pod web-0 --as=admin":                                        "identity",
		"kubectl config use-context prod":                                            "kubeconfig",
		"kubectl apply -f https://example.com/x.yaml":                                "remote",
		"kubectl create clusterrolebinding x --clusterrole=cluster-admin --group=me": "cluster-wide",
		"kubectl rollout restart sts/web -n other":                                   `namespace "other"`,
		"kubectl exec -n other web-0 -- rm -rf /data":                                `namespace "other"`,
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

func TestGuardReadsManifestFiles(t *testing.T) {
	s := guardedSession("lesson")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write("ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: lesson}\n")
	other := write("other.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b, namespace: prod}\n")
	ns := write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
	if err := s.CheckCommand("kubectl apply -f " + ok); err != nil {
		t.Errorf("manifest inside the namespace refused: %v", err)
	}
	if err := s.CheckCommand("kubectl apply -f " + other); err == nil || !strings.Contains(err.Error(), `"prod"`) {
		t.Errorf("manifest naming namespace prod: %v", err)
	}
	if err := s.CheckCommand("kubectl create -f " + ns); err == nil || !strings.Contains(err.Error(), "cluster-wide") {
		t.Errorf("manifest with a Namespace: %v", err)
	}
	if err := s.CheckCommand("kubectl apply -f " + filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a manifest that cannot be read was not refused")
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
