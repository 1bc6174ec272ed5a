package progress

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds on a progress file. Ours are tiny (a few KB); these leave a wide margin while
// keeping a crafted file from costing memory or time.
const (
	maxFileBytes  = 4 << 20
	maxLessons    = 1000
	maxSteps      = 1000 // per lesson
	maxQuestions  = 1000 // per lesson
	maxChoices    = 100  // per question
	maxHints      = 1000
	maxIDBytes    = 128
	maxWarnings   = 10 // listed one by one; more are counted
	futureLeeway  = 24 * time.Hour
	earliestSaved = 2020 // no kubetutor file is older
)

// validID is a lesson or step id as the lessons use them: short, printable, one line.
func validID(id string) bool {
	if id == "" || len(id) > maxIDBytes || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f {
			return false
		}
	}
	return true
}

// report collects what validation dropped, for one warning line.
type report struct{ msgs []string }

func (r *report) add(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// warnings returns at most maxWarnings lines plus a count of the rest.
func (r *report) warnings() []string {
	if len(r.msgs) <= maxWarnings {
		return r.msgs
	}
	out := append([]string(nil), r.msgs[:maxWarnings]...)
	return append(out, fmt.Sprintf("and %d more", len(r.msgs)-maxWarnings))
}

// quote shows an id from the file safely in a warning (it may hold anything).
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// sanitize checks a decoded file field by field, dropping what is out of range rather than
// rejecting the whole file: a bad entry costs that entry, never the learner's other progress.
func sanitize(f *File, now time.Time, r *report) {
	ids := make([]string, 0, len(f.Lessons))
	for id := range f.Lessons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for i, id := range ids {
		l := f.Lessons[id]
		switch {
		case i >= maxLessons:
			r.add("lesson %s dropped: more than %d lessons", quote(id), maxLessons)
			delete(f.Lessons, id)
			continue
		case !validID(id):
			r.add("lesson %s dropped: not a lesson id", quote(id))
			delete(f.Lessons, id)
			continue
		case l == nil:
			delete(f.Lessons, id)
			continue
		}
		sanitizeLesson(id, l, now, r)
	}
}

func sanitizeLesson(id string, l *Lesson, now time.Time, r *report) {
	if l.Step != "" && !validID(l.Step) {
		r.add("lesson %s: current step %s dropped", quote(id), quote(l.Step))
		l.Step = ""
	}
	if l.Mode != "" && l.Mode != ModeGuided && l.Mode != ModePractice {
		r.add("lesson %s: mode %s dropped", quote(id), quote(l.Mode))
		l.Mode = ""
	}
	sanitizeSteps(id, "", l.Steps, r)
	sanitizeSteps(id, "practice ", l.Practice, r)
	qs := make([]int, 0, len(l.Quiz))
	for q := range l.Quiz {
		qs = append(qs, q)
	}
	sort.Ints(qs)
	for _, q := range qs {
		a := l.Quiz[q]
		switch {
		case q < 0 || q >= maxQuestions:
			r.add("lesson %s: quiz answer %d dropped: no such question", quote(id), q)
			delete(l.Quiz, q)
		case a.Choice < 0 || a.Choice >= maxChoices:
			r.add("lesson %s: quiz answer %d dropped: no such choice %d", quote(id), q, a.Choice)
			delete(l.Quiz, q)
		}
	}
	if !l.Updated.IsZero() && (l.Updated.Year() < earliestSaved || l.Updated.After(now.Add(futureLeeway))) {
		// A time from the future would win every import; the record stays, its time goes.
		r.add("lesson %s: time %s dropped", quote(id), l.Updated.Format(time.RFC3339))
		l.Updated = time.Time{}
	}
}

// sanitizeSteps drops the step records (kind "" or "practice ") that are out of range.
func sanitizeSteps(id, kind string, steps map[string]*Step, r *report) {
	sids := make([]string, 0, len(steps))
	for sid := range steps {
		sids = append(sids, sid)
	}
	sort.Strings(sids)
	for i, sid := range sids {
		st := steps[sid]
		switch {
		case i >= maxSteps:
			r.add("lesson %s: %sstep %s dropped: more than %d steps", quote(id), kind, quote(sid), maxSteps)
			delete(steps, sid)
		case !validID(sid):
			r.add("lesson %s: %sstep %s dropped: not a step id", quote(id), kind, quote(sid))
			delete(steps, sid)
		case st == nil:
			delete(steps, sid)
		case st.Hints < 0 || st.Hints > maxHints:
			r.add("lesson %s: %sstep %s dropped: %d hints", quote(id), kind, quote(sid), st.Hints)
			delete(steps, sid)
		}
	}
}

// Catalog is what the lessons of this run look like, to check a progress file against:
// lesson id → its step ids and, per quiz question, how many choices it has.
type Catalog map[string]LessonShape

// LessonShape is one lesson's steps and quiz.
type LessonShape struct {
	Steps   []string
	Choices []int // per question
}

// checkAgainst drops the parts of known lessons that the catalog does not have (steps
// renamed or removed, quiz answers beyond the questions or choices). Lessons the catalog
// does not know are dropped only when strict (an import); in the learner's own file they
// are kept, as they may come from a --lessons folder not loaded this time.
func checkAgainst(f *File, cat Catalog, strict bool, r *report) {
	ids := make([]string, 0, len(f.Lessons))
	for id := range f.Lessons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		l := f.Lessons[id]
		shape, ok := cat[id]
		if !ok {
			if strict {
				r.add("lesson %s dropped: no such lesson", quote(id))
				delete(f.Lessons, id)
			}
			continue
		}
		steps := map[string]bool{}
		for _, s := range shape.Steps {
			steps[s] = true
		}
		if l.Step != "" && !steps[l.Step] {
			r.add("lesson %s: current step %s dropped: no such step", quote(id), quote(l.Step))
			l.Step = ""
		}
		for _, sid := range sortedKeys(l.Steps) {
			if !steps[sid] {
				r.add("lesson %s: step %s dropped: no such step", quote(id), quote(sid))
				delete(l.Steps, sid)
			}
		}
		for _, sid := range sortedKeys(l.Practice) {
			if !steps[sid] {
				r.add("lesson %s: practice step %s dropped: no such step", quote(id), quote(sid))
				delete(l.Practice, sid)
			}
		}
		qs := make([]int, 0, len(l.Quiz))
		for q := range l.Quiz {
			qs = append(qs, q)
		}
		sort.Ints(qs)
		for _, q := range qs {
			if c := l.Quiz[q].Choice; q < 0 || q >= len(shape.Choices) || c < 0 || c >= shape.Choices[q] {
				r.add("lesson %s: quiz answer %d dropped: no such question or choice", quote(id), q)
				delete(l.Quiz, q)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Check drops from the store what cat says cannot be (see checkAgainst; lessons cat does
// not know are kept) and returns one warning line, "" when nothing was dropped. The player
// calls it once it knows its lessons.
func (s *Store) Check(cat Catalog) string {
	var r report
	s.mu.Lock()
	checkAgainst(&s.f, cat, false, &r)
	s.mu.Unlock()
	return joinWarnings(r.warnings())
}

func joinWarnings(w []string) string {
	if len(w) == 0 {
		return ""
	}
	return "progress file entries dropped: " + strings.Join(w, "; ")
}
