// Package controller holds the simulated cluster's controllers, one file per controller as in
// kube-controller-manager (plus the kubelet and a tiny scheduler). Each reads and writes
// through the store, never over HTTP. The simulator's control loop (engine/sim) feeds them:
// store events are turned into keys by Observe (which only enqueues), and Sync does the work
// on the loop's single goroutine, so a run is repeatable given a seed and a fake clock.
package controller

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Key names one unit of work for one controller.
type Key struct {
	Controller string
	Namespace  string
	Name       string
}

// Queue is what the control loop offers controllers.
type Queue interface {
	// Add enqueues a key (deduplicated, FIFO).
	Add(k Key)
	// AddAfter enqueues a key after d of simulated time (scaled by the simulator's speed).
	AddAfter(d time.Duration, k Key)
	// After runs fn on the loop after d (scaled by the simulator's speed).
	After(d time.Duration, fn func())
}

// Controller is one control loop.
type Controller interface {
	Name() string
	// Observe sees every committed store event. It runs with the store locked: it must only
	// enqueue, never call the store.
	Observe(ev store.Event)
	// Sync does the work for one key.
	Sync(k Key) error
}

// BackgroundQueue is offered by queues that can hold periodic work (probes) which must not
// keep the simulator from counting as idle: WaitIdle ignores these timers.
type BackgroundQueue interface {
	AfterBackground(d time.Duration, fn func())
}

// Env is what every controller is built from.
type Env struct {
	Store *store.Store
	Queue Queue
	Logf  func(string, ...any)
	// Runner runs init containers and exec probes; nil means container.Nop.
	Runner container.Runner
}

func (e Env) runner() container.Runner {
	if e.Runner == nil {
		return container.Nop{}
	}
	return e.Runner
}

// peekPod is the stored pod ns/name, shared read-only (nil when there is none).
func (e Env) peekPod(ns, name string) *corev1.Pod {
	if o, ok := e.Store.Peek(podsRes, ns, name); ok {
		return o.(*corev1.Pod)
	}
	return nil
}

// afterBackground schedules periodic work that does not count against idleness when the
// queue supports it.
func (e Env) afterBackground(d time.Duration, fn func()) {
	if bq, ok := e.Queue.(BackgroundQueue); ok {
		bq.AfterBackground(d, fn)
		return
	}
	e.Queue.After(d, fn)
}

func (e Env) logf(format string, args ...any) {
	if e.Logf != nil {
		e.Logf(format, args...)
	}
}

// Resources used throughout.
var (
	podsRes  = store.MustLookup("pods")
	nodesRes = store.MustLookup("nodes")
	pvcRes   = store.MustLookup("persistentvolumeclaims")
	pvRes    = store.MustLookup("persistentvolumes")
	stsRes   = store.MustLookup("statefulsets")
	revRes   = store.MustLookup("controllerrevisions")
	svcRes   = store.MustLookup("services")
	epRes    = store.MustLookup("endpoints")
	eventRes = store.MustLookup("events")
)

// Set is every controller of the simulated cluster, wired to one store and queue.
type Set struct {
	Recorder    *Recorder
	StatefulSet *StatefulSetController
	GC          *GarbageCollector
	Kubelet     *Kubelet
	Volume      *VolumeController
	Endpoints   *EndpointsController
	Namespace   *NamespaceController
	ReplicaSet  *ReplicaSetController
	Deployment  *DeploymentController
	DaemonSet   *DaemonSetController
	Disruption  *DisruptionController
	Nodes       *NodeLifecycleController
	HPA         *HPAController
	// ServiceAccounts keeps `default` and kube-root-ca.crt in every namespace.
	ServiceAccounts *ServiceAccountsController
	EndpointSlices  *EndpointSliceController
}

// NewSet builds all controllers. Nodes are created by Kubelet.Bootstrap.
func NewSet(env Env) *Set {
	rec := NewRecorder(env.Store)
	set := &Set{
		Recorder:    rec,
		StatefulSet: NewStatefulSetController(env, rec),
		GC:          NewGarbageCollector(env),
		Kubelet:     NewKubelet(env, rec),
		Volume:      NewVolumeController(env),
		Endpoints:   NewEndpointsController(env),
		Namespace:   NewNamespaceController(env),
		ReplicaSet:  NewReplicaSetController(env, rec),
		Deployment:  NewDeploymentController(env, rec),
		DaemonSet:   NewDaemonSetController(env, rec),
		Disruption:  NewDisruptionController(env),
		HPA:         NewHPAController(env, rec),
	}
	set.Nodes = NewNodeLifecycleController(env, rec, set.Kubelet)
	set.ServiceAccounts = NewServiceAccountsController(env)
	set.EndpointSlices = NewEndpointSliceController(env)
	set.Volume.rec = rec
	return set
}

// All lists the controllers in a fixed order.
func (s *Set) All() []Controller {
	return []Controller{s.StatefulSet, s.GC, s.Kubelet, s.Volume, s.Endpoints, s.Namespace,
		s.ReplicaSet, s.Deployment, s.DaemonSet, s.HPA, s.Disruption, s.Nodes, s.ServiceAccounts, s.EndpointSlices}
}

// controllerRef returns the ownerReference with controller=true, if any.
// It points into the object's own list (read-only, like the object): no copy per call.
func controllerRef(m metav1.Object) *metav1.OwnerReference {
	refs := m.GetOwnerReferences()
	for i := range refs {
		if refs[i].Controller != nil && *refs[i].Controller {
			return &refs[i]
		}
	}
	return nil
}

func objMeta(obj runtime.Object) metav1.Object {
	if m, ok := obj.(metav1.Object); ok {
		return m
	}
	return nil
}

func ptrTo[T any](v T) *T { return &v }
