package controller

import (
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var leaseRes = store.MustLookup("leases")

// Node leases (kube-node-lease/<node>) are the kubelet's heartbeat, shown by `kubectl describe
// node`. A real kubelet renews every 10s; the simulator renews when the kubelet is active (a
// status write for a pod of the node) and at most every leaseRenew, so an idle cluster makes
// no writes, and a failed node's lease visibly goes stale.
const (
	leaseNamespace = "kube-node-lease"
	leaseDuration  = 40
	leaseRenew     = 10 * time.Second
)

func (k *Kubelet) createLease(node *corev1.Node) error {
	now := metav1.NewMicroTime(k.env.Store.Now())
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: node.Name, Namespace: leaseNamespace,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID}}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptrTo(node.Name), LeaseDurationSeconds: ptrTo(int32(leaseDuration)), RenewTime: &now},
	}
	if _, err := k.env.Store.Create(leaseRes, lease); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// renewLease is the kubelet's heartbeat for node, skipped while the node is cut off.
func (k *Kubelet) renewLease(node string) {
	if node == "" || k.down[node] {
		return
	}
	// Read the stored lease in place: most calls (every pod transition) find it renewed
	// recently; only a renewal needs a copy to write.
	obj, ok := k.env.Store.Peek(leaseRes, leaseNamespace, node)
	if !ok {
		return
	}
	now := k.env.Store.Now()
	if rt := obj.(*coordinationv1.Lease).Spec.RenewTime; rt != nil && now.Sub(rt.Time) < leaseRenew {
		return
	}
	l := obj.(*coordinationv1.Lease).DeepCopy()
	t := metav1.NewMicroTime(now)
	l.Spec.RenewTime = &t
	if _, err := k.env.Store.Update(leaseRes, l, store.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
		k.env.logf("kubelet: lease %s: %v", node, err)
	}
}
