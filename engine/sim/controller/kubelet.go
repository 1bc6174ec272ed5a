package controller

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// KubeletVersion is what the simulated nodes report.
const KubeletVersion = "v1.37.2"

// Delays of the simulated scheduler and kubelet at speed 1. They are short but visible, so a
// learner sees web-0 start before web-1, as on a real cluster.
var (
	DelayBind           = 300 * time.Millisecond  // scheduler: Pending → bound (second Pending row)
	DelayKubeletFirst   = 200 * time.Millisecond  // bound → ContainerCreating / Init:0/N
	DelayInitContainer  = time.Second             // each init container runs this long
	DelayContainerStart = 1200 * time.Millisecond // ContainerCreating → Running
	DelayStop           = time.Second             // SIGTERM → container exited (capped by the grace period)
	DelayFinalDelete    = 100 * time.Millisecond  // terminal phase → kubelet's grace-0 delete
	DelayUnschedulable  = 500 * time.Millisecond  // retry binding while PVCs are unbound
	DefaultProbeDelay   = time.Second             // readiness probe with initialDelaySeconds 0
	DelayRestart        = time.Second             // exited container → restarted (or CrashLoopBackOff)
	BackoffInitial      = 10 * time.Second        // kubelet's container restart back-off: 10s, 20s, 40s …
	BackoffMax          = 5 * time.Minute         // … capped at 5m
	backoffReset        = 10 * time.Minute        // a container that ran this long starts its back-off afresh
	nodeCount           = 3
)

// Kubelet simulates a scheduler and the kubelets of three nodes. Each pod moves through a
// state machine keyed on its status (like kwok's stages, with the rows a real kubelet shows):
// Pending → bound → ContainerCreating (or Init:k/N → PodInitializing) → Running → Ready, and
// on delete: Terminating → Succeeded (Completed) → gone.
type Kubelet struct {
	env       Env
	rec       *Recorder
	pending   map[string]stage           // pod key -> the transition already scheduled
	nextIP    map[string]int             // node -> last host part handed out
	down      map[string]bool            // nodes whose kubelet is cut off from the API server
	downSince map[string]int             // node -> failure count, so a stale grace timer is ignored
	lastFail  map[string]string          // pod key -> last FailedScheduling message
	restarts  map[string]int             // pod uid/container -> restarts counted for back-off
	probes    map[string]*probeWorker    // pod key/container/kind -> running probe worker
	parked    map[string]*probeWorker    // steady probe workers with no timer (probes.go)
	images    map[string]map[string]bool // node -> images already pulled there

	// load counts the scheduled, unfinished pods per node, kept by Observe from the store's
	// events so that picking a node does not walk every pod (guarded by loadMu: Observe runs
	// on the writer's goroutine).
	loadMu sync.Mutex
	load   map[string]int

	// nParked mirrors len(parked) and execs counts the learner's running exec and attach
	// sessions, both read off the loop (WakeProbes, ExecStarted).
	nParked atomic.Int32
	execs   atomic.Int32
}

// loadNode is the node a pod counts against for scheduling, or "".
func loadNode(o runtime.Object) string {
	p, ok := o.(*corev1.Pod)
	if !ok || p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return ""
	}
	return p.Spec.NodeName
}

func (k *Kubelet) countLoad(ev store.Event) {
	var before, after string
	switch ev.Type {
	case "ADDED":
		after = loadNode(ev.Object)
	case "DELETED":
		before = loadNode(ev.Object)
		if ev.Old != nil {
			before = loadNode(ev.Old) // what was counted: the last stored state
		}
	default:
		before, after = loadNode(ev.Old), loadNode(ev.Object)
	}
	if before == after {
		return
	}
	k.loadMu.Lock()
	if before != "" {
		k.load[before]--
	}
	if after != "" {
		k.load[after]++
	}
	k.loadMu.Unlock()
}

type stage struct {
	uid  types.UID
	name string
}

// NewKubelet makes the kubelet and scheduler.
func NewKubelet(env Env, rec *Recorder) *Kubelet {
	return &Kubelet{env: env, rec: rec, pending: map[string]stage{}, nextIP: map[string]int{},
		down: map[string]bool{}, downSince: map[string]int{}, lastFail: map[string]string{}, restarts: map[string]int{}, probes: map[string]*probeWorker{},
		parked: map[string]*probeWorker{},
		images: map[string]map[string]bool{}, load: map[string]int{}}
}

func (k *Kubelet) Name() string { return "kubelet" }

func (k *Kubelet) Observe(ev store.Event) {
	k.WakeProbes() // any change in the cluster may change what a parked probe would see
	if ev.Resource.Name != podsRes.Name {
		return
	}
	k.countLoad(ev)
	m := objMeta(ev.Object)
	k.env.Queue.Add(Key{Controller: k.Name(), Namespace: m.GetNamespace(), Name: m.GetName()})
}

// NodeName is the name of simulated node i (1-based).
func NodeName(i int) string { return fmt.Sprintf("sim-node-%d", i) }

// Bootstrap creates the Ready nodes a fresh cluster has.
func (k *Kubelet) Bootstrap() error {
	now := metav1.NewTime(k.env.Store.Now())
	for i := 1; i <= nodeCount; i++ {
		name := NodeName(i)
		if _, err := k.env.Store.Get(nodesRes, "", name); err == nil {
			continue
		}
		res := corev1.ResourceList{
			corev1.ResourceCPU:              resource.MustParse("8"),
			corev1.ResourceMemory:           resource.MustParse("16Gi"),
			corev1.ResourcePods:             resource.MustParse("110"),
			corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
		}
		cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
			return corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg, LastHeartbeatTime: now, LastTransitionTime: now}
		}
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
				"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
				"kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
			}},
			Spec: corev1.NodeSpec{PodCIDR: fmt.Sprintf("10.244.%d.0/24", i), PodCIDRs: []string{fmt.Sprintf("10.244.%d.0/24", i)},
				ProviderID: "sim://" + name},
			Status: corev1.NodeStatus{
				Capacity: res, Allocatable: res.DeepCopy(),
				Phase: corev1.NodeRunning,
				Conditions: []corev1.NodeCondition{
					cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
					cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
					cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
					cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"),
				},
				Addresses: []corev1.NodeAddress{
					{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("172.18.0.%d", i+1)},
					{Type: corev1.NodeHostName, Address: name},
				},
				DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
				NodeInfo: corev1.NodeSystemInfo{
					MachineID: fmt.Sprintf("%032x", i), SystemUUID: fmt.Sprintf("%032x", i), BootID: fmt.Sprintf("%032x", i+100),
					KernelVersion: "6.8.0", OSImage: "Debian GNU/Linux 12 (bookworm)", ContainerRuntimeVersion: "containerd://2.1.1",
					KubeletVersion: KubeletVersion, KubeProxyVersion: "", OperatingSystem: "linux", Architecture: "amd64",
				},
			},
		}
		created, err := k.env.Store.Create(nodesRes, node)
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create node %s: %w", name, err)
		}
		if err == nil {
			if err := k.createLease(created.(*corev1.Node)); err != nil {
				return fmt.Errorf("create lease of node %s: %w", name, err)
			}
		}
	}
	return nil
}

// stageOf says which transition a pod waits for next ("" when it is at rest).
func stageOf(p *corev1.Pod) string {
	terminal := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	if p.DeletionTimestamp != nil {
		if p.Spec.NodeName == "" {
			return "" // the apiserver deletes unscheduled pods at once
		}
		if terminal {
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
	for _, s := range p.Status.InitContainerStatuses {
		switch {
		case s.State.Terminated != nil && s.State.Terminated.ExitCode == 0:
			continue
		case s.State.Terminated != nil:
			if p.Spec.RestartPolicy == corev1.RestartPolicyNever {
				return "finish"
			}
			return "initfailed"
		case s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff":
			return "initbackoff"
		case s.State.Running != nil && s.Started != nil && *s.Started && isSidecar(p, s.Name):
			continue // a started sidecar (restartable init container) keeps running
		}
		return "init"
	}
	if p.Status.Phase == corev1.PodPending {
		return "run"
	}
	done := 0
	for _, s := range p.Status.ContainerStatuses {
		if t := s.State.Terminated; t != nil {
			if restarts(p.Spec.RestartPolicy, t.ExitCode) {
				return "crashed"
			}
			done++
			continue
		}
		if s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff" {
			return "backoff"
		}
	}
	if done == len(p.Status.ContainerStatuses) {
		return "finish"
	}
	return ""
}

// restarts says whether the kubelet restarts a container that exited with code under policy.
func restarts(policy corev1.RestartPolicy, code int32) bool {
	return policy == corev1.RestartPolicyAlways || policy == "" || (policy == corev1.RestartPolicyOnFailure && code != 0)
}

func (k *Kubelet) delay(p *corev1.Pod, st string) time.Duration {
	switch st {
	case "bind":
		return DelayBind
	case "start":
		return DelayKubeletFirst
	case "init":
		return DelayInitContainer
	case "run":
		if len(p.Spec.InitContainers) > 0 {
			return DelayInitContainer
		}
		return DelayContainerStart
	case "initfailed", "crashed", "finish":
		return DelayRestart
	case "initbackoff", "backoff":
		if name := backoffContainer(p); name != "" {
			return backoffDelay(k.restarts[restartKey(p, name)])
		}
		return DelayRestart
	case "kill":
		d := DelayStop
		if g := p.DeletionGracePeriodSeconds; g != nil && time.Duration(*g)*time.Second < d {
			d = time.Duration(*g) * time.Second
		}
		return d
	case "remove":
		return DelayFinalDelete
	}
	return 0
}

func (k *Kubelet) Sync(key Key) error {
	if key == probeWakeKey {
		k.resumeProbes()
		return nil
	}
	pk := key.Namespace + "/" + key.Name
	obj, ok := k.env.Store.Peek(podsRes, key.Namespace, key.Name)
	if !ok {
		delete(k.pending, pk)
		delete(k.lastFail, pk)
		return nil
	}
	p := obj.(*corev1.Pod) // read-only: this only decides what to schedule
	if p.Spec.NodeName != "" && k.down[p.Spec.NodeName] {
		// The node's kubelet cannot reach the API server: nothing it does shows.
		delete(k.pending, pk)
		return nil
	}
	k.ensureProbes(p)
	st := stageOf(p)
	if st == "" {
		delete(k.pending, pk)
		return nil
	}
	want := stage{uid: p.UID, name: st}
	if k.pending[pk] == want {
		return nil // already scheduled
	}
	k.pending[pk] = want
	k.schedule(key, want, k.delay(p, st))
	return nil
}

func (k *Kubelet) schedule(key Key, want stage, d time.Duration) {
	k.scheduleOn(k.env.Queue.After, key, want, d)
}

// scheduleOn is schedule with the timer to use: a pod that waits for something only the
// learner can fix (a claim of a missing StorageClass) retries on a background timer, so the
// simulator counts as idle meanwhile (storageclass.go).
func (k *Kubelet) scheduleOn(after func(time.Duration, func()), key Key, want stage, d time.Duration) {
	after(d, func() {
		pk := key.Namespace + "/" + key.Name
		if k.pending[pk] != want {
			return // superseded by a later stage or a new pod incarnation
		}
		retry, err := k.advance(key, want)
		if err != nil {
			k.env.logf("kubelet: %s %s: %v", want.name, pk, err)
			retry = true
		}
		if retry {
			if k.waitsOnMissingClass(key) {
				k.scheduleOn(k.env.afterBackground, key, want, DelayUnschedulable)
				return
			}
			k.schedule(key, want, DelayUnschedulable)
			return
		}
		if k.pending[pk] == want {
			delete(k.pending, pk)
		}
		// The write's own event re-enqueues the pod; a no-op write would not, so look again.
		k.env.Queue.Add(key)
	})
}

// advance performs one transition. retry asks to try the same stage again later.
func (k *Kubelet) advance(key Key, want stage) (retry bool, err error) {
	obj, ok := k.env.Store.Peek(podsRes, key.Namespace, key.Name)
	if !ok {
		return false, nil
	}
	p := obj.(*corev1.Pod)
	if p.UID != want.uid || stageOf(p) != want.name {
		return false, nil
	}
	if p.Spec.NodeName != "" && k.down[p.Spec.NodeName] {
		return false, nil
	}
	if want.name == "bind" {
		return k.bind(p) // read-only: the binding names only the node
	}
	// The transitions below write only status: a new top-level pod sharing the stored spec and
	// metadata (read-only) with a status of its own, handed to the store without more copies.
	cp := *p
	cp.Status = *p.Status.DeepCopy()
	p = &cp
	now := metav1.NewTime(k.env.Store.Now())
	switch want.name {
	case "start":
		if k.admit(p) {
			k.firstStatus(p, now)
		}
	case "init":
		k.nextInit(p, now)
	case "run":
		k.run(p, now)
	case "initfailed", "crashed":
		k.crashed(p, now)
	case "initbackoff", "backoff":
		k.restartAfterBackoff(p, now)
	case "finish":
		k.finish(p, now)
	case "kill":
		k.kill(p, now)
	case "remove":
		zero := int64(0)
		uid := p.UID
		_, err := k.env.Store.Delete(podsRes, p.Namespace, p.Name, store.DeleteOptions{GracePeriodSeconds: &zero, PreconditionUID: &uid, Owned: true})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return false, nil
		}
		return false, err
	}
	_, err = k.env.Store.Update(podsRes, p, store.UpdateOptions{Status: true, Owned: true, Successor: true}) // cp above
	if apierrors.IsConflict(err) {
		return true, nil
	}
	k.renewLease(p.Spec.NodeName)
	return false, err
}

// bind is the scheduler: wait for the pod's claims to be bound, pick the least loaded node.
func (k *Kubelet) bind(p *corev1.Pod) (bool, error) {
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		obj, ok := k.env.Store.Peek(pvcRes, p.Namespace, v.PersistentVolumeClaim.ClaimName)
		if !ok || obj.(*corev1.PersistentVolumeClaim).Status.Phase != corev1.ClaimBound ||
			obj.(*corev1.PersistentVolumeClaim).DeletionTimestamp != nil {
			return true, nil // real scheduler: "pod has unbound immediate PersistentVolumeClaims"
		}
	}
	node, why := daemonPodNode(p), "" // a DaemonSet pod's node affinity names its node (daemonset.go)
	if node == "" {
		node, why = k.pickNode(p)
	}
	if node == "" {
		pk := podKey(p)
		if k.lastFail[pk] != why {
			k.lastFail[pk] = why
			k.rec.Eventf(p, "default-scheduler", "", corev1.EventTypeWarning, "FailedScheduling", "%s", why)
		}
		return true, nil
	}
	delete(k.lastFail, podKey(p))
	// A Binding, as the real scheduler posts: the store sets spec.nodeName on the pod version
	// this read (uid and resourceVersion preconditions) without the update strategy.
	binding := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, UID: p.UID,
		ResourceVersion: p.ResourceVersion}, Spec: corev1.PodSpec{NodeName: node}}
	if _, err := k.env.Store.Update(podsRes, binding, store.UpdateOptions{Owned: true, Binding: true}); err != nil {
		if apierrors.IsConflict(err) {
			return true, nil
		}
		return false, err
	}
	// The event names the pod as the scheduler saw it (the resourceVersion before binding).
	k.rec.Eventf(p, "default-scheduler", "", corev1.EventTypeNormal, "Scheduled",
		"Successfully assigned %s/%s to %s", p.Namespace, p.Name, node)
	return false, nil
}

// pickNode is the scheduler's choice: the Ready, schedulable node with the fewest pods. When
// none fits, why is the scheduler's FailedScheduling message.
func (k *Kubelet) pickNode(pod *corev1.Pod) (node, why string) {
	nodes := k.env.Store.Select(nodesRes, store.Query{}) // read-only
	k.loadMu.Lock()
	load := make(map[string]int, len(k.load))
	for n, c := range k.load {
		load[n] = c
	}
	k.loadMu.Unlock()
	best, bestLoad := "", 0
	reasons := map[string]int{}
	affinity := nodeaffinity.GetRequiredNodeAffinity(pod)
	for _, o := range nodes { // sorted by name
		n := o.(*corev1.Node)
		if ok, _ := affinity.Match(n); !ok {
			reasons["node(s) didn't match Pod's node affinity/selector"]++
			continue
		}
		if why := untolerated(pod, n); why != "" {
			reasons[why]++
			continue
		}
		if k.hostPortTaken(pod, n.Name) {
			reasons[nodePortsReason]++
			continue
		}
		if best == "" || load[n.Name] < bestLoad {
			best, bestLoad = n.Name, load[n.Name]
		}
	}
	if best != "" {
		return best, ""
	}
	var parts []string
	for r, c := range reasons {
		parts = append(parts, fmt.Sprintf("%d %s", c, r))
	}
	sort.Strings(parts)
	total := len(nodes)
	msg := fmt.Sprintf("0/%d nodes are available", total)
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, ", ")
	}
	return "", msg + fmt.Sprintf(". preemption: 0/%d nodes are available: %d Preemption is not helpful for scheduling.", total, total)
}

// resync is the kubelet catching up after its node reconnects: it reports its pods' readiness
// again (the node controller had set Ready=False) and resumes their transitions.
func (k *Kubelet) resync(p *corev1.Pod) {
	if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
		now := metav1.NewTime(k.env.Store.Now())
		k.readiness(p, now)
		if _, err := k.env.Store.Update(podsRes, p, storeStatus); err != nil && !apierrors.IsConflict(err) {
			k.env.logf("kubelet: resync %s: %v", podKey(p), err)
		}
	}
	delete(k.pending, podKey(p))
	k.env.Queue.Add(Key{Controller: k.Name(), Namespace: p.Namespace, Name: p.Name})
}

// untolerated says why the scheduler's filters (NodeUnschedulable, TaintToleration) reject the
// node for pod, or "" when it fits. A NotReady node without taints yet counts as tainted
// not-ready, as the node lifecycle controller would taint it.
func untolerated(pod *corev1.Pod, n *corev1.Node) string {
	tolerates := func(t corev1.Taint) bool {
		return corev1helpers.TolerationsTolerateTaint(klog.Background(), pod.Spec.Tolerations, &t, false)
	}
	if n.Spec.Unschedulable && !tolerates(corev1.Taint{Key: TaintUnschedulable, Effect: corev1.TaintEffectNoSchedule}) {
		return "node(s) were unschedulable"
	}
	taints := n.Spec.Taints
	if !nodeReady(n) && len(taints) == 0 {
		taints = []corev1.Taint{{Key: "node.kubernetes.io/not-ready", Effect: corev1.TaintEffectNoSchedule}}
	}
	for _, t := range taints {
		if t.Effect != corev1.TaintEffectNoSchedule && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if t.Key == TaintUnschedulable {
			continue // counted above
		}
		if !tolerates(t) {
			return fmt.Sprintf("node(s) had untolerated taint {%s: %s}", t.Key, t.Value)
		}
	}
	return ""
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (k *Kubelet) hostIP(node string) string {
	var i int
	if _, err := fmt.Sscanf(node, "sim-node-%d", &i); err != nil {
		return "172.18.0.100"
	}
	return fmt.Sprintf("172.18.0.%d", i+1)
}

// podIP hands out a new address per pod incarnation from the node's 10.244.N.0/24.
func (k *Kubelet) podIP(node string) string {
	var i int
	if _, err := fmt.Sscanf(node, "sim-node-%d", &i); err != nil {
		i = 0
	}
	n := k.nextIP[node]%250 + 1
	k.nextIP[node] = n
	return fmt.Sprintf("10.244.%d.%d", i, n+1)
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
	// The kubelet reports conditions in this order.
	slices.SortStableFunc(p.Status.Conditions, func(a, b corev1.PodCondition) int {
		return condRank(a.Type) - condRank(b.Type)
	})
}

// condRank is a pod condition's place in the kubelet's order (unknown types first, as a map
// lookup's zero value placed them). A switch, not a map literal: setCond runs on every
// kubelet transition, and the map was built anew each time.
func condRank(t corev1.PodConditionType) int {
	switch t {
	case corev1.PodInitialized:
		return 1
	case corev1.PodReady:
		return 2
	case corev1.ContainersReady:
		return 3
	case corev1.PodScheduled:
		return 4
	case corev1.DisruptionTarget:
		return 5
	}
	return 0 // PodReadyToStartContainers, and types the kubelet does not order
}

func containerNames(cs []corev1.Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func sortStatuses(s []corev1.ContainerStatus) {
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
}

func waiting(c corev1.Container, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: c.Name, Image: c.Image, Started: ptrTo(false),
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

// firstStatus is the kubelet's first report: sandbox not ready, containers waiting.
func (k *Kubelet) firstStatus(p *corev1.Pod, now metav1.Time) {
	p.Status.Phase = corev1.PodPending
	p.Status.HostIP = k.hostIP(p.Spec.NodeName)
	p.Status.HostIPs = []corev1.HostIP{{IP: p.Status.HostIP}}
	p.Status.StartTime = &now
	if p.Status.QOSClass == "" {
		p.Status.QOSClass = corev1.PodQOSBestEffort
	}
	// Room for the five conditions a started pod reports, in one allocation: appended one by
	// one they reallocated the list three times per pod (1.4 KB of a pod's start).
	p.Status.Conditions = slices.Grow(p.Status.Conditions, 5)
	setCond(p, corev1.PodScheduled, corev1.ConditionTrue, "", "", now)
	setCond(p, corev1.PodReadyToStartContainers, corev1.ConditionFalse, "", "", now)
	names := fmt.Sprint(containerNames(p.Spec.Containers))
	setCond(p, corev1.PodReady, corev1.ConditionFalse, "ContainersNotReady", "containers with unready status: "+names, now)
	setCond(p, corev1.ContainersReady, corev1.ConditionFalse, "ContainersNotReady", "containers with unready status: "+names, now)
	reason := "ContainerCreating"
	p.Status.InitContainerStatuses = nil
	if len(p.Spec.InitContainers) > 0 {
		reason = "PodInitializing"
		setCond(p, corev1.PodInitialized, corev1.ConditionFalse, "ContainersNotInitialized",
			"containers with incomplete status: "+fmt.Sprint(containerNames(p.Spec.InitContainers)), now)
		for i, c := range p.Spec.InitContainers {
			s := waiting(c, "PodInitializing")
			if i == 0 {
				s = running(c, now, false)
				k.containerStarted(p, c)
			}
			// Init container statuses keep spec order.
			p.Status.InitContainerStatuses = append(p.Status.InitContainerStatuses, s)
		}
	} else {
		setCond(p, corev1.PodInitialized, corev1.ConditionTrue, "", "", now)
	}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, waiting(c, reason))
	}
	sortStatuses(p.Status.ContainerStatuses)
}

func running(c corev1.Container, now metav1.Time, ready bool) corev1.ContainerStatus {
	// A sidecar reports started only once the kubelet moves on past it (nextInit).
	sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
	return corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: imageID(c.Image),
		ContainerID: "containerd://" + fmt.Sprintf("%064x", uint64(now.UnixNano())^hashString(c.Name)),
		Started:     ptrTo(!sidecar), Ready: ready,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}}
}

func hashString(s string) uint64 {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func imageID(image string) string {
	return fmt.Sprintf("%s@sha256:%064x", image, hashString(image))
}

// sandboxUp gives the pod its IP once the sandbox is up (the second kubelet report).
func (k *Kubelet) sandboxUp(p *corev1.Pod, now metav1.Time) {
	if p.Status.PodIP == "" {
		p.Status.PodIP = k.podIP(p.Spec.NodeName)
		p.Status.PodIPs = []corev1.PodIP{{IP: p.Status.PodIP}}
	}
	setCond(p, corev1.PodReadyToStartContainers, corev1.ConditionTrue, "", "", now)
}

// nextInit finishes the running init container: its command runs through the Runner and the
// exit code decides between Completed (start the next one) and a failure the kubelet retries.
func (k *Kubelet) nextInit(p *corev1.Pod, now metav1.Time) {
	k.sandboxUp(p, now)
	for i := range p.Status.InitContainerStatuses {
		s := &p.Status.InitContainerStatuses[i]
		if s.State.Terminated != nil || (s.State.Running != nil && s.Started != nil && *s.Started && isSidecar(p, s.Name)) {
			continue
		}
		if s.State.Running == nil {
			// Waiting (PodInitializing): start it first; it runs for DelayInitContainer.
			*s = restarted(p.Spec.InitContainers[i], *s, now, false)
			k.containerStarted(p, p.Spec.InitContainers[i])
			return
		}
		if isSidecar(p, s.Name) {
			// The sidecar has started (its probes are not simulated): it is ready, and the next
			// init container starts now.
			s.Started, s.Ready = ptrTo(true), true
		} else if !k.finishInit(p, i, s, now) {
			return
		}
		if i+1 < len(p.Status.InitContainerStatuses) {
			next := p.Spec.InitContainers[i+1]
			p.Status.InitContainerStatuses[i+1] = restarted(next, p.Status.InitContainerStatuses[i+1], now, false)
			k.containerStarted(p, next)
		} else {
			setCond(p, corev1.PodInitialized, corev1.ConditionTrue, "", "", now)
		}
		return
	}
}

// finishInit runs init container i's command and records how it ended; false when it failed.
func (k *Kubelet) finishInit(p *corev1.Pod, i int, s *corev1.ContainerStatus, now metav1.Time) bool {
	started := s.State.Running.StartedAt
	code, msg := k.runInit(p, p.Spec.InitContainers[i])
	reason := "Completed"
	if code != 0 {
		reason = "Error"
		if msg != "" {
			reason = "StartError"
		}
	}
	*s = corev1.ContainerStatus{Name: s.Name, Image: s.Image, ImageID: imageID(s.Image), ContainerID: s.ContainerID,
		Started: ptrTo(false), Ready: code == 0, RestartCount: s.RestartCount, LastTerminationState: s.LastTerminationState,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: reason,
			Message: msg, StartedAt: started, FinishedAt: now, ContainerID: s.ContainerID}}}
	return code == 0
}

func (k *Kubelet) run(p *corev1.Pod, now metav1.Time) {
	k.sandboxUp(p, now)
	setCond(p, corev1.PodInitialized, corev1.ConditionTrue, "", "", now)
	p.Status.Phase = corev1.PodRunning
	old := map[string]corev1.ContainerStatus{}
	for _, s := range p.Status.ContainerStatuses {
		old[s.Name] = s
	}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		// No readiness probe: ready as soon as it runs (item 17); else the probe worker decides.
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, restarted(c, old[c.Name], now, c.ReadinessProbe == nil))
	}
	sortStatuses(p.Status.ContainerStatuses)
	k.readiness(p, now)
	for _, c := range p.Spec.Containers {
		k.containerStarted(p, c)
	}
}

// readiness sets ContainersReady and Ready from the container statuses.
func (k *Kubelet) readiness(p *corev1.Pod, now metav1.Time) {
	var unready []string
	for _, s := range p.Status.InitContainerStatuses {
		if isSidecar(p, s.Name) && !s.Ready {
			unready = append(unready, s.Name)
		}
	}
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

// kill stops the containers; since 1.27 the kubelet then reports a terminal phase (item 23).
func (k *Kubelet) kill(p *corev1.Pod, now metav1.Time) {
	k.stopProbes(p)
	for _, c := range p.Spec.Containers {
		for _, s := range p.Status.ContainerStatuses {
			if s.Name == c.Name && s.State.Running != nil {
				k.rec.Eventf(p, "kubelet", p.Spec.NodeName, corev1.EventTypeNormal, "Killing", "Stopping container %s", c.Name)
			}
		}
	}
	failed := false
	for i := range p.Status.ContainerStatuses {
		s := &p.Status.ContainerStatuses[i]
		term := &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", StartedAt: now, FinishedAt: now, ContainerID: s.ContainerID}
		switch {
		case s.State.Running != nil:
			term.StartedAt = s.State.Running.StartedAt
		case s.State.Terminated != nil:
			term = s.State.Terminated
		case s.LastTerminationState.Terminated != nil:
			// In back-off: the last run's end is the container's end.
			term = s.LastTerminationState.Terminated
		}
		if term.ExitCode != 0 {
			failed = true
		}
		*s = corev1.ContainerStatus{Name: s.Name, Image: s.Image, ImageID: s.ImageID, ContainerID: s.ContainerID,
			Started: ptrTo(false), Ready: false, RestartCount: s.RestartCount, LastTerminationState: s.LastTerminationState,
			State: corev1.ContainerState{Terminated: term}}
	}
	for i := range p.Status.InitContainerStatuses {
		s := &p.Status.InitContainerStatuses[i]
		if s.State.Running != nil { // sidecars stop after the main containers
			s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed",
				StartedAt: s.State.Running.StartedAt, FinishedAt: now, ContainerID: s.ContainerID}}
			s.Ready, s.Started = false, ptrTo(false)
		}
	}
	p.Status.Phase = corev1.PodSucceeded
	if failed {
		p.Status.Phase = corev1.PodFailed
	}
	setCond(p, corev1.PodReadyToStartContainers, corev1.ConditionFalse, "", "", now)
	setCond(p, corev1.ContainersReady, corev1.ConditionFalse, "PodCompleted", "", now)
	setCond(p, corev1.PodReady, corev1.ConditionFalse, "PodCompleted", "", now)
}
