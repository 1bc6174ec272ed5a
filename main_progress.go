package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kubetutor/kubetutor/tui/progress"
)

// progressImport is `kubetutor progress import FILE`: lessons whose progress here is newer
// than the file's are replaced only when the learner says so, and the output names what
// was kept (issue 13, item 4).
func progressImport(s *progress.Store, path string, stdout io.Writer) error {
	newer, err := s.NewerHere(path)
	if err != nil {
		return err
	}
	replace := len(newer) > 0 && ask(stdout, bufio.NewReader(promptIn), fmt.Sprintf(
		"Your progress here is newer than the file's in %s. Replace it with the file's?", strings.Join(newer, ", ")), false)
	rep, err := s.ImportReplacing(path, replace)
	if err != nil {
		return err
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
