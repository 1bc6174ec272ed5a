package sandbox_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	testingclock "k8s.io/utils/clock/testing"
	"sigs.k8s.io/yaml"

	"github.com/kubetutor/kubetutor/engine/sim"
	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/sandbox"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var (
	podsR = store.MustLookup("pods")
	stsR  = store.MustLookup("statefulsets")
	svcR  = store.MustLookup("services")
)

// simWeb starts the whole simulator on a fake clock with web.yaml applied, and a sandbox over
// its store, as the lead wires them.
func simWeb(t *testing.T) (*sim.Sim, *sandbox.Sandbox) {
	t.Helper()
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := sim.New(sim.Config{Fake: clk, Seed: 1, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	data, err := os.ReadFile("../../../manifests/web.yaml")
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(data), "\n---\n")
	var svc corev1.Service
	var set appsv1.StatefulSet
	if err := yaml.Unmarshal([]byte(docs[0]), &svc); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(docs[1]), &set); err != nil {
		t.Fatal(err)
	}
	svc.Namespace, set.Namespace = "default", "default"
	if _, err := s.Store().Create(svcR, &svc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store().Create(stsR, &set); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s, "web-0", "web-1")
	return s, sandbox.New(s.Store(), clk)
}

func ready(p *corev1.Pod) bool {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func waitReady(t *testing.T, s *sim.Sim, names ...string) {
	t.Helper()
	ok := s.RunUntil(func() bool {
		for _, n := range names {
			p := getPod(s, n)
			if p == nil || !ready(p) {
				return false
			}
		}
		return true
	}, 5*time.Minute)
	if !ok {
		t.Fatalf("pods %v not ready", names)
	}
	s.Settle()
}

func getPod(s *sim.Sim, name string) *corev1.Pod {
	o, err := s.Store().Get(podsR, "default", name)
	if err != nil {
		return nil
	}
	return o.(*corev1.Pod)
}

func run(t *testing.T, s *sim.Sim, sb *sandbox.Sandbox, pod string, argv ...string) (string, int) {
	t.Helper()
	p := getPod(s, pod)
	if p == nil {
		t.Fatalf("no pod %s", pod)
	}
	var out bytes.Buffer
	code, err := sb.Run(context.Background(), p, "", argv, container.Streams{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

// Items 30-31 on the real controllers: hostname, DNS after re-creation, and index.html kept
// through pod deletion and StatefulSet re-creation by the PVC the controller made.
func TestItem31_StableStorageThroughTheSimulator(t *testing.T) {
	s, sb := simWeb(t)
	ips := map[string]string{}
	for i := 0; i < 2; i++ {
		name := fmt.Sprintf("web-%d", i)
		if out, _ := run(t, s, sb, name, "sh", "-c", "hostname"); out != name+"\n" {
			t.Fatalf("hostname in %s: %q", name, out)
		}
		if out, _ := run(t, s, sb, name, "curl", "-s", "localhost"); !strings.Contains(out, "403 Forbidden") {
			t.Fatalf("fresh %s: %q", name, out)
		}
		if out, code := run(t, s, sb, name, "sh", "-c", "echo $(hostname) > /usr/share/nginx/html/index.html"); code != 0 {
			t.Fatalf("write in %s: %q", name, out)
		}
		ips[name] = getPod(s, name).Status.PodIP
	}
	// A busybox pod for DNS, as `kubectl run dns-test --image busybox:1.28` makes.
	dns := &corev1.Pod{}
	dns.Name, dns.Namespace = "dns-test", "default"
	dns.Spec.Containers = []corev1.Container{{Name: "dns-test", Image: "busybox:1.28", Command: []string{"sleep", "3600"}}}
	if _, err := s.Store().Create(podsR, dns); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s, "dns-test")
	if out, code := run(t, s, sb, "dns-test", "nslookup", "web-0.nginx"); code != 0 || !strings.Contains(out, "Address 1: "+ips["web-0"]+" web-0.nginx.default.svc.cluster.local") {
		t.Fatalf("nslookup before: %q", out)
	}

	// kubectl delete pod -l app=nginx
	sel, _ := labels.Parse("app=nginx")
	objs, _ := s.Store().List(podsR, "default", sel, nil)
	for _, o := range objs {
		if _, err := s.Store().Delete(podsR, "default", o.(*corev1.Pod).Name, store.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s.RunUntil(func() bool { p := getPod(s, "web-0"); return p != nil && p.UID != "" && !ready(p) }, time.Minute)
	waitReady(t, s, "web-0", "web-1")
	for i := 0; i < 2; i++ {
		name := fmt.Sprintf("web-%d", i)
		if out, _ := run(t, s, sb, name, "curl", "localhost"); out != name+"\n" {
			t.Fatalf("%s after pod re-creation: %q", name, out)
		}
	}
	newIP := getPod(s, "web-0").Status.PodIP
	if newIP == ips["web-0"] {
		t.Fatalf("web-0 kept its IP %s; the test wants a new one", newIP)
	}
	if out, _ := run(t, s, sb, "dns-test", "nslookup", "web-0.nginx"); !strings.Contains(out, "Address 1: "+newIP+" ") {
		t.Fatalf("nslookup after re-creation (want %s): %q", newIP, out)
	}

	// kubectl delete statefulset web; kubectl apply -f web.yaml
	setObj, _ := s.Store().Get(stsR, "default", "web")
	if _, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.RunUntil(func() bool { return getPod(s, "web-0") == nil && getPod(s, "web-1") == nil }, 5*time.Minute)
	set := setObj.(*appsv1.StatefulSet)
	fresh := &appsv1.StatefulSet{Spec: set.Spec}
	fresh.Name, fresh.Namespace = "web", "default"
	if _, err := s.Store().Create(stsR, fresh); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s, "web-0", "web-1")
	for i := 0; i < 2; i++ {
		name := fmt.Sprintf("web-%d", i)
		if out, _ := run(t, s, sb, name, "curl", "localhost"); out != name+"\n" {
			t.Fatalf("%s after StatefulSet re-creation: %q", name, out)
		}
	}
}

func applyFile(t *testing.T, s *sim.Sim, name string) {
	t.Helper()
	data, err := os.ReadFile("../../../manifests/" + name)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		var obj interface{ SetNamespace(string) }
		var res store.Resource
		switch meta.Kind {
		case "ConfigMap":
			obj, res = &corev1.ConfigMap{}, store.MustLookup("configmaps")
		case "Service":
			obj, res = &corev1.Service{}, svcR
		case "StatefulSet":
			obj, res = &appsv1.StatefulSet{}, stsR
		default:
			t.Fatalf("kind %q", meta.Kind)
		}
		if err := yaml.Unmarshal([]byte(doc), obj); err != nil {
			t.Fatal(err)
		}
		obj.SetNamespace("default")
		if _, err := s.Store().Create(res, obj.(interface{ DeepCopyObject() runtime.Object }).DeepCopyObject()); err != nil {
			t.Fatal(err)
		}
	}
}

// runInits runs a pod's init containers through the sandbox, as the kubelet will once it is
// wired to it (the pod's server is untouched until then, so running them late is the same).
func runInits(t *testing.T, s *sim.Sim, sb *sandbox.Sandbox, name string) {
	t.Helper()
	p := getPod(s, name)
	for _, c := range p.Spec.InitContainers {
		var out bytes.Buffer
		argv := append(append([]string(nil), c.Command...), c.Args...)
		code, err := sb.Run(context.Background(), p, c.Name, argv, container.Streams{Stdout: &out, Stderr: &out})
		if err != nil || code != 0 {
			t.Fatalf("%s %s: %d %v\n%s", name, c.Name, code, err, out.String())
		}
	}
}

// B15 on the real controllers: Services, Endpoints and PVCs from the simulator, init scripts,
// a client pod writing to mysql-0.mysql, reads through mysql-read, and a scale-up clone.
func TestItem103_MySQLThroughTheSimulator(t *testing.T) {
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := sim.New(sim.Config{Fake: clk, Seed: 1, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	sb := sandbox.New(s.Store(), clk)
	for _, f := range []string{"mysql-configmap.yaml", "mysql-services.yaml", "mysql-statefulset.yaml"} {
		applyFile(t, s, f)
	}
	waitReady(t, s, "mysql-0", "mysql-1", "mysql-2")
	for i := 0; i < 3; i++ {
		runInits(t, s, sb, fmt.Sprintf("mysql-%d", i))
	}
	client := &corev1.Pod{}
	client.Name, client.Namespace = "mysql-client", "default"
	client.Spec.Containers = []corev1.Container{{Name: "mysql-client", Image: "mysql:5.7", Args: []string{"mysql", "-h", "mysql-0.mysql"}}}
	if _, err := s.Store().Create(podsR, client); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s, "mysql-client")
	var out bytes.Buffer
	code, err := sb.Run(context.Background(), getPod(s, "mysql-client"), "", nil, container.Streams{
		Stdin:  strings.NewReader("CREATE DATABASE test;\nCREATE TABLE test.messages (message VARCHAR(250));\nINSERT INTO test.messages VALUES ('hello');\n"),
		Stdout: &out, Stderr: &out})
	if err != nil || code != 0 {
		t.Fatalf("client: %d %v %s", code, err, out.String())
	}
	ids := map[string]bool{}
	for k := 0; k < 20; k++ {
		got, _ := run(t, s, sb, "mysql-client", "mysql", "-h", "mysql-read", "-N", "-e", "SELECT @@server_id, message FROM test.messages")
		ids[got] = true
	}
	if len(ids) != 3 || !ids["100\thello\n"] || !ids["102\thello\n"] {
		t.Fatalf("mysql-read answers: %v", ids)
	}
	// kubectl scale statefulset mysql --replicas=5
	setObj, _ := s.Store().Get(stsR, "default", "mysql")
	set := setObj.(*appsv1.StatefulSet)
	five := int32(5)
	set.Spec.Replicas = &five
	if _, err := s.Store().Update(stsR, set, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitReady(t, s, "mysql-3", "mysql-4")
	runInits(t, s, sb, "mysql-3")
	runInits(t, s, sb, "mysql-4")
	if got, _ := run(t, s, sb, "mysql-client", "mysql", "-h", "mysql-4.mysql", "-N", "-e", "SELECT @@server_id, message FROM test.messages"); got != "104\thello\n" {
		t.Fatalf("mysql-4 after clone: %q", got)
	}
}
