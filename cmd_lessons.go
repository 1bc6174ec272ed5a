package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/lessons"
)

// newLessonsCmd is `kubetutor lessons list | lint | solve`: tools for lesson authors.
func newLessonsCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lessons",
		Short: "Tools for lesson authors: list, lint and solve lessons",
		Args:  parentArgs,
		RunE:  func(*cobra.Command, []string) error { return nil }, // parentArgs answers first
	}
	cmd.AddCommand(newLessonsListCmd(stdout), newLessonsLintCmd(stdout), newLessonsSolveCmd(stdout, stderr))
	return cmd
}

// lessonsListOptions is `kubetutor lessons list`.
type lessonsListOptions struct {
	dir, lang string
	out       io.Writer
}

func newLessonsListCmd(stdout io.Writer) *cobra.Command {
	o := &lessonsListOptions{out: stdout}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the lessons in catalog order",
		Example: `  kubetutor lessons list --lessons ./my-lessons --lang ko`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.Run() // any language code: a lesson folder may hold more than the player's
		},
	}
	addLessonsFlag(cmd.Flags(), &o.dir)
	cmd.Flags().StringVar(&o.lang, "lang", lessons.BaseLang, "language of the titles (a lesson without it shows in English)")
	return cmd
}

func (o *lessonsListOptions) Run() error {
	lib, err := lessonLibrary(o.dir)
	if err != nil {
		return err
	}
	for _, les := range lib.Catalog(o.lang) {
		fmt.Fprintf(o.out, "%-26s %-12s %3d min  %2d steps  %-6s %s\n", les.ID, les.Level, les.Minutes, len(les.Steps),
			strings.Join(lib.Languages(les.ID), ","), les.Title)
	}
	return nil
}

// lessonsLintOptions is `kubetutor lessons lint [DIR]`.
type lessonsLintOptions struct {
	dirs []string
	flag string // --lessons DIR, the same as the argument
	out  io.Writer
}

func newLessonsLintCmd(stdout io.Writer) *cobra.Command {
	o := &lessonsLintOptions{out: stdout}
	cmd := &cobra.Command{
		Use:   "lint [DIR]",
		Short: "Check lesson files: the built-in ones, or the lesson folders in DIR",
		Example: `  kubetutor lessons lint
  kubetutor lessons lint ./my-lessons`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return lintLessons(o.dirs, o.out)
		},
	}
	addLessonsFlag(cmd.Flags(), &o.flag)
	return cmd
}

func (o *lessonsLintOptions) Complete(_ *cobra.Command, args []string) error {
	o.dirs = append([]string(nil), args...)
	if o.flag != "" {
		o.dirs = append(o.dirs, o.flag)
	}
	return nil
}

func (o *lessonsLintOptions) Validate() error {
	if len(o.dirs) > 1 {
		return usageError{fmt.Sprintf("lessons lint: one directory at most, not %d", len(o.dirs))}
	}
	return nil
}

// lessonsSolveOptions is `kubetutor lessons solve LESSON`.
type lessonsSolveOptions struct {
	id, lang, dir string
	out, errOut   io.Writer
}

func newLessonsSolveCmd(stdout, stderr io.Writer) *cobra.Command {
	o := &lessonsSolveOptions{out: stdout, errOut: stderr}
	cmd := &cobra.Command{
		Use:   "solve LESSON",
		Short: "Play a lesson headless on the simulator and report each step",
		Example: `  kubetutor lessons solve statefulset-basics
  kubetutor lessons solve my-lesson --lessons ./my-lessons --lang en`,
		Args: exactArgs(1, "one lesson, e.g. kubetutor lessons solve statefulset-basics"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.id = args[0]
			// solveLesson checks --lang against the languages the lesson is written in.
			return solveLesson(o.id, o.lang, o.dir, o.out, o.errOut)
		},
	}
	addLessonsFlag(cmd.Flags(), &o.dir)
	cmd.Flags().StringVar(&o.lang, "lang", "", "one of the lesson's languages, or all (default: all)")
	return cmd
}
