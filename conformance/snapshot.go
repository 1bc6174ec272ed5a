package conformance

import (
	"context"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine"
)

// Snapshot describes the lesson's objects in a session's namespace as sorted lines of
// "kind/name field=value", leaving out what always differs between clusters (uids,
// timestamps, resourceVersions, IPs, generated volume names). Two clusters that behaved the
// same give equal snapshots.
func Snapshot(ctx context.Context, s *engine.Session) ([]string, error) {
	ns := s.Namespace()
	k := s.Kube()
	var out []string
	add := func(kind, name, field string, v any) {
		out = append(out, fmt.Sprintf("%s/%s %s=%v", kind, name, field, v))
	}
	owners := func(refs []metav1.OwnerReference) string {
		var o []string
		for _, r := range refs {
			o = append(o, fmt.Sprintf("%s/%s(controller=%v,blockOwnerDeletion=%v)", r.Kind, r.Name, deref(r.Controller), deref(r.BlockOwnerDeletion)))
		}
		return strings.Join(o, ",")
	}
	labels := func(m map[string]string) string {
		var o []string
		for _, key := range sortedKeys(m) {
			o = append(o, key+"="+m[key])
		}
		return strings.Join(o, ",")
	}

	pods, err := k.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, p := range pods.Items {
		add("pod", p.Name, "labels", labels(p.Labels))
		add("pod", p.Name, "ownerReferences", owners(p.OwnerReferences))
		add("pod", p.Name, "phase", p.Status.Phase)
		add("pod", p.Name, "ready", podReady(&p))
		add("pod", p.Name, "hostname", p.Spec.Hostname)
		add("pod", p.Name, "subdomain", p.Spec.Subdomain)
		add("pod", p.Name, "image", p.Spec.Containers[0].Image)
		var claims []string
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				claims = append(claims, v.Name+":"+v.PersistentVolumeClaim.ClaimName)
			}
		}
		add("pod", p.Name, "claims", strings.Join(claims, ","))
		add("pod", p.Name, "finalizers", strings.Join(p.Finalizers, ","))
	}
	pvcs, err := k.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, c := range pvcs.Items {
		add("pvc", c.Name, "labels", labels(c.Labels))
		add("pvc", c.Name, "ownerReferences", owners(c.OwnerReferences))
		add("pvc", c.Name, "phase", c.Status.Phase)
		add("pvc", c.Name, "storageClassName", deref(c.Spec.StorageClassName))
		q := c.Status.Capacity.Storage()
		add("pvc", c.Name, "capacity", q.String())
		add("pvc", c.Name, "finalizers", strings.Join(c.Finalizers, ","))
		add("pvc", c.Name, "accessModes", fmt.Sprint(c.Status.AccessModes))
	}
	sets, err := k.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, st := range sets.Items {
		ss := st.Status
		add("sts", st.Name, "generation", st.Generation)
		add("sts", st.Name, "observedGeneration", ss.ObservedGeneration)
		add("sts", st.Name, "replicas", ss.Replicas)
		add("sts", st.Name, "readyReplicas", ss.ReadyReplicas)
		add("sts", st.Name, "currentReplicas", ss.CurrentReplicas)
		add("sts", st.Name, "updatedReplicas", ss.UpdatedReplicas)
		add("sts", st.Name, "availableReplicas", ss.AvailableReplicas)
		add("sts", st.Name, "currentRevision==updateRevision", ss.CurrentRevision == ss.UpdateRevision)
		add("sts", st.Name, "collisionCount", deref(ss.CollisionCount))
		add("sts", st.Name, "updateStrategy", fmt.Sprintf("%s partition=%v", st.Spec.UpdateStrategy.Type,
			func() any {
				if st.Spec.UpdateStrategy.RollingUpdate == nil {
					return "<nil>"
				}
				return deref(st.Spec.UpdateStrategy.RollingUpdate.Partition)
			}()))
		add("sts", st.Name, "podManagementPolicy", st.Spec.PodManagementPolicy)
		pol := st.Spec.PersistentVolumeClaimRetentionPolicy
		if pol != nil {
			add("sts", st.Name, "pvcRetention", fmt.Sprintf("%s/%s", pol.WhenDeleted, pol.WhenScaled))
		}
		add("sts", st.Name, "finalizers", strings.Join(st.Finalizers, ","))
	}
	revs, err := k.AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var revNums []string
	for _, r := range revs.Items {
		revNums = append(revNums, fmt.Sprintf("%d(owner=%s)", r.Revision, owners(r.OwnerReferences)))
	}
	sort.Strings(revNums)
	add("controllerrevisions", "*", "count", len(revs.Items))
	add("controllerrevisions", "*", "revisions", strings.Join(revNums, " "))
	svcs, err := k.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, sv := range svcs.Items {
		add("svc", sv.Name, "clusterIP", sv.Spec.ClusterIP)
	}
	sort.Strings(out)
	return out, nil
}

func deref[T any](p *T) any {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// DiffLines returns lines only in a ("- ") and only in b ("+ "), sorted.
func DiffLines(a, b []string) []string {
	in := func(xs []string) map[string]int {
		m := map[string]int{}
		for _, x := range xs {
			m[x]++
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, x := range sortedKeys(ma) {
		if ma[x] > mb[x] {
			out = append(out, "- "+x)
		}
	}
	for _, x := range sortedKeys(mb) {
		if mb[x] > ma[x] {
			out = append(out, "+ "+x)
		}
	}
	return out
}
