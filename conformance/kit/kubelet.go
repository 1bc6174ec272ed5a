package kit

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Kubelet is the kit's scheduler and kubelet for every node: a state machine keyed on a pod's
// status that writes, through the API, the same sequence of pod states the simulator's kubelet
// writes (engine/sim/controller/kubelet.go), so `kubectl get pods -w` rows can be compared:
//
//	Pending → Pending (bound) → ContainerCreating → Running (ready unless a probe says later)
//	delete:  Terminating → Completed (phase Succeeded) → gone (the kubelet's grace-0 delete)
//
// No container runs. Delays are short: only the order of writes matters to the rows.
type Kubelet struct {
	kube  kubernetes.Interface
	queue workqueue.TypedDelayingInterface[string]
	pods  cache.Indexer

	mu         sync.Mutex
	pending    map[string]stage
	nextIP     map[string]int
	failImages map[string]string // image -> waiting reason (ErrImagePull)

	// zero: every transition is due at once (ZeroDelays), for timing the control plane alone.
	zero atomic.Bool
}

// ZeroDelays makes the kubelet write each pod transition as soon as it sees the previous one,
// so a measurement times the apiserver and controllers rather than the kubelet's pauses.
func (k *Kubelet) ZeroDelays() { k.zero.Store(true) }

type stage struct {
	uid  types.UID
	name string
}

// Delays between the kubelet's writes, real time.
var (
	kDelayBind  = 20 * time.Millisecond
	kDelayStart = 20 * time.Millisecond
	kDelayRun   = 60 * time.Millisecond
	kDelayReady = 40 * time.Millisecond
	kDelayKill  = 60 * time.Millisecond
	kDelayGone  = 10 * time.Millisecond
	kRetry      = 50 * time.Millisecond
)

func startKubelet(ctx context.Context, kube kubernetes.Interface) *Kubelet {
	k := &Kubelet{
		kube:       kube,
		queue:      workqueue.NewTypedDelayingQueue[string](),
		pending:    map[string]stage{},
		nextIP:     map[string]int{},
		failImages: map[string]string{},
	}
	inf := informers.NewSharedInformerFactory(kube, 0)
	pi := inf.Core().V1().Pods().Informer()
	k.pods = pi.GetIndexer()
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			k.queue.Add(key)
		}
	}
	_, _ = pi.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, n any) { enqueue(n) },
		DeleteFunc: enqueue,
	})
	// PVCs becoming Bound unblock pods waiting to be scheduled.
	_, _ = inf.Core().V1().PersistentVolumeClaims().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, n any) {
			pvc := n.(*corev1.PersistentVolumeClaim)
			for _, o := range k.pods.List() {
				p := o.(*corev1.Pod)
				if p.Namespace == pvc.Namespace && p.Spec.NodeName == "" {
					enqueue(p)
				}
			}
		},
	})
	inf.Start(ctx.Done())
	inf.WaitForCacheSync(ctx.Done())
	go func() {
		<-ctx.Done()
		k.queue.ShutDown()
	}()
	go k.loop(ctx)
	return k
}

// FailImage makes every pod using image wait with reason (e.g. "ErrImagePull") instead of
// starting, as a node that cannot pull it would.
func (k *Kubelet) FailImage(image, reason string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.failImages[image] = reason
}

func (k *Kubelet) loop(ctx context.Context) {
	for {
		key, quit := k.queue.Get()
		if quit {
			return
		}
		k.sync(ctx, key)
		k.queue.Done(key)
	}
}

// stageOf says which transition a pod waits for next ("" when at rest); the simulator's
// kubelet uses the same stages.
func (k *Kubelet) stageOf(p *corev1.Pod) string {
	terminal := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	if p.DeletionTimestamp != nil {
		switch {
		case p.Spec.NodeName == "":
			return "" // the apiserver deletes unscheduled pods at once
		case terminal:
			return "remove"
		}
		return "kill"
	}
	if terminal {
		return ""
	}
	if p.Spec.NodeName == "" {
		return "bind"
	}
	if len(p.Status.ContainerStatuses) == 0 {
		return "start"
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Waiting != nil && k.failReason(s.Image) != "" {
			return "" // stuck, as a node that cannot pull the image
		}
	}
	if p.Status.Phase == corev1.PodPending {
		return "run"
	}
	for _, s := range p.Status.ContainerStatuses {
		if !s.Ready && s.State.Running != nil {
			return "ready"
		}
	}
	return ""
}

func (k *Kubelet) failReason(image string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.failImages[image]
}

func delayOf(st string) time.Duration {
	switch st {
	case "bind":
		return kDelayBind
	case "start":
		return kDelayStart
	case "run":
		return kDelayRun
	case "ready":
		return kDelayReady
	case "kill":
		return kDelayKill
	case "remove":
		return kDelayGone
	}
	return 0
}

// sync is called for every change of a pod and when a scheduled transition is due. A
// transition is due when the key comes back with its stage marked "due:".
func (k *Kubelet) sync(ctx context.Context, key string) {
	due := false
	if len(key) > 4 && key[:4] == "due:" {
		due, key = true, key[4:]
	}
	obj, exists, err := k.pods.GetByKey(key)
	if err != nil || !exists {
		k.mu.Lock()
		delete(k.pending, key)
		k.mu.Unlock()
		return
	}
	p := obj.(*corev1.Pod)
	st := k.stageOf(p)
	want := stage{uid: p.UID, name: st}
	k.mu.Lock()
	if st == "" {
		delete(k.pending, key)
		k.mu.Unlock()
		return
	}
	if !due {
		if k.pending[key] == want {
			k.mu.Unlock()
			return // already scheduled
		}
		k.pending[key] = want
		k.mu.Unlock()
		d := delayOf(st)
		if k.zero.Load() {
			d = 0
		}
		k.queue.AddAfter("due:"+key, d)
		return
	}
	if k.pending[key] != want {
		k.mu.Unlock()
		return // superseded
	}
	k.mu.Unlock()
	retry, err := k.advance(ctx, p.DeepCopy(), st)
	if err != nil || retry {
		k.queue.AddAfter("due:"+key, kRetry)
		return
	}
	k.mu.Lock()
	if k.pending[key] == want {
		delete(k.pending, key)
	}
	k.mu.Unlock()
	k.queue.Add(key)
}

func (k *Kubelet) advance(ctx context.Context, p *corev1.Pod, st string) (retry bool, err error) {
	now := metav1.Now()
	switch st {
	case "bind":
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim == nil {
				continue
			}
			pvc, err := k.kube.CoreV1().PersistentVolumeClaims(p.Namespace).Get(ctx, v.PersistentVolumeClaim.ClaimName, metav1.GetOptions{})
			if err != nil || pvc.Status.Phase != corev1.ClaimBound || pvc.DeletionTimestamp != nil {
				return true, nil // the scheduler waits for bound claims
			}
		}
		b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
			Target: corev1.ObjectReference{Kind: "Node", Name: k.pickNode()}}
		err := k.kube.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{})
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, err
	case "start":
		k.firstStatus(p, now)
	case "run":
		k.run(p, now)
	case "ready":
		for i := range p.Status.ContainerStatuses {
			if p.Status.ContainerStatuses[i].State.Running != nil {
				p.Status.ContainerStatuses[i].Ready = true
			}
		}
		readiness(p, now)
	case "kill":
		kill(p, now)
	case "remove":
		zero := int64(0)
		uid := p.UID
		err := k.kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid}})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return false, nil
		}
		return false, err
	default:
		return false, nil
	}
	_, err = k.kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		return true, nil
	}
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return false, err
}

// pickNode spreads pods over the nodes: the one with the fewest live pods, by name on ties.
func (k *Kubelet) pickNode() string {
	load := map[string]int{}
	for _, o := range k.pods.List() {
		p := o.(*corev1.Pod)
		if p.Spec.NodeName != "" && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			load[p.Spec.NodeName]++
		}
	}
	best := nodeNames[0]
	for _, n := range nodeNames[1:] {
		if load[n] < load[best] {
			best = n
		}
	}
	return best
}

func (k *Kubelet) podIP(node string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := k.nextIP[node]%250 + 1
	k.nextIP[node] = n
	idx := 0
	for i, name := range nodeNames {
		if name == node {
			idx = i + 1
		}
	}
	return fmt.Sprintf("10.244.%d.%d", idx, n+1)
}

func setCond(p *corev1.Pod, t corev1.PodConditionType, s corev1.ConditionStatus, reason, msg string, now metav1.Time) {
	for i := range p.Status.Conditions {
		c := &p.Status.Conditions[i]
		if c.Type == t {
			if c.Status != s {
				c.LastTransitionTime = now
			}
			c.Status, c.Reason, c.Message = s, reason, msg
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: t, Status: s, Reason: reason, Message: msg, LastTransitionTime: now})
}

func names(cs []corev1.Container) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return fmt.Sprint(out)
}

// firstStatus is the kubelet's first report: sandbox being created, containers waiting.
func (k *Kubelet) firstStatus(p *corev1.Pod, now metav1.Time) {
	p.Status.Phase = corev1.PodPending
	p.Status.StartTime = &now
	p.Status.HostIP = "172.18.0.2"
	setCond(p, corev1.PodReadyToStartContainers, corev1.ConditionFalse, "", "", now)
	setCond(p, corev1.PodInitialized, corev1.ConditionTrue, "", "", now)
	msg := "containers with unready status: " + names(p.Spec.Containers)
	setCond(p, corev1.PodReady, corev1.ConditionFalse, "ContainersNotReady", msg, now)
	setCond(p, corev1.ContainersReady, corev1.ConditionFalse, "ContainersNotReady", msg, now)
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		reason := "ContainerCreating"
		if r := k.failReason(c.Image); r != "" {
			reason = r
		}
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, Started: ptr(false),
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}})
	}
	sort.Slice(p.Status.ContainerStatuses, func(i, j int) bool {
		return p.Status.ContainerStatuses[i].Name < p.Status.ContainerStatuses[j].Name
	})
}

func (k *Kubelet) run(p *corev1.Pod, now metav1.Time) {
	if p.Status.PodIP == "" {
		p.Status.PodIP = k.podIP(p.Spec.NodeName)
		p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
	}
	setCond(p, corev1.PodReadyToStartContainers, corev1.ConditionTrue, "", "", now)
	p.Status.Phase = corev1.PodRunning
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image + "@sha256:kit", ContainerID: "containerd://kit-" + string(p.UID),
			Started: ptr(true), Ready: c.ReadinessProbe == nil,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
	sort.Slice(p.Status.ContainerStatuses, func(i, j int) bool {
		return p.Status.ContainerStatuses[i].Name < p.Status.ContainerStatuses[j].Name
	})
	readiness(p, now)
}

func readiness(p *corev1.Pod, now metav1.Time) {
	var unready []string
	for _, s := range p.Status.ContainerStatuses {
		if !s.Ready {
			unready = append(unready, s.Name)
		}
	}
	if len(unready) == 0 {
		setCond(p, corev1.ContainersReady, corev1.ConditionTrue, "", "", now)
		setCond(p, corev1.PodReady, corev1.ConditionTrue, "", "", now)
		return
	}
	msg := "containers with unready status: " + fmt.Sprint(unready)
	setCond(p, corev1.ContainersReady, corev1.ConditionFalse, "ContainersNotReady", msg, now)
	setCond(p, corev1.PodReady, corev1.ConditionFalse, "ContainersNotReady", msg, now)
}

// kill stops the containers; since 1.27 a kubelet reports a terminal phase before the final
// delete, which `get -w` shows as Completed.
func kill(p *corev1.Pod, now metav1.Time) {
	for i := range p.Status.ContainerStatuses {
		s := &p.Status.ContainerStatuses[i]
		started := now
		if s.State.Running != nil {
			started = s.State.Running.StartedAt
		}
		s.Ready, s.Started = false, ptr(false)
		s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed",
			StartedAt: started, FinishedAt: now, ContainerID: s.ContainerID}}
	}
	p.Status.Phase = corev1.PodSucceeded
	setCond(p, corev1.PodReadyToStartContainers, corev1.ConditionFalse, "", "", now)
	setCond(p, corev1.ContainersReady, corev1.ConditionFalse, "PodCompleted", "", now)
	setCond(p, corev1.PodReady, corev1.ConditionFalse, "PodCompleted", "", now)
}

func ptr[T any](v T) *T { return &v }
