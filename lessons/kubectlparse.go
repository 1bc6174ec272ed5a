package lessons

import (
	"github.com/kubetutor/kubetutor/engine"
)

// parseKubectl checks args (the words after "kubectl") against kubectl's own command tree
// (engine.ParseKubectl): the subcommand exists, every flag is known and has a valid value,
// required flags are given, flag groups are respected and the positional arguments fit.
func parseKubectl(args []string) error {
	l, err := engine.ParseKubectl(args)
	if err != nil {
		return err
	}
	return lineError(l)
}

// lineError is what kubectl would say about a parsed line before running it, or nil.
func lineError(l *engine.KubectlLine) error {
	if l.Validate != nil {
		if l.Path == "" {
			return l.Validate
		}
		return &cmdError{path: l.Path, err: l.Validate}
	}
	return nil
}

type cmdError struct {
	path string
	err  error
}

func (e *cmdError) Error() string {
	if m := e.err.Error(); len(m) > 8 && m[:8] == "kubectl " {
		return m // "kubectl rollout needs a subcommand"
	}
	return "kubectl " + e.path + ": " + e.err.Error()
}
