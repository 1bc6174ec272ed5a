package progress

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSaveAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "progress.json")
	s, warn, err := Open(path)
	if err != nil || warn != "" {
		t.Fatalf("Open missing file: %v %q", err, warn)
	}
	if err := s.Update("basics", func(l *Lesson) {
		l.Step = "scale"
		l.StepOf("create").Done = true
		l.StepOf("scale").Hints = 2
		l.StepOf("scale").Done = true
		l.StepOf("scale").WithHelp = true
		l.Quiz = map[int]Answer{0: {Choice: 1, Correct: true}}
	}); err != nil {
		t.Fatal(err)
	}
	s2, warn, err := Open(path)
	if err != nil || warn != "" {
		t.Fatalf("reopen: %v %q", err, warn)
	}
	l := s2.Lesson("basics")
	if l.Step != "scale" || !l.Steps["create"].Done || l.Steps["scale"].Hints != 2 {
		t.Fatalf("reloaded = %+v", l)
	}
	sum := l.Summarize([]string{"intro", "create", "scale"})
	if sum.Done != 2 || sum.Helped != 1 || sum.Total != 3 || sum.QuizRight != 1 || !sum.Started {
		t.Errorf("summary = %+v", sum)
	}
	// No temporary files are left beside it.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("state dir holds %d files, want 1", len(entries))
	}
}

func TestCorruptAndForeignFilesAreSetAside(t *testing.T) {
	for name, content := range map[string]string{
		"corrupt": `{"format": "kubetutor-progress", "version": 1, "lessons": {`,
		"foreign": `{"name": "something else"}`,
		"newer":   `{"format": "kubetutor-progress", "version": 99}`,
		"garbage": "\x00\x01binary",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "progress.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, warn, err := Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if warn == "" || !strings.Contains(warn, ".bad-") {
				t.Errorf("warning = %q, want it to name the set-aside file", warn)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("bad file still at %s", path)
			}
			matches, _ := filepath.Glob(path + ".bad-*")
			if len(matches) != 1 {
				t.Fatalf("set-aside files = %v", matches)
			}
			if b, _ := os.ReadFile(matches[0]); string(b) != content {
				t.Error("set-aside file changed")
			}
			// The store works and saves a fresh file.
			if err := s.Update("x", func(l *Lesson) { l.Step = "a" }); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("fresh file not written: %v", err)
			}
		})
	}
}

func TestExportImport(t *testing.T) {
	dir := t.TempDir()
	a, _, _ := Open(filepath.Join(dir, "a.json"))
	_ = a.Update("basics", func(l *Lesson) { l.StepOf("create").Done = true; l.Step = "create" })
	exp := filepath.Join(dir, "export.json")
	if err := a.Export(exp); err != nil {
		t.Fatal(err)
	}
	b, _, _ := Open(filepath.Join(dir, "b.json"))
	n, err := b.Import(exp)
	if err != nil || n != 1 {
		t.Fatalf("Import = %d, %v", n, err)
	}
	if !b.Lesson("basics").Steps["create"].Done {
		t.Error("imported step not done")
	}
	// Importing a foreign file fails and changes nothing.
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`[1,2,3]`), 0o600)
	if _, err := b.Import(bad); err == nil {
		t.Error("foreign file imported")
	}
	if !b.Lesson("basics").Steps["create"].Done {
		t.Error("failed import changed the store")
	}
	if _, err := b.Import(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file imported")
	}
}

func TestResetAndDefaultPath(t *testing.T) {
	s := Memory()
	_ = s.Update("a", func(l *Lesson) { l.Step = "x" })
	_ = s.Update("b", func(l *Lesson) { l.Step = "y" })
	_ = s.ResetLesson("a")
	if s.Lesson("a").Step != "" || s.Lesson("b").Step != "y" {
		t.Error("ResetLesson")
	}
	_ = s.ResetAll()
	if s.Lesson("b").Step != "" {
		t.Error("ResetAll")
	}
	t.Setenv("XDG_STATE_HOME", "/xdg")
	if p, _ := DefaultPath(); p != "/xdg/kubetutor/progress.json" {
		t.Errorf("DefaultPath = %s", p)
	}
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if p, _ := DefaultPath(); p != "/home/u/.local/state/kubetutor/progress.json" {
		t.Errorf("DefaultPath fallback = %s", p)
	}
}
