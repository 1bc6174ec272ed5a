package engine

import (
	"context"
	"io"
	"strings"
)

// RunKubectlTerminal runs one kubectl command line in-process with a real terminal, for the
// commands that need one: exec -it, attach -it, run -it and edit. in, out and errOut reach
// kubectl as they are, so when they are the terminal's *os.File kubectl puts it in raw mode,
// follows its size and hands it to the container or the editor, as the kubectl binary
// would. The caller must have given the terminal up first (tea.Exec does). Otherwise it
// behaves as RunKubectl, and shares its one-run-at-a-time slot: stop other runs first.
func (s *Session) RunKubectlTerminal(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return s.runKubectl(ctx, line, in, out, errOut, true)
}

// NeedsTerminal reports whether a kubectl command line wants an interactive terminal: edit,
// and exec, attach or run with -i/--stdin or -t/--tty. Such lines should go to
// RunKubectlTerminal; through RunKubectl they would wait for input that never comes.
func NeedsTerminal(line string) bool {
	args, err := SplitCommandLine(line)
	if err != nil || len(args) == 0 {
		return false
	}
	if args[0] == "kubectl" {
		args = args[1:]
	}
	switch firstWord(args) {
	case "edit":
		return true
	case "exec", "attach", "run":
	default:
		return false
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		switch {
		case a == "--stdin" || a == "--tty" || a == "--stdin=true" || a == "--tty=true":
			return true
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--"):
			// Short flags combine: -it, -ti, -i, -t.
			if strings.ContainsAny(strings.TrimPrefix(a, "-"), "it") && !strings.Contains(a, "=") && len(a) <= 4 {
				return true
			}
		}
	}
	return false
}
