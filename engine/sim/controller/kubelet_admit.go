package controller

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// The kubelet's admission: before starting a pod bound to its node it runs the scheduler's
// general predicates again, because a pod can reach the node without the scheduler (its
// spec.nodeName set by the author). A pod asking for a host port already taken there is
// rejected: phase Failed with the predicate's reason, which a controller (the StatefulSet's)
// answers by deleting and recreating the pod.

const (
	nodePortsPredicate = "NodePorts"
	nodePortsReason    = "node(s) didn't have free ports for the requested pod ports"
)

// hostPortTaken says whether a pod already admitted on node uses one of p's host ports.
func (k *Kubelet) hostPortTaken(p *corev1.Pod, node string) bool {
	want := hostPorts(p)
	if len(want) == 0 {
		return false
	}
	// Only the node's pods, read-only from the store's node index.
	objs := k.env.Store.Select(podsRes, store.Query{NodeSet: true, Node: node})
	for _, o := range objs {
		q := o.(*corev1.Pod)
		if q.UID == p.UID || q.Spec.NodeName != node || q.Status.Phase == corev1.PodSucceeded || q.Status.Phase == corev1.PodFailed {
			continue
		}
		// Only pods the node has admitted hold their ports (and a pod still waiting for the
		// scheduler holds none).
		if len(q.Status.ContainerStatuses) == 0 && q.Status.Phase != corev1.PodRunning {
			continue
		}
		for _, a := range hostPorts(q) {
			for _, b := range want {
				if a.HostPort == b.HostPort && a.Protocol == b.Protocol && ipsOverlap(a.HostIP, b.HostIP) {
					return true
				}
			}
		}
	}
	return false
}

func hostPorts(p *corev1.Pod) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for _, c := range cs {
			for _, port := range c.Ports {
				if port.HostPort > 0 {
					if port.Protocol == "" {
						port.Protocol = corev1.ProtocolTCP
					}
					out = append(out, port)
				}
			}
		}
	}
	return out
}

func ipsOverlap(a, b string) bool {
	wild := func(ip string) bool { return ip == "" || ip == "0.0.0.0" || ip == "::" }
	return wild(a) || wild(b) || a == b
}

// reject is the kubelet's rejectPod: a Warning event and a Failed status carrying only the
// reason and message (no container ever started).
func (k *Kubelet) reject(p *corev1.Pod, reason, message string) {
	k.rec.Eventf(p, "kubelet", p.Spec.NodeName, corev1.EventTypeWarning, reason, "%s", message)
	qos := p.Status.QOSClass
	if qos == "" {
		qos = corev1.PodQOSBestEffort
	}
	p.Status = corev1.PodStatus{Phase: corev1.PodFailed, Reason: reason, Message: "Pod was rejected: " + message, QOSClass: qos}
}

// admit runs the kubelet's admission for a pod about to start; false when it was rejected
// (p's status is then the rejection to write).
func (k *Kubelet) admit(p *corev1.Pod) bool {
	if k.hostPortTaken(p, p.Spec.NodeName) {
		k.reject(p, nodePortsPredicate, "Predicate "+nodePortsPredicate+" failed: "+nodePortsReason)
		return false
	}
	return true
}
