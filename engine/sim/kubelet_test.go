package sim

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// fakeRunner answers commands like a sandbox would: a command whose binary is "missing" for a
// pod fails (like `mv /usr/bin/mysql /usr/bin/mysql.off` inside it); exit overrides exit codes
// per "pod/container".
type fakeRunner struct {
	mu      sync.Mutex
	missing map[string]bool // "pod binary" -> binary gone
	exit    map[string]int  // "pod/container" -> exit code
	calls   []string        // "pod/container argv0"
}

func newFakeRunner() *fakeRunner {
	return &fakeRunner{missing: map[string]bool{}, exit: map[string]int{}}
}

func (f *fakeRunner) Run(_ context.Context, p *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, p.Name+"/"+c+" "+argv[0])
	if code, ok := f.exit[p.Name+"/"+c]; ok {
		return code, nil
	}
	if f.missing[p.Name+" "+argv[0]] {
		if s.Stderr != nil {
			_, _ = io.WriteString(s.Stderr, fmt.Sprintf("sh: 1: %s: not found\n", argv[0]))
		}
		return 127, nil
	}
	return 0, nil
}

func (f *fakeRunner) set(fn func(f *fakeRunner)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

func (f *fakeRunner) callList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func newSimWithRunner(t *testing.T, r container.Runner) *Sim {
	t.Helper()
	s, err := New(Config{Fake: testingclock.NewFakeClock(t0), Seed: 1, Logf: t.Logf, Runner: r})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mysqlSet is the MySQL lesson's StatefulSet (mysql-statefulset.yaml), trimmed to what the
// kubelet looks at: two init containers, mysql with exec readiness and liveness probes, and
// xtrabackup without probes.
func mysqlSet(replicas int32) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &replicas,
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "mysql"}},
			ServiceName: "mysql",
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "mysql"}},
				Spec: corev1.PodSpec{
					InitContainers: []corev1.Container{
						{Name: "init-mysql", Image: "mysql:5.7", Command: []string{"bash", "-c", "set -ex"}},
						{Name: "clone-mysql", Image: "gcr.io/google-samples/xtrabackup:1.0", Command: []string{"bash", "-c", "set -ex"}},
					},
					Containers: []corev1.Container{
						{Name: "mysql", Image: "mysql:5.7",
							LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{
								Command: []string{"mysqladmin", "ping"}}}, InitialDelaySeconds: 30, PeriodSeconds: 10, TimeoutSeconds: 5},
							ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{
								Command: []string{"mysql", "-h", "127.0.0.1", "-e", "SELECT 1"}}}, InitialDelaySeconds: 5, PeriodSeconds: 2, TimeoutSeconds: 1}},
						{Name: "xtrabackup", Image: "gcr.io/google-samples/xtrabackup:1.0", Command: []string{"bash", "-c", "exec ncat"}},
					},
					Volumes: []corev1.Volume{{Name: "conf", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceStorage: resource.MustParse("10Gi")}},
				},
			}},
		},
	}
}

func mysqlReadService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "mysql-read", Namespace: "default", Labels: map[string]string{"app": "mysql"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "mysql"},
			Ports: []corev1.ServicePort{{Name: "mysql", Port: 3306, TargetPort: intstr.FromInt32(3306), Protocol: corev1.ProtocolTCP}}},
	}
}

// podIs waits-condition: the pod exists and shows READY/STATUS.
func podIs(s *Sim, name, ready, status string) func() bool {
	return func() bool {
		p := getPod(s, name)
		if p == nil {
			return false
		}
		r, st := podColumns(p)
		return r == ready && st == status
	}
}

func startMySQL(t *testing.T, s *Sim, replicas int32) {
	t.Helper()
	create(t, s, svcR, mysqlReadService())
	create(t, s, stsR, mysqlSet(replicas))
	last := fmt.Sprintf("mysql-%d", replicas-1)
	if !s.RunUntil(podIs(s, last, "2/2", "Running"), 10*time.Minute) {
		t.Fatalf("%s not 2/2 Running: %s", last, podNames(pods(s, "app=mysql")))
	}
}

// events lists "reason: message" of the events about a pod, oldest first.
func podEvents(s *Sim, pod string) []string {
	objs, _ := s.Store().List(evR, "default", nil, nil)
	var out []string
	for _, o := range objs {
		ev := o.(*corev1.Event)
		if ev.InvolvedObject.Name == pod {
			out = append(out, ev.Reason+": "+ev.Message)
		}
	}
	return out
}

func hasEvent(s *Sim, pod, prefix string) bool {
	for _, e := range podEvents(s, pod) {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// Items 96, 107: init containers run one after another through the Runner (Init:0/2, then
// Init:1/2), then PodInitializing, 1/2 Running (xtrabackup has no probe), 2/2 Running once the
// mysql readiness probe passes; mysql-1 starts only after mysql-0 is 2/2.
func TestItem96_107_InitContainersRunInOrderThroughRunner(t *testing.T) {
	fr := newFakeRunner()
	s := newSimWithRunner(t, fr)
	r := recordRows(s)
	startMySQL(t, s, 2)
	got := strings.Join(r.statuses("mysql-0"), " | ")
	want := "0/2 Pending | 0/2 Init:0/2 | 0/2 Init:1/2 | 0/2 PodInitializing | 1/2 Running | 2/2 Running"
	if got != want {
		t.Errorf("mysql-0 rows %q, want %q", got, want)
	}
	if a, b := r.first("mysql-0", "2/2 Running", ""), r.first("mysql-1", "", ""); b < a {
		t.Errorf("mysql-1 appeared (row %d) before mysql-0 was 2/2 (row %d)", b, a)
	}
	var initCalls []string
	for _, c := range fr.callList() {
		if strings.HasPrefix(c, "mysql-0/") && !strings.Contains(c, "mysql-0/mysql ") {
			initCalls = append(initCalls, c)
		}
	}
	if strings.Join(initCalls, ",") != "mysql-0/init-mysql bash,mysql-0/clone-mysql bash" {
		t.Errorf("init commands %v, want init-mysql then clone-mysql", initCalls)
	}
	p := getPod(s, "mysql-0")
	// The readiness probe (initialDelaySeconds 5) made mysql ready, not a timer alone.
	if !strings.Contains(strings.Join(fr.callList(), ","), "mysql-0/mysql mysql") {
		t.Errorf("readiness probe never ran: %v", fr.callList())
	}
	for _, reason := range []string{"Scheduled", "Pulling", "Pulled", "Created: Created container: init-mysql", "Started: Started container mysql"} {
		if !hasEvent(s, "mysql-0", reason) {
			t.Errorf("no %s event: %v", reason, podEvents(s, "mysql-0"))
		}
	}
	if p.Status.PodIP == "" {
		t.Error("no pod IP")
	}
}

// Item 98: containerStatuses are sorted by name, whatever the spec order, and the STATUS
// reason comes from the lowest-index status with a reason.
func TestItem98_StatusesSortedByName(t *testing.T) {
	fr := newFakeRunner()
	s := newSimWithRunner(t, fr)
	set := mysqlSet(1)
	c := set.Spec.Template.Spec.Containers
	c[0], c[1] = c[1], c[0] // xtrabackup first in the spec
	create(t, s, stsR, set)
	if !s.RunUntil(podIs(s, "mysql-0", "2/2", "Running"), 5*time.Minute) {
		t.Fatal("mysql-0 not running")
	}
	p := getPod(s, "mysql-0")
	if p.Status.ContainerStatuses[0].Name != "mysql" || p.Status.ContainerStatuses[1].Name != "xtrabackup" {
		t.Errorf("statuses %s,%s; want mysql,xtrabackup", p.Status.ContainerStatuses[0].Name, p.Status.ContainerStatuses[1].Name)
	}
	if err := s.ExitContainer("default", "mysql-0", "xtrabackup", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.ExitContainer("default", "mysql-0", "mysql", 2); err != nil {
		t.Fatal(err)
	}
	if _, st := podColumns(getPod(s, "mysql-0")); st != "Error" {
		t.Errorf("STATUS %q, want Error (from mysql, the lowest index)", st)
	}
}

// Item 97: a failing readiness probe makes READY 1/2 with the pod still Running and not
// restarted; the pod leaves the mysql-read endpoints and the StatefulSet counts 1 fewer ready.
// When the probe passes again the pod is 2/2 and back in the endpoints.
func TestItem97_ReadinessFailureKeepsRunning(t *testing.T) {
	fr := newFakeRunner()
	s := newSimWithRunner(t, fr)
	startMySQL(t, s, 3)
	s.Advance(time.Minute) // past the liveness probe's initial delay
	ip := getPod(s, "mysql-2").Status.PodIP
	inEndpoints := func() bool {
		o, err := s.Store().Get(epR, "default", "mysql-read")
		if err != nil {
			return false
		}
		for _, sub := range o.(*corev1.Endpoints).Subsets {
			for _, a := range sub.Addresses {
				if a.IP == ip {
					return true
				}
			}
		}
		return false
	}
	if !inEndpoints() {
		t.Fatal("mysql-2 not in mysql-read endpoints at start")
	}
	fr.set(func(f *fakeRunner) { f.missing["mysql-2 mysql"] = true })
	if !s.RunUntil(podIs(s, "mysql-2", "1/2", "Running"), time.Minute) {
		t.Fatalf("mysql-2 not 1/2 Running: %v", podEvents(s, "mysql-2"))
	}
	s.Advance(time.Minute)
	p := getPod(s, "mysql-2")
	if r, st := podColumns(p); r != "1/2" || st != "Running" {
		t.Errorf("after a minute: %s %s", r, st)
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status != corev1.ConditionFalse {
			t.Errorf("Ready condition %s", c.Status)
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.RestartCount != 0 {
			t.Errorf("%s restarted %d times; liveness still passes", cs.Name, cs.RestartCount)
		}
	}
	if inEndpoints() {
		t.Error("mysql-2 still in mysql-read endpoints")
	}
	if got := getSts(t, s, "mysql").Status.ReadyReplicas; got != 2 {
		t.Errorf("sts readyReplicas %d, want 2", got)
	}
	if !hasEvent(s, "mysql-2", "Unhealthy: Readiness probe failed: sh: 1: mysql: not found") {
		t.Errorf("no Unhealthy event: %v", podEvents(s, "mysql-2"))
	}
	fr.set(func(f *fakeRunner) { delete(f.missing, "mysql-2 mysql") })
	if !s.RunUntil(podIs(s, "mysql-2", "2/2", "Running"), time.Minute) {
		t.Fatal("mysql-2 not ready again")
	}
	s.Settle()
	if !inEndpoints() {
		t.Error("mysql-2 not back in endpoints")
	}
}

// Liveness failure (item 97's counterpart): failureThreshold failures kill the container
// (Unhealthy, then Killing), which restarts with restartCount 1 and lastState exit 137.
func TestItem97_LivenessFailureRestartsContainer(t *testing.T) {
	fr := newFakeRunner()
	s := newSimWithRunner(t, fr)
	startMySQL(t, s, 1)
	fr.set(func(f *fakeRunner) { f.missing["mysql-0 mysqladmin"] = true })
	if !s.RunUntil(func() bool {
		p := getPod(s, "mysql-0")
		return p != nil && p.Status.ContainerStatuses[0].RestartCount == 1 && p.Status.ContainerStatuses[0].State.Running != nil
	}, 3*time.Minute) {
		t.Fatalf("mysql not restarted: %v", podEvents(s, "mysql-0"))
	}
	cs := getPod(s, "mysql-0").Status.ContainerStatuses[0]
	if lt := cs.LastTerminationState.Terminated; lt == nil || lt.ExitCode != 137 || lt.Reason != "Error" {
		t.Errorf("lastState %+v", cs.LastTerminationState)
	}
	if !hasEvent(s, "mysql-0", "Unhealthy: Liveness probe failed: sh: 1: mysqladmin: not found") ||
		!hasEvent(s, "mysql-0", "Killing: Container mysql failed liveness probe, will be restarted") {
		t.Errorf("events %v", podEvents(s, "mysql-0"))
	}
	// Exactly failureThreshold (3) failures before the kill.
	var unhealthy int32
	objs, _ := s.Store().List(evR, "default", nil, nil)
	for _, o := range objs {
		if ev := o.(*corev1.Event); ev.Reason == "Unhealthy" && strings.HasPrefix(ev.Message, "Liveness") {
			unhealthy += ev.Count
		}
	}
	if unhealthy != 3 {
		t.Errorf("%d liveness failures before the restart, want 3", unhealthy)
	}
}

// Items 99, 108: a failing init container shows Init:Error, is restarted at once (RESTARTS 1),
// then on the next failure Init:CrashLoopBackOff with a BackOff event; once its command
// succeeds the pod starts normally. RESTARTS counts the init container's restarts.
func TestItem99_108_InitContainerFailure(t *testing.T) {
	fr := newFakeRunner()
	fr.exit["mysql-0/init-mysql"] = 1
	s := newSimWithRunner(t, fr)
	r := recordRows(s)
	create(t, s, stsR, mysqlSet(1))
	if !s.RunUntil(podIs(s, "mysql-0", "0/2", "Init:CrashLoopBackOff"), 5*time.Minute) {
		t.Fatalf("rows %v", r.statuses("mysql-0"))
	}
	got := strings.Join(r.statuses("mysql-0"), " | ")
	want := "0/2 Pending | 0/2 Init:0/2 | 0/2 Init:Error | 0/2 Init:0/2 | 0/2 Init:Error | 0/2 Init:CrashLoopBackOff"
	if got != want {
		t.Errorf("rows %q, want %q", got, want)
	}
	p := getPod(s, "mysql-0")
	if n := p.Status.InitContainerStatuses[0].RestartCount; n != 1 {
		t.Errorf("init restartCount %d, want 1", n)
	}
	if !hasEvent(s, "mysql-0", "BackOff: Back-off restarting failed container init-mysql in pod mysql-0_default(") {
		t.Errorf("events %v", podEvents(s, "mysql-0"))
	}
	fr.set(func(f *fakeRunner) { delete(f.exit, "mysql-0/init-mysql") })
	if !s.RunUntil(podIs(s, "mysql-0", "2/2", "Running"), 5*time.Minute) {
		t.Fatalf("rows %v", r.statuses("mysql-0"))
	}
	if n := getPod(s, "mysql-0").Status.InitContainerStatuses[0].RestartCount; n != 2 {
		t.Errorf("init restartCount %d, want 2", n)
	}
}

// Item 99: an init container exiting non-zero without a reason prints Init:ExitCode:N
// (printer rule, checked on the object the kubelet would report).
func TestItem99_InitExitCodeWithoutReason(t *testing.T) {
	p := &corev1.Pod{Spec: corev1.PodSpec{InitContainers: []corev1.Container{{Name: "a"}}, Containers: []corev1.Container{{Name: "b"}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending,
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "a", State: corev1.ContainerState{
				Terminated: &corev1.ContainerStateTerminated{ExitCode: 3}}}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "b", State: corev1.ContainerState{
				Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}}}}}
	if _, st := podColumns(p); st != "Init:ExitCode:3" {
		t.Errorf("STATUS %q", st)
	}
}

// Item 108: a running container that fails shows Error, is restarted at once, and after the
// next failure waits in CrashLoopBackOff (10s, then 20s) before running again.
func TestItem108_RunningContainerCrashLoop(t *testing.T) {
	fr := newFakeRunner()
	s := newSimWithRunner(t, fr)
	startMySQL(t, s, 1)
	r := recordRows(s)
	crash := func() {
		t.Helper()
		if err := s.ExitContainer("default", "mysql-0", "xtrabackup", 1); err != nil {
			t.Fatal(err)
		}
	}
	crash()
	if !s.RunUntil(func() bool {
		p := getPod(s, "mysql-0")
		return p.Status.ContainerStatuses[1].RestartCount == 1 && p.Status.ContainerStatuses[1].State.Running != nil
	}, time.Minute) {
		t.Fatal("no restart")
	}
	crash()
	if !s.RunUntil(podIs(s, "mysql-0", "1/2", "CrashLoopBackOff"), time.Minute) {
		t.Fatalf("rows %v", r.statuses("mysql-0"))
	}
	at := s.Now()
	if !s.RunUntil(podIs(s, "mysql-0", "2/2", "Running"), time.Minute) {
		t.Fatal("not restarted after back-off")
	}
	if d := s.Now().Sub(at); d < 10*time.Second || d > 12*time.Second {
		t.Errorf("back-off lasted %v, want 10s", d)
	}
	got := strings.Join(r.statuses("mysql-0"), " | ")
	want := "1/2 Error | 2/2 Running | 1/2 Error | 1/2 CrashLoopBackOff | 2/2 Running"
	if got != want {
		t.Errorf("rows %q, want %q", got, want)
	}
	if n := getPod(s, "mysql-0").Status.ContainerStatuses[1].RestartCount; n != 2 {
		t.Errorf("restartCount %d", n)
	}
	if err := s.ExitContainer("default", "mysql-0", "nope", 1); err == nil {
		t.Error("no error for an unknown container")
	}
}

// collapse joins a pod's READY/STATUS sequence, with repeats collapsed.
func collapse(r *rowRecorder, name string) string { return strings.Join(r.statuses(name), " | ") }

// Items 100, 23 (B3 on ≥1.31): deleting mysql-2 shows 2/2 Terminating (one or more rows), then
// 0/2 Completed once the kubelet stopped both containers, then the pod is recreated under the
// same name with data-mysql-2 and goes through the init sequence again.
func TestItem100_DeleteMySQLPodTerminatesAndReturns(t *testing.T) {
	s := newSimWithRunner(t, newFakeRunner())
	startMySQL(t, s, 3)
	old := getPod(s, "mysql-2")
	r := recordRows(s)
	if _, err := s.Store().Delete(podsR, "default", "mysql-2", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool {
		p := getPod(s, "mysql-2")
		return p != nil && p.UID != old.UID && podIs(s, "mysql-2", "2/2", "Running")()
	}, 5*time.Minute) {
		t.Fatalf("mysql-2 not back: %s", collapse(r, "mysql-2"))
	}
	want := "2/2 Terminating | 0/2 Completed | 0/2 Pending | 0/2 Init:0/2 | 0/2 Init:1/2 | 0/2 PodInitializing | 1/2 Running | 2/2 Running"
	if got := collapse(r, "mysql-2"); got != want {
		t.Errorf("rows %q, want %q", got, want)
	}
	var completed int
	for _, x := range r.snapshot() {
		if x.name == "mysql-2" && x.uid == string(old.UID) && x.status == "Completed" {
			completed++
		}
	}
	if completed < 2 { // the kubelet's status write, then its grace-0 delete (MODIFIED/DELETED)
		t.Errorf("%d Completed rows, want the status update and the final delete", completed)
	}
	p := getPod(s, "mysql-2")
	var claim string
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			claim = v.PersistentVolumeClaim.ClaimName
		}
	}
	if claim != "data-mysql-2" {
		t.Errorf("claim %q", claim)
	}
	if !hasEvent(s, "mysql-2", "Killing: Stopping container mysql") || !hasEvent(s, "mysql-2", "Killing: Stopping container xtrabackup") {
		t.Errorf("events %v", podEvents(s, "mysql-2"))
	}
}

// Items 103, 104: scaling to 5 creates mysql-3, then mysql-4, each through the full init
// sequence with its own 10Gi claim; scaling back to 3 removes mysql-4 before mysql-3 and keeps
// all five claims Bound, labelled app=mysql.
func TestItem103_104_ScaleMySQLKeepsClaims(t *testing.T) {
	s := newSimWithRunner(t, newFakeRunner())
	startMySQL(t, s, 3)
	r := recordRows(s)
	updateStsNamed(t, s, "mysql", 5)
	if !s.RunUntil(podIs(s, "mysql-4", "2/2", "Running"), 5*time.Minute) {
		t.Fatal("mysql-4 not running")
	}
	for _, n := range []string{"mysql-3", "mysql-4"} {
		if got := collapse(r, n); got != "0/2 Pending | 0/2 Init:0/2 | 0/2 Init:1/2 | 0/2 PodInitializing | 1/2 Running | 2/2 Running" {
			t.Errorf("%s rows %q", n, got)
		}
	}
	if a, b := r.first("mysql-3", "2/2 Running", ""), r.first("mysql-4", "", ""); b < a {
		t.Error("mysql-4 created before mysql-3 was ready")
	}
	updateStsNamed(t, s, "mysql", 3)
	if !s.RunUntil(func() bool { return len(pods(s, "app=mysql")) == 3 }, 5*time.Minute) {
		t.Fatal("not scaled down")
	}
	if a, b := r.last("mysql-4", "", watch.Deleted), r.first("mysql-3", "2/2 Terminating", ""); a < 0 || b < a {
		t.Errorf("mysql-3 terminated (row %d) before mysql-4 was gone (row %d)", b, a)
	}
	objs, _ := s.Store().List(pvcR, "default", labels.SelectorFromSet(labels.Set{"app": "mysql"}), nil)
	if len(objs) != 5 {
		t.Fatalf("%d claims with app=mysql, want 5", len(objs))
	}
	for _, o := range objs {
		c := o.(*corev1.PersistentVolumeClaim)
		if c.Status.Phase != corev1.ClaimBound || c.Spec.Resources.Requests.Storage().String() != "10Gi" {
			t.Errorf("%s %s %s", c.Name, c.Status.Phase, c.Spec.Resources.Requests.Storage())
		}
	}
}

func updateStsNamed(t *testing.T, s *Sim, name string, replicas int32) {
	t.Helper()
	set := getSts(t, s, name)
	set.Spec.Replicas = &replicas
	if _, err := s.Store().Update(stsR, set, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Item 105: deleting the StatefulSet terminates all pods at once; while they finish the rows
// read Terminating then Completed (≥1.31), and afterwards no pod is left.
func TestItem105_DeleteMySQLStatefulSet(t *testing.T) {
	s := newSimWithRunner(t, newFakeRunner())
	startMySQL(t, s, 3)
	r := recordRows(s)
	if _, err := s.Store().Delete(stsR, "default", "mysql", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	s.Advance(DelayBeforeKillCheck)
	terminating := 0
	for _, p := range pods(s, "app=mysql") {
		if _, st := podColumns(p); st == "Terminating" {
			terminating++
		}
	}
	if terminating != 3 {
		t.Errorf("%d pods Terminating together, want 3", terminating)
	}
	if !s.RunUntil(func() bool { return len(pods(s, "app=mysql")) == 0 }, 5*time.Minute) {
		t.Fatal("pods left")
	}
	for i := 0; i < 3; i++ {
		n := fmt.Sprintf("mysql-%d", i)
		if got := collapse(r, n); got != "2/2 Terminating | 0/2 Completed" {
			t.Errorf("%s rows %q", n, got)
		}
	}
}

// DelayBeforeKillCheck is shorter than the kubelet's stop delay: the moment all pods are
// Terminating and none has stopped yet.
const DelayBeforeKillCheck = 500 * time.Millisecond

// Items 106, 107: each kubelet step is its own status write after a visible delay (no jump
// from Pending to Running as in kwok's fast stages): the bind gives a second Pending row, and
// ContainerCreating comes before Running.
func TestItem106_107_EachStageIsAVisibleWrite(t *testing.T) {
	s := newSim(t)
	r := recordRows(s)
	startWeb(t, s, webSet(1))
	var pending int
	var times []time.Time
	last := ""
	for _, x := range r.snapshot() {
		if x.name != "web-0" {
			continue
		}
		if x.status == "Pending" {
			pending++
		}
		if s := x.ready + " " + x.status; s != last {
			times = append(times, x.at)
			last = s
		}
	}
	if pending < 2 {
		t.Errorf("%d Pending rows, want the created and the bound one", pending)
	}
	if got := collapse(r, "web-0"); got != "0/1 Pending | 0/1 ContainerCreating | 1/1 Running" {
		t.Errorf("rows %q", got)
	}
	for i := 1; i < len(times); i++ {
		if !times[i].After(times[i-1]) {
			t.Errorf("stage %d at the same instant as the one before", i)
		}
	}
}

// A.1, A.6: a sidecar (restartable init container) starts, keeps running, lets the next init
// container start, and counts in READY: 0/2 Init:0/2, 1/2 Init:1/2 … then 2/2 Running;
// deleting the pod stops it too. [inferred] from the printer rules, not a live cluster.
func TestSidecarInitContainerKeepsRunning(t *testing.T) {
	fr := newFakeRunner()
	s := newSimWithRunner(t, fr)
	r := recordRows(s)
	always := corev1.ContainerRestartPolicyAlways
	create(t, s, podsR, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "side", Namespace: "default"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{
				{Name: "log-shipper", Image: "busybox:1.36", RestartPolicy: &always, Command: []string{"tail", "-F", "/log"}},
				{Name: "setup", Image: "busybox:1.36", Command: []string{"true"}},
			},
			Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}},
		}})
	if !s.RunUntil(podIs(s, "side", "2/2", "Running"), time.Minute) {
		t.Fatalf("rows %v", r.statuses("side"))
	}
	if got := collapse(r, "side"); got != "0/2 Pending | 0/2 Init:0/2 | 1/2 Init:1/2 | 1/2 PodInitializing | 2/2 Running" {
		t.Errorf("rows %q", got)
	}
	for _, c := range fr.callList() {
		if strings.Contains(c, "log-shipper") {
			t.Errorf("sidecar run as a one-shot command: %s", c)
		}
	}
	if _, err := s.Store().Delete(podsR, "default", "side", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool { return getPod(s, "side") == nil }, time.Minute) {
		t.Fatal("pod not gone")
	}
	if !strings.HasSuffix(collapse(r, "side"), "2/2 Terminating | 0/2 Completed") {
		t.Errorf("rows %q", collapse(r, "side"))
	}
}
