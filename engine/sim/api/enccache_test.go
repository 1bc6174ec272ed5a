package api

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// storedLike builds an object of res as the store holds it: kind stamped, a
// resourceVersion, and strings that encoding/json escapes (<, &, U+2028).
func storedLike(t *testing.T, res store.Resource, i int) runtime.Object {
	t.Helper()
	obj := res.New()
	m, err := meta.Accessor(obj)
	if err != nil {
		t.Fatal(err)
	}
	m.SetName("obj-" + strconv.Itoa(i))
	if res.Namespaced {
		m.SetNamespace("default")
	}
	m.SetResourceVersion(strconv.Itoa(100 + i))
	m.SetLabels(map[string]string{"app": "web", "i": strconv.Itoa(i)})
	m.SetAnnotations(map[string]string{"note": "<b>a & b</b>\u2028é"})
	if p, ok := obj.(*corev1.Pod); ok {
		p.Spec.Containers = []corev1.Container{{Name: "c", Image: "nginx", Command: []string{"sh", "-c", "echo '<x>' && true"}}}
		p.Status.Phase = corev1.PodRunning
	}
	obj.GetObjectKind().SetGroupVersionKind(res.GVK())
	return obj
}

// The list built from cached encodings is byte for byte what encoding/json makes of the
// typed list, for every resource the simulator serves, empty or not, with or without a
// continue token; and every resource's list takes the fast path.
func TestFastListMatchesEncodingJSON(t *testing.T) {
	s := &server{enc: newEncCache(defaultEncCacheBytes)}
	for _, res := range store.Resources() {
		if !standardList(res) {
			t.Errorf("%s: list type %T is not {TypeMeta, ListMeta, Items}; it is served by the slow path", res.Name, res.NewList())
		}
		for _, n := range []int{0, 1, 3} {
			var objs []runtime.Object
			for i := 0; i < n; i++ {
				objs = append(objs, storedLike(t, res, i))
			}
			for _, lm := range []metav1.ListMeta{{ResourceVersion: "42"}, {ResourceVersion: "7", Continue: "eyJ2Ijo-"}} {
				want, err := typedListJSON(res, objs, lm)
				if err != nil {
					t.Fatal(err)
				}
				for round := 0; round < 2; round++ { // cold, then from the cache
					got, ok := s.listJSON(res, objs, lm)
					if !ok {
						t.Fatalf("%s: fast list refused %d stored objects", res.Name, n)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%s, %d items, round %d:\n got %s\nwant %s", res.Name, n, round, got, want)
					}
				}
			}
		}
	}
	// An object without its kind stamped is not cacheable: the caller falls back.
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: "default", ResourceVersion: "1"}}
	if _, ok := s.listJSON(store.MustLookup("pods"), []runtime.Object{p}, metav1.ListMeta{}); ok {
		t.Fatal("fast list accepted an object without kind")
	}
}

// A newer version of an object (new resourceVersion) is encoded anew, never served from an
// older one's bytes; and the cache drops everything rather than grow past its bound.
func TestEncodingCacheFollowsResourceVersion(t *testing.T) {
	s := &server{enc: newEncCache(4096)}
	pods := store.MustLookup("pods")
	p := storedLike(t, pods, 1).(*corev1.Pod)
	first, err := s.encodeObject(pods, p)
	if err != nil {
		t.Fatal(err)
	}
	q := p.DeepCopy()
	q.ResourceVersion = "999"
	q.Labels["round"] = "2"
	second, err := s.encodeObject(pods, q)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(q)
	if !bytes.Equal(second, want) || bytes.Equal(first, second) {
		t.Fatalf("after a write the cache sent %s, want %s", second, want)
	}
	m1, _ := s.encodeMeta(pods, q)
	wantMeta, _ := json.Marshal(partialMetadata(q))
	if !bytes.Equal(m1, wantMeta) {
		t.Fatalf("metadata: got %s, want %s", m1, wantMeta)
	}
	for i := 0; i < 50; i++ {
		if _, err := s.encodeObject(pods, storedLike(t, pods, i)); err != nil {
			t.Fatal(err)
		}
	}
	if s.enc.size > 4096 {
		t.Fatalf("cache holds %d bytes, bound 4096", s.enc.size)
	}
}

// A watch frame is what json.Encoder writes for the metav1.WatchEvent.
func TestWatchFrameMatchesEncoder(t *testing.T) {
	pods := store.MustLookup("pods")
	raw, _ := json.Marshal(storedLike(t, pods, 3))
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(&metav1.WatchEvent{Type: string(watch.Modified), Object: runtime.RawExtension{Raw: raw}}); err != nil {
		t.Fatal(err)
	}
	if got := appendWatchFrame(nil, watch.Modified, raw); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %s\nwant %s", got, want.Bytes())
	}
}

// One version's two encodings (the object, its metadata) are kept apart whichever is asked
// first.
func TestEncodingCacheKeepsBothForms(t *testing.T) {
	pods := store.MustLookup("pods")
	for _, metaFirst := range []bool{true, false} {
		s := &server{enc: newEncCache(defaultEncCacheBytes)}
		p := storedLike(t, pods, 1)
		wantFull, _ := json.Marshal(p)
		wantMeta, _ := json.Marshal(partialMetadata(p))
		for round := 0; round < 2; round++ {
			if metaFirst {
				if got, _ := s.encodeMeta(pods, p); !bytes.Equal(got, wantMeta) {
					t.Fatalf("meta: got %s", got)
				}
			}
			if got, _ := s.encodeObject(pods, p); !bytes.Equal(got, wantFull) {
				t.Fatalf("object (meta first %v, round %d): got %s", metaFirst, round, got)
			}
			if got, _ := s.encodeMeta(pods, p); !bytes.Equal(got, wantMeta) {
				t.Fatalf("meta (meta first %v, round %d): got %s", metaFirst, round, got)
			}
		}
	}
}

// marshalTable writes what json.Marshal writes for the same Table: for every resource's
// printer, each includeObject policy, with and without column definitions, and for rows
// with conditions and cells that need escaping.
func TestMarshalTableMatchesEncodingJSON(t *testing.T) {
	s := &server{enc: newEncCache(defaultEncCacheBytes), clock: clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	for _, res := range store.Resources() {
		objs := []runtime.Object{storedLike(t, res, 0), storedLike(t, res, 1)}
		for _, incl := range []metav1.IncludeObjectPolicy{metav1.IncludeNone, metav1.IncludeMetadata, metav1.IncludeObject} {
			for _, cols := range []bool{true, false} {
				for _, n := range []int{0, 1, 2} {
					tb, err := s.toTable(res, objs[:n], incl, cols)
					if err != nil {
						t.Fatal(err)
					}
					tb.ResourceVersion, tb.Continue = "12", "abc<&>"
					want, _ := json.Marshal(tb)
					got, err := marshalTable(tb)
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("%s %s columns=%v rows=%d: %v\n got %s\nwant %s", res.Name, incl, cols, n, err, got, want)
					}
				}
			}
		}
	}
	hand := &metav1.Table{TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"}, Rows: []metav1.TableRow{
		{Cells: []any{"a<b>&\u2028", int64(3), nil, 1.5}, Conditions: []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue}}},
	}}
	want, _ := json.Marshal(hand)
	if got, err := marshalTable(hand); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("hand-made table: %v\n got %s\nwant %s", err, got, want)
	}
	hand.Rows = nil
	want, _ = json.Marshal(hand)
	if got, err := marshalTable(hand); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("table without rows: %v\n got %s\nwant %s", err, got, want)
	}
}
