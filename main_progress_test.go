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

// TestCommandLineMistakes (issue 13, item 10): a bad flag value is one line and a pointer to
// -h, not the whole usage; --lesson with an unknown id on the simulator is an error with the
// one spelling of the known lessons; no terminal suggests --plain.
func TestCommandLineMistakes(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "k.log")
	var out, errOut strings.Builder
	if code := run([]string{"--speed", "abc"}, &out, &errOut); code != 2 || strings.Contains(errOut.String(), "Usage:") ||
		strings.Contains(errOut.String(), "Flags:") || !strings.Contains(errOut.String(), `"abc"`) || !strings.Contains(errOut.String(), "--speed") {
		t.Errorf("--speed abc: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	out.Reset()
	if code := run([]string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(out.String()+errOut.String(), "Usage:") {
		t.Errorf("-h: exit %d, stdout %q stderr %q", code, out.String(), errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"--log", logPath, "--lesson", "nope"}, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), `no lesson "nope" (known lessons: statefulset-basics`) {
		t.Errorf("--lesson nope: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"--log", logPath, "demo", "nope"}, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), `no lesson "nope" (known lessons: statefulset-basics`) {
		t.Errorf("demo nope: exit %d, stderr %q", code, errOut.String())
	}
	if err := needTerminal(); err == nil || !strings.Contains(err.Error(), "--plain") {
		t.Errorf("without a terminal (go test has none): %v", err)
	}
}

// TestReadmeSampleLessonLints (issue 13, item 10): the README's sample lesson passes
// `kubetutor lessons lint`, so an author who copies it starts from a valid lesson.
func TestReadmeSampleLessonLints(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	if !ok {
		t.Fatal("README has no yaml block")
	}
	sample, _, _ := strings.Cut(rest, "```")
	if !strings.Contains(sample, "id: scale-demo") {
		t.Fatalf("the first yaml block is not the sample lesson:\n%s", sample)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "scale-demo"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scale-demo", "en.yaml"), []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	if code := run([]string{"lessons", "lint", dir}, &out, &errOut); code != 0 {
		t.Errorf("lint of the README sample: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}
