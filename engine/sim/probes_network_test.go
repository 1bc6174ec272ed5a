package sim

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// e2eWebSet is the StatefulSet of Kubernetes' e2e StatefulSet specs: agnhost test-webserver,
// a file server over the container's root, with a readiness probe reading /localhost.crt.
func e2eWebSet(replicas int32) *corev1.PodTemplateSpec {
	set := webSet(replicas)
	c := &set.Spec.Template.Spec.Containers[0]
	c.Name, c.Image, c.Args = "webserver", "registry.k8s.io/e2e-test-images/agnhost:2.55", []string{"test-webserver"}
	c.VolumeMounts = nil
	c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path: "/localhost.crt", Port: intstr.FromInt32(80)}}, PeriodSeconds: 1, SuccessThreshold: 1, FailureThreshold: 1}
	return &set.Spec.Template
}

// An httpGet readiness probe reaches the simulated server in the pod: moving the file it
// reads away (as the e2e "halt if any stateful pod is unhealthy" spec does with
// `mv -v /localhost.crt /tmp/`) makes the pod unready with the kubelet's message, and moving it
// back makes it ready again. A tcpSocket probe on a port nothing listens on fails.
func TestHTTPProbeReachesSimulatedServer(t *testing.T) {
	s := newSim(t)
	set := webSet(1)
	set.Spec.VolumeClaimTemplates = nil
	set.Spec.Template = *e2eWebSet(1)
	startWeb(t, s, set)

	run := func(cmd string) string {
		t.Helper()
		var out bytes.Buffer
		code, err := s.cfg.Runner.Run(context.Background(), getPod(s, "web-0"), "webserver",
			[]string{"/bin/sh", "-x", "-c", cmd}, container.Streams{Stdout: &out, Stderr: &out})
		if err != nil || code != 0 {
			t.Fatalf("%s: code %d err %v: %s", cmd, code, err, out.String())
		}
		return out.String()
	}
	ready := func(want bool) func() bool {
		return func() bool { r, _ := podColumns(getPod(s, "web-0")); return (r == "1/1") == want }
	}
	run("mv -v /localhost.crt /tmp/ || true")
	if !s.RunUntil(ready(false), time.Minute) {
		t.Fatal("web-0 stayed ready with /localhost.crt moved away")
	}
	if !strings.Contains(eventMessages(s), "Readiness probe failed: HTTP probe failed with statuscode: 404") {
		t.Errorf("no Unhealthy event with the kubelet's text; events:\n%s", eventMessages(s))
	}
	run("mv -v /tmp/localhost.crt / || true")
	if !s.RunUntil(ready(true), time.Minute) {
		t.Fatal("web-0 not ready again after /localhost.crt came back")
	}

	updateSts(t, s, func(set *appsv1.StatefulSet) {
		set.Spec.Template.Spec.Containers[0].ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
			TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(81)}}, PeriodSeconds: 1, FailureThreshold: 1, SuccessThreshold: 1}
	})
	if !s.RunUntil(func() bool {
		return strings.Contains(eventMessages(s), "Readiness probe failed: dial tcp ") && strings.Contains(eventMessages(s), ":81: connect: connection refused")
	}, 5*time.Minute) {
		t.Fatalf("a tcpSocket probe on a closed port did not fail; events:\n%s", eventMessages(s))
	}
}

func eventMessages(s *Sim) string {
	objs, _ := s.Store().List(store.MustLookup("events"), "", nil, nil)
	var b strings.Builder
	for _, o := range objs {
		b.WriteString(o.(*corev1.Event).Message + "\n")
	}
	return b.String()
}
