package sim

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

// mysqlServed is a served simulator (AutoAdvance, default sandbox runner) with the replicated
// MySQL tutorial's manifests in its kubectl directory and a log of the API requests it served,
// so a test knows when a `kubectl get -w` has started watching.
type mysqlServed struct {
	*servedSim
	mu   sync.Mutex
	reqs []string
}

func startMysqlServed(t *testing.T) *mysqlServed {
	t.Helper()
	if _, err := os.Stat(kubectlBin); err != nil {
		t.Fatalf("the kubectl binary is required at %s for this test: %v", kubectlBin, err)
	}
	m := &mysqlServed{}
	logf := func(format string, args ...any) {
		line := fmt.Sprintf(format, args...)
		if strings.HasPrefix(line, "GET /") {
			m.mu.Lock()
			m.reqs = append(m.reqs, line)
			m.mu.Unlock()
		}
	}
	s, err := New(Config{Fake: testingclock.NewFakeClock(t0), AutoAdvance: true, Seed: 1, Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	m.servedSim = serve(t, s)
	for _, name := range []string{"mysql-configmap.yaml", "mysql-services.yaml", "mysql-statefulset.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "manifests", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(m.dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// listed says the LIST of a `kubectl get -w` was served: its watch starts from that list's
// resourceVersion, so the store's history replays every later change to it.
func (m *mysqlServed) listed(path string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.reqs {
		if strings.HasPrefix(r, "GET "+path+"?") && !strings.Contains(r, "watch=") {
			return true
		}
	}
	return false
}

// deleteWaiting runs `kubectl delete KIND NAME`, which waits for the object to go. On a fake
// clock with AutoAdvance the graceful deletion and the StatefulSet's re-creation can both happen
// between kubectl's DELETE and its LIST, and then kubectl (by design) waits for a deletion it
// never sees; a real cluster takes seconds there. So the loop is paused until kubectl watches.
func (m *mysqlServed) deleteWaiting(t *testing.T, kind, name string) {
	t.Helper()
	m.mu.Lock()
	m.reqs = nil
	m.mu.Unlock()
	m.Pause()
	type res struct {
		out, errOut string
		err         error
	}
	done := make(chan res, 1)
	go func() {
		out, errOut, err := m.kubectl(t, "delete", kind, name)
		done <- res{out, errOut, err}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !m.listed("/api/v1/namespaces/default/" + kind + "s") {
		if time.Now().After(deadline) {
			m.Resume()
			t.Fatalf("kubectl delete %s %s never listed", kind, name)
		}
		time.Sleep(5 * time.Millisecond) // polling a real process, not synchronizing the simulator
	}
	m.Resume()
	r := <-done
	if r.err != nil || r.out != kind+" \""+name+"\" deleted\n" {
		t.Fatalf("kubectl delete %s %s: %v %q %q", kind, name, r.err, r.out, r.errOut)
	}
}

// watch runs `kubectl args...` (a --watch) in the background; stop ends it and returns its rows.
func (m *mysqlServed) watch(t *testing.T, path string, args ...string) (stop func(until string) []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	c := kubectlCmd(ctx, m.dir, m.kubeconfig, args...)
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for !m.listed(path) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("kubectl %s never started watching", strings.Join(args, " "))
		}
		time.Sleep(5 * time.Millisecond) // polling a real process, not synchronizing the simulator
	}
	return func(until string) []string {
		defer cancel()
		var got []string
		timeout := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("watch ended early: %q", got)
				}
				got = append(got, l)
				if strings.Contains(regexp.MustCompile(`\s+`).ReplaceAllString(l, " "), until) {
					cancel()
					_ = c.Wait()
					return got
				}
			case <-timeout:
				t.Fatalf("watch never printed %q: %q", until, got)
			}
		}
	}
}

// stdin runs kubectl with input on its stdin, as a here-doc gives it.
func (m *mysqlServed) stdin(t *testing.T, in string, args ...string) (string, string, error) {
	t.Helper()
	return runKubectlIn(90*time.Second, m.dir, m.kubeconfig, strings.NewReader(in), args...)
}

// statuses is the READY STATUS sequence a watch printed for pod, repeats folded.
func statuses(rows []string, pod string) []string {
	var got []string
	for _, l := range rows {
		f := strings.Fields(l)
		if len(f) < 3 || f[0] != pod {
			continue
		}
		st := f[1] + " " + f[2]
		if len(got) == 0 || got[len(got)-1] != st {
			got = append(got, st)
		}
	}
	return got
}

// The replicated MySQL tutorial through the real kubectl, on the default sandbox runner.
func TestMysqlTutorialKubectl(t *testing.T) {
	m := startMysqlServed(t)
	for _, f := range []string{"mysql-configmap.yaml", "mysql-services.yaml"} {
		t.Log(m.must(t, "apply", "-f", f))
	}
	stop := m.watch(t, "/api/v1/namespaces/default/pods", "get", "pods", "-l", "app=mysql", "--watch")
	if out := m.must(t, "apply", "-f", "mysql-statefulset.yaml"); out != "statefulset.apps/mysql created\n" {
		t.Errorf("apply: %q", out)
	}
	rows := stop("mysql-2 2/2 Running")
	t.Logf("watch:\n%s", strings.Join(rows, "\n"))
	// Each pod walks the same rows, and mysql-N+1 appears only once mysql-N is 2/2 Running.
	want := "0/2 Pending,0/2 Init:0/2,0/2 Init:1/2,0/2 PodInitializing,1/2 Running,2/2 Running"
	last := -1
	for i := 0; i < 3; i++ {
		pod := fmt.Sprintf("mysql-%d", i)
		if got := strings.Join(statuses(rows, pod), ","); got != want {
			t.Errorf("%s rows %s, want %s", pod, got, want)
		}
		for j, l := range rows {
			if strings.HasPrefix(l, pod+" ") {
				if j < last {
					t.Errorf("%s printed before mysql-%d was 2/2 Running", pod, i-1)
				}
				break
			}
		}
		for j, l := range rows {
			if f := strings.Fields(l); len(f) > 2 && f[0] == pod && f[1] == "2/2" {
				last = j
				break
			}
		}
	}
	m.idle(t)

	// The init scripts ran in the sandbox: server-id 100+ordinal, primary/replica config.
	for i := 0; i < 3; i++ {
		pod := fmt.Sprintf("mysql-%d", i)
		out := m.must(t, "exec", pod, "-c", "mysql", "--", "ls", "/etc/mysql/conf.d")
		cnf := "replica.cnf"
		if i == 0 {
			cnf = "primary.cnf"
		}
		if !strings.Contains(out, cnf) || !strings.Contains(out, "server-id.cnf") {
			t.Errorf("%s conf.d: %q", pod, out)
		}
		if out := m.must(t, "exec", pod, "-c", "mysql", "--", "cat", "/etc/mysql/conf.d/server-id.cnf"); out != fmt.Sprintf("[mysqld]\nserver-id=%d\n", 100+i) {
			t.Errorf("%s server-id.cnf %q", pod, out)
		}
	}
	// clone-mysql cloned mysql-1 from mysql-0 and mysql-2 from mysql-1 (xtrabackup's files).
	for i := 1; i < 3; i++ {
		out := m.must(t, "exec", fmt.Sprintf("mysql-%d", i), "-c", "mysql", "--", "ls", "/var/lib/mysql")
		if !strings.Contains(out, "xtrabackup_checkpoints") {
			t.Errorf("mysql-%d data dir, no clone: %q", i, out)
		}
	}

	// The tutorial's first client: write through the primary.
	sql := "CREATE DATABASE test;\nCREATE TABLE test.messages (message VARCHAR(250));\nINSERT INTO test.messages VALUES ('hello');\n"
	out, errOut, err := m.stdin(t, sql, "run", "mysql-client", "--image=mysql:5.7", "-i", "--rm", "--restart=Never", "--", "mysql", "-h", "mysql-0.mysql")
	t.Logf("client: %v\n%s\n%s", err, out, errOut)
	if err != nil {
		t.Fatalf("mysql-client: %v", err)
	}
	m.idle(t)
	out, errOut, err = m.stdin(t, "", "run", "mysql-client", "--image=mysql:5.7", "-i", "-t", "--rm", "--restart=Never", "--", "mysql", "-h", "mysql-read", "-e", "SELECT * FROM test.messages")
	t.Logf("read: %v\n%s\n%s", err, out, errOut)
	// stdin is not a terminal here, so kubectl drops -t and mysql prints batch output.
	if err != nil || !strings.HasPrefix(out, "message\nhello\n") {
		t.Errorf("mysql-read SELECT: %v %q %q", err, out, errOut)
	}

	// The SELECT @@server_id loop, bounded: mysql-read spreads queries over the Ready pods.
	ids := serverIDs(t, m, 12)
	t.Logf("server ids behind mysql-read: %v", ids)
	if len(ids) < 2 {
		t.Errorf("mysql-read answered from server ids %v only", ids)
	}
	mysqlTutorialRest(t, m)
}

// serverIDs runs the tutorial's loop body n times and returns the server ids that answered.
func serverIDs(t *testing.T, m *mysqlServed, n int) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for range n {
		out, errOut, err := m.kubectl(t, "run", "mysql-client-loop", "--image=mysql:5.7", "-i", "-t", "--rm", "--restart=Never", "--",
			"bash", "-ic", `mysql -h mysql-read -e 'SELECT @@server_id,NOW()'`)
		if err != nil {
			t.Fatalf("loop client: %v %s %s", err, out, errOut)
		}
		lines := strings.Split(out, "\n")
		if len(lines) < 2 || lines[0] != "@@server_id\tNOW()" {
			t.Fatalf("loop client output %q", out)
		}
		ids[strings.Fields(lines[1])[0]] = true
		m.idle(t)
	}
	return ids
}

// endpointsOf is the mysql-read Endpoints' ready addresses, by pod name.
func endpointsOf(t *testing.T, m *mysqlServed) string {
	t.Helper()
	return m.must(t, "get", "endpoints", "mysql-read", "-o", `jsonpath={range .subsets[*].addresses[*]}{.targetRef.name}{" "}{end}`)
}

func readyOf(t *testing.T, m *mysqlServed, pod string) string {
	t.Helper()
	f := strings.Fields(lineWith(m.must(t, "get", "pod", pod), pod))
	if len(f) < 3 {
		t.Fatalf("no row for %s", pod)
	}
	return f[1] + " " + f[2]
}

// selectVia reads test.messages through one pod's mysqld, as the tutorial does per host.
func selectVia(t *testing.T, m *mysqlServed, host string) string {
	t.Helper()
	out, errOut, err := m.kubectl(t, "run", "mysql-client", "--image=mysql:5.7", "-i", "--rm", "--restart=Never", "--",
		"mysql", "-h", host, "-e", "SELECT * FROM test.messages")
	if err != nil {
		t.Fatalf("SELECT via %s: %v %s %s", host, err, out, errOut)
	}
	m.idle(t)
	return out
}

func mysqlTutorialRest(t *testing.T, m *mysqlServed) {
	// Breaking the readiness probe: 1/2 and out of mysql-read; the reverse mv: 2/2 again.
	m.must(t, "exec", "mysql-2", "-c", "mysql", "--", "mv", "/usr/bin/mysql", "/usr/bin/mysql.off")
	// Probe ticks are background timers that idle does not wait for: wait on the condition,
	// as a learner would with kubectl wait.
	m.must(t, "wait", "--for=condition=Ready=false", "pod/mysql-2", "--timeout=60s")
	m.idle(t)
	if r := readyOf(t, m, "mysql-2"); r != "1/2 Running" {
		t.Errorf("mysql-2 with mysql moved away: %s", r)
	}
	if eps := endpointsOf(t, m); strings.Contains(eps, "mysql-2") || !strings.Contains(eps, "mysql-0") {
		t.Errorf("mysql-read endpoints with mysql-2 unready: %q", eps)
	}
	if out := m.must(t, "describe", "pod", "mysql-2"); !strings.Contains(out, "Readiness probe failed:") {
		t.Errorf("describe lacks the Unhealthy event:\n%s", out)
	}
	m.must(t, "exec", "mysql-2", "-c", "mysql", "--", "mv", "/usr/bin/mysql.off", "/usr/bin/mysql")
	m.must(t, "wait", "--for=condition=Ready", "pod/mysql-2", "--timeout=60s")
	m.idle(t)
	if r := readyOf(t, m, "mysql-2"); r != "2/2 Running" {
		t.Errorf("mysql-2 with mysql back: %s", r)
	}
	if eps := endpointsOf(t, m); !strings.Contains(eps, "mysql-2") {
		t.Errorf("mysql-read endpoints with mysql-2 ready again: %q", eps)
	}

	// Deleting a pod: recreated, with its data.
	uid := m.pod("mysql-2").UID
	m.deleteWaiting(t, "pod", "mysql-2")
	m.idle(t)
	if p := m.pod("mysql-2"); p == nil || p.UID == uid {
		t.Fatal("mysql-2 not recreated")
	}
	if r := readyOf(t, m, "mysql-2"); r != "2/2 Running" {
		t.Errorf("recreated mysql-2: %s", r)
	}
	if out := selectVia(t, m, "mysql-2.mysql"); !strings.Contains(out, "hello") {
		t.Errorf("recreated mysql-2 lost the data: %q", out)
	}

	// Draining mysql-2's node: refused without --delete-emptydir-data, then evicted elsewhere.
	node := m.pod("mysql-2").Spec.NodeName
	out, errOut, err := m.kubectl(t, "drain", node, "--force", "--ignore-daemonsets")
	if err == nil || !strings.Contains(errOut, "cannot delete Pods with local storage (use --delete-emptydir-data to override): default/mysql-2") {
		t.Errorf("drain without --delete-emptydir-data: %v %q %q", err, out, errOut)
	}
	uid = m.pod("mysql-2").UID
	out, errOut, err = m.kubectl(t, "drain", node, "--force", "--delete-emptydir-data", "--ignore-daemonsets")
	t.Logf("drain:\n%s%s", out, errOut)
	if err != nil || !strings.Contains(out, "pod/mysql-2 evicted") || !strings.Contains(out, "node/"+node+" drained") {
		t.Errorf("drain: %v %q %q", err, out, errOut)
	}
	m.idle(t)
	if p := m.pod("mysql-2"); p == nil || p.UID == uid || p.Spec.NodeName == node {
		t.Fatalf("mysql-2 not recreated on another node")
	}
	if r := readyOf(t, m, "mysql-2"); r != "2/2 Running" {
		t.Errorf("mysql-2 after the drain: %s", r)
	}
	if out := selectVia(t, m, "mysql-2.mysql"); !strings.Contains(out, "hello") {
		t.Errorf("mysql-2 on another node lost the data: %q", out)
	}
	if out := m.must(t, "uncordon", node); out != "node/"+node+" uncordoned\n" {
		t.Errorf("uncordon: %q", out)
	}

	// Scaling up: the new replicas clone and replicate, so the row written before is there.
	m.must(t, "scale", "statefulset", "mysql", "--replicas=5")
	m.idle(t)
	for _, pod := range []string{"mysql-3", "mysql-4"} {
		if r := readyOf(t, m, pod); r != "2/2 Running" {
			t.Errorf("%s: %s", pod, r)
		}
		if out := selectVia(t, m, pod+".mysql"); !strings.Contains(out, "hello") {
			t.Errorf("%s lacks the row written before scale-up: %q", pod, out)
		}
	}
	m.must(t, "scale", "statefulset", "mysql", "--replicas=3")
	m.idle(t)
	if p := m.pod("mysql-3"); p != nil {
		t.Error("mysql-3 still there after scaling down")
	}
	pvcs := m.must(t, "get", "pvc", "-l", "app=mysql")
	t.Logf("get pvc:\n%s", pvcs)
	if n := strings.Count(pvcs, " Bound "); n != 5 {
		t.Errorf("get pvc -l app=mysql: %d Bound, want 5:\n%s", n, pvcs)
	}

	// Events, as kubectl get events and describe print them on a real cluster.
	events := m.must(t, "get", "events")
	for _, want := range [][2]string{
		{"Scheduled", "Successfully assigned default/mysql-3 to sim-node-"},
		{"Pulling", `Pulling image "gcr.io/google-samples/xtrabackup:1.0"`},
		{"Pulled", `image "mysql:5.7"`},
		{"Created", "Created container: clone-mysql"},
		{"Started", "Started container mysql"},
		{"Killing", "Stopping container mysql"},
		{"Unhealthy", "Readiness probe failed:"},
		{"SuccessfulCreate", "create Pod mysql-4 in StatefulSet mysql successful"},
		{"SuccessfulDelete", "delete Pod mysql-4 in StatefulSet mysql successful"},
		{"SuccessfulCreate", "create Claim data-mysql-4 Pod mysql-4 in StatefulSet mysql success"},
		{"ProvisioningSucceeded", "Successfully provisioned volume pvc-"},
		{"Provisioning", `External provisioner is provisioning volume for claim "default/data-mysql-3"`},
	} {
		found := false
		for _, l := range strings.Split(events, "\n") {
			if f := strings.Fields(l); len(f) > 3 && f[2] == want[0] && strings.Contains(l, want[1]) {
				found = true
			}
		}
		if !found {
			t.Errorf("kubectl get events lacks %s %q", want[0], want[1])
		}
	}
	if t.Failed() {
		t.Logf("get events:\n%s", events)
	}
	if out := m.must(t, "describe", "pvc", "data-mysql-3"); !strings.Contains(out, "ProvisioningSucceeded") || !strings.Contains(out, provisionerIdentity()) {
		t.Errorf("describe pvc:\n%s", out)
	}

	// Cleanup, as the tutorial does.
	m.must(t, "delete", "statefulset", "mysql")
	m.must(t, "delete", "configmap,service,pvc", "-l", "app=mysql")
	m.idle(t)
	if out, errOut, _ := m.kubectl(t, "get", "pods,pvc", "-l", "app=mysql"); strings.TrimSpace(out) != "" || !strings.Contains(errOut, "No resources found") {
		t.Errorf("after cleanup: %q %q", out, errOut)
	}
}

// provisionerIdentity is the From column of the provisioner's PVC events (local-path-provisioner).
func provisionerIdentity() string { return "rancher.io/local-path_local-path-provisioner-" }

// An init container that sleeps (sh -c "sleep 5") runs on the simulator's loop, which is what
// advances the fake clock: the sandbox's sleep must not wait on that clock, or the loop would
// stall until the kubelet's real-time RunTimeout and the container would fail with 137.
func TestInitContainerSleepDoesNotStallLoop(t *testing.T) {
	m := startMysqlServed(t)
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: sleepy\nspec:\n  initContainers:\n  - name: wait\n    image: busybox\n    command: [sh, -c, \"sleep 5; echo done > /work/x\"]\n    volumeMounts: [{name: w, mountPath: /work}]\n  containers:\n  - name: main\n    image: busybox\n    command: [sh, -c, \"sleep 3600\"]\n    volumeMounts: [{name: w, mountPath: /work}]\n  volumes: [{name: w, emptyDir: {}}]\n"
	if err := os.WriteFile(filepath.Join(m.dir, "sleepy.yaml"), []byte(pod), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	m.must(t, "apply", "-f", "sleepy.yaml")
	m.idle(t)
	if r := readyOf(t, m, "sleepy"); r != "1/1 Running" {
		t.Errorf("sleepy: %s", r)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("the init container's sleep took %v of real time", el)
	}
	if out := m.must(t, "exec", "sleepy", "--", "cat", "/work/x"); out != "done\n" {
		t.Errorf("init container's file: %q", out)
	}
}
