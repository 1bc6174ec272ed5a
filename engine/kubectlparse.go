package engine

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
)

// parseTrees holds kubectl command trees used only to parse command lines. Building one
// costs tens of milliseconds; a tree is reset after each parse and handed to one parser at a
// time, so sessions never share parse state. A channel rather than a sync.Pool: a pool
// drops its trees at every garbage collection.
var parseTrees = make(chan *cobra.Command, 4)

func getParseTree() *cobra.Command {
	select {
	case t := <-parseTrees:
		return t
	default:
		return newParseTree()
	}
}

func putParseTree(t *cobra.Command) {
	select {
	case parseTrees <- t:
	default:
		forgetCompletions(t) // the pool is full: let the tree go
	}
}

func newParseTree() *cobra.Command {
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
	kubeconfig := "/nonexistent/kubetutor-parse-kubeconfig"
	flags := genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag()
	flags.KubeConfig = &kubeconfig
	// Arguments holds only the program name, so no kuberc file or plugin is looked up.
	root := NewKubectlTree(kubectlcmd.KubectlOptions{Arguments: []string{"kubectl"}, ConfigFlags: flags, IOStreams: streams})
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.InitDefaultHelpCmd()
	return root
}

// KubectlLine is one kubectl command line as kubectl's own command tree and flag parser
// read it: the command found (Path, "rollout status"), every flag that was set with its
// value, and the positional arguments. It holds no reference to the tree it came from.
type KubectlLine struct {
	Path  string            // command path under kubectl: "get", "rollout status", "" for kubectl itself
	Args  []string          // positional arguments, in order (those after "--" included)
	Dash  int               // index in Args of the first argument after "--", or -1
	Set   map[string]string // flags given on the line, by long name, with their value as kubectl holds it
	Slice map[string][]string
	// Global names the flags in Set that are kubectl's global (root) flags.
	Global map[string]bool
	// Validate is what kubectl would say about the line before running it (required flags,
	// flag groups, argument count), or nil.
	Validate error
}

// Sub is the first word of the command path ("rollout" for "rollout status").
func (l *KubectlLine) Sub() string {
	sub, _, _ := strings.Cut(l.Path, " ")
	return sub
}

// Flag returns a flag's value as kubectl holds it and whether the line set it.
func (l *KubectlLine) Flag(name string) (string, bool) {
	v, ok := l.Set[name]
	return v, ok
}

// Values returns the values of a list flag (-f a -f b, -f a,b), or the single value of
// another flag, or nil when the line did not set it.
func (l *KubectlLine) Values(name string) []string {
	if v, ok := l.Slice[name]; ok {
		return v
	}
	if v, ok := l.Set[name]; ok {
		return []string{v}
	}
	return nil
}

// ParseKubectl parses args (the words after "kubectl") exactly as kubectl's Execute would
// find the command and parse its flags. An unknown command or flag, or a flag value kubectl
// would reject, is an error in kubectl's words.
func ParseKubectl(args []string) (*KubectlLine, error) {
	root := getParseTree()
	// Parsing and resetting set kubectl's flags, some bound to package variables
	// (profiling) that kubectl runs share.
	unlock := LockKubectlGlobals()
	line, err, clean := parseOn(root, args)
	unlock()
	if clean {
		putParseTree(root)
	}
	return line, err
}

func parseOn(root *cobra.Command, args []string) (line *KubectlLine, err error, clean bool) {
	cmd, rest, err := root.Find(args)
	if err != nil {
		return nil, err, true
	}
	defer func() {
		clean = resetTreeFlags(cmd)
		if r := recover(); r != nil {
			line, err, clean = nil, fmt.Errorf("kubectl cannot parse this line: %v", r), false
		}
	}()
	if err := cmd.ParseFlags(rest); err != nil {
		name := strings.TrimSpace(strings.TrimPrefix(cmd.CommandPath(), "kubectl"))
		if name == "" {
			return nil, err, true
		}
		return nil, fmt.Errorf("kubectl %s: %v", name, err), true
	}
	l := &KubectlLine{
		Path:   strings.TrimSpace(strings.TrimPrefix(cmd.CommandPath(), root.Name())),
		Args:   append([]string(nil), cmd.Flags().Args()...),
		Dash:   cmd.ArgsLenAtDash(),
		Set:    map[string]string{},
		Slice:  map[string][]string{},
		Global: map[string]bool{},
	}
	globals := root.PersistentFlags()
	// VisitAll with Changed, not Visit: pflag's Visit also walks flags a reset tree once set.
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Changed {
			return
		}
		l.Set[f.Name] = f.Value.String()
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			l.Slice[f.Name] = append([]string(nil), sv.GetSlice()...)
		}
		if g := globals.Lookup(f.Name); g == f {
			l.Global[f.Name] = true
		}
	})
	if err := cmd.ValidateRequiredFlags(); err != nil {
		l.Validate = err
	} else if err := cmd.ValidateFlagGroups(); err != nil {
		l.Validate = err
	} else if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		l.Validate = err
	} else if group := cmd.HasSubCommands() && !cmd.LocalNonPersistentFlags().HasFlags(); !cmd.Runnable() || (group && len(l.Args) == 0) {
		l.Validate = fmt.Errorf("%s needs a subcommand", cmd.CommandPath())
	}
	return l, nil, true
}

// resetTreeFlags puts every flag on cmd's path back to its default so the tree can parse the
// next line; false if a flag could not be reset (the tree is then dropped, not reused).
func resetTreeFlags(cmd *cobra.Command) bool {
	ok := true
	for c := cmd; c != nil; c = c.Parent() {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if !f.Changed {
					return
				}
				// Slice flags append on Set; Replace empties them first.
				if sv, isSlice := f.Value.(pflag.SliceValue); isSlice {
					if err := sv.Replace(nil); err != nil {
						ok = false
					}
				} else if err := f.Value.Set(f.DefValue); err != nil {
					ok = false
				}
				if f.Value.String() != f.DefValue {
					ok = false
				}
				f.Changed = false
			})
		}
	}
	return ok
}
