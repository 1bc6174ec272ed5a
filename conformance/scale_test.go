package conformance

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/conformance/kit"
	"github.com/kubetutor/kubetutor/engine/sim"
)

// TestSideBySideParallelStatefulSet times the same Parallel StatefulSet of 100 and 1000
// replicas (each with a volumeClaimTemplate) from create to all Ready through client-go, on
// the simulator (fake clock, auto-advancing) and on the real control plane (kube-apiserver,
// etcd and the real StatefulSet controller, with the kit's kubelet writing every transition at
// once), in one process, and prints the ratios. It measures; it asserts only that both get
// there (issue 14's goal, ≥ 30× faster, is reported, not enforced: no timed assertions).
func TestSideBySideParallelStatefulSet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	sizes := []int{100, 1000}

	// The simulator first, so its peak RSS is the process's before the real control plane runs.
	type result struct{ start, ready, cpu time.Duration }
	simRes := map[int]result{}
	var simStart time.Duration
	for _, n := range sizes {
		t0 := time.Now()
		s, err := sim.New(sim.Config{Fake: testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), AutoAdvance: true, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		kube, err := kubernetes.NewForConfig(s.RESTConfig())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kube.Discovery().ServerVersion(); err != nil {
			t.Fatal(err)
		}
		start := time.Since(t0)
		if simStart == 0 {
			simStart = start
		}
		ready, cpu := createUntilReady(ctx, t, kube, "default", n)
		simRes[n] = result{start, ready, cpu}
		s.Close()
	}
	simRSS := kit.MaxRSS()

	c := kit.Start(t)
	c.Kubelet.ZeroDelays()
	realRes := map[int]result{}
	for _, n := range sizes {
		ns := fmt.Sprintf("scale-%d", n)
		if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		ready, cpu := createUntilReady(ctx, t, c.Kube, ns, n)
		realRes[n] = result{c.Stats.Ready, ready, cpu}
	}
	realRSS := kit.MaxRSS()

	t.Logf("start: simulator %v, real control plane %v (%.0f×)", simStart.Round(time.Millisecond), c.Stats.Ready.Round(time.Millisecond),
		float64(c.Stats.Ready)/float64(simStart))
	for _, n := range sizes {
		s, r := simRes[n], realRes[n]
		t.Logf("Parallel StatefulSet of %d, create → all Ready: simulator %v (CPU %v), real %v (CPU %v): %.1f× faster, %.1f× less CPU",
			n, s.ready.Round(time.Millisecond), s.cpu.Round(time.Millisecond), r.ready.Round(time.Millisecond), r.cpu.Round(time.Millisecond),
			float64(r.ready)/float64(s.ready), float64(r.cpu)/float64(s.cpu))
	}
	t.Logf("peak RSS: simulator runs %d MiB, with the real control plane %d MiB (%.1f×)", simRSS>>20, realRSS>>20, float64(realRSS)/float64(simRSS))
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// createUntilReady creates the nginx Service and a Parallel web StatefulSet of n replicas and
// watches the set until its status says n ready; it returns the wall and process CPU time.
func createUntilReady(ctx context.Context, t *testing.T, kube kubernetes.Interface, ns string, n int) (time.Duration, time.Duration) {
	t.Helper()
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: map[string]string{"app": "nginx"}},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "nginx"},
			Ports: []corev1.ServicePort{{Name: "web", Port: 80}}}}
	if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	replicas := int32(n)
	set := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &replicas, ServiceName: "nginx", PodManagementPolicy: appsv1.ParallelPodManagement,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "registry.k8s.io/nginx-slim:0.24",
					Ports:        []corev1.ContainerPort{{Name: "web", ContainerPort: 80}},
					VolumeMounts: []corev1.VolumeMount{{Name: "www", MountPath: "/usr/share/nginx/html"}}}}}},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "www"},
				Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}},
		}}
	w, err := kube.AppsV1().StatefulSets(ns).Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", "web").String()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	t0, c0 := time.Now(), cpuNow()
	if _, err := kube.AppsV1().StatefulSets(ns).Create(ctx, set, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for ev := range w.ResultChan() {
		if s, ok := ev.Object.(*appsv1.StatefulSet); ok && int(s.Status.ReadyReplicas) == n {
			return time.Since(t0), cpuNow() - c0
		}
	}
	t.Fatalf("%s: the watch ended before %d replicas were ready: %v", ns, n, ctx.Err())
	return 0, 0
}
