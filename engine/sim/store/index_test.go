package store

import (
	"fmt"
	"math/rand"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// The indexes answer every query as a full List filtered by hand would, in the same order,
// through random creates, owner/node/claim/label changes and deletes.
func TestSelectMatchesListThroughRandomWrites(t *testing.T) {
	st := benchStore(t)
	for _, ns := range []string{"a", "b"} {
		if _, err := st.Create(MustLookup("namespaces"), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewSource(3))
	owners := []types.UID{"u1", "u2", "u3"}
	nodes := []string{"", "n1", "n2"}
	pods := MustLookup("pods")
	mutate := func(p *corev1.Pod) {
		p.OwnerReferences = nil
		if k := r.Intn(4); k < 3 {
			p.OwnerReferences = []metav1.OwnerReference{{Kind: "X", Name: "x", UID: owners[k], Controller: ptrBool(r.Intn(2) == 0)}}
		}
		p.Spec.NodeName = nodes[r.Intn(3)]
		p.Spec.Volumes = nil
		if r.Intn(2) == 0 {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: fmt.Sprint("c", r.Intn(3))}}}}
		}
		p.Labels = map[string]string{"app": fmt.Sprint("x", r.Intn(2))}
	}
	for i := 0; i < 600; i++ {
		ns := []string{"a", "b", "default"}[r.Intn(3)]
		name := fmt.Sprint("p", r.Intn(40))
		switch o, err := st.Get(pods, ns, name); {
		case err != nil:
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
			mutate(p)
			if _, err := st.Create(pods, p); err != nil {
				t.Fatal(err)
			}
		case r.Intn(4) == 0:
			if _, err := st.Delete(pods, ns, name, DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		default:
			p := o.(*corev1.Pod)
			mutate(p)
			if _, err := st.Update(pods, p, UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if i%20 != 0 {
			continue
		}
		sel, _ := labels.Parse("app=x1")
		for _, q := range []Query{{}, {Namespace: "a"}, {Owner: "u1"}, {Namespace: "b", Owner: "u2"}, {Orphans: true},
			{Namespace: "default", Orphans: true, Labels: sel}, {NodeSet: true}, {NodeSet: true, Node: "n1", Namespace: "a"},
			{Namespace: "a", Claim: "c1"}, {Owner: "u3", NodeSet: true, Node: "n2"}} {
			want := bruteForce(st, pods, q)
			got := names(st.Select(pods, q))
			if got != want {
				t.Fatalf("step %d, query %+v:\n got %s\nwant %s", i, q, got, want)
			}
			if n := st.Count(pods, q); fmt.Sprint(n) != fmt.Sprint(len(st.Select(pods, q))) {
				t.Fatalf("Count %d for %+v", n, q)
			}
		}
	}
}

func ptrBool(b bool) *bool { return &b }

func names(objs []runtime.Object) string {
	s := ""
	for _, o := range objs {
		p := o.(*corev1.Pod)
		s += p.Namespace + "/" + p.Name + " "
	}
	return s
}

func bruteForce(st *Store, res Resource, q Query) string {
	all, _ := st.List(res, q.Namespace, q.Labels, nil)
	var out []runtime.Object
	for _, o := range all {
		p := o.(*corev1.Pod)
		ctl := false
		owned := false
		for _, r := range p.OwnerReferences {
			if r.Controller != nil && *r.Controller {
				ctl = true
			}
			if r.UID == q.Owner {
				owned = true
			}
		}
		if q.Owner != "" && !owned || q.Orphans && ctl || q.NodeSet && p.Spec.NodeName != q.Node {
			continue
		}
		if q.Claim != "" {
			has := false
			for _, v := range p.Spec.Volumes {
				if v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == q.Claim {
					has = true
				}
			}
			if !has {
				continue
			}
		}
		out = append(out, o)
	}
	return names(out)
}
