package controller

import (
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A view's holes keep their names in place for find, and members squeezes them out: the
// members left, in name order, with their own facts, and no departed pod held after.
func TestStsViewHoles(t *testing.T) {
	v := &stsView{}
	var names []string
	for i := range 200 {
		names = append(names, fmt.Sprintf("web-%d", i))
	}
	slices.Sort(names)
	for i, n := range names {
		v.pods = append(v.pods, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: n}})
		v.facts = append(v.facts, &podFacts{ord: i})
	}
	gone := map[string]bool{}
	for i := 0; i < len(names); i += 3 {
		v.facts[i] = nil
		v.holes++
		gone[names[i]] = true
	}
	for _, n := range names {
		if i, found := v.find(n); !found || v.pods[i].Name != n {
			t.Fatalf("find(%s) = %d, %v", n, i, found)
		}
	}
	if got, want := v.size(), len(names)-len(gone); got != want {
		t.Fatalf("size %d, want %d", got, want)
	}
	all := v.pods[:cap(v.pods)]
	pods, facts := v.members()
	if v.holes != 0 || len(pods) != len(names)-len(gone) || len(facts) != len(pods) {
		t.Fatalf("members: %d pods, %d facts, %d holes", len(pods), len(facts), v.holes)
	}
	j := 0
	for i, n := range names {
		if gone[n] {
			continue
		}
		if pods[j].Name != n || facts[j] == nil || facts[j].ord != i {
			t.Fatalf("member %d is %s (facts %v), want %s", j, pods[j].Name, facts[j], n)
		}
		j++
	}
	for _, p := range all[len(pods):] {
		if p != nil {
			t.Fatalf("%s still held past the members", p.Name)
		}
	}
}
