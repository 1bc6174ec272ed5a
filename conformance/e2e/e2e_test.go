// Package e2e runs Kubernetes' own end-to-end specs (k8s.io/kubernetes v1.37.2,
// test/e2e/apps) against the simulator served in-process, or against the kit's real control
// plane. Only the `[sig-apps] StatefulSet` specs marked [Conformance] are focused; every other
// spec the imported package registers is left out by the focus, not skipped one by one.
//
//	go test -count=1 -timeout 30m ./e2e/                      # the simulator (default)
//	E2E_TARGET=kit go test -count=1 -timeout 60m -ldflags "…" ./e2e/   # the kit
//
// Framework flags (see k8s.io/kubernetes/test/e2e/framework) may follow -args, for example
// `-args -ginkgo.v -ginkgo.focus 'Burst'`.
package e2e

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/kubernetes/test/e2e/framework"
	e2econfig "k8s.io/kubernetes/test/e2e/framework/config"

	// The specs under test: registering them is all this import does.
	_ "k8s.io/kubernetes/test/e2e/apps"

	"github.com/kubetutor/kubetutor/conformance/kit"
	"github.com/kubetutor/kubetutor/engine/sim"
)

// Focus selects the eight StatefulSet conformance specs.
const Focus = `\[sig-apps\] StatefulSet.*\[Conformance\]`

func TestMain(m *testing.M) {
	e2econfig.CopyFlags(e2econfig.Flags, flag.CommandLine)
	framework.RegisterCommonFlags(flag.CommandLine)
	framework.RegisterClusterFlags(flag.CommandLine)
	flag.Parse()
	os.Exit(m.Run())
}

// speed is how much faster than a real cluster the simulator runs its controllers, kubelet
// delays and probe periods. The specs poll on the real clock, so this is what makes the run
// short; 20 keeps a 1 s probe period at 50 ms.
const speed = 20

func TestStatefulSetConformance(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	switch target := os.Getenv("E2E_TARGET"); target {
	case "", "sim":
		s, err := sim.New(sim.Config{Speed: speed, Logf: t.Logf})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(s.Close)
		t.Cleanup(cancel)
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		writeKubeconfig(t, kubeconfig, s.URL(), s.CAData(), s.Token())
	case "kit":
		c := kit.Start(t)
		kubeconfig = c.Kubeconfig
		// The kit runs no token controller: the framework must not wait for the default
		// ServiceAccount there (see KNOWN_DIFFERENCES.md).
		framework.TestContext.VerifyServiceAccount = false
	default:
		t.Fatalf("E2E_TARGET=%q: want sim or kit", target)
	}

	tc := &framework.TestContext
	tc.KubeConfig = kubeconfig
	tc.Provider = "skeleton"
	// The simulator speaks JSON only.
	tc.KubeAPIContentType = "application/json"
	// Nothing outside the spec's own namespace is ours to dump or check.
	tc.DumpLogsOnFailure = true
	framework.AfterReadingAllFlags(tc)

	gomega.RegisterFailHandler(framework.Fail)
	suite, reporter := framework.CreateGinkgoConfig()
	if len(suite.FocusStrings) == 0 {
		suite.FocusStrings = []string{Focus}
	}
	ginkgo.RunSpecs(t, "StatefulSet conformance", suite, reporter)
}

func writeKubeconfig(t *testing.T, path, server string, ca []byte, token string) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["sim"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos["sim"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["sim"] = &clientcmdapi.Context{Cluster: "sim", AuthInfo: "sim"}
	cfg.CurrentContext = "sim"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
}
