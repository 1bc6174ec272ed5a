package progress

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A file that is valid JSON but wrong in places keeps its good entries and loses the bad
// ones, each named in the warning.
func TestOpenDropsBadEntriesKeepsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	content := `{"format":"kubetutor-progress","version":1,"lessons":{
	  "good": {"step":"b","steps":{"a":{"done":true},"b":{"hints":2}},"quiz":{"0":{"choice":1,"correct":true}},"updated":"2026-01-02T03:04:05Z"},
	  "neg-quiz": {"quiz":{"-1":{"choice":0},"1":{"choice":-3},"2":{"choice":0}}},
	  "neg-hints": {"steps":{"x":{"hints":-1},"y":{"done":true},"z":null}},
	  "future": {"updated":"2999-01-01T00:00:00Z","step":"line\nbreak"},
	  "bad\u001b]2;id": {"step":"a"},
	  "": {"step":"a"},
	  "nil": null
	}}`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	s, warn, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`lesson "neg-quiz": quiz answer -1 dropped: no such question`,
		`lesson "neg-quiz": quiz answer 1 dropped: no such choice -3`,
		`lesson "neg-hints": step "x" dropped: -1 hints`,
		`lesson "future": current step "line\nbreak" dropped`,
		`lesson "future": time 2999-01-01T00:00:00Z dropped`,
		`lesson "bad\x1b]2;id" dropped: not a lesson id`,
		`lesson "" dropped: not a lesson id`,
	} {
		if !strings.Contains(warn, want) {
			t.Errorf("warning lacks %s:\n%s", want, warn)
		}
	}
	if strings.ContainsRune(warn, 0x1b) {
		t.Errorf("the warning carries the file's escape sequence: %q", warn)
	}
	if g := s.Lesson("good"); g.Step != "b" || !g.Steps["a"].Done || g.Steps["b"].Hints != 2 || g.Quiz[0].Choice != 1 {
		t.Errorf("good lesson changed: %+v", g)
	}
	if q := s.Lesson("neg-quiz").Quiz; len(q) != 1 || q[2].Choice != 0 {
		t.Errorf("neg-quiz kept %v", q)
	}
	if st := s.Lesson("neg-hints").Steps; len(st) != 1 || !st["y"].Done {
		t.Errorf("neg-hints kept %v", st)
	}
	if f := s.Lesson("future"); !f.Updated.IsZero() || f.Step != "" {
		t.Errorf("future kept %+v", f)
	}
	// The file is set aside only when it cannot be read at all.
	if _, err := os.Stat(path); err != nil {
		t.Errorf("a file with bad entries was moved: %v", err)
	}
}

func TestCheckAgainstCatalog(t *testing.T) {
	s := Memory()
	s.Change("known", func(l *Lesson) {
		l.Step = "gone"
		l.StepOf("intro").Done = true
		l.StepOf("gone").Done = true
		l.Quiz = map[int]Answer{0: {Choice: 1}, 1: {Choice: 5}, 7: {Choice: 0}}
	})
	s.Change("from-a-folder", func(l *Lesson) { l.Step = "x" })
	warn := s.Check(Catalog{"known": {Steps: []string{"intro", "create"}, Choices: []int{2, 3}}})
	for _, want := range []string{`current step "gone" dropped`, `step "gone" dropped: no such step`, "quiz answer 1 dropped", "quiz answer 7 dropped"} {
		if !strings.Contains(warn, want) {
			t.Errorf("warning lacks %q: %s", want, warn)
		}
	}
	k := s.Lesson("known")
	if k.Step != "" || len(k.Steps) != 1 || len(k.Quiz) != 1 || k.Quiz[0].Choice != 1 {
		t.Errorf("known after check: %+v", k)
	}
	if s.Lesson("from-a-folder").Step != "x" {
		t.Error("a lesson the catalog does not know was dropped from the learner's own file")
	}
	if s.Check(Catalog{"known": {Steps: []string{"intro"}, Choices: []int{2}}}) != "" {
		t.Error("a clean store gave a warning")
	}
}

// Import against a catalog drops unknown lessons and out-of-range entries, and says so.
func TestImportReport(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.json")
	_ = os.WriteFile(in, []byte(`{"format":"kubetutor-progress","version":1,"lessons":{
	  "basics":{"steps":{"intro":{"done":true}},"quiz":{"-5":{"choice":0},"0":{"choice":9}}},
	  "stranger":{"step":"a"}}}`), 0o600)
	s := Memory()
	n, warn, err := s.ImportReport(in, Catalog{"basics": {Steps: []string{"intro"}, Choices: []int{2}}})
	if err != nil || n != 1 {
		t.Fatalf("import: %d %v", n, err)
	}
	for _, want := range []string{`lesson "stranger" dropped: no such lesson`, "quiz answer -5 dropped", "quiz answer 0 dropped"} {
		if !strings.Contains(warn, want) {
			t.Errorf("warning lacks %q: %s", want, warn)
		}
	}
	if b := s.Lesson("basics"); !b.Steps["intro"].Done || len(b.Quiz) != 0 {
		t.Errorf("imported %+v", b)
	}
}

func TestTooLargeAndTooMany(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	_ = os.WriteFile(path, append([]byte(`{"format":"kubetutor-progress","version":1,"x":"`), make([]byte, maxFileBytes)...), 0o600)
	if _, warn, err := Open(path); err != nil || !strings.Contains(warn, "larger than") || !strings.Contains(warn, ".bad-") {
		t.Errorf("huge file: %q %v", warn, err)
	}
	f := File{Format: Format, Version: Version, Lessons: map[string]*Lesson{}}
	for i := 0; i < maxLessons+20; i++ {
		f.Lessons[strings.Repeat("l", 1+i%100)+string(rune('a'+i%26))+time.Duration(i).String()] = &Lesson{}
	}
	b, _ := json.Marshal(f)
	got, warnings, err := ParseReport(b)
	if err != nil || len(got.Lessons) != maxLessons || len(warnings) != maxWarnings+1 || !strings.HasPrefix(warnings[maxWarnings], "and ") {
		t.Errorf("too many lessons: %d kept, %d warnings, %v", len(got.Lessons), len(warnings), err)
	}
}

// FuzzProgressLoad: whatever the bytes, loading never panics, and what it keeps is in range.
func FuzzProgressLoad(f *testing.F) {
	f.Add([]byte(`{"format":"kubetutor-progress","version":1,"lessons":{"a":{"step":"s","steps":{"s":{"done":true,"hints":1}},"quiz":{"0":{"choice":1,"correct":true}}}}}`))
	f.Add([]byte(`{"format":"kubetutor-progress","version":1,"lessons":{"a":{"quiz":{"-1":{"choice":-1}}}}}`))
	f.Add([]byte(`{"format":"kubetutor-progress","version":1,"lessons":{"a":null,"b":{"steps":{"x":null}}}}`))
	f.Add([]byte(`{"format":"kubetutor-progress","version":1,"lessons":{"a":{"updated":"9999-12-31T23:59:59Z"}}}`))
	f.Add([]byte(`{"format":"kubetutor-progress","version":1,"lessons":{"a":{"quiz":{"99999999999999999999":{}}}}}`))
	f.Add([]byte(`{"format":"kubetutor-progress","version":2}`))
	f.Add([]byte(`[]`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, _, err := ParseReport(b)
		if err != nil {
			return
		}
		for id, l := range file.Lessons {
			if !validID(id) || l == nil {
				t.Fatalf("kept lesson %q: %+v", id, l)
			}
			for sid, st := range l.Steps {
				if !validID(sid) || st == nil || st.Hints < 0 {
					t.Fatalf("kept step %q: %+v", sid, st)
				}
			}
			for q, a := range l.Quiz {
				if q < 0 || a.Choice < 0 {
					t.Fatalf("kept quiz answer %d: %+v", q, a)
				}
			}
			if l.Updated.After(time.Now().Add(futureLeeway)) {
				t.Fatalf("kept a time from the future: %v", l.Updated)
			}
		}
		// What was kept survives a save and a reload unchanged in size.
		s := &Store{f: file}
		s.Check(Catalog{"a": {Steps: []string{"s"}, Choices: []int{2}}})
		_ = s.Lesson("a").Summarize([]string{"s"})
	})
}

// The practice mode and its step records are checked like the guided ones: an unknown
// mode is dropped (the lesson opens guided), a bad practice record is dropped, the rest stays.
func TestOpenChecksModeAndPracticeRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	content := `{"format":"kubetutor-progress","version":1,"lessons":{
	  "p": {"mode":"practice","practice":{"a":{"done":true},"b":{"hints":-2},"c\u001b[2J":{"done":true}}},
	  "q": {"mode":"god-mode","steps":{"a":{"done":true}}}
	}}`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	s, warn, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`lesson "p": practice step "b" dropped: -2 hints`,
		`lesson "p": practice step "c\x1b[2J" dropped: not a step id`,
		`lesson "q": mode "god-mode" dropped`,
	} {
		if !strings.Contains(warn, want) {
			t.Errorf("warning lacks %s:\n%s", want, warn)
		}
	}
	p, q := s.Lesson("p"), s.Lesson("q")
	if !p.Practicing() || len(p.Practice) != 1 || !p.Practice["a"].Done || len(p.Steps) != 0 {
		t.Errorf("lesson p = %+v", p)
	}
	if q.Practicing() || q.Mode != "" || !q.Steps["a"].Done {
		t.Errorf("lesson q = %+v", q)
	}
	if sum := p.PracticeSummary([]string{"a", "b"}); sum.Done != 1 || sum.Total != 2 {
		t.Errorf("practice summary = %+v", sum)
	}
	// Catalog checks drop practice records of steps the lesson no longer has.
	if w := s.Check(Catalog{"p": {Steps: []string{"z"}}}); !strings.Contains(w, `practice step "a" dropped: no such step`) {
		t.Errorf("catalog check: %s", w)
	}
}
