package progress

import (
	"path/filepath"
	"testing"
	"time"
)

// TestImportKeepsNewerUnlessAsked: a lesson newer here is reported and kept unless the
// caller chose to replace it (issue 13, item 4).
func TestImportKeepsNewerUnlessAsked(t *testing.T) {
	dir := t.TempDir()
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	other, _, err := Open(filepath.Join(dir, "other.json"))
	if err != nil {
		t.Fatal(err)
	}
	other.f.Lessons["a"] = &Lesson{Step: "from-file", Updated: old}
	other.f.Lessons["b"] = &Lesson{Step: "from-file", Updated: old}
	exported := filepath.Join(dir, "export.json")
	if err := other.Export(exported); err != nil {
		t.Fatal(err)
	}
	here, _, err := Open(filepath.Join(dir, "here.json"))
	if err != nil {
		t.Fatal(err)
	}
	here.f.Lessons["a"] = &Lesson{Step: "mine", Updated: old.Add(time.Hour)}
	newer, err := here.NewerHere(exported)
	if err != nil || len(newer) != 1 || newer[0] != "a" {
		t.Fatalf("NewerHere = %v, %v", newer, err)
	}
	rep, _, err := here.ImportReplacing(exported, nil, false)
	if err != nil || len(rep.Kept) != 1 || len(rep.Imported) != 1 || here.Lesson("a").Step != "mine" || here.Lesson("b").Step != "from-file" {
		t.Fatalf("keep: %+v %v a=%q", rep, err, here.Lesson("a").Step)
	}
	rep, _, err = here.ImportReplacing(exported, nil, true)
	if err != nil || len(rep.Kept) != 0 || here.Lesson("a").Step != "from-file" {
		t.Fatalf("replace: %+v %v a=%q", rep, err, here.Lesson("a").Step)
	}
	if _, err := here.NewerHere(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file is no error")
	}
}
