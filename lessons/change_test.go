package lessons

import (
	"context"
	"strings"
	"testing"
	"time"
)

// relStep is a step whose checks are all relative, one per kind the test exercises.
func relStep(lang string, checks ...Check) Step {
	return Step{ID: "rel", Lang: lang, Checks: checks}
}

// awaitDesc re-evaluates until the named check passes (the observer's watch runs behind the
// command that caused the change) or the real-time guard ends; it returns the last result.
func awaitDesc(ctx context.Context, t *testing.T, eval func() []CheckResult, desc string) CheckResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, r := range eval() {
			if r.Desc == desc && (r.OK || time.Now().After(deadline)) {
				return r
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("context ended waiting for %q", desc)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Every relative kind fails at the baseline, even though the cluster is in the state the
// later checks want (two Ready pods): nothing has happened yet.
func TestRelativeChecksFailAtTheBaseline(t *testing.T) {
	s, ctx := simWithWeb(t)
	for _, lang := range []string{"en", "ko"} {
		st := relStep(lang,
			Check{Desc: "recreated", Changed: &ChangedCheck{Resource: "pods", Name: "web-0", How: "recreated"}},
			Check{Desc: "created", Changed: &ChangedCheck{Resource: "pods", Name: "web-0", How: "created"}},
			Check{Desc: "deleted", Changed: &ChangedCheck{Resource: "pods", Name: "web-1", How: "deleted"}},
			Check{Desc: "generation", Changed: &ChangedCheck{Resource: "sts", Name: "web", How: "generation"}},
			Check{Desc: "field", Changed: &ChangedCheck{Resource: "sts", Name: "web", How: "field", Path: "{.spec.replicas}"}},
			Check{Desc: "event", Event: &EventCheck{Reason: "Killing", Kind: "Pod", Name: "web-0"}},
			Check{Desc: "observed", Observed: &ObservedCheck{Name: "web-0", Phase: "Running"}},
			Check{Desc: "output", Output: &OutputCheck{Command: "kubectl get pods", Contains: "web-0"}},
		)
		o := Baseline(ctx, s, st)
		res := EvaluateSince(ctx, s, st, o)
		o.Close()
		if len(res) != len(st.Checks) {
			t.Fatalf("%s: %d results for %d checks", lang, len(res), len(st.Checks))
		}
		for _, r := range res {
			if r.OK || r.Detail == "" {
				t.Errorf("%s: %q passed at the baseline (%q)", lang, r.Desc, r.Detail)
			}
		}
		// Without a baseline every relative check fails and says why.
		for _, r := range Evaluate(ctx, s, st) {
			if r.OK || !strings.Contains(r.Detail, map[string]string{"en": "no record", "ko": "기록이 없습니다"}[lang]) {
				t.Errorf("%s: %q without a baseline: ok=%v %q", lang, r.Desc, r.OK, r.Detail)
			}
		}
	}
}

// Deleting a pod: the StatefulSet brings web-0 back under the same name, so a state check
// cannot tell; recreated, deleted, created, the Killing event and the watch sightings can.
func TestRelativeChecksSeeAPodReplaced(t *testing.T) {
	s, ctx := simWithWeb(t)
	st := relStep("en",
		Check{Desc: "recreated", Changed: &ChangedCheck{Resource: "pods", Name: "web-0", How: "recreated"}},
		Check{Desc: "created", Changed: &ChangedCheck{Resource: "pods", Name: "web-0", How: "created"}},
		Check{Desc: "deleted", Changed: &ChangedCheck{Resource: "pods", Name: "web-0", How: "deleted"}},
		Check{Desc: "killing", Event: &EventCheck{Reason: "Killing", Kind: "Pod", Name: "web-0"}},
		Check{Desc: "sts created it", Event: &EventCheck{Reason: "SuccessfulCreate", Kind: "StatefulSet", Name: "web", Message: "web-0"}},
		Check{Desc: "terminating", Observed: &ObservedCheck{Name: "web-0", Terminating: true}},
		Check{Desc: "pending", Observed: &ObservedCheck{Name: "web-0", Phase: "Pending"}},
		Check{Desc: "not ready", Observed: &ObservedCheck{Name: "web-0", Condition: "Ready", Status: "False"}},
		Check{Desc: "untouched web-1", Changed: &ChangedCheck{Resource: "pods", Name: "web-1", How: "recreated"}},
		Check{Desc: "web-1 killing", Event: &EventCheck{Reason: "Killing", Kind: "Pod", Name: "web-1"}},
		Check{Desc: "web-1 terminating", Observed: &ObservedCheck{Name: "web-1", Terminating: true}},
	)
	o := Baseline(ctx, s, st)
	defer o.Close()
	if err := s.RunKubectl(ctx, "kubectl delete pod web-0", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	eval := func() []CheckResult { return EvaluateSince(ctx, s, st, o) }
	for _, d := range []string{"recreated", "created", "deleted", "killing", "sts created it", "terminating", "pending", "not ready"} {
		if r := awaitDesc(ctx, t, eval, d); !r.OK {
			t.Errorf("%q after deleting web-0: %s", d, r.Detail)
		}
	}
	for _, r := range eval() {
		switch r.Desc {
		case "untouched web-1":
			if r.OK || !strings.Contains(r.Detail, "still the object") {
				t.Errorf("web-1 was not replaced, yet %q: ok=%v %q", r.Desc, r.OK, r.Detail)
			}
		case "web-1 killing":
			if r.OK || r.Detail != "no Killing (Pod/web-1) event since the step began" {
				t.Errorf("%q: ok=%v %q", r.Desc, r.OK, r.Detail)
			}
		case "web-1 terminating":
			if r.OK || r.Detail != "web-1 has not been seen Terminating since the step began" {
				t.Errorf("%q: ok=%v %q", r.Desc, r.OK, r.Detail)
			}
		}
	}
}

// A spec change bumps the generation and the field; a scale down deletes a pod for good; a
// new baseline (a replay of the step) forgets what happened before it.
func TestRelativeChecksSeeSpecChangesAndDeletes(t *testing.T) {
	s, ctx := simWithWeb(t)
	st := relStep("ko",
		Check{Desc: "generation", Changed: &ChangedCheck{Resource: "sts", Name: "web", How: "generation"}},
		Check{Desc: "field", Changed: &ChangedCheck{Resource: "sts", Name: "web", How: "field", Path: "{.spec.replicas}"}},
		Check{Desc: "deleted", Changed: &ChangedCheck{Resource: "pods", Name: "web-1", How: "deleted"}},
		Check{Desc: "recreated", Changed: &ChangedCheck{Resource: "pods", Name: "web-1", How: "recreated"}},
		Check{Desc: "sts deleted web-1", Event: &EventCheck{Reason: "SuccessfulDelete", Kind: "StatefulSet", Name: "web"}},
	)
	o := Baseline(ctx, s, st)
	if err := s.RunKubectl(ctx, "kubectl scale sts web --replicas=1", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	eval := func() []CheckResult { return EvaluateSince(ctx, s, st, o) }
	for _, d := range []string{"generation", "field", "deleted", "sts deleted web-1"} {
		if r := awaitDesc(ctx, t, eval, d); !r.OK {
			t.Errorf("%q after scaling to 1: %s", d, r.Detail)
		}
	}
	for _, r := range eval() {
		if r.Desc == "recreated" && (r.OK || !strings.Contains(r.Detail, "web-1 오브젝트가 삭제된 뒤")) {
			t.Errorf("web-1 is gone, not back: ok=%v %q", r.OK, r.Detail)
		}
	}
	o.Close()
	// A replay takes a new baseline: nothing has happened since.
	o = Baseline(ctx, s, st)
	defer o.Close()
	for _, r := range EvaluateSince(ctx, s, st, o) {
		if r.OK {
			t.Errorf("after a new baseline %q still passes", r.Desc)
		}
	}
	// An observer of another step is no baseline for this one.
	other := Baseline(ctx, s, Step{ID: "other", Checks: st.Checks})
	defer other.Close()
	for _, r := range EvaluateSince(ctx, s, st, other) {
		if r.OK {
			t.Errorf("with another step's observer %q passes", r.Desc)
		}
	}
}

// Output checks see what the learner ran and what it printed, word by word.
func TestOutputCheckSeesCommandsRun(t *testing.T) {
	s, ctx := simWithWeb(t)
	st := relStep("en", Check{Desc: "claims", Output: &OutputCheck{Command: "kubectl get pvc -l app=nginx", Contains: "www-web-1"}})
	o := Baseline(ctx, s, st)
	defer o.Close()
	check := func(wantOK bool, want string) {
		t.Helper()
		r := EvaluateSince(ctx, s, st, o)[0]
		if r.OK != wantOK || !strings.Contains(r.Detail, want) {
			t.Errorf("ok=%v %q; want ok=%v and %q", r.OK, r.Detail, wantOK, want)
		}
	}
	check(false, "run `kubectl get pvc -l app=nginx`")
	o.Ran("kubectl get pods", "web-0 www-web-1")          // another command
	o.Ran("kubectl get pvc -l app=nginx", "No resources") // the command, without the text
	check(false, "did not show \"www-web-1\"")
	o.Ran("get pvc -l app=nginx -o wide", "www-web-0 Bound\nwww-web-1 Bound") // as typed in the command bar
	check(true, "")
}

// A watch sighting counts only after the baseline: web-0 was Pending once, before the step.
func TestObservedIgnoresTheStateBeforeTheStep(t *testing.T) {
	s, ctx := simWithWeb(t)
	st := relStep("en",
		Check{Desc: "pending", Observed: &ObservedCheck{Name: "web-0", Phase: "Pending"}},
		Check{Desc: "path", Observed: &ObservedCheck{Name: "web-1", Path: "{.metadata.labels.extra}", Equals: strp("yes")}},
	)
	o := Baseline(ctx, s, st)
	defer o.Close()
	if err := s.RunKubectl(ctx, "kubectl label pod web-1 extra=yes", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RunKubectl(ctx, "kubectl label pod web-1 extra-", nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	eval := func() []CheckResult { return EvaluateSince(ctx, s, st, o) }
	if r := awaitDesc(ctx, t, eval, "path"); !r.OK {
		t.Errorf("the label was set for a while: %s", r.Detail)
	}
	if r := eval()[0]; r.OK {
		t.Errorf("web-0 has been Running all step, yet Pending was observed")
	}
}

func TestLintRelativeChecks(t *testing.T) {
	cases := []struct {
		c    Check
		want string
	}{
		{Check{Desc: "d", Changed: &ChangedCheck{Resource: "pods", Name: "web-0", How: "moved"}}, "want one of created"},
		{Check{Desc: "d", Changed: &ChangedCheck{Resource: "pods", Name: "web-0", How: "field"}}, "required with how: field"},
		{Check{Desc: "d", Changed: &ChangedCheck{Resource: "pods", Name: "web-0", How: "created", Path: "{.x}"}}, "only how: field"},
		{Check{Desc: "d", Changed: &ChangedCheck{Resource: "widgets", Name: "x", How: "created"}}, "unknown resource"},
		{Check{Desc: "d", Event: &EventCheck{}}, "event.reason"},
		{Check{Desc: "d", Observed: &ObservedCheck{Name: "web-0"}}, "want exactly one of phase"},
		{Check{Desc: "d", Observed: &ObservedCheck{Name: "web-0", Phase: "Pending", Terminating: true}}, "have 2"},
		{Check{Desc: "d", Observed: &ObservedCheck{Name: "web-0", Phase: "Running", Status: "False"}}, "only with condition"},
		{Check{Desc: "d", Observed: &ObservedCheck{Resource: "sts", Name: "web", Phase: "Running"}}, "no status.phase"},
		{Check{Desc: "d", Observed: &ObservedCheck{Name: "web-0", Path: "{.x}"}}, "path and equals"},
		{Check{Desc: "d", Output: &OutputCheck{Command: "kubectl delete pod web-0", Contains: "deleted"}}, "changes the cluster"},
		{Check{Desc: "d", Output: &OutputCheck{Command: "ls", Contains: "x"}}, "want a kubectl command line"},
		{Check{Desc: "d", Output: &OutputCheck{Command: "kubectl get pods"}}, "output.contains"},
		{Check{Desc: "d", Event: &EventCheck{Reason: "Killing"}, Count: &CountCheck{Resource: "pods", Equals: new(int)}}, "exactly one of"},
	}
	for _, tc := range cases {
		var got []string
		for _, m := range lintCheck(tc.c) {
			got = append(got, m.field+": "+m.msg)
		}
		if !strings.Contains(strings.Join(got, "\n"), tc.want) {
			t.Errorf("lint %+v = %q; want %q", tc.c, got, tc.want)
		}
	}
	ok := []Check{
		{Desc: "d", Changed: &ChangedCheck{Resource: "sts", Name: "web", How: "field", Path: "{.spec.replicas}"}},
		{Desc: "d", Event: &EventCheck{Reason: "Killing", Kind: "Pod", Name: "web-0"}},
		{Desc: "d", Observed: &ObservedCheck{Name: "web-0", Condition: "Ready", Status: "False"}},
		{Desc: "d", Observed: &ObservedCheck{Resource: "pvc", Name: "www-web-0", Phase: "Bound"}},
		{Desc: "d", Output: &OutputCheck{Command: "kubectl logs mysql-1 -c clone-mysql", Contains: "x"}},
	}
	for _, c := range ok {
		if m := lintCheck(c); len(m) > 0 {
			t.Errorf("lint %+v: %v", c, m)
		}
	}
}

func TestNowFailingLeavesOutRelativeChecks(t *testing.T) {
	st := Step{Checks: []Check{
		{Desc: "state ok", Count: &CountCheck{Resource: "pods", Equals: new(int)}},
		{Desc: "relative", Changed: &ChangedCheck{Resource: "pods", Name: "web-0", How: "recreated"}},
		{Desc: "state failing", JSONPath: &JSONPathCheck{Resource: "sts", Name: "web", Path: "{.spec.replicas}", Equals: strp("2")}},
	}}
	res := []CheckResult{{Desc: "state ok", OK: true}, {Desc: "relative", Detail: "x"}, {Desc: "state failing", Detail: "y"}}
	got := NowFailing(st, res)
	if len(got) != 1 || got[0].Desc != "state failing" {
		t.Errorf("NowFailing = %+v, want only the failing state check", got)
	}
}
