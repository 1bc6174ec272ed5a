package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/engine/termsafe"
	"github.com/kubetutor/kubetutor/lessons"
)

// solveTimeout bounds one headless play of a lesson in real time; on the simulator's
// auto-advancing fake clock a lesson takes seconds.
const solveTimeout = 5 * time.Minute

// lessonLibrary is the built-in catalog plus the lesson folders in dir, if any.
func lessonLibrary(dir string) (*lessons.Library, error) {
	return withLessonDir(lessons.Embedded, dir)
}

// withLessonDir is the built-in lessons from builtin plus the lesson folders in dir, if any.
func withLessonDir(builtin func() (*lessons.Library, error), dir string) (*lessons.Library, error) {
	emb, err := builtin()
	if err != nil {
		return nil, fmt.Errorf("built-in lessons: %w", err)
	}
	if dir == "" {
		return emb, nil
	}
	extra, err := lessons.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("lessons in %s:\n%w", dir, err)
	}
	return lessons.Merge(emb, extra), nil
}

// loadCatalog is the player's lesson menu: the built-in lessons plus --lessons DIR, the
// built-in ones read in the menu's language (and English) only.
func loadCatalog(c config) ([]lessons.Lesson, error) {
	lib, err := withLessonDir(func() (*lessons.Library, error) { return lessons.EmbeddedIn(c.lang) }, c.lessonsDir)
	if err != nil {
		return nil, err
	}
	return lib.Catalog(c.lang), nil
}

// lintLessons validates the built-in lessons (no dirs) or the lesson folders in each dir and
// prints every problem, one per line.
func lintLessons(dirs []string, stdout io.Writer) error {
	var lib *lessons.Library
	var err error
	where := "built-in lessons"
	if len(dirs) == 0 {
		lib, err = lessons.Embedded()
	} else {
		where = dirs[0]
		lib, err = lessons.LoadDir(dirs[0])
	}
	if err != nil {
		problems := splitJoined(err)
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
		return fmt.Errorf("%s: %d problems", where, len(problems))
	}
	n := 0
	for _, id := range lib.IDs() {
		n += len(lib.Languages(id))
	}
	fmt.Fprintf(stdout, "%s: %d lessons, %d files, no problems\n", where, len(lib.IDs()), n)
	return nil
}

// splitJoined flattens an errors.Join tree into its leaves' messages.
func splitJoined(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, splitJoined(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// solveLesson plays a lesson headless, in one language or all, each on a fresh simulator.
func solveLesson(id, lang, dir string, stdout, stderr io.Writer) error {
	lib, err := lessonLibrary(dir)
	if err != nil {
		return err
	}
	if _, err := lib.Get(id, lessons.BaseLang); err != nil {
		return usageError{err.Error()}
	}
	langs := lib.Languages(id)
	switch lang {
	case "", "all":
	default:
		if !contains(langs, lessons.NormalizeLang(lang)) {
			return usageError{fmt.Sprintf("lesson %s is written in %s, not %q", id, strings.Join(langs, ", "), lang)}
		}
		langs = []string{lessons.NormalizeLang(lang)}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed := 0
	for _, l := range langs {
		les, _ := lib.Get(id, l)
		n, err := solveOne(ctx, les, stdout)
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, context.Canceled) {
				return errInterrupted
			}
			return err
		}
		failed += n
	}
	if failed > 0 {
		return fmt.Errorf("lesson %s did not solve", id)
	}
	return nil
}

func solveOne(ctx context.Context, l lessons.Lesson, stdout io.Writer) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, solveTimeout)
	defer cancel()
	fake := testingclock.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	s, err := engine.NewSimSession(ctx, engine.SimOptions{Fake: fake, AutoAdvance: true, Seed: 1})
	if err != nil {
		return 0, fmt.Errorf("starting the simulator: %w", err)
	}
	defer s.Close()
	stdout = termsafe.NewWriter(stdout, false) // check details quote cluster data
	fmt.Fprintf(stdout, "Solving %s (%s) on the simulator\n", l.ID, l.Lang)
	reports, err := lessons.Solve(ctx, s, l, nil)
	if err != nil {
		return 0, fmt.Errorf("%s (%s): %w", l.ID, l.Lang, err)
	}
	return lessons.WriteSolveReport(stdout, l, reports), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
