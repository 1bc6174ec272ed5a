package sim

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/controller"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var nodesR = store.MustLookup("nodes")

func getNode(t *testing.T, s *Sim, name string) *corev1.Node {
	t.Helper()
	o, err := s.Store().Get(nodesR, "", name)
	if err != nil {
		t.Fatal(err)
	}
	return o.(*corev1.Node)
}

func nodeReadyStatus(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return ""
}

func setUnschedulable(t *testing.T, s *Sim, name string, v bool) {
	t.Helper()
	n := getNode(t, s, name)
	n.Spec.Unschedulable = v
	if _, err := s.Store().Update(nodesR, n, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
}

// Item 101: the scheduler spreads pods over the Ready nodes (NODE in -o wide).
func TestItem101_PodsSpreadAcrossNodes(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	seen := map[string]bool{}
	for _, p := range pods(s, "app=nginx") {
		seen[p.Spec.NodeName] = true
	}
	if len(seen) != 3 {
		t.Errorf("pods on %d nodes, want 3: %v", len(seen), seen)
	}
}

// Item 101: a cordoned node gets the unschedulable taint and no new pods; with every node
// cordoned the pod stays Pending with the scheduler's FailedScheduling message.
func TestItem101_CordonedNodesAreSkipped(t *testing.T) {
	s := newSim(t)
	n1, n2, n3 := controller.NodeName(1), controller.NodeName(2), controller.NodeName(3)
	setUnschedulable(t, s, n1, true)
	n := getNode(t, s, n1)
	if len(n.Spec.Taints) != 1 || n.Spec.Taints[0].Key != "node.kubernetes.io/unschedulable" || n.Spec.Taints[0].Effect != corev1.TaintEffectNoSchedule {
		t.Errorf("taints %v", n.Spec.Taints)
	}
	startWeb(t, s, webSet(2))
	for _, p := range pods(s, "app=nginx") {
		if p.Spec.NodeName == n1 {
			t.Errorf("%s scheduled on cordoned %s", p.Name, n1)
		}
	}
	setUnschedulable(t, s, n2, true)
	setUnschedulable(t, s, n3, true)
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(3)) })
	s.Advance(10 * time.Second)
	p := getPod(s, "web-2")
	if p == nil || p.Spec.NodeName != "" {
		t.Fatalf("web-2 %v", p)
	}
	want := "FailedScheduling: 0/3 nodes are available: 3 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
	if !hasEvent(s, "web-2", want) {
		t.Errorf("events %v, want %q", podEvents(s, "web-2"), want)
	}
	setUnschedulable(t, s, n1, false)
	if len(getNode(t, s, n1).Spec.Taints) != 0 {
		t.Errorf("uncordon left taints %v", getNode(t, s, n1).Spec.Taints)
	}
	if !s.RunUntil(runningReady(s, "web-0", "web-1", "web-2"), time.Minute) {
		t.Fatal("web-2 not scheduled after uncordon")
	}
	if getPod(s, "web-2").Spec.NodeName != n1 {
		t.Errorf("web-2 on %s", getPod(s, "web-2").Spec.NodeName)
	}
}

// Node failure (Kubernetes in Action, seeds/004): the node turns NotReady only after the
// node-monitor grace period (50s); its pods go Ready=False (0/1 Running) and leave the
// endpoints; after the 300s unreachable toleration they are deleted but stay Terminating,
// since no kubelet confirms; a normal delete changes nothing; a force delete removes the pod
// and the StatefulSet recreates it on a Ready node. [inferred] On current servers the row
// reads Terminating: the taint eviction no longer sets reason NodeLost (which printed Unknown
// in the book's 1.6-era output).
func TestNodeFailure_PodsStuckTerminatingUntilForceDeleted(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	r := recordRows(s)
	node := getPod(s, "web-0").Spec.NodeName
	oldUID := getPod(s, "web-0").UID
	if err := s.FailNode(node); err != nil {
		t.Fatal(err)
	}
	if err := s.FailNode("no-such-node"); err == nil {
		t.Error("FailNode of an unknown node: no error")
	}
	s.Advance(49 * time.Second)
	if nodeReadyStatus(getNode(t, s, node)) != corev1.ConditionTrue {
		t.Fatal("node NotReady before the grace period")
	}
	s.Advance(time.Second)
	n := getNode(t, s, node)
	if nodeReadyStatus(n) != corev1.ConditionUnknown {
		t.Fatalf("node Ready=%s after 50s", nodeReadyStatus(n))
	}
	if !hasTaintT(n, "node.kubernetes.io/unreachable", corev1.TaintEffectNoExecute) {
		t.Errorf("taints %v", n.Spec.Taints)
	}
	// The container statuses are the kubelet's last report, so READY still reads 1/1 (the
	// book's "kubia-0 1/1 Unknown"); only the pod's Ready condition turns False.
	if ready, st := podColumns(getPod(s, "web-0")); ready != "1/1" || st != "Running" {
		t.Errorf("web-0 %s %s, want 1/1 Running", ready, st)
	}
	if podReadyCond(getPod(s, "web-0")) != corev1.ConditionFalse {
		t.Error("web-0 Ready condition not False")
	}
	if !hasEvent(s, "web-0", "NodeNotReady: Node is not ready") || !hasEvent(s, node, "NodeNotReady: Node "+node+" status is now: NodeNotReady") {
		t.Errorf("events %v / %v", podEvents(s, "web-0"), podEvents(s, node))
	}
	o, _ := s.Store().Get(epR, "default", "nginx")
	if strings.Contains(endpointIPs(o.(*corev1.Endpoints)), getPod(s, "web-0").Status.PodIP) {
		t.Error("web-0 still a ready endpoint")
	}
	s.Advance(299 * time.Second)
	if getPod(s, "web-0").DeletionTimestamp != nil {
		t.Fatal("evicted before the 300s toleration")
	}
	s.Advance(time.Second)
	p := getPod(s, "web-0")
	if p == nil || p.DeletionTimestamp == nil {
		t.Fatalf("web-0 not deleted after 300s: %v", p)
	}
	if !hasEvent(s, "web-0", "TaintManagerEviction: Marking for deletion Pod default/web-0") {
		t.Errorf("events %v", podEvents(s, "web-0"))
	}
	s.Advance(10 * time.Minute)
	p = getPod(s, "web-0")
	if p == nil || p.UID != oldUID {
		t.Fatal("web-0 went away without its kubelet")
	}
	if _, st := podColumns(p); st != "Terminating" {
		t.Errorf("STATUS %q, want Terminating", st)
	}
	// A graceful delete waits for the kubelet too.
	if res, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{}); err != nil || res.Gone {
		t.Fatalf("graceful delete: %v gone=%v", err, res.Gone)
	}
	s.Advance(5 * time.Minute)
	if p := getPod(s, "web-0"); p == nil || p.UID != oldUID {
		t.Fatal("graceful delete removed the pod")
	}
	zero := int64(0)
	if res, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{GracePeriodSeconds: &zero}); err != nil || !res.Gone {
		t.Fatalf("force delete: %v", err)
	}
	if !s.RunUntil(func() bool {
		p := getPod(s, "web-0")
		return p != nil && p.UID != oldUID && runningReady(s, "web-0", "web-1")()
	}, time.Minute) {
		t.Fatalf("web-0 not recreated: %v", r.statuses("web-0"))
	}
	if got := getPod(s, "web-0").Spec.NodeName; got == node {
		t.Errorf("web-0 recreated on the failed node %s", node)
	}
	if err := s.RecoverNode(node); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	n = getNode(t, s, node)
	if nodeReadyStatus(n) != corev1.ConditionTrue || hasTaintT(n, "node.kubernetes.io/unreachable", corev1.TaintEffectNoExecute) {
		t.Errorf("recovered node: ready=%s taints=%v", nodeReadyStatus(n), n.Spec.Taints)
	}
}

// A node that comes back before the toleration runs out keeps its pods: they turn Ready again
// and the pending eviction is cancelled.
func TestNodeFailure_RecoveryCancelsEviction(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	node := getPod(s, "web-0").Spec.NodeName
	uid := getPod(s, "web-0").UID
	if err := s.FailNode(node); err != nil {
		t.Fatal(err)
	}
	s.Advance(2 * time.Minute)
	if c := podReadyCond(getPod(s, "web-0")); c != corev1.ConditionFalse {
		t.Fatalf("web-0 Ready=%s", c)
	}
	if err := s.RecoverNode(node); err != nil {
		t.Fatal(err)
	}
	s.Advance(10 * time.Minute)
	p := getPod(s, "web-0")
	if p.UID != uid || p.DeletionTimestamp != nil {
		t.Fatal("web-0 evicted after recovery")
	}
	if podReadyCond(p) != corev1.ConditionTrue {
		t.Errorf("web-0 Ready=%s after recovery", podReadyCond(p))
	}
	if !hasEvent(s, "web-0", "TaintManagerEviction: Cancelling deletion of Pod default/web-0") {
		t.Errorf("events %v", podEvents(s, "web-0"))
	}
}

// A pod deleted while its node is away finishes terminating once the node is back.
func TestNodeFailure_DeleteCompletesAfterRecovery(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	node := getPod(s, "web-0").Spec.NodeName
	uid := getPod(s, "web-0").UID
	if err := s.FailNode(node); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	if p := getPod(s, "web-0"); p == nil || p.UID != uid {
		t.Fatal("pod gone while its kubelet was cut off")
	}
	if err := s.RecoverNode(node); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool { p := getPod(s, "web-0"); return p != nil && p.UID != uid }, time.Minute) {
		t.Fatal("web-0 not replaced after recovery")
	}
}

func hasTaintT(n *corev1.Node, key string, effect corev1.TaintEffect) bool {
	for _, t := range n.Spec.Taints {
		if t.Key == key && t.Effect == effect {
			return true
		}
	}
	return false
}

func endpointIPs(ep *corev1.Endpoints) string {
	var ips []string
	for _, s := range ep.Subsets {
		for _, a := range s.Addresses {
			ips = append(ips, a.IP)
		}
	}
	return strings.Join(ips, ",")
}

func podReadyCond(p *corev1.Pod) corev1.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status
		}
	}
	return ""
}

// Node-failure delays follow the simulator's speed: at speed 2 the 50s grace period takes 25s.
func TestNodeFailure_DelaysScaleWithSpeed(t *testing.T) {
	s := newSim(t)
	s.SetSpeed(2)
	node := controller.NodeName(2)
	if err := s.FailNode(node); err != nil {
		t.Fatal(err)
	}
	s.Advance(24 * time.Second)
	if nodeReadyStatus(getNode(t, s, node)) != corev1.ConditionTrue {
		t.Fatal("NotReady too early")
	}
	s.Advance(time.Second)
	if nodeReadyStatus(getNode(t, s, node)) != corev1.ConditionUnknown {
		t.Fatal("still Ready after 25s at speed 2")
	}
}

// The scheduler honours nodeSelector / required node affinity and tolerations (what DaemonSet
// pods rely on): a pod pinned to a node lands there, one tolerating the unschedulable taint may
// land on a cordoned node, and a pod no node fits gets the scheduler's message.
func TestSchedulerNodeSelectorAndTolerations(t *testing.T) {
	s := newSim(t)
	n2 := controller.NodeName(2)
	mk := func(name string, fn func(*corev1.Pod)) {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}}}
		fn(p)
		create(t, s, podsR, p)
	}
	mk("pinned", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": n2} })
	s.Advance(time.Second) // bound before the cordon
	setUnschedulable(t, s, n2, true)
	mk("tolerant", func(p *corev1.Pod) {
		p.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": n2}
		p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "node.kubernetes.io/unschedulable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	})
	mk("nowhere", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disktype": "ssd"} })
	s.Advance(10 * time.Second)
	if got := getPod(s, "pinned").Spec.NodeName; got != n2 {
		t.Errorf("pinned on %q", got)
	}
	if got := getPod(s, "tolerant").Spec.NodeName; got != n2 {
		t.Errorf("tolerant on %q", got)
	}
	if got := getPod(s, "nowhere").Spec.NodeName; got != "" {
		t.Errorf("nowhere on %q", got)
	}
	want := "FailedScheduling: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
	if !hasEvent(s, "nowhere", want) {
		t.Errorf("events %v", podEvents(s, "nowhere"))
	}
}
