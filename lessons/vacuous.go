package lessons

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/kubetutor/kubetutor/engine"
)

// lintVacuous flags steps whose checks cannot fail when the learner arrives, so the player
// would mark them done before the learner does anything. The solver finds such steps by
// playing (StepReport.Vacuous); these are the cases the file alone shows:
//
//   - a step that changes nothing (no command that writes, no simulate) whose checks all read
//     the cluster's state: the state they read is the one the step began with;
//   - a step whose checks all read state and are all required by the step before it already.
//
// Such a step needs a check relative to its start (changed, event, observed, output), or no
// checks at all (a reading step).
func lintVacuous(l Lesson) []error {
	var errs []error
	for i, st := range l.Steps {
		if len(st.Checks) == 0 || len(StateChecks(st)) != len(st.Checks) {
			continue
		}
		if !stepWrites(st) {
			errs = append(errs, &LintError{File: l.Source, Step: st.ID, Field: "checks",
				Msg: "cannot fail: the step changes nothing and every check reads state it began with; add a check relative to the step's start (changed, event, observed, output) or drop the checks"})
			continue
		}
		if i > 0 && allRequiredBefore(st.Checks, l.Steps[i-1].Checks) {
			errs = append(errs, &LintError{File: l.Source, Step: st.ID, Field: "checks",
				Msg: fmt.Sprintf("cannot fail: step %q already requires every one of them; check what this step changes", l.Steps[i-1].ID)})
		}
	}
	return errs
}

// stepWrites reports whether a step's simulate action or any of its commands (shown-only ones
// too: the learner types them) can change the cluster.
func stepWrites(st Step) bool {
	if st.Simulate != nil {
		return true
	}
	for _, c := range st.Cmds {
		// A throwaway `kubectl run --rm` counts too: its client may write to an application.
		if ChangesCluster(c.Line) || execs(c.Line) {
			return true
		}
	}
	return false
}

// execs reports whether a command line runs something inside a container (kubectl exec or
// cp), which can change what a container holds or answers (a file, a readiness probe).
func execs(line string) bool {
	words, err := engine.SplitCommandLine(line)
	return err == nil && len(words) >= 2 && (words[1] == "exec" || words[1] == "cp")
}

// throwawayRun reports whether a command line is `kubectl run … --rm`: a pod that runs one
// command and is deleted, whose output (a DNS lookup) an output check may read.
func throwawayRun(line string) bool {
	words, err := engine.SplitCommandLine(line)
	if err != nil || len(words) < 2 || words[1] != "run" {
		return false
	}
	for _, w := range words[2:] {
		if w == "--rm" || strings.HasPrefix(w, "--rm=true") {
			return true
		}
	}
	return false
}

func allRequiredBefore(checks, before []Check) bool {
	for _, c := range checks {
		found := false
		for _, b := range before {
			c.Desc, b.Desc = "", ""
			if reflect.DeepEqual(c, b) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
