package sim

import (
	"regexp"
	"strings"
	"testing"
)

// Through the real kubectl: ServiceAccounts and the root CA ConfigMap every namespace has,
// and StorageClasses with kube-apiserver's columns (the list marks the default class).
func TestKubectlServiceAccountsAndStorageClasses(t *testing.T) {
	s := startServed(t)
	s.must(t, "create", "namespace", "lab")
	s.idle(t)
	out := s.must(t, "get", "serviceaccounts", "-n", "lab")
	if !regexp.MustCompile(`(?m)^NAME\s+AGE\n^default\s+\S+\n?$`).MatchString(out) {
		t.Errorf("get serviceaccounts:\n%s", out)
	}
	if out := s.must(t, "get", "sa", "default", "-o", "jsonpath={.metadata.name}"); out != "default" {
		t.Errorf("get sa default: %q", out)
	}
	out = s.must(t, "get", "configmap", "kube-root-ca.crt", "-n", "lab", "-o", "jsonpath={.data.ca\\.crt}")
	if !strings.HasPrefix(out, "-----BEGIN CERTIFICATE-----") {
		t.Errorf("kube-root-ca.crt holds no certificate: %q", out)
	}

	out = s.must(t, "get", "storageclass")
	want := regexp.MustCompile(`(?m)^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\n` +
		`^standard \(default\)\s+rancher.io/local-path\s+Delete\s+Immediate\s+false\s+\S+\n?$`)
	if !want.MatchString(out) {
		t.Errorf("get storageclass:\n%s", out)
	}
	// One object's row carries no (default) mark, as kube-apiserver prints it.
	if out := s.must(t, "get", "sc", "standard", "--no-headers"); !strings.HasPrefix(out, "standard ") {
		t.Errorf("get sc standard: %q", out)
	}
	if out := s.must(t, "api-resources", "--api-group", "storage.k8s.io", "--no-headers"); !strings.Contains(out, "storageclasses") || !strings.Contains(out, "sc ") {
		t.Errorf("api-resources storage.k8s.io: %q", out)
	}
}

// EndpointSlices through the real kubectl: the tutorial's headless Service gets one slice
// with the Ready pods' addresses, and kubectl describe service (which reads slices) lists them
// instead of <none>.
func TestKubectlEndpointSlices(t *testing.T) {
	s := startServed(t)
	create(t, s.Sim, svcR, nginxService())
	set := webSet(2)
	create(t, s.Sim, stsR, set)
	s.idle(t)
	out := s.must(t, "get", "endpointslices", "-l", "kubernetes.io/service-name=nginx")
	re := regexp.MustCompile(`(?m)^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n^nginx-[a-z0-9]{5}\s+IPv4\s+80\s+10\.244\.\d+\.\d+,10\.244\.\d+\.\d+\s+\S+\n?$`)
	if !re.MatchString(out) {
		t.Errorf("get endpointslices:\n%s", out)
	}
	out = s.must(t, "get", "endpointslices", "-o", "jsonpath={range .items[0].endpoints[*]}{.hostname} {.conditions.ready} {.targetRef.name}{\"\\n\"}{end}")
	if out != "web-0 true web-0\nweb-1 true web-1\n" && out != "web-1 true web-1\nweb-0 true web-0\n" {
		t.Errorf("slice endpoints:\n%s", out)
	}
	out = s.must(t, "describe", "service", "nginx")
	if !regexp.MustCompile(`(?m)^Endpoints:\s+10\.244\.\d+\.\d+:80,10\.244\.\d+\.\d+:80$`).MatchString(out) {
		t.Errorf("describe service shows no endpoints:\n%s", out)
	}
	// The slice goes with its Service (owner reference, garbage collector).
	s.must(t, "delete", "service", "nginx")
	s.idle(t)
	if out := s.must(t, "get", "endpointslices", "-l", "kubernetes.io/service-name=nginx", "--no-headers"); strings.TrimSpace(out) != "" {
		t.Errorf("slices left after the Service was deleted:\n%s", out)
	}
}

// kubectl explain reads the OpenAPI v3 documents captured from kube-apiserver v1.37.2
// (conformance/openapi_capture_test.go), so fields newer than client-go's old fixtures exist.
func TestKubectlExplainV137Fields(t *testing.T) {
	s := startServed(t)
	for _, f := range []string{"pod.spec.containers.resizePolicy", "service.spec.trafficDistribution",
		"pod.spec.containers.lifecycle.stopSignal", "storageclass.volumeBindingMode", "endpointslice.endpoints.conditions"} {
		out, errOut, err := s.kubectl(t, "explain", f)
		if err != nil || !strings.Contains(out, "FIELD:") {
			t.Errorf("explain %s: %v\n%s%s", f, err, out, errOut)
		}
	}
}

// Nodes answer the field selector the e2e framework lists schedulable nodes with.
func TestKubectlNodesFieldSelectorUnschedulable(t *testing.T) {
	s := startServed(t)
	if out := s.must(t, "get", "nodes", "--field-selector", "spec.unschedulable=false", "--no-headers", "-o", "name"); strings.Count(out, "node/") != 3 {
		t.Errorf("schedulable nodes:\n%s", out)
	}
	s.must(t, "cordon", "sim-node-2")
	if out := s.must(t, "get", "nodes", "--field-selector", "spec.unschedulable=true", "-o", "name"); strings.TrimSpace(out) != "node/sim-node-2" {
		t.Errorf("cordoned nodes:\n%s", out)
	}
}
