package tui

import (
	"strings"
	"testing"
)

// Done stays done, but when what a done step achieved stops holding, the status line says
// so and why; relative checks (about the step's own start) are not what it reports.
func TestDoneStepSaysWhenItNowFails(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		c := newFakeCluster()
		a := newTestApp(lang, c)
		openLesson(t, a, 120, 40)
		v := a.lesson
		v.play.Go(1) // the create step, whose check is "web exists"
		c.mu.Lock()
		c.applied = true
		c.mu.Unlock()
		res := c.evaluator()(v.ctx, v.cur())
		send(a, checksMsg{gen: v.gen, step: 1, inc: v.play.Incarnation(), results: res})
		if s, ok := v.checkState(); !ok || strings.Contains(s, v.t.NowFailing) {
			t.Fatalf("%s: after the check held: %q ok=%v", lang, s, ok)
		}
		c.mu.Lock()
		c.applied = false // the learner deleted web afterwards
		c.mu.Unlock()
		res = c.evaluator()(v.ctx, v.cur())
		send(a, checksMsg{gen: v.gen, step: 1, inc: v.play.Incarnation(), results: res})
		s, ok := v.checkState()
		want := "✓ " + v.t.Done + " · " + v.t.NowFailing + ": " + v.cur().Checks[0].Desc + `: statefulsets "web" not found`
		if s != want || ok {
			t.Errorf("%s: a done step whose check fails now: %q ok=%v, want %q", lang, s, ok, want)
		}
		if !v.play.State(1).Done {
			t.Errorf("%s: the step is no longer done", lang)
		}
	}
}
