package controller

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// NodeMonitorGracePeriod is kube-controller-manager's --node-monitor-grace-period (50s since
// 1.32): how long a node may stop posting status before its Ready condition becomes Unknown.
var NodeMonitorGracePeriod = 50 * time.Second

// Taints the node lifecycle controller manages.
const (
	TaintUnreachable   = "node.kubernetes.io/unreachable"
	TaintUnschedulable = "node.kubernetes.io/unschedulable"
)

// NodeLifecycleController is the node lifecycle controller plus the taint eviction controller:
// it taints cordoned nodes, marks a node whose kubelet went silent Unknown (NotReady) with the
// unreachable taints, marks its pods not ready, and deletes them once their toleration of
// the NoExecute taint runs out (300s from the DefaultTolerationSeconds admission).
type NodeLifecycleController struct {
	env     Env
	rec     *Recorder
	kubelet *Kubelet
	// evicting: pod uid -> the taint-eviction timer is armed (so recovery can cancel it).
	evicting map[types.UID]bool
}

// NewNodeLifecycleController makes the controller; it cuts and restores kubelets through k.
func NewNodeLifecycleController(env Env, rec *Recorder, k *Kubelet) *NodeLifecycleController {
	return &NodeLifecycleController{env: env, rec: rec, kubelet: k, evicting: map[types.UID]bool{}}
}

func (n *NodeLifecycleController) Name() string { return "nodelifecycle" }

func (n *NodeLifecycleController) Observe(ev store.Event) {
	if ev.Resource.Name == nodesRes.Name {
		n.env.Queue.Add(Key{Controller: n.Name(), Name: objMeta(ev.Object).GetName()})
	}
}

// Sync keeps the unschedulable taint in step with spec.unschedulable (kubectl cordon).
func (n *NodeLifecycleController) Sync(k Key) error {
	obj, err := n.env.Store.Get(nodesRes, "", k.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	node := obj.(*corev1.Node)
	has := hasTaint(node, TaintUnschedulable, corev1.TaintEffectNoSchedule)
	if node.Spec.Unschedulable == has {
		return nil
	}
	if node.Spec.Unschedulable {
		now := metav1.NewTime(n.env.Store.Now())
		node.Spec.Taints = append(node.Spec.Taints, corev1.Taint{Key: TaintUnschedulable, Effect: corev1.TaintEffectNoSchedule, TimeAdded: &now})
	} else {
		node.Spec.Taints = withoutTaint(node.Spec.Taints, TaintUnschedulable)
	}
	_, err = n.env.Store.Update(nodesRes, node, store.UpdateOptions{})
	if apierrors.IsConflict(err) {
		n.env.Queue.Add(k)
		return nil
	}
	return err
}

func hasTaint(node *corev1.Node, key string, effect corev1.TaintEffect) bool {
	for _, t := range node.Spec.Taints {
		if t.Key == key && t.Effect == effect {
			return true
		}
	}
	return false
}

func withoutTaint(ts []corev1.Taint, key string) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range ts {
		if t.Key != key {
			out = append(out, t)
		}
	}
	return out
}

// FailNode cuts the node's kubelet off from the API server, as pulling its network cable
// would: nothing changes until NodeMonitorGracePeriod has passed, then the node turns NotReady.
func (n *NodeLifecycleController) FailNode(name string) error {
	if _, err := n.env.Store.Get(nodesRes, "", name); err != nil {
		return err
	}
	if n.kubelet.down[name] {
		return nil
	}
	n.kubelet.down[name] = true
	n.kubelet.downSince[name]++
	gen := n.kubelet.downSince[name]
	n.env.Queue.After(NodeMonitorGracePeriod, func() {
		if n.kubelet.down[name] && n.kubelet.downSince[name] == gen {
			n.markUnknown(name)
		}
	})
	return nil
}

// markUnknown is what the node lifecycle controller does to a node that stopped posting status.
func (n *NodeLifecycleController) markUnknown(name string) {
	obj, err := n.env.Store.Get(nodesRes, "", name)
	if err != nil {
		return
	}
	node := obj.(*corev1.Node)
	now := metav1.NewTime(n.env.Store.Now())
	for i := range node.Status.Conditions {
		c := &node.Status.Conditions[i]
		c.Status, c.Reason, c.Message = corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
		c.LastTransitionTime = now
	}
	if _, err := n.env.Store.Update(nodesRes, node, store.UpdateOptions{Status: true}); err != nil {
		n.env.logf("nodelifecycle: %s: %v", name, err)
		return
	}
	n.rec.Eventf(node, "node-controller", "", corev1.EventTypeNormal, "NodeNotReady", "Node %s status is now: %s", name, "NodeNotReady")
	obj, err = n.env.Store.Get(nodesRes, "", name)
	if err != nil {
		return
	}
	node = obj.(*corev1.Node)
	node.Spec.Taints = withoutTaint(node.Spec.Taints, TaintUnreachable)
	node.Spec.Taints = append(node.Spec.Taints,
		corev1.Taint{Key: TaintUnreachable, Effect: corev1.TaintEffectNoSchedule, TimeAdded: &now},
		corev1.Taint{Key: TaintUnreachable, Effect: corev1.TaintEffectNoExecute, TimeAdded: &now})
	if _, err := n.env.Store.Update(nodesRes, node, store.UpdateOptions{}); err != nil {
		n.env.logf("nodelifecycle: taint %s: %v", name, err)
	}
	for _, p := range n.podsOn(name) {
		if podReady(p) {
			setCond(p, corev1.PodReady, corev1.ConditionFalse, "", "", now)
			if _, err := n.env.Store.Update(podsRes, p, store.UpdateOptions{Status: true}); err == nil {
				n.rec.Eventf(p, "node-controller", "", corev1.EventTypeWarning, "NodeNotReady", "Node is not ready")
			}
		}
		n.armEviction(p, name)
	}
}

func (n *NodeLifecycleController) podsOn(node string) []*corev1.Pod {
	// From the store's node index; copied, since the caller writes them.
	objs := n.env.Store.Select(podsRes, store.Query{NodeSet: true, Node: node})
	var out []*corev1.Pod
	for _, o := range objs {
		out = append(out, o.(*corev1.Pod).DeepCopy())
	}
	return out
}

// armEviction schedules the taint eviction of one pod: at once without a matching toleration,
// never with one that has no tolerationSeconds, else after tolerationSeconds.
func (n *NodeLifecycleController) armEviction(p *corev1.Pod, node string) {
	if p.DeletionTimestamp != nil {
		return
	}
	var wait time.Duration
	tolerated := false
	for _, t := range p.Spec.Tolerations {
		if t.Effect != "" && t.Effect != corev1.TaintEffectNoExecute {
			continue
		}
		if !(t.Key == TaintUnreachable || (t.Key == "" && t.Operator == corev1.TolerationOpExists)) {
			continue
		}
		if t.TolerationSeconds == nil {
			return // tolerates it forever
		}
		d := time.Duration(*t.TolerationSeconds) * time.Second
		if !tolerated || d < wait {
			wait = d
		}
		tolerated = true
	}
	uid := p.UID
	n.evicting[uid] = true
	ns, name := p.Namespace, p.Name
	n.env.Queue.After(wait, func() {
		if !n.evicting[uid] {
			return // the taint went away first
		}
		delete(n.evicting, uid)
		n.evict(ns, name, uid, node)
	})
}

func (n *NodeLifecycleController) evict(ns, name string, uid types.UID, node string) {
	obj, err := n.env.Store.Get(podsRes, ns, name)
	if err != nil {
		return
	}
	p := obj.(*corev1.Pod)
	if p.UID != uid || p.DeletionTimestamp != nil || p.Spec.NodeName != node {
		return
	}
	nobj, err := n.env.Store.Get(nodesRes, "", node)
	if err != nil || !hasTaint(nobj.(*corev1.Node), TaintUnreachable, corev1.TaintEffectNoExecute) {
		return
	}
	n.rec.Eventf(p, "taint-eviction-controller", "", corev1.EventTypeNormal, "TaintManagerEviction",
		"Marking for deletion Pod %s/%s", ns, name)
	now := metav1.NewTime(n.env.Store.Now())
	setCond(p, corev1.DisruptionTarget, corev1.ConditionTrue, "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint", now)
	if _, err := n.env.Store.Update(podsRes, p, store.UpdateOptions{Status: true}); err != nil && !apierrors.IsConflict(err) {
		n.env.logf("nodelifecycle: evict %s/%s: %v", ns, name, err)
	}
	if _, err := n.env.Store.Delete(podsRes, ns, name, store.DeleteOptions{PreconditionUID: &uid, Owned: true}); err != nil && !apierrors.IsNotFound(err) {
		n.env.logf("nodelifecycle: evict %s/%s: %v", ns, name, err)
	}
}

// RecoverNode reconnects the node: its kubelet posts Ready again, the taints go, pending
// evictions are cancelled, and the kubelet catches up with what happened meanwhile (pods
// deleted while it was away finish terminating).
func (n *NodeLifecycleController) RecoverNode(name string) error {
	obj, err := n.env.Store.Get(nodesRes, "", name)
	if err != nil {
		return err
	}
	if !n.kubelet.down[name] {
		return nil
	}
	delete(n.kubelet.down, name)
	n.kubelet.renewLease(name)
	node := obj.(*corev1.Node)
	now := metav1.NewTime(n.env.Store.Now())
	if !nodeReady(node) {
		for i := range node.Status.Conditions {
			c := &node.Status.Conditions[i]
			c.LastTransitionTime, c.LastHeartbeatTime = now, now
			c.Status = corev1.ConditionFalse
			switch c.Type {
			case corev1.NodeReady:
				c.Status, c.Reason, c.Message = corev1.ConditionTrue, "KubeletReady", "kubelet is posting ready status"
			case corev1.NodeMemoryPressure:
				c.Reason, c.Message = "KubeletHasSufficientMemory", "kubelet has sufficient memory available"
			case corev1.NodeDiskPressure:
				c.Reason, c.Message = "KubeletHasNoDiskPressure", "kubelet has no disk pressure"
			case corev1.NodePIDPressure:
				c.Reason, c.Message = "KubeletHasSufficientPID", "kubelet has sufficient PID available"
			}
		}
		if _, err := n.env.Store.Update(nodesRes, node, store.UpdateOptions{Status: true}); err != nil {
			return fmt.Errorf("node %s: %w", name, err)
		}
		n.rec.Eventf(node, "node-controller", "", corev1.EventTypeNormal, "NodeReady", "Node %s status is now: %s", name, "NodeReady")
		if obj, err = n.env.Store.Get(nodesRes, "", name); err == nil {
			node = obj.(*corev1.Node)
			node.Spec.Taints = withoutTaint(node.Spec.Taints, TaintUnreachable)
			if _, err := n.env.Store.Update(nodesRes, node, store.UpdateOptions{}); err != nil {
				return fmt.Errorf("node %s: %w", name, err)
			}
		}
	}
	for _, p := range n.podsOn(name) {
		if n.evicting[p.UID] {
			delete(n.evicting, p.UID)
			n.rec.Eventf(p, "taint-eviction-controller", "", corev1.EventTypeNormal, "TaintManagerEviction",
				"Cancelling deletion of Pod %s/%s", p.Namespace, p.Name)
		}
		n.kubelet.resync(p)
	}
	return nil
}
