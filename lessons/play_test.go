package lessons

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine"
)

// playTimeout is a real-time guard against a hang, not a speed test: on the fake clock a
// simulated wait costs nothing, but a lesson still makes some seventy in-process kubectl runs,
// which under -race on a loaded two-core machine take more than a minute.
const playTimeout = 5 * time.Minute

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
	reports, err := Solve(ctx, s, l, &transcript)
	if err != nil {
		t.Fatalf("lesson took longer than %v of real time: %v\n--- transcript ---\n%s", playTimeout, err, transcript.String())
	}
	for i, r := range reports {
		// A step with checks must have one that only the learner's action makes pass;
		// checks already true on arrival would mark the step done before the learner acts.
		if r.Vacuous() {
			t.Errorf("%s step %q: every check passes before its commands run", l.Source, r.Step.ID)
		}
		if !r.Played() {
			var why strings.Builder
			if r.Err != nil {
				fmt.Fprintf(&why, "  command failed: %v\n", r.Err)
			}
			for _, f := range FailedChecks(r.Results) {
				fmt.Fprintf(&why, "  %s\n", f)
			}
			t.Fatalf("%s step %d %q:\n%s--- transcript ---\n%s", l.Source, i+1, r.Step.ID, why.String(), transcript.String())
		}
	}
	if len(reports) != len(l.Steps) {
		t.Fatalf("%s: played %d of %d steps", l.Source, len(reports), len(l.Steps))
	}
}
