package lessons

import (
	"context"
	"fmt"
	"io"

	"github.com/kubetutor/kubetutor/engine"
)

// RunStep runs a step's simulate action (if any), then its runnable commands (never the noRun ones) one after another on the
// session, as a learner pressing "run" on each would; demo mode and the play tests use it.
// Between commands it lets a simulator settle (WaitIdle returns at once on a real cluster),
// the way a learner reads one command's effect before typing the next. It stops at the first
// command that fails.
func RunStep(ctx context.Context, s *engine.Session, st Step, out, errOut io.Writer) error {
	if st.Simulate != nil {
		said, err := RunSimulate(ctx, s, st)
		if err != nil {
			return fmt.Errorf("step %q: %w", st.ID, err)
		}
		fmt.Fprintln(out, said)
	}
	for _, line := range st.RunnableCommands() {
		fmt.Fprintf(out, "$ %s\n", line)
		if err := s.RunKubectl(ctx, line, nil, out, errOut); err != nil {
			return fmt.Errorf("step %q: %s: %w", st.ID, line, err)
		}
		if err := s.WaitIdle(ctx); err != nil {
			return fmt.Errorf("step %q: after %s: %w", st.ID, line, err)
		}
	}
	return nil
}
