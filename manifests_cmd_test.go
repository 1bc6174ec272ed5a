package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/manifests"
)

func TestManifestsExportWritesEveryFileAndKeepsTheLearnersEdits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	var out, errOut bytes.Buffer
	if code := run([]string{"manifests", "export", dir}, &out, &errOut); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut.String())
	}
	for _, n := range manifests.Names() {
		got, err := os.ReadFile(filepath.Join(dir, n))
		want, _ := manifests.Read(n)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %v", n, err)
		}
	}
	// Exporting again over identical files is fine; over an edited file it refuses.
	if code := run([]string{"manifests", "export", dir}, &out, &errOut); code != 0 {
		t.Fatalf("second export: exit %d: %s", code, errOut.String())
	}
	edited := filepath.Join(dir, "web.yaml")
	if err := os.WriteFile(edited, []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run([]string{"manifests", "export", dir}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "differs from the built-in one") {
		t.Fatalf("export over an edited file: exit %d: %s", code, errOut.String())
	}
	if b, _ := os.ReadFile(edited); string(b) != "# mine\n" {
		t.Fatalf("the learner's edit was overwritten: %q", b)
	}
}

func TestManifestsUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"manifests"}, {"manifests", "bogus"}, {"manifests", "export"}, {"manifests", "list", "x"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"manifests", "list"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "web.yaml\n") {
		t.Fatalf("list: exit %d: %q", code, out.String())
	}
}

func TestSpeedFlagRefusesNonsense(t *testing.T) {
	for _, v := range []string{"0", "-1", "1001", "NaN", "abc"} {
		var out, errOut bytes.Buffer
		if code := run([]string{"--speed", v}, &out, &errOut); code != 2 {
			t.Errorf("--speed %s: exit %d (%s), want 2", v, code, errOut.String())
		}
	}
}
