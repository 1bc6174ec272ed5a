package manifests

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// Every image `kubetutor manifests export` writes comes from a registry a current
// containerd pulls from.
func TestManifestImagesArePullable(t *testing.T) {
	seen := 0
	for _, name := range Names() {
		for _, obj := range decodeAll(t, name) {
			var spec *corev1.PodSpec
			switch o := obj.(type) {
			case *corev1.Pod:
				spec = &o.Spec
			case *appsv1.StatefulSet:
				spec = &o.Spec.Template.Spec
			case *appsv1.Deployment:
				spec = &o.Spec.Template.Spec
			case *appsv1.ReplicaSet:
				spec = &o.Spec.Template.Spec
			case *appsv1.DaemonSet:
				spec = &o.Spec.Template.Spec
			}
			if spec == nil {
				continue
			}
			for _, c := range append(append([]corev1.Container(nil), spec.InitContainers...), spec.Containers...) {
				seen++
				if p := ImageProblem(c.Image); p != "" {
					t.Errorf("%s: container %s: image %q: %s", name, c.Name, c.Image, p)
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("found only %d containers in the manifests", seen)
	}
}

func TestImageProblem(t *testing.T) {
	for ref, bad := range map[string]bool{
		"registry.k8s.io/nginx-slim:0.24": false,
		"busybox:1.28":                    false,
		"mysql:5.7":                       false,
		"luksa/kubia-pet":                 false,
		"us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5": false,
		"k8s.gcr.io/nginx-slim:0.8":                                      true,
		"gcr.io/google_containers/nginx-slim:0.8":                        true,
		"tutum/dnsutils":           true,
		"docker.io/tutum/dnsutils": true,
		"quay.io/someone/thing:1":  true,
	} {
		if got := ImageProblem(ref) != ""; got != bad {
			t.Errorf("ImageProblem(%q) = %q", ref, ImageProblem(ref))
		}
	}
}
