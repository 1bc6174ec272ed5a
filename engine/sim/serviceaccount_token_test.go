package sim

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A new pod gets the ServiceAccount admission plugin's additions: serviceAccountName (and the
// deprecated serviceAccount) "default", and the kube-api-access-xxxxx projected volume (token,
// kube-root-ca.crt, namespace) mounted read-only in every container; a pod that opts out with
// automountServiceAccountToken: false gets no volume.
func TestServiceAccountTokenVolume(t *testing.T) {
	s := newSim(t)
	pod := func(name string, automount *bool) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: corev1.PodSpec{AutomountServiceAccountToken: automount,
				InitContainers: []corev1.Container{{Name: "init", Image: "busybox:1.28", Command: []string{"true"}}},
				Containers:     []corev1.Container{{Name: "app", Image: "busybox:1.28"}}}}
	}
	create(t, s, podsR, pod("with", nil))
	p := getPod(s, "with")
	if p.Spec.ServiceAccountName != "default" || p.Spec.DeprecatedServiceAccount != "default" {
		t.Errorf("service account: %q / %q", p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount)
	}
	if len(p.Spec.Volumes) != 1 || !strings.HasPrefix(p.Spec.Volumes[0].Name, "kube-api-access-") || len(p.Spec.Volumes[0].Name) != len("kube-api-access-")+5 {
		t.Fatalf("volumes: %+v", p.Spec.Volumes)
	}
	src := p.Spec.Volumes[0].Projected
	if src == nil || len(src.Sources) != 3 || src.Sources[0].ServiceAccountToken.Path != "token" ||
		*src.Sources[0].ServiceAccountToken.ExpirationSeconds != 3607 || src.Sources[1].ConfigMap.Name != "kube-root-ca.crt" ||
		src.Sources[2].DownwardAPI.Items[0].FieldRef.FieldPath != "metadata.namespace" || *src.DefaultMode != 0o644 {
		t.Fatalf("projected volume: %+v", src)
	}
	for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
		m := c.VolumeMounts[len(c.VolumeMounts)-1]
		if m.Name != p.Spec.Volumes[0].Name || m.MountPath != "/var/run/secrets/kubernetes.io/serviceaccount" || !m.ReadOnly {
			t.Errorf("container %s mount: %+v", c.Name, m)
		}
	}
	off := false
	create(t, s, podsR, pod("without", &off))
	if p := getPod(s, "without"); len(p.Spec.Volumes) != 0 || p.Spec.ServiceAccountName != "default" {
		t.Errorf("automount false: volumes %+v, sa %q", p.Spec.Volumes, p.Spec.ServiceAccountName)
	}
}
