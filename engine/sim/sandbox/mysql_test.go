package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// readManifest reads a tutorial manifest from the repository (a file, not an import, so the
// simulator keeps importing nothing outside engine/sim).
func readManifest(t testing.TB, name string) [][]byte {
	t.Helper()
	data, err := os.ReadFile("../../../manifests/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var docs [][]byte
	for _, d := range strings.Split(string(data), "\n---\n") {
		docs = append(docs, []byte(d))
	}
	return docs
}

type mysqlCluster struct {
	*fixture
	set  *appsv1.StatefulSet
	pods map[int]*corev1.Pod
}

// newMySQL creates the tutorial's ConfigMap and Services, and a template from its StatefulSet.
func newMySQL(t testing.TB) *mysqlCluster {
	f := newFixture(t)
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal(readManifest(t, "mysql-configmap.yaml")[0], &cm); err != nil {
		t.Fatal(err)
	}
	cm.Namespace = "default"
	f.create(cmRes, &cm)
	for _, d := range readManifest(t, "mysql-services.yaml") {
		var svc corev1.Service
		if err := yaml.Unmarshal(d, &svc); err != nil {
			t.Fatal(err)
		}
		svc.Namespace = "default"
		f.create(svcRes, &svc)
	}
	var set appsv1.StatefulSet
	if err := yaml.Unmarshal(readManifest(t, "mysql-statefulset.yaml")[0], &set); err != nil {
		t.Fatal(err)
	}
	return &mysqlCluster{fixture: f, set: &set, pods: map[int]*corev1.Pod{}}
}

// start creates mysql-i as the StatefulSet controller would, runs its init containers through
// the sandbox as the kubelet would, and publishes it in both Services' endpoints.
func (m *mysqlCluster) start(i int) {
	t := m.t
	t.Helper()
	name := fmt.Sprintf("mysql-%d", i)
	claim := "data-" + name
	if _, err := m.st.Get(pvcRes, "default", claim); err != nil {
		m.claim(claim, "pv-"+claim)
	}
	spec := m.set.Spec.Template.Spec.DeepCopy()
	spec.Hostname, spec.Subdomain = name, "mysql"
	spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
	pod := m.create(podsRes, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default",
		Labels: m.set.Spec.Template.Labels}, Spec: *spec}).(*corev1.Pod)
	pod.Status.PodIP = fmt.Sprintf("10.244.%d.%d", i%3+1, 10+len(m.pods)+i*7)
	// Init containers run while the pod is Pending.
	pod.Status.Phase = corev1.PodPending
	pod = m.setStatus(pod)
	for _, c := range pod.Spec.InitContainers {
		r := m.run(pod, c.Name, containerArgv(&c, imageFor(c.Image))...)
		if r.code != 0 {
			t.Fatalf("%s %s: exit %d\nstdout: %s\nstderr: %s", name, c.Name, r.code, r.out, r.err)
		}
	}
	pod.Status.Phase = corev1.PodRunning
	m.pods[i] = m.setStatus(pod)
	m.publish()
}

func (f *fixture) setStatus(p *corev1.Pod) *corev1.Pod {
	f.t.Helper()
	out, err := f.st.Update(podsRes, p, store.UpdateOptions{Status: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return out.(*corev1.Pod)
}

func (m *mysqlCluster) stop(i int) {
	m.deletePod(m.pods[i])
	delete(m.pods, i)
	m.publish()
}

// publish writes Endpoints for the Ready pods (the readiness probe passing), as the endpoints
// controller would.
func (m *mysqlCluster) publish(except ...int) {
	var ready []*corev1.Pod
	for i := 0; i < 10; i++ {
		p, ok := m.pods[i]
		if !ok || slices.Contains(intsToStrings(except), fmt.Sprint(i)) {
			continue
		}
		ready = append(ready, p)
	}
	m.endpoints("mysql", ready...)
	m.endpoints("mysql-read", ready...)
}

func intsToStrings(a []int) []string {
	var out []string
	for _, x := range a {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func (m *mysqlCluster) client(script string, args ...string) result {
	m.t.Helper()
	cl, err := m.st.Get(podsRes, "default", "mysql-client")
	var pod *corev1.Pod
	if err != nil {
		pod = m.pod("mysql-client", "mysql:5.7", func(p *corev1.Pod) {
			p.Spec.Containers[0].Args = []string{"mysql"}
			p.Status.PodIP = "10.244.9.9"
		})
	} else {
		pod = cl.(*corev1.Pod)
		pod.Status.Phase = corev1.PodRunning
	}
	return m.runIn(pod, "", script, append([]string{"mysql"}, args...)...)
}

// Item 96/B15: the init scripts give each server its identity.
func TestItem96_MySQLInitScripts(t *testing.T) {
	m := newMySQL(t)
	for i := 0; i < 3; i++ {
		m.start(i)
	}
	for i := 0; i < 3; i++ {
		r := m.run(m.pods[i], "mysql", "cat", "/etc/mysql/conf.d/server-id.cnf")
		if want := fmt.Sprintf("[mysqld]\nserver-id=%d\n", 100+i); r.out != want {
			t.Fatalf("mysql-%d server-id.cnf: %q want %q", i, r.out, want)
		}
		r = m.run(m.pods[i], "mysql", "ls", "/etc/mysql/conf.d")
		want := "primary.cnf\nserver-id.cnf\n"
		if i > 0 {
			want = "replica.cnf\nserver-id.cnf\n"
		}
		if r.out != want {
			t.Fatalf("mysql-%d conf.d: %q want %q", i, r.out, want)
		}
		// The readiness and liveness probes.
		if r := m.run(m.pods[i], "mysql", "mysql", "-h", "127.0.0.1", "-e", "SELECT 1"); r.code != 0 || r.out != "1\n1\n" {
			t.Fatalf("readiness probe on mysql-%d: %+v", i, r)
		}
		if r := m.run(m.pods[i], "mysql", "mysqladmin", "ping"); r.code != 0 || r.out != "mysqld is alive\n" {
			t.Fatalf("liveness probe on mysql-%d: %+v", i, r)
		}
	}
	// init-mysql's trace goes to stderr, as set -x does.
	r := m.run(m.pods[1], "init-mysql", containerArgv(&m.pods[1].Spec.InitContainers[0], imageFor("mysql:5.7"))...)
	// (interp's set -x prints no line for [[ ]] and quotes words with "=": a known limit of mvdan.cc/sh)
	for _, want := range []string{"+ ordinal=1", "server-id=101", "+ cp /mnt/config-map/replica.cnf /mnt/conf.d/"} {
		if !strings.Contains(r.err, want) {
			t.Fatalf("trace lacks %q:\n%s", want, r.err)
		}
	}
}

func TestMySQLReplicationAndClone(t *testing.T) {
	m := newMySQL(t)
	for i := 0; i < 3; i++ {
		m.start(i)
	}
	// Writes go to the primary by its stable name.
	r := m.client("CREATE DATABASE test;\nCREATE TABLE test.messages (message VARCHAR(250));\nINSERT INTO test.messages VALUES ('hello');\n", "-h", "mysql-0.mysql")
	if r.code != 0 || r.out != "" {
		t.Fatalf("write: %+v", r)
	}
	// Reads through mysql-read, in the mysql client's table format.
	r = m.client("", "-h", "mysql-read", "-t", "-e", "SELECT * FROM test.messages")
	if want := "+---------+\n| message |\n+---------+\n| hello   |\n+---------+\n"; r.out != want {
		t.Fatalf("read: %q want %q (%s)", r.out, want, r.err)
	}
	for i := 1; i < 3; i++ {
		r := m.client("", "-h", fmt.Sprintf("mysql-%d.mysql", i), "-e", "SELECT @@server_id, message FROM test.messages")
		if want := fmt.Sprintf("@@server_id\tmessage\n%d\thello\n", 100+i); r.out != want {
			t.Fatalf("replica %d: %q want %q (%s)", i, r.out, want, r.err)
		}
	}
	// Replicas refuse writes.
	r = m.client("", "-h", "mysql-1.mysql", "-e", "INSERT INTO test.messages VALUES ('x')")
	if r.code != 1 || r.err != "ERROR 1290 (HY000) at line 1: The MySQL server is running with the --super-read-only option so it cannot execute this statement\n" {
		t.Fatalf("write on replica: %+v", r)
	}
	// mysql-read spreads connections over the ready servers.
	seen := map[string]bool{}
	for k := 0; k < 30; k++ {
		r := m.client("", "-h", "mysql-read", "-N", "-e", "SELECT @@server_id")
		seen[strings.TrimSpace(r.out)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("mysql-read reached %v, want 100, 101, 102", seen)
	}
	// An unready server drops out of mysql-read.
	m.publish(2)
	for k := 0; k < 20; k++ {
		if r := m.client("", "-h", "mysql-read", "-N", "-e", "SELECT @@server_id"); r.out == "102\n" {
			t.Fatal("mysql-read reached the unready mysql-2")
		}
	}
	m.publish()
	// Scale up: mysql-3 clones mysql-2 (a replica) and then follows the primary.
	m.start(3)
	m.start(4)
	m.client("INSERT INTO test.messages VALUES ('after');", "-h", "mysql-0.mysql")
	for i := 3; i < 5; i++ {
		r := m.client("", "-h", fmt.Sprintf("mysql-%d.mysql", i), "-N", "-e", "SELECT message FROM test.messages")
		if r.out != "hello\nafter\n" {
			t.Fatalf("mysql-%d after clone: %+v", i, r)
		}
	}
	// A re-created replica keeps its data (clone-mysql skips) and catches up.
	m.stop(2)
	m.client("INSERT INTO test.messages VALUES ('while-away');", "-h", "mysql-0.mysql")
	m.start(2)
	r = m.client("", "-h", "mysql-2.mysql", "-N", "-e", "SELECT COUNT(*) FROM test.messages")
	if r.out != "3\n" {
		t.Fatalf("mysql-2 after re-creation: %+v", r)
	}
	// With the primary gone, replicas still answer reads (stale) and writes fail to connect.
	m.stop(0)
	if r := m.client("", "-h", "mysql-1.mysql", "-N", "-e", "SELECT COUNT(*) FROM test.messages"); r.out != "3\n" {
		t.Fatalf("replica without primary: %+v", r)
	}
	if r := m.client("", "-h", "mysql-0.mysql", "-e", "SELECT 1"); r.code != 1 || !strings.Contains(r.err, "ERROR 2005") {
		t.Fatalf("primary gone: %+v", r)
	}
}

func TestMySQLClientErrorsAndFormats(t *testing.T) {
	m := newMySQL(t)
	m.start(0)
	cases := []struct{ args, out, err string }{
		{"-e|SELECT * FROM nope.t", "", "ERROR 1146 (42S02) at line 1: Table 'nope.t' doesn't exist\n"},
		{"-e|SELECT * FROM t", "", "ERROR 1046 (3D000) at line 1: No database selected\n"},
		{"-e|SELEC 1", "", "ERROR 1064 (42000) at line 1: You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near 'SELEC 1' at line 1\n"},
		{"-e|SHOW DATABASES", "Database\ninformation_schema\nmysql\nperformance_schema\nsys\n", ""},
		{"-t|-e|SELECT @@server_id,NOW()", "+-------------+---------------------+\n| @@server_id | NOW()               |\n+-------------+---------------------+\n|         100 | 2026-01-01 00:00:00 |\n+-------------+---------------------+\n", ""},
		{"-h|nosuch|-e|SELECT 1", "", "ERROR 2005 (HY000): Unknown MySQL server host 'nosuch' (-2)\n"},
	}
	for _, c := range cases {
		args := strings.Split(c.args, "|")
		if !strings.Contains(c.args, "-h|") {
			args = append([]string{"-h", "mysql-0.mysql"}, args...)
		}
		r := m.client("", args...)
		if r.out != c.out || r.err != c.err {
			t.Errorf("mysql %v:\n got %q %q\nwant %q %q", args, r.out, r.err, c.out, c.err)
		}
	}
	// The client pod itself runs no server.
	if r := m.client("", "-e", "SELECT 1"); !strings.Contains(r.err, "ERROR 2002 (HY000): Can't connect to local MySQL server through socket") {
		t.Fatalf("local socket: %+v", r)
	}
}

// Item 97: breaking the readiness probe's binary leaves the liveness probe passing.
func TestItem97_ReadinessProbeMv(t *testing.T) {
	m := newMySQL(t)
	m.start(0)
	p := m.pods[0]
	if r := m.run(p, "mysql", "mv", "/usr/bin/mysql", "/usr/bin/mysql.off"); r.code != 0 {
		t.Fatal(r)
	}
	probe := p.Spec.Containers[0].ReadinessProbe.Exec.Command
	if r := m.run(p, "mysql", probe...); r.code != 127 {
		t.Fatalf("readiness probe after mv: %+v", r)
	}
	if r := m.run(p, "mysql", p.Spec.Containers[0].LivenessProbe.Exec.Command...); r.code != 0 {
		t.Fatalf("liveness probe after mv: %+v", r)
	}
	// The sidecar has its own mysql binary.
	if r := m.run(p, "xtrabackup", "mysql", "-h", "127.0.0.1", "-e", "SELECT 1"); r.code != 0 {
		t.Fatalf("sidecar's mysql: %+v", r)
	}
	if r := m.run(p, "mysql", "mv", "/usr/bin/mysql.off", "/usr/bin/mysql"); r.code != 0 {
		t.Fatal(r)
	}
	if r := m.run(p, "mysql", probe...); r.code != 0 {
		t.Fatalf("readiness probe after fix: %+v", r)
	}
}

// The sidecar's own script, run as a main container would, sets up replication itself.
func TestXtrabackupSidecarScript(t *testing.T) {
	m := newMySQL(t)
	m.start(0)
	m.client("CREATE DATABASE test; CREATE TABLE test.m (v INT); INSERT INTO test.m VALUES (1);", "-h", "mysql-0.mysql")
	m.start(1)
	side := m.pods[1].Spec.Containers[1]
	script := containerArgv(&side, imageFor(side.Image))
	// Stop before `exec ncat --listen`, which serves until the container ends.
	script[len(script)-1] = strings.Split(script[len(script)-1], "# Start a server")[0]
	r := m.run(m.pods[1], "xtrabackup", script...)
	if r.code != 0 {
		t.Fatalf("sidecar: %+v", r)
	}
	if r := m.run(m.pods[1], "mysql", "ls", "/var/lib/mysql/change_master_to.sql.orig"); r.code != 0 {
		t.Fatalf("sidecar did not finish: %+v", r)
	}
	m.client("INSERT INTO test.m VALUES (2);", "-h", "mysql-0.mysql")
	if r := m.client("", "-h", "mysql-1.mysql", "-N", "-e", "SELECT v FROM test.m"); r.out != "1\n2\n" {
		t.Fatalf("replica after sidecar: %+v", r)
	}
}

// The tutorial's clients: `kubectl run mysql-client ... -- mysql -h mysql-0.mysql <<EOF` attaches
// to the pod's own command (empty argv), and the server-id loop runs with a terminal.
func TestMySQLClientPods(t *testing.T) {
	m := newMySQL(t)
	m.start(0)
	m.start(1)
	cl := m.pod("mysql-client", "mysql:5.7", func(p *corev1.Pod) {
		p.Spec.Containers[0].Args = []string{"mysql", "-h", "mysql-0.mysql"}
		p.Status.PodIP = "10.244.9.9"
	})
	if r := m.runIn(cl, "", "CREATE DATABASE test;\nCREATE TABLE test.messages (message VARCHAR(250));\nINSERT INTO test.messages VALUES ('hello');\n"); r.code != 0 {
		t.Fatalf("attach with a here-document: %+v", r)
	}
	loop := m.pod("mysql-client-loop", "mysql:5.7", func(p *corev1.Pod) {
		p.Spec.Containers[0].Args = []string{"bash", "-ic", "while sleep 1; do mysql -h mysql-read -e 'SELECT @@server_id,NOW()'; done"}
		p.Status.PodIP = "10.244.9.8"
	})
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code, _ := m.sb.Run(ctx, loop, "", nil, container.Streams{Stdout: &out, Stderr: &out, TTY: true})
		done <- code
	}()
	for i := 0; i < 3; i++ {
		waitFor(t, m.clk.HasWaiters) // the loop sleeps on the fake clock
		m.clk.Step(time.Second)
	}
	waitFor(t, func() bool { return strings.Count(out.String(), "| @@server_id |") >= 3 })
	cancel()
	<-done
	got := out.String()
	if !strings.Contains(got, "| @@server_id | NOW()               |\r\n") || !strings.Contains(got, " | 2026-01-01 00:00:0") {
		t.Fatalf("loop output: %q", got)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// kubectl run -it mysql-client -- mysql -h mysql-0.mysql: the monitor with its prompts.
func TestMySQLMonitorTTY(t *testing.T) {
	m := newMySQL(t)
	m.start(0)
	cl := m.pod("mysql-client", "mysql:5.7", func(p *corev1.Pod) {
		p.Spec.Containers[0].Args = []string{"mysql", "-h", "mysql-0.mysql"}
		p.Status.PodIP = "10.244.9.9"
	})
	var out bytes.Buffer
	in := strings.NewReader("CREATE DATABASE test;\rSHOW\rDATABASES;\rUSE test;\rselect nope;\rexit\r")
	code, err := m.sb.Run(context.Background(), cl, "", nil, container.Streams{Stdin: in, Stdout: &out, Stderr: &out, TTY: true})
	if err != nil || code != 0 {
		t.Fatalf("%d %v", code, err)
	}
	got := out.String()
	for _, want := range []string{
		"mysql> CREATE DATABASE test;\r\nQuery OK, 1 row affected (0.01 sec)\r\n",
		"mysql> SHOW\r\n    -> DATABASES;\r\n+--------------------+\r\n| Database           |\r\n",
		"| test               |\r\n+--------------------+\r\n5 rows in set (0.00 sec)\r\n",
		"mysql> USE test;\r\nDatabase changed\r\n",
		"ERROR 1054 (42S22): Unknown column 'nope' in 'field list'\r\n",
		"mysql> exit\r\nBye\r\n",
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("monitor output lacks %q:\n%s", want, got)
		}
	}
}
