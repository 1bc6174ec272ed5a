// Package progress keeps what a learner has done in each lesson (where they are, which steps
// are done and which of those needed help, quiz answers) in one small JSON file in the XDG
// state directory. Every save is atomic (a temporary file renamed over the old one), and a
// file that cannot be read as ours is set aside and reported, never fatal.
package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Format names our files, so a foreign JSON file is recognised as foreign.
const Format = "kubetutor-progress"

// Version is the file layout's version; a newer one is set aside rather than misread.
const Version = 1

// File is the on-disk shape.
type File struct {
	Format  string             `json:"format"`
	Version int                `json:"version"`
	Lessons map[string]*Lesson `json:"lessons"`
}

// Lesson is the learner's state in one lesson (keyed by lesson id, whatever the language).
type Lesson struct {
	// Step is the id of the step the learner was on, to resume there.
	Step  string           `json:"step,omitempty"`
	Steps map[string]*Step `json:"steps,omitempty"`
	// Quiz maps a question's index to the index of the learner's last answer and whether it
	// was right.
	Quiz    map[int]Answer `json:"quiz,omitempty"`
	Updated time.Time      `json:"updated,omitempty"`
	// Mode is how the learner plays the lesson: ModeGuided ("" too) or ModePractice.
	Mode string `json:"mode,omitempty"`
	// Practice holds the step records of practice mode, kept apart from the guided ones in
	// Steps so each mode has its own score.
	Practice map[string]*Step `json:"practice,omitempty"`
}

// The modes of a lesson (Lesson.Mode).
const (
	ModeGuided   = "guided"
	ModePractice = "practice"
)

// Practicing reports whether the lesson is played in practice mode.
func (l Lesson) Practicing() bool { return l.Mode == ModePractice }

// Records is the step map of the lesson's current mode (nil when empty).
func (l *Lesson) Records() map[string]*Step {
	if l.Practicing() {
		return l.Practice
	}
	return l.Steps
}

// PracticeSummary counts the practice-mode records against the lesson's step ids.
func (l Lesson) PracticeSummary(stepIDs []string) Summary {
	p := Lesson{Steps: l.Practice}
	return p.Summarize(stepIDs)
}

// Step is one step's record.
type Step struct {
	Done bool `json:"done,omitempty"`
	// Hints is how many hints were revealed; the last "hint" is the solution.
	Hints int `json:"hints,omitempty"`
	// Solution is set when the solution was shown; Solved when "do it for me" ran it.
	Solution bool `json:"solution,omitempty"`
	Solved   bool `json:"solved,omitempty"`
	// WithHelp records, when the step got done, whether a hint, the solution or "do it for
	// me" had been used by then (help asked for afterwards does not count).
	WithHelp bool `json:"withHelp,omitempty"`
}

// Answer is one quiz answer.
type Answer struct {
	Choice  int  `json:"choice"`
	Correct bool `json:"correct"`
}

// Store is the progress of one learner, backed by a file (or by nothing: Path "").
//
// Several players of one learner (two terminals, one file) share the file: each save locks
// it, reads what the others wrote and merges (shared.go), so nobody's progress is lost.
type Store struct {
	mu   sync.Mutex
	path string
	f    File
	// saveMu orders saves, so a later save never lands under an earlier one.
	saveMu sync.Mutex
	sync   syncState // guarded by mu
	// exchange, when set, keeps the store somewhere other than a file (Backed).
	exchange Exchange
}

// Exchange is one read-merge-write of a progress record kept outside a file: it reads the
// stored bytes (empty when there are none), passes them to merge, and stores what merge
// returns only if nobody wrote in between (a ConfigMap updated with its resourceVersion),
// else reads again and merges again. merge may run more than once.
type Exchange func(merge func(stored []byte) ([]byte, error)) error

// Backed is a store kept somewhere other than a file (a classroom keeps it in a ConfigMap):
// it starts from b (a progress file's bytes; empty for a new learner), and every Save merges
// with what is stored through exchange, lesson by lesson as with a shared file (shared.go),
// so a reset is kept and two front ends serving one learner lose neither's steps. where
// names the place for Path. Content that does not parse starts the store afresh, with a
// warning. A nil exchange makes a read-only store (Save does nothing).
func Backed(where string, b []byte, exchange Exchange) (s *Store, warning string) {
	s = &Store{path: where, f: empty(), exchange: exchange}
	if exchange == nil {
		s.path = ""
	}
	if len(b) == 0 {
		return s, ""
	}
	f, warnings, err := ParseReport(b)
	if err != nil {
		return s, fmt.Sprintf("%v; progress starts afresh", err)
	}
	s.f = f
	s.sync.read(f)
	return s, joinWarnings(warnings)
}

// DefaultPath is $XDG_STATE_HOME/kubetutor/progress.json, falling back to
// ~/.local/state/kubetutor/progress.json as the XDG spec says.
func DefaultPath() (string, error) {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("progress: no state directory: %w", err)
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "kubetutor", "progress.json"), nil
}

// Memory is a store that saves nowhere (tests, or when the state directory is unusable).
func Memory() *Store { return &Store{f: empty()} }

func empty() File {
	return File{Format: Format, Version: Version, Lessons: map[string]*Lesson{}}
}

// Open loads the store at path. A missing file is an empty store. A file that is not ours,
// from a newer version, or corrupt is renamed aside (path + ".bad-<time>") and the store
// starts empty; warning says what happened so the caller can tell the learner. err is only
// for a path that cannot be used at all.
func Open(path string) (s *Store, warning string, err error) {
	s = &Store{path: path, f: empty()}
	b, err := readFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, "", nil
	}
	var perr error
	switch {
	case errors.Is(err, errTooLarge):
		perr = err
	case err != nil:
		return Memory(), "", fmt.Errorf("progress: %w", err)
	default:
		var f File
		var warnings []string
		if f, warnings, perr = ParseReport(b); perr == nil {
			s.f = f
			s.sync.read(f)
			return s, joinWarnings(warnings), nil
		}
	}
	aside := fmt.Sprintf("%s.bad-%s", path, time.Now().UTC().Format("20060102T150405"))
	if rerr := os.Rename(path, aside); rerr != nil {
		// Keep going in memory rather than overwrite a file we could not move.
		return Memory(), fmt.Sprintf("%v; could not set it aside (%v), progress will not be saved", perr, rerr), nil
	}
	return s, fmt.Sprintf("%v; it was moved to %s and progress starts afresh", perr, aside), nil
}

var errTooLarge = fmt.Errorf("progress file is larger than %d bytes", maxFileBytes)

// readFile reads at most maxFileBytes: a progress file is a few KB.
func readFile(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileBytes {
		return nil, errTooLarge
	}
	return b, nil
}

// Parse decodes a progress file, rejecting foreign and corrupt content with a clear error
// and dropping entries out of range (see ParseReport).
func Parse(b []byte) (File, error) {
	f, _, err := ParseReport(b)
	return f, err
}

// ParseReport is Parse, also returning a line for each entry it dropped: ids that are not
// ids, negative or huge counts and indices, times from the future.
func ParseReport(b []byte) (File, []string, error) {
	if len(b) > maxFileBytes {
		return File{}, nil, errTooLarge
	}
	f, err := decode(b)
	if err != nil {
		return File{}, nil, err
	}
	var r report
	sanitize(&f, time.Now(), &r)
	return f, r.warnings(), nil
}

func decode(b []byte) (File, error) {
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return File{}, fmt.Errorf("progress file is corrupt: %v", err)
	}
	if f.Format != Format {
		return File{}, errors.New("not a kubetutor progress file")
	}
	if f.Version < 1 || f.Version > Version {
		return File{}, fmt.Errorf("progress file version %d is not supported (this kubetutor reads %d)", f.Version, Version)
	}
	if f.Lessons == nil {
		f.Lessons = map[string]*Lesson{}
	}
	return f, nil
}

// Path is where the store saves ("" for a memory store).
func (s *Store) Path() string { return s.path }

// Lesson returns a copy of one lesson's record (zero when none).
func (s *Store) Lesson(id string) Lesson {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.f.Lessons[id]
	if l == nil {
		return Lesson{}
	}
	return copyLesson(l)
}

func copyLesson(l *Lesson) Lesson {
	out := Lesson{Step: l.Step, Updated: l.Updated, Mode: l.Mode, Steps: copySteps(l.Steps), Practice: copySteps(l.Practice)}
	if l.Quiz != nil {
		out.Quiz = make(map[int]Answer, len(l.Quiz))
		for k, v := range l.Quiz {
			out.Quiz[k] = v
		}
	}
	return out
}

func copySteps(m map[string]*Step) map[string]*Step {
	if m == nil {
		return nil
	}
	out := make(map[string]*Step, len(m))
	for k, v := range m {
		c := *v
		out[k] = &c
	}
	return out
}

// Update changes one lesson's record and saves the file.
func (s *Store) Update(id string, fn func(l *Lesson)) error {
	s.Change(id, fn)
	return s.Save()
}

// Change edits one lesson's record in memory only (a UI does this in its update loop and
// saves in the background with Save).
func (s *Store) Change(id string, fn func(l *Lesson)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.f.Lessons[id]
	if l == nil {
		l = &Lesson{}
		s.f.Lessons[id] = l
	}
	if l.Steps == nil {
		l.Steps = map[string]*Step{}
	}
	fn(l)
	l.Updated = time.Now().UTC()
	s.sync.changed(id)
}

// Save writes the store to its file, merged with what other players of the same file wrote
// since this one last read it (see saveShared).
func (s *Store) Save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if s.path == "" {
		return nil
	}
	if s.exchange != nil {
		return s.saveExchanged()
	}
	return s.saveShared()
}

// StepOf returns the record of a step for editing inside Update, in the lesson's current
// mode (Steps, or Practice in practice mode).
func (l *Lesson) StepOf(id string) *Step { return l.StepIn(id, l.Practicing()) }

// StepIn returns the record of a step in the given mode's map, for editing inside Update.
func (l *Lesson) StepIn(id string, practice bool) *Step {
	if practice {
		if l.Practice == nil {
			l.Practice = map[string]*Step{}
		}
		st := l.Practice[id]
		if st == nil {
			st = &Step{}
			l.Practice[id] = st
		}
		return st
	}
	if l.Steps == nil {
		l.Steps = map[string]*Step{}
	}
	st := l.Steps[id]
	if st == nil {
		st = &Step{}
		l.Steps[id] = st
	}
	return st
}

// ResetLesson forgets one lesson (also in the file, unless another player of the file made
// progress in it after the reset).
func (s *Store) ResetLesson(id string) error {
	s.mu.Lock()
	delete(s.f.Lessons, id)
	s.sync.reset(id, time.Now().UTC())
	s.mu.Unlock()
	return s.Save()
}

// ResetAll forgets everything (also in the file, but for progress another player of the
// file made after the reset).
func (s *Store) ResetAll() error {
	s.mu.Lock()
	s.f = empty()
	s.sync.resetAll(time.Now().UTC())
	s.mu.Unlock()
	return s.Save()
}

// Export writes the whole store to path (atomically).
func (s *Store) Export(path string) error {
	s.mu.Lock()
	b, err := json.MarshalIndent(s.f, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return writeAtomic(path, append(b, '\n'))
}

// Import merges the file at path into the store: for each lesson in it, the imported record
// replaces ours when it is newer. A foreign or corrupt file is an error and changes nothing;
// entries out of range are dropped (ImportReport says which).
func (s *Store) Import(path string) (lessons int, err error) {
	lessons, _, err = s.ImportReport(path, nil)
	return lessons, err
}

// ImportReport is Import, checking the file against cat when it is not nil (lessons it does
// not know are dropped), and returning a warning line for what was dropped ("" for nothing).
func (s *Store) ImportReport(path string, cat Catalog) (lessons int, warning string, err error) {
	b, err := readFile(path)
	if err != nil {
		return 0, "", fmt.Errorf("progress: %w", err)
	}
	f, err := decode(b)
	if err != nil {
		return 0, "", fmt.Errorf("%s: %w", path, err)
	}
	var r report
	sanitize(&f, time.Now(), &r)
	if cat != nil {
		checkAgainst(&f, cat, true, &r)
	}
	warning = joinWarnings(r.warnings())
	s.mu.Lock()
	ids := make([]string, 0, len(f.Lessons))
	for id := range f.Lessons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		in := f.Lessons[id]
		if cur := s.f.Lessons[id]; cur == nil || !cur.Updated.After(in.Updated) {
			s.f.Lessons[id] = in
			s.sync.changed(id)
			lessons++
		}
	}
	s.mu.Unlock()
	return lessons, warning, s.Save()
}

// writeAtomic writes b to a temporary file beside path and renames it into place, so a
// crash leaves either the old file or the new one, never half of one.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".progress-*.tmp")
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	name := tmp.Name()
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("progress: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("progress: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("progress: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("progress: %w", err)
	}
	return nil
}

// Summary is what the menu shows of one lesson.
type Summary struct {
	Done, Helped, Total int
	Started             bool
	QuizRight, QuizDone int
}

// Summarize counts a lesson's record against its step ids.
func (l Lesson) Summarize(stepIDs []string) Summary {
	sum := Summary{Total: len(stepIDs), Started: l.Step != "" || len(l.Steps) > 0}
	for _, id := range stepIDs {
		st := l.Steps[id]
		if st == nil || !st.Done {
			continue
		}
		sum.Done++
		if st.WithHelp {
			sum.Helped++
		}
	}
	for _, a := range l.Quiz {
		sum.QuizDone++
		if a.Correct {
			sum.QuizRight++
		}
	}
	return sum
}

// LessonIDs lists the lessons the learner has a record of, sorted.
func (s *Store) LessonIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.f.Lessons))
	for id := range s.f.Lessons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
