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
