package controller

import (
	"fmt"
	"slices"
	"testing"
)

// TestPodDeltaForgetsGrownMap: after a thousand pods changed at once, the next takes return only
// what changed since, and the thousand-slot map is not kept (walking and clearing it made every
// later sync cost the thousand slots).
func TestPodDeltaForgetsGrownMap(t *testing.T) {
	var d podDelta
	for i := 0; i < 1000; i++ {
		d.pod("default", fmt.Sprintf("web-%d", i))
	}
	d.pod("other", "db-0")
	names, full := d.take("default")
	if len(names) != 1000 || full || !slices.IsSorted(names) {
		t.Fatalf("first take: %d names (sorted %v), full %v; want 1000 sorted, not full", len(names), slices.IsSorted(names), full)
	}
	if m, ok := d.names["default"]; ok {
		t.Fatalf("the grown map is kept (%d entries); want it dropped", len(m))
	}
	d.pod("default", "web-7")
	d.pod("default", "web-3")
	if names, _ := d.take("default"); !slices.Equal(names, []string{"web-3", "web-7"}) {
		t.Fatalf("second take = %v, want [web-3 web-7]", names)
	}
	if _, ok := d.names["default"]; !ok {
		t.Fatal("a small map is dropped; want it kept for reuse")
	}
	if names, _ := d.take("default"); len(names) != 0 {
		t.Fatalf("third take = %v, want nothing", names)
	}
	if names, _ := d.take("other"); !slices.Equal(names, []string{"db-0"}) {
		t.Fatalf("other namespace = %v, want [db-0]", names)
	}
	d.all("default")
	d.pod("default", "web-1")
	if names, full := d.take("default"); !full || len(names) != 0 {
		t.Fatalf("after all: names %v full %v; want a full rebuild and no names", names, full)
	}
}
