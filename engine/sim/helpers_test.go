package sim

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var (
	podsR = store.MustLookup("pods")
	stsR  = store.MustLookup("statefulsets")
	pvcR  = store.MustLookup("persistentvolumeclaims")
	pvR   = store.MustLookup("persistentvolumes")
	revR  = store.MustLookup("controllerrevisions")
	svcR  = store.MustLookup("services")
	epR   = store.MustLookup("endpoints")
	evR   = store.MustLookup("events")
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newSim is a simulator on a fake clock driven by the test (no AutoAdvance).
func newSim(t *testing.T) *Sim {
	t.Helper()
	s, err := New(Config{Fake: testingclock.NewFakeClock(t0), Seed: 1, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	// Every StatefulSet sync that visits only the ordinals needing attention checks first
	// that the full walk would have skipped the others.
	s.ctrls.StatefulSet.Verify = true
	t.Cleanup(func() {
		if err := s.ctrls.StatefulSet.VerifyErr(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// webSet is the tutorial's web.yaml StatefulSet, spelled out as the apiserver would default it.
func webSet(replicas int32) *appsv1.StatefulSet {
	part := int32(0)
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    &replicas,
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}},
			ServiceName: "nginx",
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "nginx", Image: "registry.k8s.io/nginx-slim:0.24",
					Ports:        []corev1.ContainerPort{{Name: "web", ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
					VolumeMounts: []corev1.VolumeMount{{Name: "www", MountPath: "/usr/share/nginx/html"}},
				}}},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "www"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceStorage: resource.MustParse("1Gi")}},
				},
			}},
			PodManagementPolicy:  appsv1.OrderedReadyPodManagement,
			UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType, RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: &part}},
			RevisionHistoryLimit: ptr(int32(10)),
		},
	}
}

func nginxService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: "default", Labels: map[string]string{"app": "nginx"}},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "nginx"},
			Ports: []corev1.ServicePort{{Name: "web", Port: 80, TargetPort: intstr.FromInt32(80), Protocol: corev1.ProtocolTCP}}},
	}
}

func ptr[T any](v T) *T { return &v }

// row is one watch event of a pod as `kubectl get pods -w` prints it.
type row struct {
	typ    watch.EventType
	name   string
	uid    string
	ready  string
	status string
	at     time.Time
}

func (r row) String() string { return fmt.Sprintf("%s %s %s %s", r.typ, r.name, r.ready, r.status) }

// rowRecorder records a row for every pod event, like a watch.
type rowRecorder struct {
	mu   sync.Mutex
	rows []row
	// order of every event of any resource: "ADDED persistentvolumeclaims www-web-0"
	log []string
}

func recordRows(s *Sim) *rowRecorder {
	r := &rowRecorder{}
	s.Store().Subscribe(func(ev store.Event) {
		r.mu.Lock()
		defer r.mu.Unlock()
		m := ev.Object.(metav1.Object)
		r.log = append(r.log, fmt.Sprintf("%s %s %s", ev.Type, ev.Resource.Name, m.GetName()))
		if p, ok := ev.Object.(*corev1.Pod); ok {
			ready, status := podColumns(p)
			r.rows = append(r.rows, row{typ: ev.Type, name: p.Name, uid: string(p.UID), ready: ready, status: status, at: s.Store().Now()})
		}
	})
	return r
}

func (r *rowRecorder) snapshot() []row {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]row(nil), r.rows...)
}

func (r *rowRecorder) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

// statuses is the READY/STATUS sequence of one pod with consecutive duplicates collapsed.
func (r *rowRecorder) statuses(name string) []string {
	var out []string
	for _, x := range r.snapshot() {
		if x.name != name {
			continue
		}
		s := x.ready + " " + x.status
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// index of the first row matching name and status ("" matches any status); -1 if none.
func (r *rowRecorder) first(name, status string, typ watch.EventType) int {
	for i, x := range r.snapshot() {
		if x.name == name && (status == "" || x.ready+" "+x.status == status) && (typ == "" || x.typ == typ) {
			return i
		}
	}
	return -1
}

func (r *rowRecorder) last(name, status string, typ watch.EventType) int {
	rows := r.snapshot()
	for i := len(rows) - 1; i >= 0; i-- {
		x := rows[i]
		if x.name == name && (status == "" || x.ready+" "+x.status == status) && (typ == "" || x.typ == typ) {
			return i
		}
	}
	return -1
}

// podColumns is READY and STATUS as `kubectl get pods` shows them: the server-side printer's
// own cells (item A.6), so controller tests see exactly what a learner sees.
func podColumns(p *corev1.Pod) (string, string) {
	return api.PodReadyAndStatus(p)
}

func create(t *testing.T, s *Sim, res store.Resource, obj runtime.Object) {
	t.Helper()
	if _, err := s.Store().Create(res, obj); err != nil {
		t.Fatal(err)
	}
}

func getSts(t *testing.T, s *Sim, name string) *appsv1.StatefulSet {
	t.Helper()
	o, err := s.Store().Get(stsR, "default", name)
	if err != nil {
		t.Fatal(err)
	}
	return o.(*appsv1.StatefulSet)
}

func getPod(s *Sim, name string) *corev1.Pod {
	o, err := s.Store().Get(podsR, "default", name)
	if err != nil {
		return nil
	}
	return o.(*corev1.Pod)
}

func pods(s *Sim, sel string) []*corev1.Pod {
	ls, _ := labels.Parse(sel)
	objs, _ := s.Store().List(podsR, "default", ls, nil)
	var out []*corev1.Pod
	for _, o := range objs {
		out = append(out, o.(*corev1.Pod))
	}
	return out
}

func podNames(ps []*corev1.Pod) string {
	var n []string
	for _, p := range ps {
		n = append(n, p.Name)
	}
	return strings.Join(n, ",")
}

// runningReady reports whether exactly the named pods exist and all are 1/1 Running.
func runningReady(s *Sim, names ...string) func() bool {
	return func() bool {
		ps := pods(s, "app=nginx")
		if len(ps) != len(names) {
			return false
		}
		for i, p := range ps {
			ready, st := podColumns(p)
			if p.Name != names[i] || st != "Running" || ready != "1/1" {
				return false
			}
		}
		return true
	}
}

// updateSts applies fn to the stored sts and writes it back.
func updateSts(t *testing.T, s *Sim, fn func(*appsv1.StatefulSet)) {
	t.Helper()
	set := getSts(t, s, "web")
	fn(set)
	if _, err := s.Store().Update(stsR, set, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// startWeb creates the Service and a web StatefulSet and runs until its pods are Running.
func startWeb(t *testing.T, s *Sim, set *appsv1.StatefulSet) {
	t.Helper()
	create(t, s, svcR, nginxService())
	create(t, s, stsR, set)
	var names []string
	for i := 0; i < int(*set.Spec.Replicas); i++ {
		names = append(names, fmt.Sprintf("web-%d", i))
	}
	if set.Spec.Selector.MatchLabels["app"] != "nginx" {
		t.Fatal("startWeb wants app=nginx")
	}
	if !s.RunUntil(runningReady(s, names...), 5*time.Minute) {
		t.Fatalf("pods not running: %s", podNames(pods(s, "app=nginx")))
	}
	s.Settle()
}
