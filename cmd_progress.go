package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// newProgressCmd is `kubetutor progress path | export FILE | import FILE | reset`.
func newProgressCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "progress",
		Short: "Your progress: where it is kept, export, import or reset it",
		Args:  parentArgs,
		RunE:  func(*cobra.Command, []string) error { return nil }, // parentArgs answers first
	}
	importCmd := newProgressImportCmd(stdout)
	// path, export and reset are the player's own (progressCmd); import checks the file
	// against the lessons and says what it dropped.
	simple := func(use, short string, args cobra.PositionalArgs) *cobra.Command {
		return &cobra.Command{Use: use, Short: short, Args: args,
			RunE: func(c *cobra.Command, a []string) error { return progressCmd(append([]string{c.Name()}, a...), stdout) }}
	}
	cmd.AddCommand(
		simple("path", "Print where the progress file is", noArgs),
		simple("export FILE", "Write your progress to FILE", exactArgs(1, "the file to write, e.g. kubetutor progress export progress.json")),
		simple("reset", "Forget all progress", noArgs),
		importCmd,
	)
	return cmd
}

func newProgressImportCmd(stdout io.Writer) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Merge the progress in FILE into yours (a lesson's newer record wins)",
		Long: `Merge the progress in FILE into yours: for each lesson, the newer record wins. Entries
that cannot be right (unknown lessons or steps, quiz answers out of range) are dropped and named.`,
		Args: exactArgs(1, "the file to read, e.g. kubetutor progress import progress.json"),
		RunE: func(_ *cobra.Command, args []string) error { return importProgress(args[0], dir, stdout) },
	}
	addLessonsFlag(cmd.Flags(), &dir)
	return cmd
}

// importProgress merges file into the learner's progress through progressImport (which asks
// before replacing newer progress), then checks the result against the built-in lessons and
// those in the --lessons folder dir, naming what was dropped on the way.
func importProgress(file, dir string, stdout io.Writer) error {
	path, err := progress.DefaultPath()
	if err != nil {
		return err
	}
	s, warn, err := progress.Open(path)
	if err != nil {
		return err
	}
	if warn != "" {
		fmt.Fprintf(stdout, "note: %s\n", warn)
	}
	lib, err := lessonLibrary(dir)
	if err != nil {
		return err
	}
	// The entries the import drops as out of range, said before it asks anything.
	if b, err := os.ReadFile(file); err == nil {
		if _, dropped, err := progress.ParseReport(b); err == nil && len(dropped) > 0 {
			fmt.Fprintf(stdout, "note: %s: entries dropped: %s\n", file, strings.Join(dropped, "; "))
		}
	}
	if err := progressImport(s, file, tui.ProgressCatalog(lib.Catalog(lessons.BaseLang)), stdout); err != nil {
		return err
	}
	if warn := s.Check(tui.ProgressCatalog(lib.Catalog(lessons.BaseLang))); warn != "" {
		fmt.Fprintf(stdout, "note: %s\n", warn)
		return s.Save()
	}
	return nil
}
