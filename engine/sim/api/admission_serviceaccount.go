package api

import (
	"fmt"
	"hash/fnv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// The ServiceAccount admission plugin's part of a new pod: the service account (default
// "default", shown both as serviceAccountName and the deprecated serviceAccount) and, unless
// the pod opts out with automountServiceAccountToken: false, the kube-api-access-xxxxx
// projected volume (a bound token, the kube-root-ca.crt CA and the namespace) mounted
// read-only in every container at /var/run/secrets/kubernetes.io/serviceaccount.
//
// Unlike kube-apiserver, a pod whose ServiceAccount does not exist (yet) is admitted: the
// simulator's serviceaccount controller creates `default` on the control loop, and refusing a
// pod created in the same instant would turn a race a real cluster wins in milliseconds into
// an error (see KNOWN_DIFFERENCES.md).

const (
	serviceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	tokenExpirationSeconds  = 3607 // the plugin's default expiration
)

func admitServiceAccount(p *corev1.Pod) {
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = p.Spec.DeprecatedServiceAccount
	}
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = "default"
	}
	p.Spec.DeprecatedServiceAccount = p.Spec.ServiceAccountName
	if p.Spec.AutomountServiceAccountToken != nil && !*p.Spec.AutomountServiceAccountToken {
		return
	}
	for _, c := range append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...) {
		for _, m := range c.VolumeMounts {
			if m.MountPath == serviceAccountMountPath {
				return // the author mounted something there already
			}
		}
	}
	name := "kube-api-access-" + apiAccessSuffix(p)
	mode := int32(0o644)
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{DefaultMode: &mode, Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: ptr.To[int64](tokenExpirationSeconds), Path: "token"}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		}}}})
	mount := corev1.VolumeMount{Name: name, ReadOnly: true, MountPath: serviceAccountMountPath}
	for i := range p.Spec.InitContainers {
		p.Spec.InitContainers[i].VolumeMounts = append(p.Spec.InitContainers[i].VolumeMounts, mount)
	}
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].VolumeMounts = append(p.Spec.Containers[i].VolumeMounts, mount)
	}
}

// apiAccessSuffix is the volume's 5-character suffix, from the pod's identity so a seeded run
// repeats (the real plugin draws it at random).
func apiAccessSuffix(p *corev1.Pod) string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789" // apimachinery's rand.String alphabet
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%s/%s/%s", p.Namespace, p.Name, p.GenerateName, p.UID)
	v := h.Sum64()
	var b strings.Builder
	for i := 0; i < 5; i++ {
		b.WriteByte(alphabet[v%uint64(len(alphabet))])
		v /= uint64(len(alphabet))
	}
	return b.String()
}
