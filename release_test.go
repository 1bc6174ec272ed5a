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
	bld := releaseBuild(t)
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

// The README's install command and the release build use the same environment, flags (in
// the same order: for -gcflags the last matching pattern wins) and linker flags, and every
// -gcflags pattern still names packages of the build: a dependency that moved to another
// import path would otherwise silently lose its inlining (slower) or keep it (bigger).
func TestReleaseFlagsMatchREADME(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	words := readmeInstallCommand(t, string(readme))
	var env, flags []string
	ldflags, pkg := "", ""
	i := 0
	for ; i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-"); i++ {
		env = append(env, words[i])
	}
	if i+1 >= len(words) || words[i] != "go" || words[i+1] != "install" {
		t.Fatalf("README's install command is not `go install`: %q", words)
	}
	for _, w := range words[i+2:] {
		switch {
		case strings.HasPrefix(w, "-ldflags="):
			ldflags = strings.TrimPrefix(w, "-ldflags=")
		case strings.HasPrefix(w, "-"):
			flags = append(flags, w)
		default:
			pkg = w
		}
	}
	if pkg != "github.com/kubetutor/kubetutor@latest" {
		t.Errorf("README installs %q", pkg)
	}

	bld := releaseBuild(t)
	for _, e := range env {
		if !slices.Contains(bld.Env, e) {
			t.Errorf("README sets %s, .goreleaser.yaml's env does not: %v", e, bld.Env)
		}
	}
	if !slices.Equal(flags, bld.Flags) {
		t.Errorf("flags differ:\nREADME:          %q\n.goreleaser.yaml: %q", flags, bld.Flags)
	}
	if ldflags == "" || len(bld.Ldflags) != 1 || !strings.HasPrefix(bld.Ldflags[0], ldflags+" ") {
		t.Errorf("ldflags differ: README %q, .goreleaser.yaml %q", ldflags, bld.Ldflags)
	}

	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the build's packages: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-deps", "-f", "{{.ImportPath}}", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, f := range flags {
		v, ok := strings.CutPrefix(f, "-gcflags=")
		if !ok {
			continue
		}
		pattern, _, ok := strings.Cut(v, "=")
		if !ok {
			t.Errorf("%s: want -gcflags=PATTERN=FLAGS", f)
			continue
		}
		if pattern == "all" {
			continue
		}
		base, tree := strings.CutSuffix(pattern, "/...")
		if !slices.ContainsFunc(deps, func(p string) bool {
			return p == base || tree && strings.HasPrefix(p, base+"/")
		}) {
			t.Errorf("%s matches no package of the build", f)
		}
	}
}

// readmeInstallCommand returns the words of the README's `go install` command: the sh block
// that holds it, lines joined at their trailing backslash, split as sh would (single quotes).
func readmeInstallCommand(t *testing.T, readme string) []string {
	t.Helper()
	for block := range strings.SplitSeq(readme, "```sh\n") {
		body, _, ok := strings.Cut(block, "```")
		if !ok || !strings.Contains(body, "go install") {
			continue
		}
		line := strings.ReplaceAll(body, "\\\n", " ")
		var words []string
		var w strings.Builder
		inWord, quoted := false, false
		for _, r := range line {
			switch {
			case r == '\'':
				quoted, inWord = !quoted, true
			case !quoted && (r == ' ' || r == '\t' || r == '\n'):
				if inWord {
					words = append(words, w.String())
					w.Reset()
					inWord = false
				}
			default:
				w.WriteRune(r)
				inWord = true
			}
		}
		if quoted {
			t.Fatalf("README's install command has an unclosed quote:\n%s", body)
		}
		if inWord {
			words = append(words, w.String())
		}
		return words
	}
	t.Fatal("README has no sh block with a go install command")
	return nil
}

// goreleaserBuild is the part of a .goreleaser.yaml build the tests read.
type goreleaserBuild struct {
	Env     []string `json:"env"`
	Goos    []string `json:"goos"`
	Goarch  []string `json:"goarch"`
	Flags   []string `json:"flags"`
	Ldflags []string `json:"ldflags"`
}

// releaseBuild reads .goreleaser.yaml's one build.
func releaseBuild(t *testing.T) goreleaserBuild {
	t.Helper()
	b, err := os.ReadFile(".goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Builds []goreleaserBuild `json:"builds"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("builds: %+v", cfg.Builds)
	}
	return cfg.Builds[0]
}
