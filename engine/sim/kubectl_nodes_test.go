package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	testingclock "k8s.io/utils/clock/testing"
)

// servedSim is a running simulator (AutoAdvance on a fake clock) with a kubeconfig for the
// real kubectl binary.
type servedSim struct {
	*Sim
	dir, kubeconfig string
}

func startServed(t *testing.T) *servedSim {
	t.Helper()
	if _, err := os.Stat(kubectlBin); err != nil {
		t.Fatalf("the kubectl binary is required at %s for this test: %v", kubectlBin, err)
	}
	s, err := New(Config{Fake: testingclock.NewFakeClock(t0), AutoAdvance: true, Seed: 1, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, s)
}

// serve starts s and writes a kubeconfig for it.
func serve(t *testing.T, s *Sim) *servedSim {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); s.Close() })
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	kc := writeKubeconfig(t, s, dir)
	return &servedSim{Sim: s, dir: dir, kubeconfig: kc}
}

// writeKubeconfig writes s's CA and a kubeconfig for the real kubectl into dir.
func writeKubeconfig(t *testing.T, s *Sim, dir string) string {
	t.Helper()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, s.CAData(), 0o600); err != nil {
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
`, s.URL(), ca, s.Token())
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}

// kubectlCmd is the real kubectl with its own HOME (discovery cache) in dir and kubeconfig.
func kubectlCmd(ctx context.Context, dir, kubeconfig string, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, kubectlBin, args...)
	c.Dir = dir
	c.Env = []string{"HOME=" + filepath.Join(dir, "home"), "KUBECONFIG=" + kubeconfig, "PATH=/usr/bin:/bin"}
	return c
}

// runKubectlIn runs kubectl to the end (bounded by timeout) with stdin in (may be nil).
func runKubectlIn(timeout time.Duration, dir, kubeconfig string, in io.Reader, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := kubectlCmd(ctx, dir, kubeconfig, args...)
	c.Stdin = in
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	return out.String(), errb.String(), err
}

func (s *servedSim) kubectl(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return runKubectlIn(90*time.Second, s.dir, s.kubeconfig, nil, args...)
}

func (s *servedSim) must(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := s.kubectl(t, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func (s *servedSim) idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

// locked reads the store on the loop's lock, so the test does not race the controllers.
func (s *servedSim) pod(name string) *corev1.Pod {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	return getPod(s.Sim, name)
}

func lineWith(out, word string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, word) {
			return l
		}
	}
	return ""
}

// Items 101, 102 with the real kubectl: cordon/uncordon, drain refusing emptyDir pods without
// --delete-emptydir-data, drain blocked by a PodDisruptionBudget (kubectl get pdb), then a
// drain that evicts the pod, which the StatefulSet recreates on another node.
func TestItem101_102_KubectlCordonDrainEvict(t *testing.T) {
	s := startServed(t)
	create(t, s.Sim, svcR, mysqlReadService())
	create(t, s.Sim, stsR, mysqlSet(3))
	s.idle(t)
	for i := 0; i < 3; i++ {
		if r, st := podColumns(s.pod(fmt.Sprintf("mysql-%d", i))); r != "2/2" || st != "Running" {
			t.Fatalf("mysql-%d %s %s", i, r, st)
		}
	}
	node := s.pod("mysql-2").Spec.NodeName
	wide := s.must(t, "get", "pods", "-o", "wide")
	if l := lineWith(wide, "mysql-2"); !strings.Contains(l, node) || !strings.Contains(l, s.pod("mysql-2").Status.PodIP) {
		t.Errorf("-o wide row %q lacks node %s / IP", l, node)
	}

	if out := s.must(t, "cordon", node); out != "node/"+node+" cordoned\n" {
		t.Errorf("cordon: %q", out)
	}
	if l := lineWith(s.must(t, "get", "nodes"), node); !strings.Contains(l, "Ready,SchedulingDisabled") {
		t.Errorf("node row %q", l)
	}
	if out := s.must(t, "uncordon", node); out != "node/"+node+" uncordoned\n" {
		t.Errorf("uncordon: %q", out)
	}

	// Item 102: the mysql pods use an emptyDir, so drain refuses without the flag.
	out, errOut, err := s.kubectl(t, "drain", node, "--ignore-daemonsets")
	if err == nil {
		t.Fatalf("drain without --delete-emptydir-data succeeded: %s", out)
	}
	if want := "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/mysql-2"; !strings.Contains(errOut, want) {
		t.Errorf("drain stderr %q lacks %q", errOut, want)
	}
	if !strings.Contains(out, "node/"+node+" cordoned") {
		t.Errorf("drain stdout %q", out)
	}

	// A budget that allows no disruption blocks the eviction (429, retried by kubectl).
	pdbYAML := "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: mysql-pdb\nspec:\n  minAvailable: 3\n  selector:\n    matchLabels:\n      app: mysql\n"
	if err := os.WriteFile(filepath.Join(s.dir, "pdb.yaml"), []byte(pdbYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := s.must(t, "apply", "-f", "pdb.yaml"); out != "poddisruptionbudget.policy/mysql-pdb created\n" {
		t.Errorf("apply pdb: %q", out)
	}
	s.idle(t)
	pdbOut := s.must(t, "get", "pdb")
	if !strings.HasPrefix(pdbOut, "NAME") || !strings.Contains(pdbOut, "MIN AVAILABLE") ||
		len(strings.Fields(lineWith(pdbOut, "mysql-pdb"))) != 5 || strings.Fields(lineWith(pdbOut, "mysql-pdb"))[1] != "3" ||
		strings.Fields(lineWith(pdbOut, "mysql-pdb"))[2] != "N/A" || strings.Fields(lineWith(pdbOut, "mysql-pdb"))[3] != "0" {
		t.Errorf("kubectl get pdb:\n%s", pdbOut)
	}
	out, errOut, err = s.kubectl(t, "drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=7s")
	if err == nil {
		t.Fatalf("drain past a full budget succeeded: %s", out)
	}
	if want := `error when evicting pods/"mysql-2" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`; !strings.Contains(errOut, want) {
		t.Errorf("drain stderr %q lacks %q", errOut, want)
	}
	if p := s.pod("mysql-2"); p == nil || p.DeletionTimestamp != nil {
		t.Fatal("mysql-2 deleted despite the budget")
	}

	// Allow one disruption: the drain evicts mysql-2 and waits until it is gone.
	s.must(t, "patch", "pdb", "mysql-pdb", "--type=merge", "-p", `{"spec":{"minAvailable":2}}`)
	s.idle(t)
	oldUID := s.pod("mysql-2").UID
	out, errOut, err = s.kubectl(t, "drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--force")
	if err != nil {
		t.Fatalf("drain: %v\n%s\n%s", err, out, errOut)
	}
	t.Logf("drain stdout:\n%s\nstderr:\n%s", out, errOut)
	for _, want := range []string{"evicting pod default/mysql-2\n", "pod/mysql-2 evicted\n", "node/" + node + " drained\n"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("drain output lacks %q:\nstdout: %s\nstderr: %s", want, out, errOut)
		}
	}
	s.idle(t)
	p := s.pod("mysql-2")
	if p == nil || p.UID == oldUID || p.Spec.NodeName == node {
		t.Fatalf("mysql-2 not recreated elsewhere: %+v", p)
	}
	if r, st := podColumns(p); r != "2/2" || st != "Running" {
		t.Errorf("new mysql-2 %s %s", r, st)
	}
	if l := lineWith(s.must(t, "get", "nodes"), node); !strings.Contains(l, "Ready,SchedulingDisabled") {
		t.Errorf("drained node row %q", l)
	}
}

// Node failure with the real kubectl: NotReady node, a pod stuck Terminating, `kubectl delete`
// timing out, and `--force --grace-period 0` removing it with kubectl's warning.
func TestKubectlNodeFailureForceDelete(t *testing.T) {
	s := startServed(t)
	create(t, s.Sim, svcR, nginxService())
	create(t, s.Sim, stsR, webSet(2))
	s.idle(t)
	node := s.pod("web-0").Spec.NodeName
	if err := s.FailNode(node); err != nil {
		t.Fatal(err)
	}
	s.idle(t) // AutoAdvance: the grace period and the 300s toleration pass
	if l := lineWith(s.must(t, "get", "nodes"), node); !strings.Contains(l, "NotReady") {
		t.Errorf("node row %q", l)
	}
	desc := s.must(t, "describe", "node", node)
	for _, want := range []string{"node.kubernetes.io/unreachable:NoExecute", "NodeStatusUnknown", "Kubelet stopped posting node status.",
		"NodeNotReady", "Node " + node + " status is now: NodeNotReady", "HolderIdentity:  " + node} {
		if !strings.Contains(desc, want) {
			t.Errorf("describe node lacks %q", want)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("describe node:\n%s", desc)
	}
	if l := lineWith(s.must(t, "get", "pods"), "web-0"); !strings.Contains(l, "Terminating") {
		t.Errorf("web-0 row %q", l)
	}
	_, errOut, err := s.kubectl(t, "delete", "pod", "web-0", "--timeout=3s")
	if err == nil || !strings.Contains(errOut, "timed out") {
		t.Errorf("graceful delete returned: %v %q", err, errOut)
	}
	out, errOut, err := s.kubectl(t, "delete", "pod", "web-0", "--force", "--grace-period", "0")
	if err != nil {
		t.Fatalf("force delete: %v %s", err, errOut)
	}
	if !strings.Contains(errOut, "Immediate deletion does not wait for confirmation that the running resource has been terminated") ||
		!strings.HasPrefix(out, `pod "web-0" force deleted`) {
		t.Errorf("force delete output %q / %q", out, errOut)
	}
	s.idle(t)
	p := s.pod("web-0")
	if p == nil || p.Spec.NodeName == node {
		t.Fatalf("web-0 not recreated on another node: %+v", p)
	}
	if r, st := podColumns(p); r != "1/1" || st != "Running" {
		t.Errorf("web-0 %s %s", r, st)
	}
	if out := s.must(t, "describe", "pod", "web-0"); !strings.Contains(out, "Successfully assigned default/web-0 to") {
		t.Errorf("describe lacks the Scheduled event:\n%s", out)
	}
}

// Part C (RESTARTS `N (Xm ago)`), item 108 and B15's describe: after a crash the real kubectl
// prints the restart count with the time since the last termination, and `kubectl describe pod`
// lists the kubelet's events (BackOff included after a second crash).
func TestItem108_KubectlRestartsAndDescribe(t *testing.T) {
	s := startServed(t)
	create(t, s.Sim, stsR, mysqlSet(1))
	s.idle(t)
	if err := s.ExitContainer("default", "mysql-0", "xtrabackup", 1); err != nil {
		t.Fatal(err)
	}
	s.idle(t)
	row := strings.Fields(lineWith(s.must(t, "get", "pods"), "mysql-0"))
	// NAME READY STATUS RESTARTS (N (Xs ago)) AGE
	if len(row) != 7 || row[3] != "1" || !strings.HasPrefix(row[4], "(") || row[5] != "ago)" {
		t.Errorf("row %q, want RESTARTS like `1 (5s ago)`", row)
	}
	if err := s.ExitContainer("default", "mysql-0", "xtrabackup", 1); err != nil {
		t.Fatal(err)
	}
	s.idle(t)
	out := s.must(t, "describe", "pod", "mysql-0")
	for _, want := range []string{"Successfully assigned default/mysql-0 to sim-node-", "Pulling image \"mysql:5.7\"",
		"Created container: init-mysql", "Started container xtrabackup", "Back-off restarting failed container xtrabackup",
		"Restart Count:  2", "Exit Code:    1"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q", want)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("describe:\n%s", out)
	}
}
