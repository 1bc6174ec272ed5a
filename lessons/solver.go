package lessons

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/engine"
)

// StepReport is how one step went when a lesson was played headless.
type StepReport struct {
	Step Step
	// WritesCluster is true when a runnable command of the step changes the cluster.
	WritesCluster bool
	// PassedBefore is true when every check already held before the step's commands ran (and
	// its simulate action): the step is vacuous, a learner would find it done on arrival.
	PassedBefore bool
	// Err is the first command that failed (kubectl's own words are in the transcript).
	Err     error
	Results []CheckResult // the checks after the commands ran and the cluster settled
	Elapsed time.Duration // real time
}

// OK reports whether the step's commands ran, its checks (if any) passed, and they did not
// already pass before the step began.
func (r StepReport) OK() bool {
	return r.Played() && !r.Vacuous()
}

// Played reports whether the step's commands ran and its checks (if any) passed afterwards.
func (r StepReport) Played() bool {
	return r.Err == nil && (len(r.Step.Checks) == 0 || Passed(r.Results))
}

// Vacuous reports whether the step has checks that all held before the learner did anything.
// A reading step without checks is never vacuous.
func (r StepReport) Vacuous() bool {
	return len(r.Step.Checks) > 0 && r.PassedBefore
}

// Solve plays a lesson on a session as a learner who follows every step would: run each
// runnable command (never the noRun ones), let the cluster settle after each, then evaluate
// the step's checks. It stops after the first step that fails, since every later step builds
// on the state it should have left; a vacuous step (its checks held before it began) is
// reported as failed but the play goes on. Each step's baseline (Baseline) is taken before its
// simulate action and commands, and every command's output is fed to it. transcript, when set,
// receives every command and what kubectl printed. The error is only for a cancelled context;
// step failures are in the reports.
func Solve(ctx context.Context, s *engine.Session, l Lesson, transcript io.Writer) ([]StepReport, error) {
	if transcript == nil {
		transcript = io.Discard
	}
	var reports []StepReport
	for _, st := range l.Steps {
		start := time.Now()
		r := StepReport{Step: st}
		for _, line := range st.RunnableCommands() {
			r.WritesCluster = r.WritesCluster || ChangesCluster(line)
		}
		r.WritesCluster = r.WritesCluster || st.Simulate != nil
		obs := Baseline(ctx, s, st)
		if len(st.Checks) > 0 {
			r.PassedBefore = Passed(EvaluateSince(ctx, s, st, obs))
		}
		if st.Simulate != nil {
			said, err := RunSimulate(ctx, s, st)
			fmt.Fprintf(transcript, "[%s] (simulate) %s\n", st.ID, said)
			if err == nil {
				err = s.WaitIdle(ctx)
			}
			if err != nil {
				if ctx.Err() != nil {
					obs.Close()
					return reports, ctx.Err()
				}
				r.Err = fmt.Errorf("simulate: %w", err)
			}
		}
		for _, line := range st.RunnableCommands() {
			if r.Err != nil {
				break
			}
			var out, errOut bytes.Buffer
			run, err := obs.Expand(line)
			if err == nil {
				err = s.RunKubectl(ctx, run, nil, &out, &errOut)
			}
			obs.Ran(line, out.String()+errOut.String())
			fmt.Fprintf(transcript, "[%s] $ %s\n%s%s", st.ID, line, out.String(), errOut.String())
			if err == nil {
				// A learner reads what a command did before typing the next one.
				err = s.WaitIdle(ctx)
			}
			if err != nil {
				if ctx.Err() != nil {
					obs.Close()
					return reports, ctx.Err()
				}
				r.Err = fmt.Errorf("%s: %w", line, err)
				break
			}
		}
		if r.Err == nil {
			if err := s.WaitIdle(ctx); err != nil {
				if ctx.Err() != nil {
					obs.Close()
					return reports, ctx.Err()
				}
				r.Err = err
			}
		}
		if r.Err == nil && len(st.Checks) > 0 {
			r.Results = awaitChecks(ctx, s, st, obs)
		}
		if r.Err == nil && st.Predict != nil {
			// The prediction's answer must be what the watch showed: its confirmations hold.
			// They share the step's baseline (same step id).
			all := awaitChecks(ctx, s, st.ConfirmStep(), obs)
			if f := FailedChecks(all[len(st.Checks):]); len(f) > 0 {
				r.Err = fmt.Errorf("prediction %q: the correct answer did not happen: %s", st.Predict.Question, strings.Join(f, "; "))
			}
		}
		obs.Close()
		r.Elapsed = time.Since(start)
		reports = append(reports, r)
		if !r.Played() {
			break
		}
	}
	return reports, ctx.Err()
}

// checkPatience is how long the solver keeps re-reading a step's checks after the cluster went
// idle, as a learner waits for the watch pane: periodic work (readiness probes) does not keep
// the simulator busy, so its effects show up only as simulated time passes (at a throttled
// real pace when nothing else is pending).
const checkPatience = 60 * time.Second

// awaitChecks evaluates the step's checks until they pass or checkPatience (real time) ends,
// and returns the last results.
func awaitChecks(ctx context.Context, s *engine.Session, st Step, obs *StepObserver) []CheckResult {
	deadline := time.Now().Add(checkPatience)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		res := EvaluateSince(ctx, s, st, obs)
		if Passed(res) || time.Now().After(deadline) {
			return res
		}
		select {
		case <-ctx.Done():
			return res
		case <-tick.C:
		}
	}
}

// ChangesCluster reports whether a kubectl command line writes to the cluster.
func ChangesCluster(line string) bool {
	words, err := engine.SplitCommandLine(line)
	if err != nil || len(words) < 2 {
		return false
	}
	switch words[1] {
	case "apply", "create", "delete", "patch", "scale", "replace", "label", "annotate", "set",
		"rollout", "drain", "cordon", "uncordon", "taint", "run", "expose", "autoscale", "edit":
		return true
	}
	return false
}

// FailedChecks lists the failing results as "desc: detail" lines.
func FailedChecks(results []CheckResult) []string {
	var out []string
	for _, r := range results {
		if !r.OK {
			out = append(out, r.Desc+": "+r.Detail)
		}
	}
	return out
}

// WriteSolveReport prints one line per step (✓ or ✗, id, checks, time) and the reasons a
// step failed, and says whether the lesson solved. It returns the number of failed steps
// plus the steps never reached.
func WriteSolveReport(w io.Writer, l Lesson, reports []StepReport) int {
	failed := 0
	for i, r := range reports {
		mark := "✓"
		if !r.OK() {
			mark = "✗"
			failed++
		}
		fmt.Fprintf(w, "%s %2d/%d %-18s %s  %s\n", mark, i+1, len(l.Steps), r.Step.ID, plural(len(r.Step.Checks), "check"), r.Elapsed.Round(time.Millisecond))
		if r.Err != nil {
			fmt.Fprintf(w, "      command failed: %v\n", r.Err)
		}
		for _, f := range FailedChecks(r.Results) {
			fmt.Fprintf(w, "      check failed: %s\n", f)
		}
		if r.Vacuous() {
			fmt.Fprintf(w, "      vacuous: every check already passed before the step's commands ran\n")
		}
	}
	missing := len(l.Steps) - len(reports)
	if missing > 0 {
		fmt.Fprintf(w, "  %d later steps not played\n", missing)
	}
	if failed+missing == 0 {
		fmt.Fprintf(w, "%s (%s): all %d steps solved\n", l.ID, l.Lang, len(l.Steps))
	} else {
		fmt.Fprintf(w, "%s (%s): %s\n", l.ID, l.Lang, strings.TrimSpace(fmt.Sprintf("%d failed, %d not played", failed, missing)))
	}
	return failed + missing
}

func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
