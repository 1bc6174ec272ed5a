package sim

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/controller"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// nginxDeployment is the walkthrough's nginx-deployment.yaml (seeds/002_*).
func nginxDeployment(replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx-deployment", Namespace: "default", Labels: map[string]string{"app": "nginx"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.14.2",
					Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}},
			},
		},
	}
}

func getDeploy(t *testing.T, s *Sim) *appsv1.Deployment {
	t.Helper()
	o, err := s.Store().Get(deployR, "default", "nginx-deployment")
	if err != nil {
		t.Fatal(err)
	}
	return o.(*appsv1.Deployment)
}

func updateDeploy(t *testing.T, s *Sim, fn func(*appsv1.Deployment)) {
	t.Helper()
	d := getDeploy(t, s)
	fn(d)
	if _, err := s.Store().Update(deployR, d, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func setDeployImage(img string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = img }
}

// replicaSets is "name desired/current/ready" of every ReplicaSet, by name.
func replicaSets(s *Sim) []string {
	objs, _ := s.Store().List(rsR, "default", nil, nil)
	var out []string
	for _, o := range objs {
		rs := o.(*appsv1.ReplicaSet)
		out = append(out, fmt.Sprintf("%s %d/%d/%d", rs.Name, *rs.Spec.Replicas, rs.Status.Replicas, rs.Status.ReadyReplicas))
	}
	return out
}

func rolledOut(s *Sim, image string, n int32) func() bool {
	return func() bool {
		o, err := s.Store().Get(deployR, "default", "nginx-deployment")
		if err != nil {
			return false
		}
		d := o.(*appsv1.Deployment)
		st := d.Status
		if d.Spec.Template.Spec.Containers[0].Image != image || st.ObservedGeneration < d.Generation ||
			st.UpdatedReplicas != n || st.Replicas != n || st.AvailableReplicas != n {
			return false
		}
		ps := pods(s, "app=nginx")
		if len(ps) != int(n) {
			return false
		}
		for _, p := range ps {
			if p.Spec.Containers[0].Image != image {
				return false
			}
		}
		return true
	}
}

func condition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) string {
	for _, c := range d.Status.Conditions {
		if c.Type == t {
			return fmt.Sprintf("%s %s %s", c.Status, c.Reason, c.Message)
		}
	}
	return ""
}

var hashRE = regexp.MustCompile(`^[bcdfghjklmnpqrstvwxz2456789]{1,10}$`)

func TestDeployment_CreatesHashedReplicaSetAndConditions(t *testing.T) {
	s := newSim(t)
	create(t, s, deployR, nginxDeployment(3))
	if !s.RunUntil(rolledOut(s, "nginx:1.14.2", 3), 2*time.Minute) {
		t.Fatalf("not rolled out: %v %+v", replicaSets(s), getDeploy(t, s).Status)
	}
	s.Settle()
	d := getDeploy(t, s)
	hash := controller.PodTemplateHash(&d.Spec.Template, nil)
	if !hashRE.MatchString(hash) {
		t.Errorf("hash %q not in SafeEncodeString's alphabet", hash)
	}
	rsName := "nginx-deployment-" + hash
	rs := getRS(t, s, rsName)
	if rs.Labels["pod-template-hash"] != hash || rs.Spec.Selector.MatchLabels["pod-template-hash"] != hash ||
		rs.Spec.Template.Labels["pod-template-hash"] != hash || rs.Labels["app"] != "nginx" {
		t.Errorf("replica set labels %v selector %v template labels %v", rs.Labels, rs.Spec.Selector, rs.Spec.Template.Labels)
	}
	if ref := metav1.GetControllerOf(rs); ref == nil || ref.Kind != "Deployment" || ref.UID != d.UID {
		t.Errorf("rs owner %+v", rs.OwnerReferences)
	}
	if rs.Annotations["deployment.kubernetes.io/revision"] != "1" || rs.Annotations["deployment.kubernetes.io/desired-replicas"] != "3" ||
		rs.Annotations["deployment.kubernetes.io/max-replicas"] != "4" {
		t.Errorf("rs annotations %v", rs.Annotations)
	}
	if d.Annotations["deployment.kubernetes.io/revision"] != "1" {
		t.Errorf("deployment annotations %v", d.Annotations)
	}
	podRE := regexp.MustCompile("^" + rsName + "-[bcdfghjklmnpqrstvwxz2456789]{5}$")
	for _, p := range pods(s, "app=nginx") {
		if !podRE.MatchString(p.Name) || p.Labels["pod-template-hash"] != hash {
			t.Errorf("pod %s labels %v", p.Name, p.Labels)
		}
	}
	if got := condition(d, appsv1.DeploymentAvailable); got != "True MinimumReplicasAvailable Deployment has minimum availability." {
		t.Errorf("Available: %q", got)
	}
	if got := condition(d, appsv1.DeploymentProgressing); got != fmt.Sprintf("True NewReplicaSetAvailable ReplicaSet %q has successfully progressed.", rsName) {
		t.Errorf("Progressing: %q", got)
	}
	st := d.Status
	if st.Replicas != 3 || st.ReadyReplicas != 3 || st.UpdatedReplicas != 3 || st.AvailableReplicas != 3 || st.UnavailableReplicas != 0 {
		t.Errorf("status %+v", st)
	}
	if evs := eventsAbout(s, "Deployment", "nginx-deployment"); len(evs) != 1 || evs[0] != "ScalingReplicaSet Scaled up replica set "+rsName+" from 0 to 3" {
		t.Errorf("events %q", evs)
	}
	// Equal templates give equal hashes; a different one another.
	if PodTemplateHashOf(d, "nginx:1.14.2") != hash || PodTemplateHashOf(d, "nginx:1.16.1") == hash {
		t.Error("hash does not follow the template")
	}
}

func PodTemplateHashOf(d *appsv1.Deployment, image string) string {
	t := d.Spec.Template.DeepCopy()
	t.Spec.Containers[0].Image = image
	return controller.PodTemplateHash(t, nil)
}

// The walkthrough's `kubectl set image`: with 3 replicas and 25%/25% (surge 1, unavailable
// 0) the sets trade one pod at a time, with the real event messages, never dropping below 3
// available pods nor above 4 pods.
func TestDeployment_RollingUpdateStepsAndEvents(t *testing.T) {
	s := newSim(t)
	create(t, s, deployR, nginxDeployment(3))
	s.RunUntil(rolledOut(s, "nginx:1.14.2", 3), 2*time.Minute)
	s.Settle()
	oldRS := "nginx-deployment-" + PodTemplateHashOf(getDeploy(t, s), "nginx:1.14.2")
	newRS := "nginx-deployment-" + PodTemplateHashOf(getDeploy(t, s), "nginx:1.16.1")
	var worst []string
	s.Store().Subscribe(func(ev store.Event) {
		if ev.Resource.Name != "deployments" {
			return
		}
		st := ev.Object.(*appsv1.Deployment).Status
		if st.AvailableReplicas < 3 || st.Replicas > 4 {
			worst = append(worst, fmt.Sprintf("%+v", st))
		}
	})
	updateDeploy(t, s, setDeployImage("nginx:1.16.1"))
	if !s.RunUntil(rolledOut(s, "nginx:1.16.1", 3), 5*time.Minute) {
		t.Fatalf("not rolled out: %v", replicaSets(s))
	}
	s.Settle()
	if len(worst) > 0 {
		t.Errorf("bounds broken: %v", worst)
	}
	want := []string{
		"ScalingReplicaSet Scaled up replica set " + oldRS + " from 0 to 3",
		"ScalingReplicaSet Scaled up replica set " + newRS + " from 0 to 1",
		"ScalingReplicaSet Scaled down replica set " + oldRS + " from 3 to 2",
		"ScalingReplicaSet Scaled up replica set " + newRS + " from 1 to 2",
		"ScalingReplicaSet Scaled down replica set " + oldRS + " from 2 to 1",
		"ScalingReplicaSet Scaled up replica set " + newRS + " from 2 to 3",
		"ScalingReplicaSet Scaled down replica set " + oldRS + " from 1 to 0",
	}
	if got := eventsAbout(s, "Deployment", "nginx-deployment"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	d := getDeploy(t, s)
	if d.Annotations["deployment.kubernetes.io/revision"] != "2" {
		t.Errorf("revision %q", d.Annotations["deployment.kubernetes.io/revision"])
	}
	if got := strings.Join(replicaSets(s), ","); got != newRS+" 3/3/3,"+oldRS+" 0/0/0" && got != oldRS+" 0/0/0,"+newRS+" 3/3/3" {
		t.Errorf("replica sets %s", got)
	}

	// Rolling back to the first template reuses its set and makes it revision 3.
	updateDeploy(t, s, setDeployImage("nginx:1.14.2"))
	if !s.RunUntil(rolledOut(s, "nginx:1.14.2", 3), 5*time.Minute) {
		t.Fatalf("rollback not rolled out: %v", replicaSets(s))
	}
	s.Settle()
	rs := getRS(t, s, oldRS)
	if rs.Annotations["deployment.kubernetes.io/revision"] != "3" || rs.Annotations["deployment.kubernetes.io/revision-history"] != "1" {
		t.Errorf("reused set annotations %v", rs.Annotations)
	}
	if n := len(replicaSets(s)); n != 2 {
		t.Errorf("%d replica sets, want the two templates' sets", n)
	}
}

// maxSurge 3 / maxUnavailable 2 with 10 replicas, scaled to 15 mid-rollout: the 5 extra
// replicas are spread over both sets in proportion (3 to the old, 2 to the new).
func TestDeployment_ProportionalScaling(t *testing.T) {
	s := newSim(t)
	d := nginxDeployment(10)
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: ptr(intstr.FromInt32(3)), MaxUnavailable: ptr(intstr.FromInt32(2))}}
	create(t, s, deployR, d)
	s.RunUntil(rolledOut(s, "nginx:1.14.2", 10), 2*time.Minute)
	s.Settle()
	oldRS := "nginx-deployment-" + PodTemplateHashOf(getDeploy(t, s), "nginx:1.14.2")
	newRS := "nginx-deployment-" + PodTemplateHashOf(getDeploy(t, s), "nginx:sometag")
	updateDeploy(t, s, setDeployImage("nginx:sometag"))
	s.Settle() // no time passes: the new pods stay Pending
	if o, n := *getRS(t, s, oldRS).Spec.Replicas, *getRS(t, s, newRS).Spec.Replicas; o != 8 || n != 5 {
		t.Fatalf("mid-rollout old %d new %d, want 8 and 5 (as in the walkthrough)", o, n)
	}
	updateDeploy(t, s, func(d *appsv1.Deployment) { d.Spec.Replicas = ptr(int32(15)) })
	s.Settle()
	if o, n := *getRS(t, s, oldRS).Spec.Replicas, *getRS(t, s, newRS).Spec.Replicas; o != 11 || n != 7 {
		t.Errorf("after scaling to 15: old %d new %d, want 11 and 7", o, n)
	}
	if !s.RunUntil(rolledOut(s, "nginx:sometag", 15), 10*time.Minute) {
		t.Fatalf("not rolled out: %v", replicaSets(s))
	}
}

func TestDeployment_RecreateStopsOldPodsFirst(t *testing.T) {
	s := newSim(t)
	d := nginxDeployment(2)
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	create(t, s, deployR, d)
	s.RunUntil(rolledOut(s, "nginx:1.14.2", 2), 2*time.Minute)
	s.Settle()
	r := recordRows(s)
	updateDeploy(t, s, setDeployImage("nginx:1.16.1"))
	if !s.RunUntil(rolledOut(s, "nginx:1.16.1", 2), 5*time.Minute) {
		t.Fatalf("not rolled out: %v", replicaSets(s))
	}
	newRS := "nginx-deployment-" + PodTemplateHashOf(getDeploy(t, s), "nginx:1.16.1")
	// Upstream waits until no old pod is running: each is terminal (Completed) or gone.
	rows := r.snapshot()
	firstNew := -1
	for i, x := range rows {
		if strings.HasPrefix(x.name, newRS) {
			firstNew = i
			break
		}
	}
	if firstNew < 0 {
		t.Fatal("no new pod row")
	}
	lastState := map[string]string{}
	for _, x := range rows[:firstNew] {
		lastState[x.name] = string(x.typ) + " " + x.status
	}
	if len(lastState) != 2 {
		t.Errorf("old pods seen before the first new one: %v", lastState)
	}
	for name, st := range lastState {
		if st != "DELETED Completed" && !strings.HasSuffix(st, " Completed") {
			t.Errorf("old pod %s was %q when the first new pod appeared", name, st)
		}
	}
}

func TestDeployment_PausedHoldsRolloutUntilResumed(t *testing.T) {
	s := newSim(t)
	create(t, s, deployR, nginxDeployment(2))
	s.RunUntil(rolledOut(s, "nginx:1.14.2", 2), 2*time.Minute)
	updateDeploy(t, s, func(d *appsv1.Deployment) { d.Spec.Paused = true })
	s.Settle()
	if got := condition(getDeploy(t, s), appsv1.DeploymentProgressing); got != "Unknown DeploymentPaused Deployment is paused" {
		t.Errorf("paused Progressing: %q", got)
	}
	updateDeploy(t, s, setDeployImage("nginx:1.16.1"))
	s.Advance(time.Minute)
	if n := len(replicaSets(s)); n != 1 {
		t.Errorf("paused deployment made a new set: %v", replicaSets(s))
	}
	if d := getDeploy(t, s); d.Status.ObservedGeneration != d.Generation || d.Annotations["deployment.kubernetes.io/revision"] != "1" {
		t.Errorf("paused: observedGeneration %d generation %d revision %q", d.Status.ObservedGeneration, d.Generation, d.Annotations["deployment.kubernetes.io/revision"])
	}
	updateDeploy(t, s, func(d *appsv1.Deployment) { d.Spec.Paused = false })
	s.Settle()
	if got := condition(getDeploy(t, s), appsv1.DeploymentProgressing); !strings.HasPrefix(got, "True ReplicaSetUpdated") && !strings.HasPrefix(got, "True NewReplicaSetCreated") {
		t.Errorf("resumed Progressing: %q", got)
	}
	if !s.RunUntil(rolledOut(s, "nginx:1.16.1", 2), 5*time.Minute) {
		t.Fatalf("not rolled out after resume: %v", replicaSets(s))
	}
}

func TestDeployment_RevisionHistoryLimitCleansOldSets(t *testing.T) {
	s := newSim(t)
	d := nginxDeployment(1)
	d.Spec.RevisionHistoryLimit = ptr(int32(1))
	create(t, s, deployR, d)
	s.RunUntil(rolledOut(s, "nginx:1.14.2", 1), 2*time.Minute)
	for _, img := range []string{"nginx:a", "nginx:b", "nginx:c"} {
		updateDeploy(t, s, setDeployImage(img))
		if !s.RunUntil(rolledOut(s, img, 1), 5*time.Minute) {
			t.Fatalf("%s not rolled out: %v", img, replicaSets(s))
		}
		s.Advance(time.Second)
	}
	got := replicaSets(s)
	if len(got) != 2 {
		t.Fatalf("replica sets %v, want the new one and one old", got)
	}
	keep := "nginx-deployment-" + PodTemplateHashOf(getDeploy(t, s), "nginx:b")
	if !strings.Contains(strings.Join(got, ","), keep) {
		t.Errorf("kept %v, want %s (revision 3) among them", got, keep)
	}
}

func TestDeployment_ProgressDeadlineExceeded(t *testing.T) {
	s := newSim(t)
	d := nginxDeployment(1)
	d.Spec.ProgressDeadlineSeconds = ptr(int32(30))
	d.Spec.MinReadySeconds = 25
	create(t, s, deployR, d)
	s.RunUntil(rolledOut(s, "nginx:1.14.2", 1), 2*time.Minute)
	s.Settle()
	if got := condition(getDeploy(t, s), appsv1.DeploymentProgressing); !strings.HasPrefix(got, "True NewReplicaSetAvailable") {
		t.Fatalf("Progressing: %q", got)
	}
	// New pods whose readiness probe waits 120s cannot be available within 26s.
	updateDeploy(t, s, func(d *appsv1.Deployment) {
		d.Spec.ProgressDeadlineSeconds = ptr(int32(26))
		d.Spec.MinReadySeconds = 25
		d.Spec.Template.Spec.Containers[0].ReadinessProbe = &corev1.Probe{InitialDelaySeconds: 120,
			ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}
	})
	if !s.RunUntil(func() bool {
		return strings.HasPrefix(condition(getDeploy(t, s), appsv1.DeploymentProgressing), "False ProgressDeadlineExceeded")
	}, 5*time.Minute) {
		t.Fatalf("no timeout: %q", condition(getDeploy(t, s), appsv1.DeploymentProgressing))
	}
	newRS := "nginx-deployment-" + controller.PodTemplateHash(&getDeploy(t, s).Spec.Template, nil)
	if got := condition(getDeploy(t, s), appsv1.DeploymentProgressing); got != fmt.Sprintf("False ProgressDeadlineExceeded ReplicaSet %q has timed out progressing.", newRS) {
		t.Errorf("Progressing: %q", got)
	}
}

// Deleting a Deployment removes its ReplicaSets and their pods through the garbage
// collector (background, as kubectl delete does); foreground waits for them.
func TestDeployment_DeleteCascades(t *testing.T) {
	for _, policy := range []metav1.DeletionPropagation{metav1.DeletePropagationBackground, metav1.DeletePropagationForeground} {
		t.Run(string(policy), func(t *testing.T) {
			s := newSim(t)
			create(t, s, deployR, nginxDeployment(2))
			s.RunUntil(rolledOut(s, "nginx:1.14.2", 2), 2*time.Minute)
			p := policy
			if _, err := s.Store().Delete(deployR, "default", "nginx-deployment", store.DeleteOptions{PropagationPolicy: &p}); err != nil {
				t.Fatal(err)
			}
			s.Settle()
			if n := len(livePods(s, "app=nginx")); n != 0 {
				t.Errorf("%d pods not terminating right after the delete", n)
			}
			if !s.RunUntil(func() bool {
				_, err := s.Store().Get(deployR, "default", "nginx-deployment")
				return err != nil && len(replicaSets(s)) == 0 && len(pods(s, "app=nginx")) == 0
			}, 2*time.Minute) {
				t.Fatalf("left: rs %v pods %s", replicaSets(s), podNames(pods(s, "app=nginx")))
			}
		})
	}
}
