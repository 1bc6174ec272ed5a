package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// The StatefulSet syncs that visit only the ordinals needing attention run, and under Verify
// (newSim) each checked that the full walk would have skipped every other ordinal: through
// an OrderedReady start, a rolling update with a partition and maxUnavailable, a pod deleted
// by hand, a claim edited by hand, and a Parallel set's update.
func TestStatefulSetFastSyncsMatchFullWalk(t *testing.T) {
	s := newSim(t)
	set := webSet(10) // startWeb wants names in name order: at most 10
	startWeb(t, s, set)
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("web-%d", i)
	}
	fast := s.ctrls.StatefulSet.FastSyncs()
	if fast == 0 {
		t.Fatal("no sync of the OrderedReady start visited only the ordinals needing attention")
	}

	updateSts(t, s, func(x *appsv1.StatefulSet) {
		x.Spec.Template.Spec.Containers[0].Image = "gcr.io/google_containers/nginx-slim:0.8"
		x.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{
			Partition: ptr(int32(2)), MaxUnavailable: ptr(intstr.FromInt32(3))}
	})
	want := func(img08 func(i int) bool) func() bool {
		return func() bool {
			for i, n := range names {
				p := getPod(s, n)
				if p == nil || (p.Spec.Containers[0].Image == "gcr.io/google_containers/nginx-slim:0.8") != img08(i) {
					return false
				}
			}
			return runningReady(s, names...)()
		}
	}
	if !s.RunUntil(want(func(i int) bool { return i >= 2 }), 10*time.Minute) {
		t.Fatalf("rolling update above the partition did not finish: %s", images(s))
	}
	s.Settle()

	// A pod deleted by hand comes back; a claim edited by hand is looked at again.
	if _, err := s.Store().Delete(podsR, "default", "web-5", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	o, err := s.Store().Get(pvcR, "default", "www-web-7")
	if err != nil {
		t.Fatal(err)
	}
	pvc := o.(*corev1.PersistentVolumeClaim).DeepCopy()
	pvc.Labels["edited"] = "yes"
	if _, err := s.Store().Update(pvcR, pvc, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if !s.RunUntil(want(func(i int) bool { return i >= 2 }), 10*time.Minute) {
		t.Fatalf("web-5 did not come back: %s", images(s))
	}

	updateSts(t, s, func(x *appsv1.StatefulSet) { x.Spec.UpdateStrategy.RollingUpdate.Partition = ptr(int32(0)) })
	if !s.RunUntil(want(func(int) bool { return true }), 10*time.Minute) {
		t.Fatalf("rolling update below the old partition did not finish: %s", images(s))
	}
	s.Settle()
	if st := getSts(t, s, "web").Status; st.UpdatedReplicas != 10 || st.CurrentRevision != st.UpdateRevision {
		t.Errorf("status after the update: %+v", st)
	}
	if s.ctrls.StatefulSet.FastSyncs() == fast {
		t.Error("no sync of the rolling update visited only the ordinals needing attention")
	}

	// Parallel, over more than one word of the view's bit sets: every missing ordinal at
	// once, and an update maxUnavailable at a time.
	par := webSet(70)
	par.Name = "par"
	par.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	par.Spec.Selector.MatchLabels = map[string]string{"app": "par"}
	par.Spec.Template.Labels = map[string]string{"app": "par"}
	create(t, s, stsR, par)
	if !s.RunUntil(func() bool { return getSts(t, s, "par").Status.ReadyReplicas == 70 }, 5*time.Minute) {
		t.Fatalf("Parallel pods not running: %s", podNames(pods(s, "app=par")))
	}
	s.Settle()
	fast = s.ctrls.StatefulSet.FastSyncs()
	updateSts2(t, s, "par", func(x *appsv1.StatefulSet) {
		x.Spec.Template.Spec.Containers[0].Image = "gcr.io/google_containers/nginx-slim:0.8"
		x.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{MaxUnavailable: ptr(intstr.FromInt32(2))}
	})
	if !s.RunUntil(func() bool {
		for i := range 70 {
			p := getPod(s, fmt.Sprintf("par-%d", i))
			if p == nil || p.Spec.Containers[0].Image != "gcr.io/google_containers/nginx-slim:0.8" {
				return false
			}
		}
		st := getSts(t, s, "par").Status
		return st.ReadyReplicas == 70 && st.UpdatedReplicas == 70
	}, 10*time.Minute) {
		t.Fatal("the Parallel set's update did not finish")
	}
	if s.ctrls.StatefulSet.FastSyncs() == fast {
		t.Error("no sync of the Parallel update visited only the ordinals needing attention")
	}
}

func updateSts2(t *testing.T, s *Sim, name string, fn func(*appsv1.StatefulSet)) {
	t.Helper()
	x := getSts(t, s, name).DeepCopy()
	fn(x)
	if _, err := s.Store().Update(stsR, x, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Random changes to an OrderedReady and a Parallel set (scale, partition, maxUnavailable,
// template, pods deleted or failed by hand, claims edited), each followed by some simulated
// time: under Verify every sync that visited only the ordinals needing attention matched the
// full walk, and both sets end with their replicas Running and Ready.
func TestStatefulSetFastSyncsUnderRandomChanges(t *testing.T) {
	for seed := range uint64(10) {
		for _, policy := range []appsv1.PodManagementPolicyType{appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement} {
			t.Run(fmt.Sprintf("%s/%d", policy, seed), func(t *testing.T) {
				s := newSim(t)
				set := webSet(4)
				set.Spec.PodManagementPolicy = policy
				startWeb(t, s, set)
				rnd := rand.New(rand.NewPCG(seed, uint64(len(policy))))
				images := []string{"gcr.io/google_containers/nginx-slim:0.8", "gcr.io/google_containers/nginx-slim:0.7"}
				for step := range 80 {
					replicas := int(*getSts(t, s, "web").Spec.Replicas)
					pod := fmt.Sprintf("web-%d", rnd.IntN(max(replicas, 1)))
					switch op := rnd.IntN(6); op {
					case 0:
						updateSts(t, s, func(x *appsv1.StatefulSet) { x.Spec.Replicas = ptr(int32(rnd.IntN(9))) })
					case 1:
						updateSts(t, s, func(x *appsv1.StatefulSet) {
							x.Spec.Template.Spec.Containers[0].Image = images[rnd.IntN(2)]
							x.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{
								Partition: ptr(int32(rnd.IntN(4))), MaxUnavailable: ptr(intstr.FromInt32(int32(1 + rnd.IntN(3))))}
						})
					case 2:
						if _, err := s.Store().Delete(podsR, "default", pod, store.DeleteOptions{}); err != nil {
							t.Logf("step %d: delete %s: %v", step, pod, err)
						}
					case 3:
						if p := getPod(s, pod); p != nil && p.DeletionTimestamp == nil {
							p = p.DeepCopy()
							p.Status.Phase = corev1.PodFailed
							if _, err := s.Store().Update(podsR, p, store.UpdateOptions{Status: true}); err != nil {
								t.Logf("step %d: fail %s: %v", step, pod, err)
							}
						}
					default:
						if o, err := s.Store().Get(pvcR, "default", "www-"+pod); err == nil {
							pvc := o.(*corev1.PersistentVolumeClaim).DeepCopy()
							pvc.Labels["step"] = fmt.Sprint(step)
							if _, err := s.Store().Update(pvcR, pvc, store.UpdateOptions{}); err != nil {
								t.Logf("step %d: edit claim: %v", step, err)
							}
						}
					}
					s.Advance(time.Duration(rnd.IntN(4000)) * time.Millisecond)
				}
				updateSts(t, s, func(x *appsv1.StatefulSet) {
					if ru := x.Spec.UpdateStrategy.RollingUpdate; ru != nil {
						ru.Partition = ptr(int32(0)) // every pod on the update revision at the end
					}
				})
				want := int32(*getSts(t, s, "web").Spec.Replicas)
				if !s.RunUntil(func() bool {
					st := getSts(t, s, "web").Status
					return st.ReadyReplicas == want && st.Replicas == want && st.UpdatedReplicas == want && len(pods(s, "app=nginx")) == int(want)
				}, 10*time.Minute) {
					t.Fatalf("did not settle at %d replicas: %+v", want, getSts(t, s, "web").Status)
				}
				if s.ctrls.StatefulSet.FastSyncs() == 0 {
					t.Error("no sync visited only the ordinals needing attention")
				}
			})
		}
	}
}

// A Parallel set of 150 scaled down to 20 (the view's holes outnumber its members and are
// squeezed out), rolled to a new image (each pod leaves a hole its successor takes back) and
// scaled up again: under Verify every fast sync matched the full walk, and the set ends with
// 150 Ready pods on the new image.
func TestStatefulSetViewHoles(t *testing.T) {
	s := newSim(t)
	set := webSet(150)
	set.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	create(t, s, svcR, nginxService())
	create(t, s, stsR, set)
	ready := func(n int32, image string) func() bool {
		return func() bool {
			st := getSts(t, s, "web").Status
			if st.ReadyReplicas != n || st.Replicas != n || st.UpdatedReplicas != n || st.CurrentRevision != st.UpdateRevision {
				return false
			}
			ps := pods(s, "app=nginx")
			for _, p := range ps {
				if image != "" && p.Spec.Containers[0].Image != image {
					return false
				}
			}
			return len(ps) == int(n)
		}
	}
	if !s.RunUntil(ready(150, ""), 10*time.Minute) {
		t.Fatalf("150 pods not ready: %+v", getSts(t, s, "web").Status)
	}
	updateSts(t, s, func(x *appsv1.StatefulSet) { x.Spec.Replicas = ptr(int32(20)) })
	if !s.RunUntil(ready(20, ""), 10*time.Minute) {
		t.Fatalf("not scaled down to 20: %+v", getSts(t, s, "web").Status)
	}
	const img = "gcr.io/google_containers/nginx-slim:0.8"
	updateSts(t, s, func(x *appsv1.StatefulSet) { x.Spec.Template.Spec.Containers[0].Image = img })
	if !s.RunUntil(ready(20, img), 10*time.Minute) {
		t.Fatalf("rolling update of 20 did not finish: %+v", getSts(t, s, "web").Status)
	}
	fast := s.ctrls.StatefulSet.FastSyncs()
	updateSts(t, s, func(x *appsv1.StatefulSet) { x.Spec.Replicas = ptr(int32(150)) })
	if !s.RunUntil(ready(150, img), 10*time.Minute) {
		t.Fatalf("not scaled up to 150: %+v", getSts(t, s, "web").Status)
	}
	if s.ctrls.StatefulSet.FastSyncs() == fast {
		t.Error("no sync of the scale-up visited only the ordinals needing attention")
	}
}
