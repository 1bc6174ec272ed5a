package conformance

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/conformance/kit"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// side is one cluster playing the lesson.
type side struct {
	name string
	s    *engine.Session
	pods *Recorder
	pvcs *Recorder
}

func newSide(t *testing.T, ctx context.Context, name string, s *engine.Session) *side {
	t.Helper()
	pods, err := Record(ctx, s, "pods", "app=nginx", "READY", "STATUS")
	if err != nil {
		t.Fatalf("%s: watch pods: %v", name, err)
	}
	pvcs, err := Record(ctx, s, "pvc", "app=nginx", "STATUS")
	if err != nil {
		t.Fatalf("%s: watch pvcs: %v", name, err)
	}
	return &side{name: name, s: s, pods: pods, pvcs: pvcs}
}

// stepResult is what one side showed during one step.
type stepResult struct {
	outputs  []string // normalized output of each command
	podRows  []Row
	pvcRows  []Row
	snapshot []string
	checksOK bool
	checks   []string
}

// play runs a step's commands on one side the way a learner does: each command, then a wait
// until its effect is over, before the next.
func (sd *side) play(t *testing.T, ctx context.Context, st lessons.Step) stepResult {
	t.Helper()
	sd.pods.SetStep(st.ID)
	sd.pvcs.SetStep(st.ID)
	var res stepResult
	obs := lessons.Baseline(ctx, sd.s, st) // the step's start, for its relative checks
	defer obs.Close()
	for _, line := range st.RunnableCommands() {
		var out, errOut bytes.Buffer
		err := sd.s.RunKubectl(ctx, line, nil, &out, &errOut)
		obs.Ran(line, out.String()+errOut.String())
		text := out.String() + errOut.String()
		if err != nil {
			text += "ERROR: " + err.Error() + "\n"
		}
		// The sides work in different namespaces (simulator: default).
		text = strings.ReplaceAll(text, sd.s.Namespace()+" namespace", "<ns> namespace")
		res.outputs = append(res.outputs, "$ "+line+"\n"+NormalizeOutput(text))
		if err := Settled(ctx, sd.s); err != nil {
			t.Fatalf("%s step %s: after %s: %v", sd.name, st.ID, line, err)
		}
	}
	if err := sd.pods.CaughtUp(ctx, PodVersions(sd.s, "app=nginx")); err != nil {
		t.Fatalf("%s step %s: pods: %v", sd.name, st.ID, err)
	}
	if err := sd.pvcs.CaughtUp(ctx, PVCVersions(sd.s, "app=nginx")); err != nil {
		t.Fatalf("%s step %s: pvcs: %v", sd.name, st.ID, err)
	}
	res.podRows = sd.pods.Rows(st.ID)
	res.pvcRows = sd.pvcs.Rows(st.ID)
	snap, err := Snapshot(ctx, sd.s)
	if err != nil {
		t.Fatalf("%s step %s: snapshot: %v", sd.name, st.ID, err)
	}
	res.snapshot = snap
	var results []lessons.CheckResult
	// The observer's watch may run a moment behind the last command.
	_ = wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		results = lessons.EvaluateSince(ctx, sd.s, st, obs)
		return lessons.Passed(results), nil
	})
	res.checksOK = len(st.Checks) == 0 || lessons.Passed(results)
	for _, r := range results {
		if !r.OK {
			res.checks = append(res.checks, r.Desc+": "+r.Detail)
		}
	}
	return res
}

// perObject groups rows by object name, in order.
func perObject(rows []Row) map[string][]string {
	m := map[string][]string{}
	for _, r := range rows {
		m[r.Name] = append(m[r.Name], r.Type+" "+r.Cells)
	}
	return m
}

// orderOf lists the names of rows of one type in the order they came.
func orderOf(rows []Row, typ string) []string {
	var out []string
	for _, r := range rows {
		if r.Type == typ && !slices.Contains(out, r.Name) {
			out = append(out, r.Name)
		}
	}
	return out
}

// compareStep lists the differences a learner could see between the simulator (a) and the
// real control plane (b) in one step, each as "aspect: detail".
func compareStep(a, b stepResult) []string {
	var diffs []string
	for i := range max(len(a.outputs), len(b.outputs)) {
		var x, y string
		if i < len(a.outputs) {
			x = a.outputs[i]
		}
		if i < len(b.outputs) {
			y = b.outputs[i]
		}
		if x != y {
			diffs = append(diffs, fmt.Sprintf("output: simulator:\n%s\nreal:\n%s", indent(x), indent(y)))
		}
	}
	for _, kind := range []struct {
		name string
		a, b []Row
	}{{"pods", a.podRows, b.podRows}, {"pvcs", a.pvcRows, b.pvcRows}} {
		pa, pb := perObject(kind.a), perObject(kind.b)
		for _, name := range sortedKeys(merge(pa, pb)) {
			if !slices.Equal(pa[name], pb[name]) {
				diffs = append(diffs, fmt.Sprintf("watch rows %s %s: simulator %q, real %q", kind.name, name, pa[name], pb[name]))
			}
		}
		for _, typ := range []string{"ADDED", "DELETED"} {
			oa, ob := orderOf(kind.a, typ), orderOf(kind.b, typ)
			if !slices.Equal(oa, ob) {
				diffs = append(diffs, fmt.Sprintf("order of %s %s: simulator %v, real %v", kind.name, typ, oa, ob))
			}
		}
	}
	for _, d := range DiffLines(a.snapshot, b.snapshot) {
		diffs = append(diffs, "object: "+map[byte]string{'-': "simulator only ", '+': "real only      "}[d[0]]+d[2:])
	}
	if a.checksOK != b.checksOK {
		diffs = append(diffs, fmt.Sprintf("checks: simulator pass=%v %v, real pass=%v %v", a.checksOK, a.checks, b.checksOK, b.checks))
	}
	return diffs
}

func merge[V any](a, b map[string]V) map[string]V {
	m := map[string]V{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// TestDifferentialStatefulSetBasics plays every step of the StatefulSet Basics lesson on the
// simulator and on the real control plane and compares what a learner sees: command output,
// `kubectl get -w` rows of pods and PVCs (name, READY, STATUS), the order of creations and
// deletions, and the objects themselves (labels, ownerReferences, status, PVCs, revisions).
// Every difference must be listed in knownDifferences (and KNOWN_DIFFERENCES.md) with why.
func TestDifferentialStatefulSetBasics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c := kit.Start(t)
	t.Logf("kit: etcd ready %v, apiserver ready %v, all ready %v, heap %d MiB, max RSS %d MiB",
		c.Stats.EtcdReady, c.Stats.APIServerReady, c.Stats.Ready, c.Stats.HeapAfterStart>>20, c.Stats.MaxRSS>>20)

	const ns = "kubetutor-statefulset-basics"
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	real, err := engine.NewKubeconfigSession(ctx, engine.KubeconfigOptions{Path: c.Kubeconfig, Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	fake := testingclock.NewFakeClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	sim, err := engine.NewSimSession(ctx, engine.SimOptions{Fake: fake, AutoAdvance: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	a, b := newSide(t, ctx, "simulator", sim), newSide(t, ctx, "real", real)
	l, err := lessons.Get("statefulset-basics", "en")
	if err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	fmt.Fprintf(&report, "# Differential run: %s\n\n", l.Title)
	unexpected := 0
	for _, st := range l.Steps {
		st = withoutContainerRuntime(st)
		ra := a.play(t, ctx, st)
		rb := b.play(t, ctx, st)
		diffs := compareStep(ra, rb)
		fmt.Fprintf(&report, "## %s: %d command(s), %d pod rows (sim) / %d (real), %d difference(s)\n",
			st.ID, len(ra.outputs), len(ra.podRows), len(rb.podRows), len(diffs))
		for _, d := range diffs {
			why, known := knownDifference(st.ID, d)
			mark := "UNEXPECTED"
			if known {
				mark = "known: " + why
			}
			if !known {
				unexpected++
			}
			fmt.Fprintf(&report, "- [%s] %s\n", mark, d)
		}
		if !rb.checksOK {
			fmt.Fprintf(&report, "- real: checks fail: %v\n", rb.checks)
		}
	}
	t.Log("\n" + report.String())
	if p := os.Getenv("DIFF_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(report.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
	if unexpected > 0 {
		t.Errorf("%d unexpected difference(s) between the simulator and the real control plane (see log)", unexpected)
	}
}

// withoutContainerRuntime drops what needs a running container (exec, attach, logs, run -i,
// and exec checks) from a step: the kit has no kubelet to run them, so they are compared
// nowhere, on both sides alike (the simulator's sandbox is tested in engine/sim instead).
func withoutContainerRuntime(st lessons.Step) lessons.Step {
	var cmds []lessons.Command
	for _, c := range st.Cmds {
		f := strings.Fields(c.Line)
		if len(f) > 1 && slices.Contains([]string{"exec", "attach", "logs", "run", "cp"}, f[1]) {
			continue
		}
		cmds = append(cmds, c)
	}
	dropped := func(line string) bool {
		f := strings.Fields(line)
		return len(f) > 1 && slices.Contains([]string{"exec", "attach", "logs", "run", "cp"}, f[1])
	}
	ranPod := false // a `kubectl run` pod was dropped: no watch will see it
	for _, c := range st.Cmds {
		if f := strings.Fields(c.Line); len(f) > 1 && f[1] == "run" {
			ranPod = true
		}
	}
	var checks []lessons.Check
	for _, c := range st.Checks {
		switch {
		case c.Exec != nil:
		case c.Output != nil && dropped(c.Output.Command):
		case c.Observed != nil && ranPod:
		default:
			checks = append(checks, c)
		}
	}
	st.Cmds, st.Checks = cmds, checks
	return st
}
