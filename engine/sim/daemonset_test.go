package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// fluentdDS is the walkthrough's fluentd-elasticsearch DaemonSet (seeds/002_*), in default.
func fluentdDS() *appsv1.DaemonSet {
	hp := func(name, path string) corev1.Volume {
		return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}}
	}
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "fluentd-elasticsearch", Namespace: "default", Labels: map[string]string{"k8s-app": "fluentd-logging"}},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"name": "fluentd-elasticsearch"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"name": "fluentd-elasticsearch"}},
				Spec: corev1.PodSpec{
					Tolerations: []corev1.Toleration{{Key: "node-role.kubernetes.io/master", Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{Name: "fluentd-elasticsearch", Image: "quay.io/fluentd_elasticsearch/fluentd:v2.5.2",
						Resources: corev1.ResourceRequirements{
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("200Mi")},
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("200Mi")}},
						VolumeMounts: []corev1.VolumeMount{{Name: "varlog", MountPath: "/var/log"},
							{Name: "varlibdockercontainers", MountPath: "/var/lib/docker/containers", ReadOnly: true}}}},
					TerminationGracePeriodSeconds: ptr(int64(30)),
					Volumes:                       []corev1.Volume{hp("varlog", "/var/log"), hp("varlibdockercontainers", "/var/lib/docker/containers")},
				},
			},
		},
	}
}

const fluentdSel = "name=fluentd-elasticsearch"

func getDS(t *testing.T, s *Sim) *appsv1.DaemonSet {
	t.Helper()
	o, err := s.Store().Get(dsR, "default", "fluentd-elasticsearch")
	if err != nil {
		t.Fatal(err)
	}
	return o.(*appsv1.DaemonSet)
}

// podsByNode is "node=image" for every live DaemonSet pod, sorted.
func podsByNode(s *Sim) string {
	var out []string
	for _, p := range livePods(s, fluentdSel) {
		out = append(out, p.Spec.NodeName+"="+p.Spec.Containers[0].Image)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func dsRolledOut(s *Sim, image string) func() bool {
	return func() bool {
		want := fmt.Sprintf("sim-node-1=%s,sim-node-2=%s,sim-node-3=%s", image, image, image)
		if podsByNode(s) != want || !allRunning(s, fluentdSel, 3)() {
			return false
		}
		o, _ := s.Store().Get(dsR, "default", "fluentd-elasticsearch")
		st := o.(*appsv1.DaemonSet).Status
		return st.NumberAvailable == 3 && st.UpdatedNumberScheduled == 3
	}
}

var dsPodName = regexp.MustCompile(`^fluentd-elasticsearch-[bcdfghjklmnpqrstvwxz2456789]{5}$`)

func TestDaemonSet_OnePodPerNodePinnedByAffinity(t *testing.T) {
	s := newSim(t)
	create(t, s, dsR, fluentdDS())
	if !s.RunUntil(dsRolledOut(s, "quay.io/fluentd_elasticsearch/fluentd:v2.5.2"), 2*time.Minute) {
		t.Fatalf("pods: %s", podsByNode(s))
	}
	s.Settle()
	ds := getDS(t, s)
	for _, p := range livePods(s, fluentdSel) {
		if !dsPodName.MatchString(p.Name) {
			t.Errorf("pod name %q", p.Name)
		}
		terms := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		if len(terms) != 1 || len(terms[0].MatchFields) != 1 || terms[0].MatchFields[0].Key != "metadata.name" ||
			terms[0].MatchFields[0].Values[0] != p.Spec.NodeName {
			t.Errorf("pod %s on %s affinity %+v", p.Name, p.Spec.NodeName, terms)
		}
		if p.Labels["controller-revision-hash"] == "" || p.Labels["pod-template-generation"] != "1" {
			t.Errorf("pod labels %v", p.Labels)
		}
		keys := map[string]bool{}
		for _, tol := range p.Spec.Tolerations {
			keys[tol.Key+":"+string(tol.Effect)] = true
		}
		for _, k := range []string{"node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/unreachable:NoExecute",
			"node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule",
			"node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule", "node-role.kubernetes.io/master:NoSchedule"} {
			if !keys[k] {
				t.Errorf("pod %s lacks toleration %s", p.Name, k)
			}
		}
		if ref := metav1.GetControllerOf(p); ref == nil || ref.Kind != "DaemonSet" || ref.UID != ds.UID {
			t.Errorf("owner %+v", p.OwnerReferences)
		}
	}
	st := ds.Status
	if st.DesiredNumberScheduled != 3 || st.CurrentNumberScheduled != 3 || st.NumberReady != 3 || st.UpdatedNumberScheduled != 3 ||
		st.NumberAvailable != 3 || st.NumberUnavailable != 0 || st.NumberMisscheduled != 0 || st.ObservedGeneration != ds.Generation {
		t.Errorf("status %+v", st)
	}
	if ds.Annotations["deprecated.daemonset.template.generation"] != "1" {
		t.Errorf("annotations %v", ds.Annotations)
	}
	revs, _ := s.Store().List(revR, "default", labels.Everything(), nil)
	if len(revs) != 1 || revs[0].(*appsv1.ControllerRevision).Revision != 1 {
		t.Errorf("controller revisions %d", len(revs))
	}
	evs := eventsAbout(s, "DaemonSet", "fluentd-elasticsearch")
	if len(evs) != 3 || !strings.HasPrefix(evs[0], "SuccessfulCreate Created pod: fluentd-elasticsearch-") {
		t.Errorf("events %q", evs)
	}

	// A deleted pod comes back on the same node.
	victim := livePods(s, fluentdSel)[0]
	if _, err := s.Store().Delete(podsR, "default", victim.Name, store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool {
		return getPod(s, victim.Name) == nil && dsRolledOut(s, "quay.io/fluentd_elasticsearch/fluentd:v2.5.2")()
	}, 2*time.Minute) {
		t.Fatalf("pods after delete: %s", podsByNode(s))
	}
}

func TestDaemonSet_NodeSelectorLimitsNodes(t *testing.T) {
	s := newSim(t)
	ds := fluentdDS()
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"kubernetes.io/hostname": "sim-node-2"}
	create(t, s, dsR, ds)
	s.Advance(time.Minute)
	if got := podsByNode(s); got != "sim-node-2=quay.io/fluentd_elasticsearch/fluentd:v2.5.2" {
		t.Errorf("pods %s", got)
	}
	if st := getDS(t, s).Status; st.DesiredNumberScheduled != 1 || st.NumberAvailable != 1 {
		t.Errorf("status %+v", st)
	}
}

// RollingUpdate with maxUnavailable 1: one node at a time loses its pod, whose replacement
// appears on the same node once the old one is gone.
func TestDaemonSet_RollingUpdateOneNodeAtATime(t *testing.T) {
	s := newSim(t)
	create(t, s, dsR, fluentdDS())
	s.RunUntil(dsRolledOut(s, "quay.io/fluentd_elasticsearch/fluentd:v2.5.2"), 2*time.Minute)
	s.Settle()
	var broken []string
	s.Store().Subscribe(func(ev store.Event) {
		if ev.Resource.Name != "daemonsets" {
			return
		}
		if st := ev.Object.(*appsv1.DaemonSet).Status; st.NumberUnavailable > 1 {
			broken = append(broken, fmt.Sprintf("%+v", st))
		}
	})
	ds := getDS(t, s)
	ds.Spec.Template.Spec.Containers[0].Image = "quay.io/fluentd_elasticsearch/fluentd:v2.6.0"
	if _, err := s.Store().Update(dsR, ds, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	terminating := 0
	for _, p := range pods(s, fluentdSel) {
		if p.DeletionTimestamp != nil {
			terminating++
		}
	}
	if terminating != 1 {
		t.Errorf("%d pods terminating right after the update, want 1", terminating)
	}
	if !s.RunUntil(dsRolledOut(s, "quay.io/fluentd_elasticsearch/fluentd:v2.6.0"), 5*time.Minute) {
		t.Fatalf("pods %s", podsByNode(s))
	}
	if len(broken) > 0 {
		t.Errorf("more than one node unavailable: %v", broken)
	}
	ds = getDS(t, s)
	if ds.Annotations["deprecated.daemonset.template.generation"] != "2" {
		t.Errorf("template generation %q", ds.Annotations["deprecated.daemonset.template.generation"])
	}
	for _, p := range livePods(s, fluentdSel) {
		if p.Labels["pod-template-generation"] != "2" {
			t.Errorf("pod %s labels %v", p.Name, p.Labels)
		}
	}
	if revs, _ := s.Store().List(revR, "default", nil, nil); len(revs) != 2 {
		t.Errorf("%d controller revisions, want 2", len(revs))
	}
}

const fluentdYAML = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      tolerations:
      - key: node-role.kubernetes.io/master
        effect: NoSchedule
      containers:
      - name: fluentd-elasticsearch
        image: quay.io/fluentd_elasticsearch/fluentd:v2.5.2
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
        volumeMounts:
        - name: varlog
          mountPath: /var/log
        - name: varlibdockercontainers
          mountPath: /var/lib/docker/containers
          readOnly: true
      terminationGracePeriodSeconds: 30
      volumes:
      - name: varlog
        hostPath:
          path: /var/log
      - name: varlibdockercontainers
        hostPath:
          path: /var/lib/docker/containers
`

func TestKubectlDaemonSet(t *testing.T) {
	k := newSimKubectl(t)
	if err := os.WriteFile(filepath.Join(k.dir, "fluentd.yaml"), []byte(fluentdYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := k.must(t, "apply", "-f", "fluentd.yaml"); out != "daemonset.apps/fluentd-elasticsearch created\n" {
		t.Fatalf("apply: %q", out)
	}
	if out := k.must(t, "rollout", "status", "ds/fluentd-elasticsearch", "-n", "kube-system"); !strings.HasSuffix(out, "daemon set \"fluentd-elasticsearch\" successfully rolled out\n") {
		t.Errorf("rollout status: %q", out)
	}
	k.idle(t)
	out := k.must(t, "get", "ds", "-n", "kube-system")
	if h := header(out); h != "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE" {
		t.Errorf("header %q", h)
	}
	if row := table(out)[1]; strings.Join(row[:7], " ") != "fluentd-elasticsearch 3 3 3 3 3 <none>" {
		t.Errorf("row %q", row)
	}
	out = k.must(t, "get", "ds", "-n", "kube-system", "-o", "wide")
	if h := header(out); h != "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE CONTAINERS IMAGES SELECTOR" {
		t.Errorf("wide header %q", h)
	}
	out = k.must(t, "get", "pods", "-n", "kube-system", "-o", "wide")
	for _, n := range []string{"sim-node-1", "sim-node-2", "sim-node-3"} {
		if strings.Count(out, n) != 1 {
			t.Errorf("node %s does not run exactly one pod:\n%s", n, out)
		}
	}
	k.must(t, "set", "image", "ds/fluentd-elasticsearch", "-n", "kube-system", "fluentd-elasticsearch=quay.io/fluentd_elasticsearch/fluentd:v2.6.0")
	k.must(t, "rollout", "status", "ds/fluentd-elasticsearch", "-n", "kube-system")
	k.idle(t)
	out = k.must(t, "rollout", "history", "ds/fluentd-elasticsearch", "-n", "kube-system")
	if want := "daemonset.apps/fluentd-elasticsearch \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"; out != want {
		t.Errorf("rollout history %q", out)
	}
	if out := k.must(t, "rollout", "undo", "ds/fluentd-elasticsearch", "-n", "kube-system"); out != "daemonset.apps/fluentd-elasticsearch rolled back\n" {
		t.Errorf("undo: %q", out)
	}
	k.must(t, "rollout", "status", "ds/fluentd-elasticsearch", "-n", "kube-system")
	k.idle(t)
	out = k.must(t, "get", "pods", "-n", "kube-system", "-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {end}")
	if strings.Count(out, "fluentd:v2.5.2") != 3 {
		t.Errorf("images after undo: %q", out)
	}
	out = k.must(t, "rollout", "history", "ds/fluentd-elasticsearch", "-n", "kube-system")
	if want := "daemonset.apps/fluentd-elasticsearch \nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n\n"; out != want {
		t.Errorf("rollout history after undo %q", out)
	}
}

// RollingUpdate with maxSurge 1 / maxUnavailable 0: a node gets its new pod before its old
// one goes, one node at a time, so every node keeps an available pod.
func TestDaemonSet_RollingUpdateWithSurge(t *testing.T) {
	s := newSim(t)
	ds := fluentdDS()
	ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxSurge: ptr(intstr.FromInt32(1)), MaxUnavailable: ptr(intstr.FromInt32(0))}}
	create(t, s, dsR, ds)
	s.RunUntil(dsRolledOut(s, "quay.io/fluentd_elasticsearch/fluentd:v2.5.2"), 2*time.Minute)
	s.Settle()
	var broken []string
	s.Store().Subscribe(func(ev store.Event) {
		if ev.Resource.Name != "daemonsets" {
			return
		}
		if st := ev.Object.(*appsv1.DaemonSet).Status; st.NumberAvailable < 3 || st.CurrentNumberScheduled != 3 {
			broken = append(broken, fmt.Sprintf("%+v", st))
		}
	})
	ds = getDS(t, s)
	ds.Spec.Template.Spec.Containers[0].Image = "quay.io/fluentd_elasticsearch/fluentd:v2.6.0"
	if _, err := s.Store().Update(dsR, ds, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if n := len(livePods(s, fluentdSel)); n != 4 {
		t.Errorf("%d live pods right after the update, want 4 (one surge pod)", n)
	}
	if !s.RunUntil(dsRolledOut(s, "quay.io/fluentd_elasticsearch/fluentd:v2.6.0"), 5*time.Minute) {
		t.Fatalf("pods %s", podsByNode(s))
	}
	if len(broken) > 0 {
		t.Errorf("availability dropped: %v", broken)
	}
}

// OnDelete: a template change replaces no pod until the learner deletes it.
func TestDaemonSet_OnDelete(t *testing.T) {
	s := newSim(t)
	ds := fluentdDS()
	ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
	create(t, s, dsR, ds)
	s.RunUntil(dsRolledOut(s, "quay.io/fluentd_elasticsearch/fluentd:v2.5.2"), 2*time.Minute)
	ds = getDS(t, s)
	ds.Spec.Template.Spec.Containers[0].Image = "quay.io/fluentd_elasticsearch/fluentd:v2.6.0"
	if _, err := s.Store().Update(dsR, ds, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	old := "quay.io/fluentd_elasticsearch/fluentd:v2.5.2"
	if got := podsByNode(s); got != "sim-node-1="+old+",sim-node-2="+old+",sim-node-3="+old {
		t.Fatalf("OnDelete replaced pods by itself: %s", got)
	}
	if st := getDS(t, s).Status; st.UpdatedNumberScheduled != 0 || st.NumberAvailable != 3 {
		t.Errorf("status %+v", st)
	}
	for _, p := range livePods(s, fluentdSel) {
		if p.Spec.NodeName == "sim-node-2" {
			if _, err := s.Store().Delete(podsR, "default", p.Name, store.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := "sim-node-1=" + old + ",sim-node-2=quay.io/fluentd_elasticsearch/fluentd:v2.6.0,sim-node-3=" + old
	if !s.RunUntil(func() bool { return podsByNode(s) == want && allRunning(s, fluentdSel, 3)() }, 2*time.Minute) {
		t.Fatalf("pods %s", podsByNode(s))
	}
}
