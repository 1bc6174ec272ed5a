package store

import (
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	testingclock "k8s.io/utils/clock/testing"
)

// Benchmarks of the bare store (no API hooks): the cost every API call and controller write
// pays under the store's lock.

func benchStore(b testing.TB) *Store {
	b.Helper()
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	// A benchmark may create far more objects than a learner could.
	return New(Options{Clock: clk, Seed: 1, Limits: Limits{MaxObjects: 1 << 30}})
}

// benchPod is shaped like a StatefulSet's pod: labels, an owner, one container, a volume.
func benchPod(name, app string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default",
			Labels: map[string]string{"app": app, "apps.kubernetes.io/pod-index": "0",
				"controller-revision-hash": "web-6bd45b6f5d", "statefulset.kubernetes.io/pod-name": name}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "nginx", Image: "registry.k8s.io/nginx-slim:0.24",
				Ports:        []corev1.ContainerPort{{Name: "web", ContainerPort: 80}},
				VolumeMounts: []corev1.VolumeMount{{Name: "www", MountPath: "/usr/share/nginx/html"}}}},
			Volumes: []corev1.Volume{{Name: "www", VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "www-" + name}}}},
		},
	}
}

func BenchmarkStoreCreate(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Create(pods, benchPod("web-"+strconv.Itoa(i), "nginx")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreUpdate changes a label each time, so every update is a real write (a new
// resourceVersion and an event), not the no-op path.
func BenchmarkStoreUpdate(b *testing.B) {
	s := benchStore(b)
	if _, err := s.Create(pods, benchPod("web-0", "nginx")); err != nil {
		b.Fatal(err)
	}
	p := benchPod("web-0", "nginx")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Labels["round"] = strconv.Itoa(i)
		if _, err := s.Update(pods, p, UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreListSelector lists app=nginx out of 1000 pods (half of them match).
func BenchmarkStoreListSelector(b *testing.B) {
	s := benchStore(b)
	for i := 0; i < 1000; i++ {
		app := "nginx"
		if i%2 == 1 {
			app = "other"
		}
		if _, err := s.Create(pods, benchPod("pod-"+strconv.Itoa(i), app)); err != nil {
			b.Fatal(err)
		}
	}
	sel := labels.SelectorFromSet(labels.Set{"app": "nginx"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, _ := s.List(pods, "default", sel, nil)
		if len(got) != 500 {
			b.Fatalf("listed %d pods, want 500", len(got))
		}
	}
}

// BenchmarkStoreWatchFanout50 is one write delivered to 50 watchers with a label selector:
// the time from Update until every watcher has received its event.
func BenchmarkStoreWatchFanout50(b *testing.B) {
	s := benchStore(b)
	if _, err := s.Create(pods, benchPod("web-0", "nginx")); err != nil {
		b.Fatal(err)
	}
	rv := strconv.FormatUint(s.ResourceVersion(), 10)
	sel := labels.SelectorFromSet(labels.Set{"app": "nginx"})
	ws := make([]*Watcher, 50)
	for i := range ws {
		w, err := s.Watch(pods, WatchOptions{Namespace: "default", LabelSelector: sel, ResourceVersion: rv})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Stop()
		ws[i] = w
	}
	p := benchPod("web-0", "nginx")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Labels["round"] = strconv.Itoa(i)
		if _, err := s.Update(pods, p, UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		for _, w := range ws {
			ev, ok := <-w.ResultChan()
			if !ok || ev.Object.(*corev1.Pod).Labels["round"] != p.Labels["round"] {
				b.Fatalf("watcher got %v %v, want round %s", ev.Type, ok, p.Labels["round"])
			}
		}
	}
}
