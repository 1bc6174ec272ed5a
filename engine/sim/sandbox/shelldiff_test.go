package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var updateKnown = flag.Bool("update-known", false, "print the differences in known_differences.txt's format")

type snippet struct {
	id    string
	posix bool
	src   string
}

func readCorpus(t *testing.T) []snippet {
	data, err := os.ReadFile("testdata/shell-corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []snippet
	for _, block := range strings.Split("\n"+string(data), "\n### ")[1:] {
		head, body, _ := strings.Cut(block, "\n")
		f := strings.Fields(head)
		out = append(out, snippet{id: f[0], posix: slices.Contains(f[1:], "posix"), src: strings.TrimSuffix(body, "\n")})
	}
	return out
}

// known reads known_differences.txt: "[busybox ]ID: stream,stream — why".
func readKnown(t *testing.T) map[string]string {
	f, err := os.Open("known_differences.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, rest, ok := strings.Cut(line, ": ")
		streams, why, ok2 := strings.Cut(rest, " — ")
		if !ok || !ok2 || strings.TrimSpace(why) == "" {
			t.Fatalf("known_differences.txt: %q is not \"ID: streams — why\"", line)
		}
		known[id] = streams
	}
	return known
}

// hostPath says whether a snippet could touch the host outside its directory: the real shell
// runs only snippets whose paths are relative or /dev/null, /dev/stderr.
var absPath = regexp.MustCompile(`(^|[\s<>|;&("'=])(/[A-Za-z._*]|\.\./)|(^|\s)~`)

func safeForHost(src string) bool {
	for _, m := range absPath.FindAllStringIndex(src, -1) {
		rest := src[m[0]:]
		rest = strings.TrimLeft(rest, " \t\n<>|;&(\"'=")
		if !strings.HasPrefix(rest, "/dev/null") && !strings.HasPrefix(rest, "/dev/stderr") {
			return false
		}
	}
	return true
}

type outcome struct {
	out, err string
	code     int
}

func runHost(t *testing.T, argv []string, dir string, path string) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Args[0] = filepath.Base(argv[0]) // messages start with "bash:" or "sh:", as in a container
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + path, "HOME=" + dir, "LC_ALL=C", "HOSTNAME=web-0"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", argv, err)
	}
	return outcome{strings.ReplaceAll(o.String(), dir, "/work"), strings.ReplaceAll(e.String(), dir, "/work"), code}
}

func runSandbox(t *testing.T, sb *Sandbox, st *store.Store, name, image string, argv []string) outcome {
	p := &corev1.Pod{}
	p.Name, p.Namespace, p.UID = name, "default", types.UID("uid-"+fmtID(name))
	p.Spec.Containers = []corev1.Container{{Name: "main", Image: image}}
	p.Status.Phase, p.Status.PodIP = corev1.PodRunning, "10.244.1.10"
	if _, err := st.Create(podsRes, p); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if code, err := sb.Run(ctx, p, "", []string{"mkdir", "/work"}, container.Streams{}); err != nil || code != 0 {
		t.Fatalf("mkdir /work: %d %v", code, err)
	}
	p.Spec.Containers[0].WorkingDir = "/work"
	var o, e bytes.Buffer
	code, err := sb.Run(ctx, p, "", argv, container.Streams{Stdout: &o, Stderr: &e})
	if err != nil {
		t.Fatal(err)
	}
	return outcome{o.String(), e.String(), code}
}

func fmtID(s string) string { return strings.NewReplacer("/", "-", " ", "-").Replace(s) }

func differs(a, b outcome) string {
	var d []string
	if a.out != b.out {
		d = append(d, "stdout")
	}
	if a.err != b.err {
		d = append(d, "stderr")
	}
	if a.code != b.code {
		d = append(d, "code")
	}
	return strings.Join(d, ",")
}

// TestShellDifferential runs the corpus in the sandbox and in the real bash (and busybox sh)
// and compares stdout, stderr and the exit code; every difference must be listed, with its
// reason, in known_differences.txt, and every listed difference must still occur.
func TestShellDifferential(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is missing: the differential test compares the sandbox with the real bash")
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal("busybox is missing (apt-get install busybox; .ci/run installs it): the differential test compares the sandbox's busybox image with it")
	}
	applets := t.TempDir()
	if out, err := exec.Command(busybox, "--install", "-s", applets).CombinedOutput(); err != nil {
		t.Fatalf("busybox --install: %v %s", err, out)
	}
	corpus := readCorpus(t)
	if len(corpus) < 150 {
		t.Fatalf("the corpus has %d snippets, want at least 150", len(corpus))
	}
	known := readKnown(t)
	st := store.New(store.Options{Seed: 1})
	sb := New(st, clock.RealClock{})
	seen := map[string]bool{}
	var report []string
	check := func(id string, sand, real outcome) {
		seen[id] = true
		got, want := differs(sand, real), known[id]
		if *updateKnown && got != "" {
			report = append(report, fmt.Sprintf("%s: %s — \n   sandbox %q %q %d\n   real    %q %q %d", id, got, sand.out, sand.err, sand.code, real.out, real.err, real.code))
			return
		}
		if got != want {
			t.Errorf("%s: differs in [%s], known_differences.txt says [%s]\nsandbox: out %q err %q code %d\nreal:    out %q err %q code %d",
				id, got, want, sand.out, sand.err, sand.code, real.out, real.err, real.code)
		}
	}
	for _, s := range corpus {
		if !safeForHost(s.src) {
			t.Errorf("%s: the snippet names a path outside its directory; the real shell does not run it", s.id)
			continue
		}
		dir := t.TempDir()
		real := runHost(t, []string{bash, "-c", s.src}, dir, "/usr/bin:/bin")
		sand := runSandbox(t, sb, st, "bash-"+s.id, "nginx", []string{"bash", "-c", s.src})
		check(s.id, sand, real)
		if s.posix {
			dir := t.TempDir()
			real := runHost(t, []string{filepath.Join(applets, "sh"), "-c", s.src}, dir, applets)
			sand := runSandbox(t, sb, st, "bb-"+s.id, "busybox:1.28", []string{"sh", "-c", s.src})
			check("busybox "+s.id, sand, real)
		}
	}
	for id := range known {
		if !seen[id] {
			t.Errorf("known_differences.txt lists %q, which the corpus does not have", id)
		}
	}
	if *updateKnown {
		os.WriteFile(filepath.Join(os.TempDir(), "shell-diff-report.txt"), []byte(strings.Join(report, "\n")+"\n"), 0o644)
		t.Logf("%d differences written to %s", len(report), filepath.Join(os.TempDir(), "shell-diff-report.txt"))
	}
}
