package engine

import (
	"strings"
	"sync/atomic"
	_ "unsafe" // for go:linkname

	kversion "k8s.io/component-base/version"
)

// kubectlVersion is what the in-process kubectl reports as its client version: the kubectl
// release matching the k8s.io/kubectl v0.37.x library it is built from.
const kubectlVersion = "v1.37.2"

// componentDynamicVersion is the version k8s.io/component-base reports for this binary (its
// Get().GitVersion). Release builds of Kubernetes set it with -ldflags -X ...gitVersion; a
// plain `go build` leaves the placeholder "v0.0.0-master+$Format:%H$", on which
// `kubectl version` fails ("could not parse pre-release/metadata"), and SetDynamicVersion
// only accepts v0.0.0 variants of it. So the placeholder is replaced here, and only then.
//
//go:linkname componentDynamicVersion k8s.io/component-base/version.dynamicGitVersion
var componentDynamicVersion atomic.Value

func init() {
	if v, _ := componentDynamicVersion.Load().(string); v == "" || strings.Contains(v, "$Format") {
		componentDynamicVersion.Store(kubectlVersion)
	}
}

// KubectlClientVersion is the client version the in-process kubectl reports.
func KubectlClientVersion() string { return kversion.Get().GitVersion }
