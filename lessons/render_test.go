package lessons

import (
	"reflect"
	"strings"
	"testing"
)

func TestStepMarkdownAndHelp(t *testing.T) {
	st := Step{Lang: "en", Goal: "Scale up.", Body: "Body text.", WatchFor: "Pods appear.", Hints: []string{"a", "b"}, Solution: "Run it."}
	md := st.Markdown()
	for _, want := range []string{"**Goal:** Scale up.", "Body text.", "**Watch for:** Pods appear."} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown() = %q, missing %q", md, want)
		}
	}
	if strings.Index(md, "Goal") > strings.Index(md, "Body") || strings.Index(md, "Body") > strings.Index(md, "Watch") {
		t.Errorf("Markdown() order: %q", md)
	}
	if got := (Step{Lang: "ko_KR.UTF-8", Goal: "목표다.", Body: "본문."}).Markdown(); got != "**목표:** 목표다.\n\n본문." {
		t.Errorf("Korean Markdown() = %q", got)
	}
	if got := st.Help(); !reflect.DeepEqual(got, []string{"a", "b", "Run it."}) {
		t.Errorf("Help() = %q", got)
	}
	if got := (Step{Hints: []string{"a"}}).Help(); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("Help() without a solution = %q", got)
	}
	// Help must not share the Hints backing array.
	h := st.Help()
	h[0] = "x"
	if st.Hints[0] != "a" {
		t.Error("Help() aliases Hints")
	}
}

// Every embedded step has a goal, and every step with commands says what to watch for.
func TestEmbeddedStepsHaveGoalsAndWatchFor(t *testing.T) {
	lib, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range lib.IDs() {
		for _, lang := range lib.Languages(id) {
			l, _ := lib.Get(id, lang)
			for _, st := range l.Steps {
				if st.Goal == "" || (len(st.Cmds) > 0 && st.WatchFor == "") {
					t.Errorf("%s step %s: goal %q watchFor %q", l.Source, st.ID, st.Goal, st.WatchFor)
				}
				if len(st.Checks) > 0 && len(st.Help()) != 3 {
					t.Errorf("%s step %s: %d levels of help, want 2 hints and a solution", l.Source, st.ID, len(st.Help()))
				}
			}
		}
	}
}
