package sim

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Scale benchmarks of the simulated control plane (issue 14): whole workloads driven on a
// fake clock, so the numbers are the CPU the simulator spends, not the simulated delays. Each
// reports, besides ns/op, the cost per replica: wall ns, CPU ns (user+sys of the process,
// so the garbage collector's own threads count too), bytes and allocations. A flat cost per
// replica from 10 to 1000 means the total grows linearly.

var benchSizes = []int{10, 100, 1000}

// benchLimit bounds the simulated time of one step; OrderedReady at 1000 takes hours of it.
const benchLimit = 100 * time.Hour

func newBenchSim(b *testing.B) *Sim {
	b.Helper()
	s, err := New(Config{Fake: testingclock.NewFakeClock(t0), Seed: 1, MaxReplicas: 1000})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// meter measures what the code between start and stop costs.
type meter struct {
	cpu    time.Duration
	bytes  uint64
	allocs uint64
	cpu0   time.Duration
	// sys and faults: the kernel's share of cpu and the page faults behind it. With GOGC=off
	// every allocated page is a fresh one the kernel faults in and zeroes, so there cpu counts
	// bytes allocated as well as work.
	sys, sys0       time.Duration
	faults, faults0 int64
	ms0, ms1        runtime.MemStats
}

// usage: the process's CPU (user + system), system CPU and minor page faults so far.
func usage() (cpu, sys time.Duration, faults int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), time.Duration(ru.Stime.Nano()), int64(ru.Minflt)
}

func (m *meter) start(b *testing.B) {
	runtime.ReadMemStats(&m.ms0)
	m.cpu0, m.sys0, m.faults0 = usage()
	b.StartTimer()
}

func (m *meter) stop(b *testing.B) {
	b.StopTimer()
	cpu, sys, faults := usage()
	m.cpu += cpu - m.cpu0
	m.sys += sys - m.sys0
	m.faults += faults - m.faults0
	runtime.ReadMemStats(&m.ms1)
	m.bytes += m.ms1.TotalAlloc - m.ms0.TotalAlloc
	m.allocs += m.ms1.Mallocs - m.ms0.Mallocs
}

func (m *meter) report(b *testing.B, replicas int) {
	n := float64(b.N * replicas)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/replica")
	b.ReportMetric(float64(m.cpu.Nanoseconds())/n, "cpu-ns/replica")
	b.ReportMetric(float64(m.bytes)/n, "B/replica")
	b.ReportMetric(float64(m.allocs)/n, "allocs/replica")
	b.ReportMetric(float64(m.sys.Nanoseconds())/n, "sys-ns/replica")
	b.ReportMetric(float64(m.faults)/n, "faults/replica")
}

func benchSet(n int, policy appsv1.PodManagementPolicyType) *appsv1.StatefulSet {
	set := webSet(int32(n))
	set.Spec.PodManagementPolicy = policy
	return set
}

// stsReady: the set's status counts n replicas, all ready and on the update revision. The
// conditions read the stored objects (Peek, read-only): RunUntil polls them after every
// simulated instant, and Get's deep copies were a tenth of the bytes a rolling update measured.
func stsReady(b *testing.B, s *Sim, n int) func() bool {
	return func() bool {
		o, ok := s.Store().Peek(stsR, "default", "web")
		if !ok {
			b.Fatal("statefulset web is gone")
		}
		st := o.(*appsv1.StatefulSet).Status
		return st.ObservedGeneration == o.(*appsv1.StatefulSet).Generation && int(st.Replicas) == n &&
			int(st.ReadyReplicas) == n && int(st.UpdatedReplicas) == n && st.CurrentRevision == st.UpdateRevision &&
			s.Store().Len(podsR, "default") == n
	}
}

func mustRun(b *testing.B, s *Sim, what string, cond func() bool) {
	b.Helper()
	if !s.RunUntil(cond, benchLimit) {
		b.Fatalf("%s: not reached within %v of simulated time", what, benchLimit)
	}
}

// readyWeb builds a simulator holding the nginx Service and web with n ready replicas.
func readyWeb(b *testing.B, n int, policy appsv1.PodManagementPolicyType) *Sim {
	b.Helper()
	s := newBenchSim(b)
	if _, err := s.Store().Create(svcR, nginxService()); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Store().Create(stsR, benchSet(n, policy)); err != nil {
		b.Fatal(err)
	}
	mustRun(b, s, "create", stsReady(b, s, n))
	return s
}

// BenchmarkStatefulSetReady: create → all Ready, for both pod management policies.
func BenchmarkStatefulSetReady(b *testing.B) {
	for _, policy := range []appsv1.PodManagementPolicyType{appsv1.ParallelPodManagement, appsv1.OrderedReadyPodManagement} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", policy, n), func(b *testing.B) {
				var m meter
				b.StopTimer()
				for i := 0; i < b.N; i++ {
					s := newBenchSim(b)
					if _, err := s.Store().Create(svcR, nginxService()); err != nil {
						b.Fatal(err)
					}
					m.start(b)
					if _, err := s.Store().Create(stsR, benchSet(n, policy)); err != nil {
						b.Fatal(err)
					}
					mustRun(b, s, "create", stsReady(b, s, n))
					m.stop(b)
				}
				m.report(b, n)
			})
		}
	}
}

// BenchmarkStatefulSetScaleToZero: a ready Parallel set of n scaled to 0 until no pod is left.
func BenchmarkStatefulSetScaleToZero(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var m meter
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				s := readyWeb(b, n, appsv1.ParallelPodManagement)
				m.start(b)
				o, _ := s.Store().Get(stsR, "default", "web")
				set := o.(*appsv1.StatefulSet)
				set.Spec.Replicas = ptr(int32(0))
				if _, err := s.Store().Update(stsR, set, store.UpdateOptions{}); err != nil {
					b.Fatal(err)
				}
				mustRun(b, s, "scale to 0", stsReady(b, s, 0))
				m.stop(b)
			}
			m.report(b, n)
		})
	}
}

// BenchmarkStatefulSetRollingUpdate: a new image rolled over a ready Parallel set of n (one pod
// at a time, from the highest ordinal down, as maxUnavailable 1 does).
func BenchmarkStatefulSetRollingUpdate(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var m meter
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				s := readyWeb(b, n, appsv1.ParallelPodManagement)
				m.start(b)
				o, _ := s.Store().Get(stsR, "default", "web")
				set := o.(*appsv1.StatefulSet)
				set.Spec.Template.Spec.Containers[0].Image = "registry.k8s.io/nginx-slim:0.21"
				if _, err := s.Store().Update(stsR, set, store.UpdateOptions{}); err != nil {
					b.Fatal(err)
				}
				mustRun(b, s, "rolling update", stsReady(b, s, n))
				m.stop(b)
			}
			m.report(b, n)
		})
	}
}

// BenchmarkStatefulSetCascadingDelete: kubectl delete sts (background propagation) of a ready
// Parallel set of n until its pods are gone.
func BenchmarkStatefulSetCascadingDelete(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var m meter
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				s := readyWeb(b, n, appsv1.ParallelPodManagement)
				m.start(b)
				bg := metav1.DeletePropagationBackground
				if _, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{PropagationPolicy: &bg}); err != nil {
					b.Fatal(err)
				}
				mustRun(b, s, "cascading delete", func() bool {
					return s.Store().Len(stsR, "default") == 0 && s.Store().Len(podsR, "default") == 0
				})
				m.stop(b)
			}
			m.report(b, n)
		})
	}
}

// BenchmarkDeployment: create → all available, then a new image rolled out (25% surge and
// unavailability, the defaults) until every pod runs it.
func BenchmarkDeployment(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("Create/%d", n), func(b *testing.B) {
			var m meter
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				s := newBenchSim(b)
				m.start(b)
				if _, err := s.Store().Create(deployR, nginxDeployment(int32(n))); err != nil {
					b.Fatal(err)
				}
				mustRun(b, s, "deployment create", deployDone(s, "nginx:1.14.2", int32(n)))
				m.stop(b)
			}
			m.report(b, n)
		})
		b.Run(fmt.Sprintf("Rollout/%d", n), func(b *testing.B) {
			var m meter
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				s := newBenchSim(b)
				if _, err := s.Store().Create(deployR, nginxDeployment(int32(n))); err != nil {
					b.Fatal(err)
				}
				mustRun(b, s, "deployment create", deployDone(s, "nginx:1.14.2", int32(n)))
				m.start(b)
				o, _ := s.Store().Get(deployR, "default", "nginx-deployment")
				d := o.(*appsv1.Deployment)
				d.Spec.Template.Spec.Containers[0].Image = "nginx:1.16.1"
				if _, err := s.Store().Update(deployR, d, store.UpdateOptions{}); err != nil {
					b.Fatal(err)
				}
				mustRun(b, s, "deployment rollout", deployDone(s, "nginx:1.16.1", int32(n)))
				m.stop(b)
			}
			m.report(b, n)
		})
	}
}

// deployDone: the Deployment's status says n updated, available replicas of image and no
// other pod is left.
func deployDone(s *Sim, image string, n int32) func() bool {
	return func() bool {
		o, ok := s.Store().Peek(deployR, "default", "nginx-deployment")
		if !ok {
			return false
		}
		d := o.(*appsv1.Deployment)
		st := d.Status
		return d.Spec.Template.Spec.Containers[0].Image == image && st.ObservedGeneration >= d.Generation &&
			st.UpdatedReplicas == n && st.Replicas == n && st.AvailableReplicas == n &&
			s.Store().Len(podsR, "default") == int(n)
	}
}

// BenchmarkServedParallelReady is the simulator's half of the conformance kit's side-by-side
// test (TestSideBySideParallelStatefulSet): the simulator started with its own loop on an
// auto-advancing fake clock, a Parallel set of n created through client-go over HTTPS and
// watched until its status says n ready. Wall time here includes the loop's real-time pacing
// and the watch's delivery, which the in-process benchmarks above do not see.
func BenchmarkServedParallelReady(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var m meter
			b.StopTimer()
			for i := 0; i < b.N; i++ {
				ctx, cancel := context.WithCancel(context.Background())
				s, err := New(Config{Fake: testingclock.NewFakeClock(t0), AutoAdvance: true, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				if err := s.Start(ctx); err != nil {
					b.Fatal(err)
				}
				kube, err := kubernetes.NewForConfig(s.RESTConfig())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := kube.CoreV1().Services("default").Create(ctx, nginxService(), metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				w, err := kube.AppsV1().StatefulSets("default").Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=web"})
				if err != nil {
					b.Fatal(err)
				}
				m.start(b)
				if _, err := kube.AppsV1().StatefulSets("default").Create(ctx, benchSet(n, appsv1.ParallelPodManagement), metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
				ready := false
				for ev := range w.ResultChan() {
					if set, ok := ev.Object.(*appsv1.StatefulSet); ok && int(set.Status.ReadyReplicas) == n {
						ready = true
						break
					}
				}
				m.stop(b)
				w.Stop()
				cancel()
				s.Close()
				if !ready {
					b.Fatalf("the watch ended before %d replicas were ready", n)
				}
			}
			m.report(b, n)
		})
	}
}
