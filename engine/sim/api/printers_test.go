package api

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Item A.6/A.6b: the STATUS and READY columns at each lifecycle point.
func TestPodStatusColumn(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 10, 0, 0, time.UTC)
	created := metav1.NewTime(now.Add(-90 * time.Second))
	deleted := metav1.NewTime(now.Add(30 * time.Second))
	waiting := func(r string) corev1.ContainerState {
		return corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: r}}
	}
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	term := func(code int32, reason string) corev1.ContainerState {
		return corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}
	}
	two := []corev1.Container{{Name: "mysql"}, {Name: "xtrabackup"}}
	inits := []corev1.Container{{Name: "init-mysql"}, {Name: "clone-mysql"}}
	cases := []struct {
		name         string
		pod          corev1.Pod
		ready, state string
	}{
		{"pending", corev1.Pod{Spec: corev1.PodSpec{Containers: two[:1]}, Status: corev1.PodStatus{Phase: "Pending"}}, "0/1", "Pending"},
		{"container creating", corev1.Pod{Spec: corev1.PodSpec{Containers: two[:1]}, Status: corev1.PodStatus{Phase: "Pending",
			ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", State: waiting("ContainerCreating")}}}}, "0/1", "ContainerCreating"},
		{"init 0/2", corev1.Pod{Spec: corev1.PodSpec{InitContainers: inits, Containers: two}, Status: corev1.PodStatus{Phase: "Pending",
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init-mysql", State: running}, {Name: "clone-mysql", State: waiting("PodInitializing")}},
			ContainerStatuses:     []corev1.ContainerStatus{{Name: "mysql", State: waiting("PodInitializing")}, {Name: "xtrabackup", State: waiting("PodInitializing")}}}}, "0/2", "Init:0/2"},
		{"init 1/2", corev1.Pod{Spec: corev1.PodSpec{InitContainers: inits, Containers: two}, Status: corev1.PodStatus{Phase: "Pending",
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init-mysql", State: term(0, "Completed")}, {Name: "clone-mysql", State: running}}}}, "0/2", "Init:1/2"},
		{"init error", corev1.Pod{Spec: corev1.PodSpec{InitContainers: inits, Containers: two}, Status: corev1.PodStatus{Phase: "Pending",
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init-mysql", State: term(1, "Error")}}}}, "0/2", "Init:Error"},
		{"init crashloop", corev1.Pod{Spec: corev1.PodSpec{InitContainers: inits, Containers: two}, Status: corev1.PodStatus{Phase: "Pending",
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init-mysql", State: waiting("CrashLoopBackOff")}}}}, "0/2", "Init:CrashLoopBackOff"},
		{"init exit code", corev1.Pod{Spec: corev1.PodSpec{InitContainers: inits, Containers: two}, Status: corev1.PodStatus{Phase: "Pending",
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init-mysql", State: term(3, "")}}}}, "0/2", "Init:ExitCode:3"},
		{"pod initializing", corev1.Pod{Spec: corev1.PodSpec{InitContainers: inits, Containers: two}, Status: corev1.PodStatus{Phase: "Pending",
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init-mysql", State: term(0, "Completed")}, {Name: "clone-mysql", State: term(0, "Completed")}},
			ContainerStatuses:     []corev1.ContainerStatus{{Name: "mysql", State: waiting("PodInitializing")}, {Name: "xtrabackup", State: waiting("PodInitializing")}}}}, "0/2", "PodInitializing"},
		{"1/2 running", corev1.Pod{Spec: corev1.PodSpec{Containers: two}, Status: corev1.PodStatus{Phase: "Running",
			ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", State: running}, {Name: "xtrabackup", State: running, Ready: true}}}}, "1/2", "Running"},
		{"lowest index reason wins", corev1.Pod{Spec: corev1.PodSpec{Containers: two}, Status: corev1.PodStatus{Phase: "Running",
			ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", State: waiting("CrashLoopBackOff")}, {Name: "xtrabackup", State: waiting("ErrImagePull")}}}}, "0/2", "CrashLoopBackOff"},
		{"terminating", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &deleted}, Spec: corev1.PodSpec{Containers: two[:1]}, Status: corev1.PodStatus{Phase: "Running",
			ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", State: running, Ready: true}}}}, "1/1", "Terminating"},
		{"completed after delete (1.31+)", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &deleted}, Spec: corev1.PodSpec{Containers: two[:1]}, Status: corev1.PodStatus{Phase: "Succeeded",
			ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", State: term(0, "Completed")}}}}, "0/1", "Completed"},
		{"error after delete", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &deleted}, Spec: corev1.PodSpec{Containers: two[:1]}, Status: corev1.PodStatus{Phase: "Failed",
			ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", State: term(137, "Error")}}}}, "0/1", "Error"},
		{"node lost", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &deleted}, Spec: corev1.PodSpec{Containers: two[:1]}, Status: corev1.PodStatus{Phase: "Running", Reason: "NodeLost"}}, "0/1", "Unknown"},
		{"completed but one running", corev1.Pod{Spec: corev1.PodSpec{Containers: two}, Status: corev1.PodStatus{Phase: "Running",
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "mysql", State: term(0, "Completed")}, {Name: "xtrabackup", State: running, Ready: true}}}}, "1/2", "NotReady"},
		{"evicted", corev1.Pod{Spec: corev1.PodSpec{Containers: two[:1]}, Status: corev1.PodStatus{Phase: "Failed", Reason: "Evicted"}}, "0/1", "Evicted"},
	}
	for _, c := range cases {
		c.pod.Name, c.pod.CreationTimestamp = "mysql-0", created
		cells, _ := podRow(&c.pod, now)
		if cells[1] != c.ready || cells[2] != c.state || cells[4] != "90s" {
			t.Errorf("%s: READY %v STATUS %v AGE %v, want %s %s 90s", c.name, cells[1], cells[2], cells[4], c.ready, c.state)
		}
	}
}

func TestAgeFormatting(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{0: "0s", 119 * time.Second: "119s", 150 * time.Second: "2m30s",
		25 * time.Minute: "25m", 5*time.Hour + 7*time.Minute: "5h7m", 3 * 24 * time.Hour: "3d", -500 * time.Millisecond: "0s"} {
		if got := age(metav1.NewTime(now.Add(-d)), now); got != want {
			t.Errorf("age(%v) = %q, want %q", d, got, want)
		}
	}
	if got := age(metav1.Time{}, now); got != "<unknown>" {
		t.Errorf("zero time: %q", got)
	}
}

func TestOtherPrinters(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "nginx", CreationTimestamp: metav1.NewTime(now.Add(-12 * time.Second))},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIPs: []string{"None"}, Ports: []corev1.ServicePort{{Port: 80, Protocol: "TCP"}}}}
	cells, _ := servicePrinter.row(svc, now)
	if cells[0] != "nginx" || cells[1] != "ClusterIP" || cells[2] != "None" || cells[3] != "<none>" || cells[4] != "80/TCP" || cells[5] != "12s" || cells[6] != "<none>" {
		t.Errorf("service cells %v", cells)
	}
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "web.1"}, Type: "Normal", Reason: "SuccessfulCreate",
		InvolvedObject: corev1.ObjectReference{Kind: "StatefulSet", Name: "web"}, Message: "create Pod web-0 in StatefulSet web successful",
		Source: corev1.EventSource{Component: "statefulset-controller"}, FirstTimestamp: metav1.NewTime(now.Add(-time.Minute)), LastTimestamp: metav1.NewTime(now.Add(-time.Minute))}
	cells, _ = eventPrinter.row(ev, now)
	if cells[0] != "60s" || cells[3] != "statefulset/web" || cells[5] != "statefulset-controller" || cells[8] != int64(1) {
		t.Errorf("event cells %v", cells)
	}
}
