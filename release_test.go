package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The release configuration builds what the README promises, and every target resolves:
// each GOOS/GOARCH with CGO_ENABLED=0 lists the whole dependency graph without an error (a
// missing build-constrained file, a package that needs cgo). Listing, not compiling, keeps
// this to seconds; goreleaser check (when installed) validates the file itself.
func TestReleaseTargetsResolve(t *testing.T) {
	b, err := os.ReadFile(".goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Builds []struct {
			Env    []string `json:"env"`
			Goos   []string `json:"goos"`
			Goarch []string `json:"goarch"`
		} `json:"builds"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("builds: %+v", cfg.Builds)
	}
	bld := cfg.Builds[0]
	if !slices.Contains(bld.Env, "CGO_ENABLED=0") {
		t.Errorf("builds must set CGO_ENABLED=0: %v", bld.Env)
	}
	for _, want := range []string{"linux", "darwin", "windows"} {
		if !slices.Contains(bld.Goos, want) {
			t.Errorf("goos lacks %s: %v", want, bld.Goos)
		}
	}
	for _, want := range []string{"amd64", "arm64"} {
		if !slices.Contains(bld.Goarch, want) {
			t.Errorf("goarch lacks %s: %v", want, bld.Goarch)
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the release targets: %v", err)
	}
	for _, goos := range bld.Goos {
		for _, goarch := range bld.Goarch {
			cmd := exec.Command(goBin, "list", "-e", "-deps",
				"-f", "{{if .Error}}{{.ImportPath}}: {{.Error}}{{end}}{{range .DepsErrors}}{{.}}{{end}}", ".")
			cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "" {
				t.Errorf("%s/%s: %v\n%s", goos, goarch, err, out)
			}
		}
	}
}
