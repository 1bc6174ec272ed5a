package progress

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

func openT(t *testing.T, path string) *Store {
	t.Helper()
	s, warn, err := Open(path)
	if err != nil || warn != "" {
		t.Fatalf("Open: %v %q", err, warn)
	}
	return s
}

func done(t *testing.T, s *Store, lesson, step string) {
	t.Helper()
	if err := s.Update(lesson, func(l *Lesson) {
		l.Step = step
		l.StepOf(step).Done = true
	}); err != nil {
		t.Fatal(err)
	}
}

func doneSteps(l Lesson) string {
	var out []string
	for _, id := range sortedKeys(l.Steps) {
		if l.Steps[id].Done {
			out = append(out, id)
		}
	}
	return fmt.Sprint(out)
}

// TestTwoPlayersShareTheFile: two players of one learner (two stores on one file, as two
// terminals) save in turn; neither loses what the other did, each sees the other's lessons
// after its next save, steps of a lesson both played are merged, and a reset in one is not
// undone by the other's next save.
func TestTwoPlayersShareTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	a, b := openT(t, path), openT(t, path)

	done(t, a, "basics", "create")
	done(t, b, "labs", "arrive") // b read the file before a wrote basics
	done(t, a, "basics", "scale")
	file := openT(t, path)
	if got := doneSteps(file.Lesson("basics")); got != "[create scale]" {
		t.Fatalf("basics in the file: %s", got)
	}
	if got := doneSteps(file.Lesson("labs")); got != "[arrive]" {
		t.Fatalf("labs in the file: %s (a's save lost b's lesson)", got)
	}
	if got := doneSteps(b.Lesson("basics")); got != "[create]" {
		t.Fatalf("b sees basics as %s after its save, want a's first step", got)
	}

	// Both play basics: the steps merge, the file resumes at the last saver's step.
	done(t, b, "basics", "pvc")
	file = openT(t, path)
	if got, step := doneSteps(file.Lesson("basics")), file.Lesson("basics").Step; got != "[create pvc scale]" || step != "pvc" {
		t.Fatalf("merged basics: %s at %q", got, step)
	}
	done(t, a, "basics", "update")
	if got, step := doneSteps(a.Lesson("basics")), a.Lesson("basics").Step; got != "[create pvc scale update]" || step != "update" {
		t.Fatalf("a after merging b's step: %s at %q", got, step)
	}

	// a forgets labs; b's next save (of another lesson) keeps it forgotten.
	if err := a.ResetLesson("labs"); err != nil {
		t.Fatal(err)
	}
	done(t, b, "basics", "delete")
	file = openT(t, path)
	if l := file.Lesson("labs"); l.Steps != nil || l.Step != "" {
		t.Fatalf("b's save brought back the lesson a reset: %+v", l)
	}
	if slices.Contains(b.LessonIDs(), "labs") {
		t.Fatal("b still holds the lesson a reset")
	}
	if got := doneSteps(file.Lesson("basics")); got != "[create delete pvc scale update]" {
		t.Fatalf("basics after b's save: %s", got)
	}

	// b forgets everything. a did not touch "other" since: it stays forgotten. a plays on in
	// basics after the reset: its record, the one a's screen shows, is newer than the reset
	// and stands whole.
	done(t, a, "other", "one")
	if err := b.ResetAll(); err != nil {
		t.Fatal(err)
	}
	done(t, a, "basics", "again")
	file = openT(t, path)
	if got := doneSteps(file.Lesson("basics")); got != "[again create delete pvc scale update]" {
		t.Fatalf("after b's reset and a's new step: %s", got)
	}
	if slices.Contains(file.LessonIDs(), "other") || slices.Contains(a.LessonIDs(), "other") {
		t.Fatal("a's save brought back a lesson b's reset forgot")
	}
}

// TestConcurrentSaversLoseNothing: two stores on one file save from many goroutines at once;
// every step either recorded is in the file afterwards (the lock orders the merges).
func TestConcurrentSaversLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	stores := []*Store{openT(t, path), openT(t, path)}
	const per = 20
	saveAtOnce(t, stores, per)
	l := openT(t, path).Lesson("shared")
	for i := range stores {
		for k := 0; k < per; k++ {
			if st := l.Steps[fmt.Sprintf("p%d-%02d", i, k)]; st == nil || !st.Done {
				t.Errorf("step p%d-%02d lost", i, k)
			}
		}
	}
}

// saveAtOnce has each store record per steps of lesson "shared" ("p<store>-<k>"), every
// Update on its own goroutine, all at once.
func saveAtOnce(t *testing.T, stores []*Store, per int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(stores)*per)
	for i, s := range stores {
		for k := 0; k < per; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Update("shared", func(l *Lesson) { l.StepOf(fmt.Sprintf("p%d-%02d", i, k)).Done = true })
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
