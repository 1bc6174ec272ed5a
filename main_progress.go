package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	xterm "github.com/charmbracelet/x/term"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// progressImport is `kubetutor progress import FILE`: lessons whose progress here is newer
// than the file's are replaced only when the learner says so, and the output names what
// was kept (issue 13, item 4).
func progressImport(s *progress.Store, path string, cat progress.Catalog, stdout io.Writer) error {
	newer, err := s.NewerHere(path)
	if err != nil {
		return err
	}
	replace := len(newer) > 0 && ask(stdout, bufio.NewReader(promptIn), fmt.Sprintf(
		"Your progress here is newer than the file's in %s. Replace it with the file's?", strings.Join(newer, ", ")), false)
	rep, warn, err := s.ImportReplacing(path, cat, replace)
	if err != nil {
		return err
	}
	if warn != "" {
		fmt.Fprintf(stdout, "note: %s\n", warn)
	}
	fmt.Fprintf(stdout, "Imported progress of %d lesson(s) from %s.\n", len(rep.Imported), path)
	if len(rep.Kept) > 0 {
		fmt.Fprintf(stdout, "Kept your newer progress in %s.\n", strings.Join(rep.Kept, ", "))
	}
	return nil
}

// progressReset is `kubetutor progress reset`: forgetting is for good, so it asks, and takes
// no answer (closed input) as no.
func progressReset(s *progress.Store, stdout io.Writer) error {
	if !ask(stdout, bufio.NewReader(promptIn), "Forget all progress in every lesson?", false) {
		fmt.Fprintln(stdout, "Nothing was changed.")
		return nil
	}
	if err := s.ResetAll(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "All progress was forgotten.")
	return nil
}

// unknownLesson is the one error for a lesson id the catalog lacks, listing the known ones.
func unknownLesson(id string, ls []lessons.Lesson) error {
	ids := make([]string, 0, len(ls))
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	return usageError{fmt.Sprintf("no lesson %q (known lessons: %s)", id, strings.Join(ids, ", "))}
}

// needTerminal explains what to do when there is no terminal for the full-screen player
// (a pipe, a cron job, a CI log): the line-by-line player works there.
func needTerminal() error {
	if xterm.IsTerminal(os.Stdin.Fd()) && xterm.IsTerminal(os.Stdout.Fd()) {
		return nil
	}
	return errors.New("no terminal here (input or output is not a terminal): the full-screen player needs one; " +
		"kubetutor --plain plays the lessons line by line, for pipes, logs and screen readers")
}
