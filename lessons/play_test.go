package lessons

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine"
)

// playTimeout is a real-time guard against a hang; on the fake clock a whole lesson plays in
// well under a second of simulated waiting.
const playTimeout = 60 * time.Second

// sameEndState lists steps whose commands change the cluster but leave it looking as it did
// (deleted pods come back under the same names), so their checks already pass beforehand.
var sameEndState = map[string]bool{
	"statefulset-basics/replace-pods":  true,
	"statefulset-basics/data-survives": true,
}

// changesCluster reports whether a command line writes to the cluster.
func changesCluster(line string) bool {
	words, err := engine.SplitCommandLine(line)
	if err != nil || len(words) < 2 {
		return false
	}
	switch words[1] {
	case "apply", "create", "delete", "patch", "scale", "replace", "label", "annotate", "set", "rollout", "drain", "cordon", "uncordon":
		return true
	}
	return false
}

// TestPlayEveryLessonEveryLanguage plays each lesson in each language against a fresh
// simulator, as a learner would: run every runnable command of a step, let the cluster
// settle, and require every check of the step to pass before moving on.
//
// It needs the simulator (engine.NewSimSession); until that serves the API, this fails at the
// first command, which is the point: the lessons are only done when they play.
func TestPlayEveryLessonEveryLanguage(t *testing.T) {
	lib, err := Embedded()
	if err != nil {
		t.Fatalf("embedded lessons: %v", err)
	}
	for _, id := range lib.IDs() {
		for _, lang := range lib.Languages(id) {
			l, err := lib.Get(id, lang)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(id+"/"+lang, func(t *testing.T) { playLesson(t, l) })
		}
	}
}

func playLesson(t *testing.T, l Lesson) {
	ctx, cancel := context.WithTimeout(context.Background(), playTimeout)
	defer cancel()
	fake := testingclock.NewFakeClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	s, err := engine.NewSimSession(ctx, engine.SimOptions{Fake: fake, AutoAdvance: true, Seed: 1})
	if err != nil {
		t.Fatalf("NewSimSession: %v", err)
	}
	defer s.Close()

	var transcript strings.Builder // everything kubectl printed, shown when a step fails
	for i, st := range l.Steps {
		// A step that changes the cluster must have checks that its commands make pass;
		// checks already true beforehand would let a learner skip the step.
		writes := false
		for _, line := range st.RunnableCommands() {
			writes = writes || changesCluster(line)
		}
		if writes && len(st.Checks) > 0 && !sameEndState[l.ID+"/"+st.ID] && Passed(Evaluate(ctx, s, st)) {
			t.Errorf("%s step %q: every check passes before its commands run", l.Source, st.ID)
		}
		for _, line := range st.RunnableCommands() {
			var out, errOut bytes.Buffer
			err := s.RunKubectl(ctx, line, nil, &out, &errOut)
			fmt.Fprintf(&transcript, "[%s] $ %s\n%s%s", st.ID, line, out.String(), errOut.String())
			if err != nil {
				t.Fatalf("step %d %q: %s: %v\n--- transcript ---\n%s", i+1, st.ID, line, err, transcript.String())
			}
			// A learner reads what a command did before typing the next one.
			if err := s.WaitIdle(ctx); err != nil {
				t.Fatalf("step %d %q: WaitIdle after %s: %v\n--- transcript ---\n%s", i+1, st.ID, line, err, transcript.String())
			}
		}
		if err := s.WaitIdle(ctx); err != nil {
			t.Fatalf("step %d %q: WaitIdle: %v\n--- transcript ---\n%s", i+1, st.ID, err, transcript.String())
		}
		var failed []string
		for _, r := range Evaluate(ctx, s, st) {
			if !r.OK {
				failed = append(failed, fmt.Sprintf("  %s: %s", r.Desc, r.Detail))
			}
		}
		if len(failed) > 0 {
			t.Fatalf("%s step %d %q: checks failed after its commands:\n%s\n--- transcript ---\n%s",
				l.Source, i+1, st.ID, strings.Join(failed, "\n"), transcript.String())
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("lesson took longer than %v of real time", playTimeout)
	}
}
