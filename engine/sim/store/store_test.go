package store

import (
	"fmt"
	"math/rand"
	"reflect"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	testingclock "k8s.io/utils/clock/testing"
)

var pods = MustLookup("pods")

func newStore(t *testing.T) (*Store, *testingclock.FakeClock) {
	t.Helper()
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return New(Options{Clock: clk, Seed: 1, HistorySize: 16}), clk
}

func pod(name string, lbl map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: lbl},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}
}

func TestCreateFillsMetadataAndRejectsDuplicates(t *testing.T) {
	s, _ := newStore(t)
	got, err := s.Create(pods, pod("web-0", nil))
	if err != nil {
		t.Fatal(err)
	}
	p := got.(*corev1.Pod)
	if p.UID == "" || p.ResourceVersion == "" || p.CreationTimestamp.IsZero() || p.Generation != 1 {
		t.Fatalf("metadata not filled: %+v", p.ObjectMeta)
	}
	if _, err := s.Create(pods, pod("web-0", nil)); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("want AlreadyExists, got %v", err)
	}
	gen := pod("", nil)
	gen.GenerateName = "web-"
	g, err := s.Create(pods, gen)
	if err != nil || len(g.(*corev1.Pod).Name) != len("web-")+5 {
		t.Fatalf("generateName: %v %v", g, err)
	}
	other := pod("x", nil)
	other.Namespace = "nope"
	if _, err := s.Create(pods, other); !apierrors.IsNotFound(err) {
		t.Fatalf("missing namespace: want NotFound, got %v", err)
	}
}

func TestUpdateConflictNoOpAndGeneration(t *testing.T) {
	s, _ := newStore(t)
	created, _ := s.Create(pods, pod("p", nil))
	p := created.(*corev1.Pod)
	p.Labels = map[string]string{"a": "b"}
	upd, err := s.Update(pods, p, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if upd.(*corev1.Pod).Generation != 1 {
		t.Fatalf("a label change must not bump generation")
	}
	if _, err := s.Update(pods, p, UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Fatalf("stale RV: want Conflict, got %v", err)
	}
	same := upd.DeepCopyObject()
	again, err := s.Update(pods, same, UpdateOptions{})
	if err != nil || again.(*corev1.Pod).ResourceVersion != upd.(*corev1.Pod).ResourceVersion {
		t.Fatalf("no-op update must keep the RV: %v", err)
	}
	spec := upd.(*corev1.Pod)
	spec.Spec.Containers[0].Image = "nginx:2"
	spec.Status.Phase = corev1.PodRunning // ignored: status goes through /status
	out, err := s.Update(pods, spec, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.(*corev1.Pod).Generation != 2 || out.(*corev1.Pod).Status.Phase != "" {
		t.Fatalf("spec change: gen %d phase %q", out.(*corev1.Pod).Generation, out.(*corev1.Pod).Status.Phase)
	}
	st := out.(*corev1.Pod)
	st.Status.Phase = corev1.PodRunning
	st.Spec.Containers[0].Image = "ignored"
	out, err = s.Update(pods, st, UpdateOptions{Status: true})
	if err != nil || out.(*corev1.Pod).Status.Phase != corev1.PodRunning || out.(*corev1.Pod).Spec.Containers[0].Image != "nginx:2" {
		t.Fatalf("status update: %v %+v", err, out)
	}
}

// STATEFULSET-BEHAVIOUR item 21: a scheduled pod terminates gracefully; an unscheduled one goes at once.
func TestItem21_GracefulPodDelete(t *testing.T) {
	s, clk := newStore(t)
	p := pod("bound", nil)
	p.Spec.NodeName = "n1"
	s.Create(pods, p)
	res, err := s.Delete(pods, "default", "bound", DeleteOptions{})
	if err != nil || res.Gone {
		t.Fatalf("bound pod must linger: %v %+v", err, res)
	}
	dp := res.Object.(*corev1.Pod)
	if dp.DeletionTimestamp == nil || !dp.DeletionTimestamp.Time.Equal(clk.Now().Add(30*time.Second)) || *dp.DeletionGracePeriodSeconds != 30 {
		t.Fatalf("want deletionTimestamp now+30s, got %v", dp.DeletionTimestamp)
	}
	zero := int64(0)
	res, err = s.Delete(pods, "default", "bound", DeleteOptions{GracePeriodSeconds: &zero})
	if err != nil || !res.Gone {
		t.Fatalf("grace 0 must remove: %v %+v", err, res)
	}
	s.Create(pods, pod("unbound", nil))
	if res, _ := s.Delete(pods, "default", "unbound", DeleteOptions{}); !res.Gone {
		t.Fatalf("unscheduled pod must go at once")
	}
}

// Item 64/76: Orphan and Foreground deletes leave the object with a finalizer until the GC clears it.
func TestItem64_OrphanFinalizerKeepsObject(t *testing.T) {
	s, _ := newStore(t)
	s.Create(pods, pod("p", nil))
	orphan := metav1.DeletePropagationOrphan
	res, err := s.Delete(pods, "default", "p", DeleteOptions{PropagationPolicy: &orphan, GracePeriodSeconds: new(int64)})
	if err != nil || res.Gone || res.Object.(*corev1.Pod).Finalizers[0] != FinalizerOrphan {
		t.Fatalf("orphan delete: %v %+v", err, res)
	}
	cur, _ := s.Get(pods, "default", "p")
	cp := cur.(*corev1.Pod)
	cp.Finalizers = nil
	if _, err := s.Update(pods, cp, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(pods, "default", "p"); !apierrors.IsNotFound(err) {
		t.Fatalf("clearing the last finalizer must remove the object, got %v", err)
	}
}

func TestWatchFromRVSelectorsAndExpiry(t *testing.T) {
	s, _ := newStore(t)
	s.Create(pods, pod("a", map[string]string{"app": "x"}))
	_, rv := s.List(pods, "default", nil, nil)
	sel := labels.SelectorFromSet(labels.Set{"app": "x"})
	w, err := s.Watch(pods, WatchOptions{Namespace: "default", LabelSelector: sel, ResourceVersion: itoa(rv)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	s.Create(pods, pod("b", map[string]string{"app": "y"})) // filtered out
	cur, _ := s.Get(pods, "default", "a")
	a := cur.(*corev1.Pod)
	a.Labels = map[string]string{"app": "y"} // leaves the selector: DELETED for this watcher
	s.Update(pods, a, UpdateOptions{})
	ev := <-w.ResultChan()
	if ev.Type != watch.Deleted || ev.Object.(*corev1.Pod).Name != "a" {
		t.Fatalf("want DELETED a, got %v", ev.Type)
	}
	for i := 0; i < 40; i++ { // push the history past its size
		s.Create(pods, pod("f"+itoa(uint64(i)), nil))
	}
	if _, err := s.Watch(pods, WatchOptions{ResourceVersion: itoa(rv)}); !apierrors.IsResourceExpired(err) {
		t.Fatalf("want 410 Expired for a too-old RV, got %v", err)
	}
	w0, err := s.Watch(pods, WatchOptions{Namespace: "default", LabelSelector: labels.SelectorFromSet(labels.Set{"app": "y"})})
	if err != nil {
		t.Fatal(err)
	}
	defer w0.Stop()
	got := map[string]bool{}
	for i := 0; i < 2; i++ {
		e := <-w0.ResultChan()
		if e.Type != watch.Added {
			t.Fatalf("RV 0 watch starts with ADDED, got %v", e.Type)
		}
		got[e.Object.(*corev1.Pod).Name] = true
	}
	if !got["a"] || !got["b"] {
		t.Fatalf("initial ADDED events: %v", got)
	}
}

func itoa(v uint64) string { return strconvFormat(v) }

func strconvFormat(v uint64) string { return strconv.FormatUint(v, 10) }

// TestWatchResumesAcrossTheHistoryRing: after the history has wrapped several times, a watch
// from the oldest retained resourceVersion replays every later event once, in order, and one
// just older than it is 410 Expired.
func TestWatchResumesAcrossTheHistoryRing(t *testing.T) {
	s, _ := newStore(t) // HistorySize 16
	var rvs []uint64
	for i := 0; i < 53; i++ {
		o, err := s.Create(pods, pod("r"+itoa(uint64(i)), nil))
		if err != nil {
			t.Fatal(err)
		}
		rv, _ := strconv.ParseUint(o.(*corev1.Pod).ResourceVersion, 10, 64)
		rvs = append(rvs, rv)
	}
	// The ring holds the last 16 events; resuming after the 16th-last replays the last 15.
	from := rvs[len(rvs)-16]
	w, err := s.Watch(pods, WatchOptions{ResourceVersion: itoa(from)})
	if err != nil {
		t.Fatalf("resume inside the window: %v", err)
	}
	defer w.Stop()
	for i := len(rvs) - 15; i < len(rvs); i++ {
		ev := <-w.ResultChan()
		if got := ev.Object.(*corev1.Pod).Name; ev.Type != watch.Added || got != "r"+itoa(uint64(i)) {
			t.Fatalf("event %d: %v %s, want ADDED r%d", i, ev.Type, got, i)
		}
	}
	if _, err := s.Watch(pods, WatchOptions{ResourceVersion: itoa(rvs[len(rvs)-18])}); !apierrors.IsResourceExpired(err) {
		t.Fatalf("want 410 Expired from before the window, got %v", err)
	}
}

// TestBindingSetsOnlyTheNode: a Binding takes spec.nodeName alone onto the stored pod (no
// generation bump, labels and status kept, the earlier version untouched), refuses a pod
// already bound, and honours the resourceVersion precondition.
func TestBindingSetsOnlyTheNode(t *testing.T) {
	s, _ := newStore(t)
	o, err := s.Create(pods, pod("web-0", map[string]string{"app": "web"}))
	if err != nil {
		t.Fatal(err)
	}
	created := o.(*corev1.Pod)
	before, _ := s.Peek(pods, "default", "web-0")
	b := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-0", ResourceVersion: created.ResourceVersion,
		Labels: map[string]string{"ignored": "yes"}}, Spec: corev1.PodSpec{NodeName: "node-1"}}
	got, err := s.Update(pods, b, UpdateOptions{Owned: true, Binding: true})
	if err != nil {
		t.Fatal(err)
	}
	p := got.(*corev1.Pod)
	if p.Spec.NodeName != "node-1" || p.Generation != created.Generation || p.Labels["app"] != "web" || p.Labels["ignored"] != "" ||
		len(p.Spec.Containers) != 1 || p.ResourceVersion == created.ResourceVersion {
		t.Fatalf("bound pod: node %q gen %d labels %v containers %d rv %s", p.Spec.NodeName, p.Generation, p.Labels, len(p.Spec.Containers), p.ResourceVersion)
	}
	if before.(*corev1.Pod).Spec.NodeName != "" {
		t.Fatal("binding changed the earlier stored version in place")
	}
	again := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-0"}, Spec: corev1.PodSpec{NodeName: "node-2"}}
	if _, err := s.Update(pods, again, UpdateOptions{Owned: true, Binding: true}); !apierrors.IsConflict(err) {
		t.Fatalf("binding a bound pod: want Conflict, got %v", err)
	}
	s.Create(pods, pod("web-1", nil))
	stale := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web-1", ResourceVersion: "1"}, Spec: corev1.PodSpec{NodeName: "node-1"}}
	if _, err := s.Update(pods, stale, UpdateOptions{Owned: true, Binding: true}); !apierrors.IsConflict(err) {
		t.Fatalf("stale resourceVersion: want Conflict, got %v", err)
	}
}

// TestUIDStringMatchesFmt: the hand-rolled UID spelling is fmt's, byte for byte (seeded
// sessions and goldens keep their uids).
func TestUIDStringMatchesFmt(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 1000; i++ {
		var b [16]byte
		r.Read(b[:])
		want := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		if got := string(uidString(b)); got != want {
			t.Fatalf("uidString(%x) = %s, want %s", b, got, want)
		}
	}
}

// TestWithStatusOfMatchesReflect: the spelled-out status successor of each kind is the
// reflective one's (a shallow copy with the new Status), and shares the stored spec.
func TestWithStatusOfMatchesReflect(t *testing.T) {
	cases := []struct{ old, src runtime.Object }{
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"a": "b"}},
			Spec: corev1.PodSpec{NodeName: "n"}}, &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1"}}},
		{&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "v"}},
			&corev1.PersistentVolumeClaim{Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}},
		{&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "v"}},
			&corev1.PersistentVolume{Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}}},
		{&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}, Spec: corev1.NodeSpec{PodCIDR: "10.0.0.0/24"}},
			&corev1.Node{Status: corev1.NodeStatus{Phase: corev1.NodeRunning}}},
		{&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, // the reflective fallback
			&corev1.Service{Status: corev1.ServiceStatus{Conditions: []metav1.Condition{{Type: "x"}}}}},
	}
	for _, c := range cases {
		want := shallowCopy(c.old)
		copyField(want, c.src, "Status")
		got := withStatusOf(c.old, c.src)
		if got == c.old {
			t.Errorf("%T: the stored object itself came back", c.old)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%T: got %+v, want %+v", c.old, got, want)
		}
		if reflect.DeepEqual(got, c.old) {
			t.Errorf("%T: status not taken", c.old)
		}
	}
}

// TestDeleteLeavesStoredVersionsAlone: a delete stores a successor sharing the old version's
// spec, status and lists (copy-on-write), so the old version a watcher or the history holds
// must not change, not even through a finalizer list with room to grow. Owned returns the
// stored object itself; without it the caller gets a copy it may change.
func TestDeleteLeavesStoredVersionsAlone(t *testing.T) {
	for _, res := range []Resource{pods, MustLookup("configmaps")} {
		t.Run(res.Name, func(t *testing.T) {
			s, _ := newStore(t)
			var in runtime.Object
			if res.Name == "pods" {
				p := pod("p", nil)
				p.Spec.NodeName = "n1" // bound: a graceful delete that lingers
				in = p
			} else {
				in = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "default"}, Data: map[string]string{"k": "v"}}
			}
			m, _ := meta.Accessor(in)
			fin := make([]string, 1, 4) // spare room: an append in place would write into it
			fin[0] = "example.com/keep"
			m.SetFinalizers(fin)
			created, err := s.CreateWith(res, in, CreateOptions{Owned: true})
			if err != nil {
				t.Fatal(err)
			}
			before := created.DeepCopyObject()
			orphan := metav1.DeletePropagationOrphan
			got, err := s.Delete(res, "default", "p", DeleteOptions{PropagationPolicy: &orphan, Owned: true})
			if err != nil || got.Gone {
				t.Fatalf("delete: %v %+v", err, got)
			}
			if !reflect.DeepEqual(created, before) {
				t.Fatalf("the old version changed:\n%+v\nwas\n%+v", created, before)
			}
			if fin[:2][1] != "" {
				t.Fatalf("the old finalizer list was written through: %q", fin[:2])
			}
			cur, _ := s.Peek(res, "default", "p")
			if got.Object != cur {
				t.Fatal("Owned: want the stored object itself")
			}
			gm, _ := meta.Accessor(got.Object)
			if !reflect.DeepEqual(gm.GetFinalizers(), []string{"example.com/keep", FinalizerOrphan}) || gm.GetDeletionTimestamp() == nil {
				t.Fatalf("stored after delete: finalizers %v, deletionTimestamp %v", gm.GetFinalizers(), gm.GetDeletionTimestamp())
			}
			again, err := s.Delete(res, "default", "p", DeleteOptions{})
			if err != nil || again.Object == cur {
				t.Fatalf("without Owned: want a copy, got %v (err %v)", again.Object == cur, err)
			}
		})
	}
}

// TestStatusSuccessorIsKept: an owned status write marked Successor is stored as handed over
// (no second top-level copy); a stale one is a Conflict like any stale write.
func TestStatusSuccessorIsKept(t *testing.T) {
	s, _ := newStore(t)
	created, err := s.CreateWith(pods, pod("p", nil), CreateOptions{Owned: true})
	if err != nil {
		t.Fatal(err)
	}
	cp := *created.(*corev1.Pod)
	cp.Status.Phase = corev1.PodRunning
	got, err := s.Update(pods, &cp, UpdateOptions{Status: true, Owned: true, Successor: true})
	if err != nil {
		t.Fatal(err)
	}
	if got != runtime.Object(&cp) || got.(*corev1.Pod).Status.Phase != corev1.PodRunning {
		t.Fatalf("want the successor itself stored, got %p (handed %p)", got, &cp)
	}
	stale := *created.(*corev1.Pod) // the version before: its resourceVersion is no longer stored
	stale.Status.Phase = corev1.PodFailed
	if _, err := s.Update(pods, &stale, UpdateOptions{Status: true, Owned: true, Successor: true}); !apierrors.IsConflict(err) {
		t.Fatalf("stale successor: want Conflict, got %v", err)
	}
}

// TestOwnedStatusNoOp: an owned status write that brings the same status stores nothing (no
// new resourceVersion, no event), one that changes it is stored, as for any write.
func TestOwnedStatusNoOp(t *testing.T) {
	s, _ := newStore(t)
	created, err := s.CreateWith(pods, pod("p", nil), CreateOptions{Owned: true})
	if err != nil {
		t.Fatal(err)
	}
	rv := s.ResourceVersion()
	for _, successor := range []bool{false, true} {
		same := *created.(*corev1.Pod)
		same.Status = *same.Status.DeepCopy() // equal, not shared
		got, err := s.Update(pods, &same, UpdateOptions{Status: true, Owned: true, Successor: successor})
		if err != nil || got != created || s.ResourceVersion() != rv {
			t.Fatalf("successor=%v: a no-op status write stored something (rv %d → %d, err %v)", successor, rv, s.ResourceVersion(), err)
		}
	}
	moved := *created.(*corev1.Pod)
	moved.Status.Phase = corev1.PodRunning
	if _, err := s.Update(pods, &moved, UpdateOptions{Status: true, Owned: true}); err != nil || s.ResourceVersion() != rv+1 {
		t.Fatalf("a status change was not stored (rv %d → %d, err %v)", rv, s.ResourceVersion(), err)
	}
}

// TestNamespaceDeleteLeavesOldVersion: deleting a namespace sets status.phase Terminating on
// its copy-on-write successor; the version before keeps Active.
func TestNamespaceDeleteLeavesOldVersion(t *testing.T) {
	s, _ := newStore(t)
	nsRes := MustLookup("namespaces")
	if _, err := s.Create(nsRes, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"},
		Spec:   corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
		Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Peek(nsRes, "", "team")
	got, err := s.Delete(nsRes, "", "team", DeleteOptions{Owned: true})
	if err != nil || got.Gone {
		t.Fatalf("a namespace lingers while it finalizes: %v %+v", err, got)
	}
	if p := before.(*corev1.Namespace).Status.Phase; p != corev1.NamespaceActive {
		t.Fatalf("the old version's phase changed to %q", p)
	}
	if p := got.Object.(*corev1.Namespace).Status.Phase; p != corev1.NamespaceTerminating {
		t.Fatalf("the deleted namespace's phase is %q", p)
	}
}
