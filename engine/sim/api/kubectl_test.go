package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

const kubectlPath = "/usr/bin/kubectl"

// webYAML is the tutorial's web.yaml (application/web/web.yaml in seeds/000_*).
const webYAML = `apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: "nginx"
  replicas: 2
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: k8s.gcr.io/nginx-slim:0.8
        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
`

type kubectlEnv struct {
	*env
	dir        string
	kubeconfig string
}

func newKubectlEnv(t *testing.T) *kubectlEnv {
	t.Helper()
	return newKubectlEnvOpts(t, api.Options{})
}

func newKubectlEnvOpts(t *testing.T, o api.Options) *kubectlEnv {
	t.Helper()
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Fatalf("the kubectl binary is required at %s for this test: %v", kubectlPath, err)
	}
	e := newEnvOpts(t, store.Options{}, true, o)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pemCert(e.srv), 0o600); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(dir, "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster: {server: %q, certificate-authority: %q}
users:
- name: learner
  user: {token: %q}
contexts:
- name: sim
  context: {cluster: sim, user: learner, namespace: default}
current-context: sim
`, e.srv.URL, ca, testToken)
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return &kubectlEnv{env: e, dir: dir, kubeconfig: kc}
}

func (k *kubectlEnv) cmd(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, kubectlPath, args...)
	c.Dir = k.dir
	c.Env = []string{"HOME=" + filepath.Join(k.dir, "home"), "KUBECONFIG=" + k.kubeconfig, "PATH=/usr/bin:/bin"}
	return c
}

// run runs kubectl and returns stdout and stderr.
func (k *kubectlEnv) run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := k.cmd(ctx, args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	return out.String(), errb.String(), err
}

func (k *kubectlEnv) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := k.run(t, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func fieldsOf(line string) []string { return strings.Fields(line) }

func TestKubectlTutorialCommands(t *testing.T) {
	k := newKubectlEnv(t)
	if err := os.WriteFile(filepath.Join(k.dir, "web.yaml"), []byte(webYAML), 0o600); err != nil {
		t.Fatal(err)
	}

	out := k.mustRun(t, "create", "-f", "web.yaml")
	if out != "service/nginx created\nstatefulset.apps/web created\n" {
		t.Fatalf("create output: %q", out)
	}

	out, errOut, err := k.run(t, "create", "-f", "web.yaml")
	if err == nil {
		t.Fatalf("second create succeeded: %s", out)
	}
	want := `Error from server (AlreadyExists): error when creating "web.yaml": services "nginx" already exists`
	if !strings.Contains(errOut, want) {
		t.Fatalf("second create stderr %q lacks %q", errOut, want)
	}

	out = k.mustRun(t, "get", "svc", "nginx")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if got := fieldsOf(lines[0]); strings.Join(got, " ") != "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE" {
		t.Fatalf("svc header: %q", lines[0])
	}
	if got := strings.Join(fieldsOf(lines[1]), " "); got != "nginx ClusterIP None <none> 80/TCP 0s" {
		t.Fatalf("svc row: %q", got)
	}

	k.clock.Step(37 * time.Second)
	out = k.mustRun(t, "get", "sts", "web")
	if got := strings.Join(fieldsOf(out), " "); got != "NAME READY AGE web 0/2 37s" {
		t.Fatalf("get sts: %q", out)
	}

	if out = k.mustRun(t, "get", "sts", "web", "-o", "jsonpath={.spec.updateStrategy.type}"); out != "RollingUpdate" {
		t.Fatalf("updateStrategy.type: %q", out)
	}
	if out = k.mustRun(t, "get", "sts", "web", "-o", "jsonpath={.spec.updateStrategy.rollingUpdate.partition}"); out != "0" {
		t.Fatalf("partition: %q", out)
	}

	// A running pod, created with a status through the store as a kubelet would.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default", Labels: map[string]string{"app": "nginx"}},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}}}
	created, err := k.st.Create(podsRes, pod)
	if err != nil {
		t.Fatal(err)
	}
	running := created.(*corev1.Pod)
	running.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.5", PodIPs: []corev1.PodIP{{IP: "10.244.0.5"}},
		Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "nginx", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
	if _, err := k.st.Update(podsRes, running, store.UpdateOptions{Status: true}); err != nil {
		t.Fatal(err)
	}
	k.clock.Step(5 * time.Second)
	out = k.mustRun(t, "get", "pods")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if got := strings.Join(fieldsOf(lines[0]), " "); got != "NAME READY STATUS RESTARTS AGE" {
		t.Fatalf("pods header: %q", got)
	}
	if got := strings.Join(fieldsOf(lines[1]), " "); got != "web-0 1/1 Running 0 5s" {
		t.Fatalf("pod row: %q", got)
	}
	out = k.mustRun(t, "get", "pods", "-o", "wide")
	if got := strings.Join(fieldsOf(strings.Split(out, "\n")[1]), " "); got != "web-0 1/1 Running 0 5s 10.244.0.5 node-1 <none> <none>" {
		t.Fatalf("wide pod row: %q", got)
	}

	if out = k.mustRun(t, "patch", "sts", "web", "-p", `{"spec":{"replicas":3}}`); out != "statefulset.apps/web patched\n" {
		t.Fatalf("patch: %q", out)
	}
	if out = k.mustRun(t, "patch", "sts", "web", "-p", `{"spec":{"replicas":3}}`); out != "statefulset.apps/web patched (no change)\n" {
		t.Fatalf("no-op patch: %q", out)
	}
	if out = k.mustRun(t, "scale", "sts", "web", "--replicas=5"); out != "statefulset.apps/web scaled\n" {
		t.Fatalf("scale: %q", out)
	}
	if out = k.mustRun(t, "get", "sts", "web", "-o", "jsonpath={.spec.replicas}"); out != "5" {
		t.Fatalf("replicas after scale: %q", out)
	}
	out = k.mustRun(t, "patch", "statefulset", "web", "--type=json",
		"-p", `[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"registry.k8s.io/nginx-slim:0.24"}]`)
	if out != "statefulset.apps/web patched\n" {
		t.Fatalf("json patch: %q", out)
	}
	out = k.mustRun(t, "get", "sts", "web", "-o", "wide")
	if got := strings.Join(fieldsOf(strings.Split(out, "\n")[1]), " "); got != "web 0/5 42s nginx registry.k8s.io/nginx-slim:0.24" {
		t.Fatalf("wide sts row: %q", got)
	}
	// Item 61: OnDelete with the defaulted rollingUpdate left in is rejected.
	_, errOut, err = k.run(t, "patch", "sts", "web", "-p", `{"spec":{"updateStrategy":{"type":"OnDelete"}}}`)
	if err == nil || !strings.Contains(errOut, "spec.updateStrategy.rollingUpdate: Invalid value:") || !strings.Contains(errOut, "only allowed for updateStrategy 'RollingUpdate'") {
		t.Fatalf("OnDelete without rollingUpdate:null: err=%v stderr=%q", err, errOut)
	}
	if out = k.mustRun(t, "patch", "sts", "web", "-p", `{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}`); out != "statefulset.apps/web patched\n" {
		t.Fatalf("OnDelete patch: %q", out)
	}

	out, errOut, _ = k.run(t, "delete", "svc", "nginx")
	if !strings.HasPrefix(out, `service "nginx" deleted`) {
		t.Fatalf("delete svc: stdout %q stderr %q", out, errOut)
	}
	_, errOut, err = k.run(t, "get", "svc", "nginx")
	if err == nil || !strings.Contains(errOut, `Error from server (NotFound): services "nginx" not found`) {
		t.Fatalf("get deleted svc: %v %q", err, errOut)
	}
}

func TestKubectlStrictValidation(t *testing.T) {
	k := newKubectlEnv(t)
	bad := strings.Replace(webYAML, `serviceName: "nginx"`, "serviceName: \"nginx\"\n  bogus: 1", 1)
	if err := os.WriteFile(filepath.Join(k.dir, "bad.yaml"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := k.run(t, "create", "-f", "bad.yaml")
	want := `Error from server (BadRequest): error when creating "bad.yaml": StatefulSet in version "v1" cannot be handled as a StatefulSet: strict decoding error: unknown field "spec.bogus"`
	if err == nil || !strings.Contains(errOut, want) {
		t.Fatalf("create with unknown field: err=%v stderr=%q", err, errOut)
	}
}

func TestKubectlGetPodsWatch(t *testing.T) {
	k := newKubectlEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := k.cmd(ctx, "get", "pods", "-w")
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = c.Wait() }()

	// kubectl prints nothing for an empty list, so create pods until the watch delivers one;
	// the first create may land before kubectl's LIST, which is fine either way.
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}}}
	if _, err := k.st.Create(podsRes, pod); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("kubectl get -w ended early; output %q stderr %q", got, errb.String())
			}
			got = append(got, strings.Join(fieldsOf(l), " "))
		case <-ctx.Done():
			t.Fatalf("no watch output; got %q stderr %q", got, errb.String())
		}
	}
	if got[0] != "NAME READY STATUS RESTARTS AGE" || got[1] != "web-0 0/1 Pending 0 0s" {
		t.Fatalf("watch output %q", got)
	}
	// A later event arrives as a new row through the watch.
	if _, err := k.st.Delete(podsRes, "default", "web-0", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-lines:
		// The DELETED event carries the last state, which has a deletionTimestamp.
		if strings.Join(fieldsOf(l), " ") != "web-0 0/1 Terminating 0 0s" {
			t.Fatalf("row for deleted pod: %q", l)
		}
	case <-ctx.Done():
		t.Fatalf("no row for the DELETED event; stderr %q", errb.String())
	}
}
