package sim

import (
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var (
	rsR     = store.MustLookup("replicasets")
	deployR = store.MustLookup("deployments")
	dsR     = store.MustLookup("daemonsets")
)

// frontendRS is the walkthrough's frontend.yaml (seeds/002_*).
func frontendRS(replicas int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "frontend", Namespace: "default",
			Labels: map[string]string{"app": "guestbook", "tier": "frontend"}},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "frontend"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"tier": "frontend"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "php-redis", Image: "gcr.io/google_samples/gb-frontend:v3"}}},
			},
		},
	}
}

func getRS(t *testing.T, s *Sim, name string) *appsv1.ReplicaSet {
	t.Helper()
	o, err := s.Store().Get(rsR, "default", name)
	if err != nil {
		t.Fatal(err)
	}
	return o.(*appsv1.ReplicaSet)
}

// livePods are the pods matching sel that are not being deleted, by name.
func livePods(s *Sim, sel string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods(s, sel) {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func allRunning(s *Sim, sel string, n int) func() bool {
	return func() bool {
		ps := pods(s, sel)
		if len(ps) != n {
			return false
		}
		for _, p := range ps {
			if ready, st := podColumns(p); ready != "1/1" || st != "Running" || p.DeletionTimestamp != nil {
				return false
			}
		}
		return true
	}
}

// events lists "Reason Message" of the Events about one object, oldest first.
func eventsAbout(s *Sim, kind, name string) []string {
	objs, _ := s.Store().List(evR, "default", nil, nil)
	var out []string
	for _, o := range objs {
		ev := o.(*corev1.Event)
		if ev.InvolvedObject.Kind == kind && ev.InvolvedObject.Name == name {
			out = append(out, ev.Reason+" "+ev.Message)
		}
	}
	return out
}

var rsPodName = regexp.MustCompile(`^frontend-[bcdfghjklmnpqrstvwxz2456789]{5}$`)

func TestReplicaSet_CreatesNamedOwnedPodsAndStatus(t *testing.T) {
	s := newSim(t)
	create(t, s, rsR, frontendRS(3))
	if !s.RunUntil(allRunning(s, "tier=frontend", 3), time.Minute) {
		t.Fatalf("pods: %s", podNames(pods(s, "tier=frontend")))
	}
	s.Settle()
	rs := getRS(t, s, "frontend")
	for _, p := range pods(s, "tier=frontend") {
		if !rsPodName.MatchString(p.Name) {
			t.Errorf("pod name %q is not frontend- plus 5 random chars", p.Name)
		}
		ref := metav1.GetControllerOf(p)
		if ref == nil || ref.Kind != "ReplicaSet" || ref.Name != "frontend" || ref.UID != rs.UID || ref.APIVersion != "apps/v1" ||
			ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
			t.Errorf("pod %s ownerReferences = %+v", p.Name, p.OwnerReferences)
		}
	}
	st := rs.Status
	if st.Replicas != 3 || st.FullyLabeledReplicas != 3 || st.ReadyReplicas != 3 || st.AvailableReplicas != 3 || st.ObservedGeneration != rs.Generation {
		t.Errorf("status = %+v", st)
	}
	evs := eventsAbout(s, "ReplicaSet", "frontend")
	if len(evs) != 3 {
		t.Fatalf("events %q", evs)
	}
	for _, e := range evs {
		if !strings.HasPrefix(e, "SuccessfulCreate Created pod: frontend-") {
			t.Errorf("event %q", e)
		}
	}
}

func TestReplicaSet_ReplacesDeletedPod(t *testing.T) {
	s := newSim(t)
	create(t, s, rsR, frontendRS(3))
	s.RunUntil(allRunning(s, "tier=frontend", 3), time.Minute)
	victim := livePods(s, "tier=frontend")[0]
	if _, err := s.Store().Delete(podsR, "default", victim.Name, store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	live := livePods(s, "tier=frontend")
	if len(live) != 3 {
		t.Fatalf("right after the delete: %d live pods, want a replacement at once", len(live))
	}
	for _, p := range live {
		if p.Name == victim.Name {
			t.Errorf("deleted pod %s still counted", p.Name)
		}
	}
	if !s.RunUntil(allRunning(s, "tier=frontend", 3), time.Minute) {
		t.Fatalf("pods: %s", podNames(pods(s, "tier=frontend")))
	}
}

// The walkthrough's pod-rs.yaml: bare pods matching the selector are adopted, surplus ones
// deleted (they show Terminating); once the set is gone, new bare pods are adopted first.
func TestReplicaSet_AdoptsAndDeletesSurplusBarePods(t *testing.T) {
	s := newSim(t)
	create(t, s, rsR, frontendRS(3))
	s.RunUntil(allRunning(s, "tier=frontend", 3), time.Minute)
	bare := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"tier": "frontend"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "hello", Image: "gcr.io/google-samples/hello-app:2.0"}}}}
	}
	create(t, s, podsR, bare("pod1"))
	create(t, s, podsR, bare("pod2"))
	s.Settle()
	for _, n := range []string{"pod1", "pod2"} {
		p := getPod(s, n)
		if p == nil {
			continue // already gone: deleted before it was scheduled
		}
		if p.DeletionTimestamp == nil {
			t.Errorf("%s not deleted as surplus", n)
		}
		if ref := metav1.GetControllerOf(p); ref == nil || ref.Name != "frontend" {
			t.Errorf("%s not adopted before deletion: %+v", n, p.OwnerReferences)
		}
	}

	// Delete the set (background), recreate bare pods, then the set: it adopts them.
	bg := metav1.DeletePropagationBackground
	if _, err := s.Store().Delete(rsR, "default", "frontend", store.DeleteOptions{PropagationPolicy: &bg}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool { return len(pods(s, "tier=frontend")) == 0 }, 2*time.Minute) {
		t.Fatalf("pods left: %s", podNames(pods(s, "tier=frontend")))
	}
	create(t, s, podsR, bare("pod1"))
	create(t, s, podsR, bare("pod2"))
	s.Settle()
	create(t, s, rsR, frontendRS(3))
	s.Settle()
	live := livePods(s, "tier=frontend")
	if len(live) != 3 {
		t.Fatalf("live pods %s", podNames(live))
	}
	names := podNames(live)
	if !strings.Contains(names, "pod1") || !strings.Contains(names, "pod2") {
		t.Errorf("bare pods not adopted: %s", names)
	}
	for _, p := range live {
		if ref := metav1.GetControllerOf(p); ref == nil || ref.Name != "frontend" {
			t.Errorf("%s not owned: %+v", p.Name, p.OwnerReferences)
		}
	}
}

func TestReplicaSet_ReleasesRelabeledPod(t *testing.T) {
	s := newSim(t)
	create(t, s, rsR, frontendRS(2))
	s.RunUntil(allRunning(s, "tier=frontend", 2), time.Minute)
	p := livePods(s, "tier=frontend")[0]
	p.Labels = map[string]string{"tier": "debug"}
	if _, err := s.Store().Update(podsR, p, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	got := getPod(s, p.Name)
	if len(got.OwnerReferences) != 0 || got.DeletionTimestamp != nil {
		t.Errorf("relabeled pod: ownerRefs %+v deleting %v, want released and kept", got.OwnerReferences, got.DeletionTimestamp)
	}
	if n := len(livePods(s, "tier=frontend")); n != 2 {
		t.Errorf("%d pods match the selector, want a replacement", n)
	}
}

// Scale-down deletes not-ready pods before ready ones, and among ready pods the newer.
func TestReplicaSet_ScaleDownPrefersNotReadyThenNewer(t *testing.T) {
	s := newSim(t)
	create(t, s, rsR, frontendRS(2))
	s.RunUntil(allRunning(s, "tier=frontend", 2), time.Minute)
	old := podNames(livePods(s, "tier=frontend"))
	s.Advance(10 * time.Minute)
	rs := getRS(t, s, "frontend")
	rs.Spec.Replicas = ptr(int32(3))
	if _, err := s.Store().Update(rsR, rs, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.RunUntil(allRunning(s, "tier=frontend", 3), time.Minute)
	var newest string
	for _, p := range livePods(s, "tier=frontend") {
		if !strings.Contains(old, p.Name) {
			newest = p.Name
		}
	}
	rs = getRS(t, s, "frontend")
	rs.Spec.Replicas = ptr(int32(2))
	if _, err := s.Store().Update(rsR, rs, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if p := getPod(s, newest); p != nil && p.DeletionTimestamp == nil {
		t.Errorf("scale down kept the newest pod %s; pods %s", newest, podNames(livePods(s, "tier=frontend")))
	}
	if got := podNames(livePods(s, "tier=frontend")); got != old {
		t.Errorf("live pods %s, want the old ones %s", got, old)
	}
	evs := eventsAbout(s, "ReplicaSet", "frontend")
	if last := evs[len(evs)-1]; last != "SuccessfulDelete Deleted pod: "+newest {
		t.Errorf("last event %q", last)
	}

	// A pod that is not ready goes first, even though it is older.
	rs = getRS(t, s, "frontend")
	rs.Spec.Replicas = ptr(int32(3))
	if _, err := s.Store().Update(rsR, rs, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle() // the new pod exists but is Pending
	rs = getRS(t, s, "frontend")
	rs.Spec.Replicas = ptr(int32(2))
	if _, err := s.Store().Update(rsR, rs, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if got := podNames(livePods(s, "tier=frontend")); got != old {
		t.Errorf("after scaling a pending pod away: %s, want %s", got, old)
	}
}

func TestReplicaSet_MinReadySecondsAvailability(t *testing.T) {
	s := newSim(t)
	rs := frontendRS(1)
	rs.Spec.MinReadySeconds = 10
	create(t, s, rsR, rs)
	s.RunUntil(allRunning(s, "tier=frontend", 1), time.Minute)
	s.Settle()
	if st := getRS(t, s, "frontend").Status; st.ReadyReplicas != 1 || st.AvailableReplicas != 0 {
		t.Errorf("just ready: %+v", st)
	}
	s.Advance(10 * time.Second)
	if st := getRS(t, s, "frontend").Status; st.AvailableReplicas != 1 {
		t.Errorf("after minReadySeconds: %+v", st)
	}
}

func TestReplicaSet_OrphanAndForegroundDelete(t *testing.T) {
	s := newSim(t)
	create(t, s, rsR, frontendRS(2))
	s.RunUntil(allRunning(s, "tier=frontend", 2), time.Minute)
	orphan := metav1.DeletePropagationOrphan
	if _, err := s.Store().Delete(rsR, "default", "frontend", store.DeleteOptions{PropagationPolicy: &orphan}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if _, err := s.Store().Get(rsR, "default", "frontend"); !apierrors.IsNotFound(err) {
		t.Fatalf("set still there after orphan delete: %v", err)
	}
	live := livePods(s, "tier=frontend")
	if len(live) != 2 {
		t.Fatalf("orphan delete removed pods: %s", podNames(live))
	}
	for _, p := range live {
		if len(p.OwnerReferences) != 0 {
			t.Errorf("%s keeps ownerReferences %+v", p.Name, p.OwnerReferences)
		}
	}

	// A new set adopts the orphans; a foreground delete waits for them.
	create(t, s, rsR, frontendRS(2))
	s.Settle()
	if got := podNames(livePods(s, "tier=frontend")); got != podNames(live) {
		t.Fatalf("new set did not adopt the orphans: %s vs %s", got, podNames(live))
	}
	fg := metav1.DeletePropagationForeground
	if _, err := s.Store().Delete(rsR, "default", "frontend", store.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if rs := getRS(t, s, "frontend"); rs.DeletionTimestamp == nil {
		t.Fatal("foreground delete: no deletionTimestamp")
	}
	if n := len(livePods(s, "tier=frontend")); n != 0 {
		t.Errorf("foreground delete: %d pods not terminating", n)
	}
	if !s.RunUntil(func() bool {
		_, err := s.Store().Get(rsR, "default", "frontend")
		return apierrors.IsNotFound(err)
	}, 2*time.Minute) {
		t.Fatal("set not gone after its pods")
	}
	if n := len(pods(s, "tier=frontend")); n != 0 {
		t.Errorf("%d pods left", n)
	}
}

// A pod the apiserver refuses gives the ReplicaFailure condition and a FailedCreate event;
// the condition goes once pods can be created again.
func TestReplicaSet_ReplicaFailureCondition(t *testing.T) {
	s := newSim(t)
	reject := true
	h := api.Hooks()
	validate := h.Validate
	h.Validate = func(res store.Resource, old, obj runtime.Object) field.ErrorList {
		if p, ok := obj.(*corev1.Pod); ok && old == nil && reject {
			return field.ErrorList{field.Forbidden(field.NewPath("metadata", "name"), "test refuses "+p.GenerateName)}
		}
		return validate(res, old, obj)
	}
	s.Store().SetHooks(h)
	create(t, s, rsR, frontendRS(1))
	s.Settle()
	rs := getRS(t, s, "frontend")
	if len(rs.Status.Conditions) != 1 || rs.Status.Conditions[0].Type != appsv1.ReplicaSetReplicaFailure ||
		rs.Status.Conditions[0].Reason != "FailedCreate" || !strings.Contains(rs.Status.Conditions[0].Message, "test refuses frontend-") {
		t.Errorf("conditions %+v", rs.Status.Conditions)
	}
	if evs := eventsAbout(s, "ReplicaSet", "frontend"); len(evs) == 0 || !strings.HasPrefix(evs[0], "FailedCreate Error creating: ") {
		t.Errorf("events %q", evs)
	}
	reject = false
	if !s.RunUntil(allRunning(s, "tier=frontend", 1), time.Minute) {
		t.Fatalf("no pod after the refusals stopped: %s", podNames(pods(s, "tier=frontend")))
	}
	if c := getRS(t, s, "frontend").Status.Conditions; len(c) != 0 {
		t.Errorf("conditions left: %+v", c)
	}
}
