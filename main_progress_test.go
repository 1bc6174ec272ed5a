package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/tui/progress"
)

// withProgress points the progress file at a temporary state directory holding one done
// step, and the yes/no prompt at answer.
func withProgress(t *testing.T, answer string) string {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	path, err := progress.DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := progress.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Change("statefulset-basics", func(l *progress.Lesson) { l.StepOf("create").Done = true })
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	old := promptIn
	promptIn = strings.NewReader(answer)
	t.Cleanup(func() { promptIn = old })
	return path
}

func doneSteps(t *testing.T, path string) int {
	t.Helper()
	s, _, err := progress.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(s.Lesson("statefulset-basics").Steps)
}

// TestProgressResetAsks (issue 13, item 4): `progress reset` asks; a piped n, or no answer,
// keeps everything; y forgets.
func TestProgressResetAsks(t *testing.T) {
	for _, answer := range []string{"n\n", ""} {
		path := withProgress(t, answer)
		var out, errOut strings.Builder
		if code := run([]string{"progress", "reset"}, &out, &errOut); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		if !strings.Contains(out.String(), "Forget all progress") || !strings.Contains(out.String(), "Nothing was changed.") || doneSteps(t, path) != 1 {
			t.Errorf("answer %q: %q, steps left %d", answer, out.String(), doneSteps(t, path))
		}
	}
	path := withProgress(t, "y\n")
	var out, errOut strings.Builder
	run([]string{"progress", "reset"}, &out, &errOut)
	if doneSteps(t, path) != 0 || !strings.Contains(out.String(), "All progress was forgotten.") {
		t.Errorf("y did not reset: %q", out.String())
	}
}

// TestProgressImportAsksOverNewer (issue 13, item 4): importing over newer progress asks,
// and n keeps it and says so.
func TestProgressImportAsksOverNewer(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "old.json")
	// An export made before this machine's progress (an empty lesson record, older).
	if err := os.WriteFile(file, []byte(`{"format":"kubetutor-progress","version":1,"lessons":{"statefulset-basics":{"step":"intro","updated":"2020-01-01T00:00:00Z"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	path := withProgress(t, "n\n")
	var out, errOut strings.Builder
	if code := run([]string{"progress", "import", file}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "newer than the file's in statefulset-basics") || !strings.Contains(out.String(), "Kept your newer progress in statefulset-basics") || doneSteps(t, path) != 1 {
		t.Errorf("n: %q, steps %d", out.String(), doneSteps(t, path))
	}
}
