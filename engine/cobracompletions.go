package engine

import (
	"sync"
	_ "unsafe" // go:linkname, for cobra's completion registry below

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// cobra v1.10.2 keeps every flag's completion function in one process-wide map keyed by the
// flag, and never removes them (spf13/cobra#2012, open). kubectl registers completions for
// dozens of flags of every tree it builds, with closures over the tree's factory, so each
// command tree built for a run stayed reachable for the life of the process with everything
// its factory had cached: about 0.5 MB per kubectl run, 2–3 MB more after an apply (the
// OpenAPI documents its validation fetched). forgetCompletions drops a finished tree's
// entries. Only completion reads the map, and only for the flags of the tree it runs on.
// TestKubectlTreesAreForgotten fails if cobra's registry is renamed or changes shape.

//go:linkname cobraFlagCompletions github.com/spf13/cobra.flagCompletionFunctions
var cobraFlagCompletions map[*pflag.Flag]cobra.CompletionFunc

//go:linkname cobraFlagCompletionMu github.com/spf13/cobra.flagCompletionMutex
var cobraFlagCompletionMu *sync.RWMutex

// forgetCompletions removes the completion functions of every flag of root and its
// subcommands from cobra's registry; root must not be used for completion afterwards.
func forgetCompletions(root *cobra.Command) {
	var flags []*pflag.Flag
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { flags = append(flags, f) })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { flags = append(flags, f) })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	cobraFlagCompletionMu.Lock()
	defer cobraFlagCompletionMu.Unlock()
	for _, f := range flags {
		delete(cobraFlagCompletions, f)
	}
}
