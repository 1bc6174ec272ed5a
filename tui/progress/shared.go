package progress

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// One learner may run two players at once (two terminals, one progress file). What each
// player expects of the other is what two shells expect of a shared history file: nothing
// either did is lost, and each sees the other's work the next time it looks. So a save never
// writes the store blindly over the file. Under an exclusive lock on the file (lockFile) it
// reads what is there and merges lesson by lesson:
//   - a lesson this player did not change since it last read the file is taken from the file
//     (the other player's progress, which this player now also sees);
//   - a lesson only this player changed is written as it is here;
//   - a lesson both changed is merged step by step: a step is done if either did it, the
//     help counts are the larger, the quiz keeps both players' answers (this player's for a
//     question both answered), and the lesson resumes at this player's step;
//   - a lesson this player reset is removed from the file, unless the other player made
//     progress in it after the reset (that progress is newer than the wish to forget);
//   - a lesson the other player reset is dropped here too, unless this player changed it
//     since: then this player's record, the one on its screen, is the newer and stands.
// On resume a player shows the step the learner was at and, on the simulator, replays the
// earlier steps' commands to rebuild that step's starting state (tui's prepare), so a second
// player resuming the first one's step never stands on an empty cluster.

// syncState is what a store knows of the file since it last read or wrote it.
type syncState struct {
	// seen is each lesson's Updated time in the file as last read or written (absent: the
	// lesson was not in the file).
	seen map[string]time.Time
	// dirty lessons were changed here since; resets records when a lesson was forgotten
	// here, resetAllAt when everything was.
	dirty      map[string]bool
	resets     map[string]time.Time
	resetAllAt time.Time
	// gen counts changes, so a save forgets only the changes its merge took in: one made
	// while the file was being written stays dirty for the next save.
	gen uint64
}

func (st *syncState) read(f File) {
	st.saw(f)
	st.dirty, st.resets, st.resetAllAt = nil, nil, time.Time{}
}

// saw records what the file now holds, keeping the changes still to save.
func (st *syncState) saw(f File) {
	st.seen = make(map[string]time.Time, len(f.Lessons))
	for id, l := range f.Lessons {
		st.seen[id] = l.Updated
	}
}

func (st *syncState) changed(id string) {
	st.gen++
	if st.dirty == nil {
		st.dirty = map[string]bool{}
	}
	st.dirty[id] = true
}

func (st *syncState) reset(id string, at time.Time) {
	st.changed(id)
	if st.resets == nil {
		st.resets = map[string]time.Time{}
	}
	st.resets[id] = at
}

func (st *syncState) resetAll(at time.Time) {
	st.gen++
	st.resetAllAt = at
	st.dirty, st.resets = nil, nil
}

// changedElsewhere reports whether the file's record of a lesson differs from what this
// store last saw of it (another player wrote it since).
func (st *syncState) changedElsewhere(id string, disk *Lesson) bool {
	seen, ok := st.seen[id]
	if disk == nil {
		return false
	}
	return !ok || !seen.Equal(disk.Updated)
}

// saveShared merges the file into the store and the store into the file (see above) and
// writes the result atomically, all under the file's lock.
func (s *Store) saveShared() error {
	unlock, err := lockFile(s.path)
	if err != nil {
		return fmt.Errorf("progress: %w", err)
	}
	defer unlock()
	disk := empty()
	switch b, err := readFile(s.path); {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("progress: %w", err)
	default:
		// A file that is not readable as ours now (set aside at Open, or broken since) is
		// replaced by this store, as before sharing existed.
		if f, _, perr := ParseReport(b); perr == nil {
			disk = f
		}
	}
	s.mu.Lock()
	merged := s.mergeLocked(disk)
	gen := s.sync.gen
	b, err := json.MarshalIndent(merged, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path, append(b, '\n')); err != nil {
		return err
	}
	s.saved(merged, gen)
	return nil
}

// saved records that merged, made at generation gen, is what is stored now.
func (s *Store) saved(merged File, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sync.gen == gen {
		s.sync.read(merged)
	} else {
		s.sync.saw(merged) // changed while storing: those changes are still to save
	}
}

// saveExchanged is saveShared for a Backed store: the same merge, with the stored bytes the
// exchange reads in place of the file. Unreadable stored content is replaced, as a file's is.
func (s *Store) saveExchanged() error {
	var merged File
	var gen uint64
	err := s.exchange(func(stored []byte) ([]byte, error) {
		disk := empty()
		if len(stored) > 0 {
			if f, _, perr := ParseReport(stored); perr == nil {
				disk = f
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		merged = s.mergeLocked(disk)
		gen = s.sync.gen
		b, err := json.MarshalIndent(merged, "", "  ")
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	})
	if err != nil {
		return err
	}
	s.saved(merged, gen)
	return nil
}

// mergeLocked returns the file to write, and takes the other players' lessons into the
// store. s.mu is held.
func (s *Store) mergeLocked(disk File) File {
	st := &s.sync
	out := empty()
	ids := map[string]bool{}
	for id := range disk.Lessons {
		ids[id] = true
	}
	for id := range s.f.Lessons {
		ids[id] = true
	}
	for id := range ids {
		here, there := s.f.Lessons[id], disk.Lessons[id]
		_, wasSeen := st.seen[id]
		forgot := st.resetAllAt
		if t, ok := st.resets[id]; ok && t.After(forgot) {
			forgot = t
		}
		if there != nil && !forgot.IsZero() && !there.Updated.After(forgot) {
			there = nil // from before this player's reset: forgotten
		}
		var l *Lesson
		switch {
		case there == nil:
			// Gone from the file although this store read it there, and not changed here
			// since: another player reset it.
			if here != nil && (st.dirty[id] || !wasSeen) {
				l = here
			}
		case here == nil:
			l = there // another player's lesson, or progress made there after a reset here
		case st.dirty[id]:
			l = here
			if st.changedElsewhere(id, there) {
				l = mergeLessons(here, there)
			}
		case st.changedElsewhere(id, there):
			l = there
		default:
			l = here
		}
		if l == nil {
			delete(s.f.Lessons, id)
			continue
		}
		c := copyLesson(l)
		out.Lessons[id] = &c
		mine := copyLesson(l)
		s.f.Lessons[id] = &mine
	}
	return out
}

// mergeLessons combines two players' records of one lesson; here is this player's.
func mergeLessons(here, there *Lesson) *Lesson {
	out := copyLesson(here)
	out.Steps = mergeSteps(here.Steps, there.Steps)
	out.Practice = mergeSteps(here.Practice, there.Practice)
	for q, a := range there.Quiz {
		if out.Quiz == nil {
			out.Quiz = map[int]Answer{}
		}
		if _, ok := out.Quiz[q]; !ok {
			out.Quiz[q] = a
		}
	}
	// The merge is a new version of the lesson: stamped after both, so every player sees it
	// as changed (taking the later of the two stamps would look, to the player that wrote
	// that one, like its own version and drop the other's steps at its next save).
	latest := out.Updated
	if there.Updated.After(latest) {
		latest = there.Updated
	}
	out.Updated = time.Now().UTC()
	if !out.Updated.After(latest) {
		out.Updated = latest.Add(time.Nanosecond)
	}
	return &out
}

func mergeSteps(a, b map[string]*Step) map[string]*Step {
	if a == nil && b == nil {
		return nil
	}
	out := copySteps(a)
	if out == nil {
		out = map[string]*Step{}
	}
	for id, y := range b {
		x := out[id]
		if x == nil {
			c := *y
			out[id] = &c
			continue
		}
		m := Step{
			Done:     x.Done || y.Done,
			Hints:    max(x.Hints, y.Hints),
			Solution: x.Solution || y.Solution,
			Solved:   x.Solved || y.Solved,
		}
		// Done with help only if every player who did it needed help.
		switch {
		case x.Done && y.Done:
			m.WithHelp = x.WithHelp && y.WithHelp
		case x.Done:
			m.WithHelp = x.WithHelp
		case y.Done:
			m.WithHelp = y.WithHelp
		}
		out[id] = &m
	}
	return out
}

func dirOf(path string) string { return filepath.Dir(path) }
