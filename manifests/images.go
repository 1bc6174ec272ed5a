package manifests

import "strings"

// Registries that serve images a current containerd (2.x) pulls: Docker Hub's official and
// user images (schema 2 / OCI), registry.k8s.io, and Google's Artifact Registry, where the
// GKE samples moved. The frozen k8s.gcr.io and gcr.io/google_containers serve old schema-1
// images that containerd 2 refuses; tutum/dnsutils is schema 1 as well.
var pullableRegistries = []string{"docker.io", "registry.k8s.io", "us-docker.pkg.dev", "gcr.io/google-samples"}

var unpullable = []string{"k8s.gcr.io/", "gcr.io/google_containers/", "gcr.io/google_samples/", "tutum/"}

// ImageProblem says why a current containerd may fail to pull an image reference, or "" when
// it comes from a registry known to serve schema-2/OCI images.
func ImageProblem(ref string) string {
	full := ref
	if first, _, ok := strings.Cut(ref, "/"); !ok || !strings.ContainsAny(first, ".:") && first != "localhost" {
		full = "docker.io/" + ref // Docker Hub, the default registry
	}
	for _, bad := range unpullable {
		if strings.HasPrefix(ref, bad) || strings.HasPrefix(full, "docker.io/"+bad) {
			return "a frozen registry or a schema-1 image that containerd 2 no longer pulls"
		}
	}
	for _, ok := range pullableRegistries {
		if strings.HasPrefix(full, ok+"/") {
			return ""
		}
	}
	return "not from a registry known to serve OCI images (" + strings.Join(pullableRegistries, ", ") + ")"
}
