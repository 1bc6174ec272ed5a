package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/tui/progress"
)

// Every command and subcommand answers -h and --help with its usage on stdout, exit 0.
func TestEveryCommandHelpExitsZero(t *testing.T) {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				walk(sub, append(append([]string(nil), path...), sub.Name()))
			}
		}
	}
	walk(newRootCmd(&bytes.Buffer{}, &bytes.Buffer{}), nil)
	if len(paths) < 15 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	for _, p := range paths {
		for _, h := range []string{"-h", "--help"} {
			var out, errOut bytes.Buffer
			code := run(append(append([]string(nil), p...), h), &out, &errOut)
			if code != 0 || !strings.Contains(out.String(), "Usage:") || errOut.Len() != 0 {
				t.Errorf("kubetutor %s %s: exit %d\nstdout %q\nstderr %q", strings.Join(p, " "), h, code, out.String(), errOut.String())
			}
		}
	}
	// help COMMAND is the same as COMMAND --help.
	var out, errOut bytes.Buffer
	if code := run([]string{"help", "progress", "import"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "kubetutor progress import FILE") {
		t.Errorf("help progress import: exit %d %q", code, out.String())
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 || out.String() != versionString()+"\n" {
			t.Errorf("%v: exit %d, %q", args, code, out.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"version", "extra"}, &out, &errOut); code != 2 {
		t.Errorf("version extra: exit %d", code)
	}
}

// completion prints a script for each shell, and the scripts' __complete entry point
// completes commands, subcommands and arguments from the cobra tree.
func TestCompletion(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash": "__start_kubetutor",
		"zsh":  "#compdef kubetutor",
		"fish": "complete -c kubetutor",
	} {
		var out, errOut bytes.Buffer
		if code := run([]string{"completion", shell}, &out, &errOut); code != 0 || !strings.Contains(out.String(), marker) {
			t.Errorf("completion %s: exit %d, %d bytes, marker %q missing; stderr %s", shell, code, out.Len(), marker, errOut.String())
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", ""}, []string{"serve", "demo", "doctor", "lessons", "manifests", "progress", "version", "completion", "classroom"}},
		{[]string{"__complete", "lessons", ""}, []string{"list", "lint", "solve"}},
		{[]string{"__complete", "completion", ""}, []string{"bash", "zsh", "fish"}},
		{[]string{"__complete", "serve", "--"}, []string{"--speed", "--log"}},
	} {
		var out, errOut bytes.Buffer
		if code := run(c.args, &out, &errOut); code != 0 {
			t.Errorf("%v: exit %d %s", c.args, code, errOut.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: %q missing from\n%s", c.args, w, out.String())
			}
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
}

// A flag that means nothing where it is given is refused, exit 2, with the reason; none is
// silently ignored. These all fail before anything starts (no simulator, no cluster).
func TestMeaninglessFlagCombinationsRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--context", "x"}, "kubetutor serve does not take --context; it is a flag of kubetutor, kubetutor classroom, kubetutor classroom cleanup, kubetutor classroom report, kubetutor doctor"},
		{[]string{"serve", "--kubeconfig", "k"}, "kubetutor serve does not take --kubeconfig"},
		{[]string{"serve", "-n", "x"}, "kubetutor serve does not take -n"},
		{[]string{"serve", "--lessons", "d"}, "kubetutor serve does not take --lessons"},
		{[]string{"serve", "--plain"}, "kubetutor serve does not take --plain"},
		{[]string{"serve", "--lang", "ko"}, "kubetutor serve does not take --lang"},
		{[]string{"doctor", "--speed", "2"}, "kubetutor doctor does not take --speed"},
		{[]string{"doctor", "--lessons", "d"}, "kubetutor doctor does not take --lessons"},
		{[]string{"doctor", "--plain"}, "kubetutor doctor does not take --plain"},
		{[]string{"doctor", "--real"}, "kubetutor doctor does not take --real; it is a flag of kubetutor"},
		{[]string{"demo", "statefulset-basics", "--plain"}, "kubetutor demo does not take --plain"},
		{[]string{"demo", "statefulset-basics", "--context", "x"}, "kubetutor demo does not take --context"},
		{[]string{"manifests", "list", "--speed", "2"}, "kubetutor manifests list does not take --speed"},
		{[]string{"progress", "path", "--lang", "ko"}, "kubetutor progress path does not take --lang"},
		{[]string{"lessons", "lint", "--lang", "ko"}, "kubetutor lessons lint does not take --lang"},
		{[]string{"--context", "x", "--speed", "2"}, "--speed sets the simulator's pace; a real cluster runs at its own"},
		{[]string{"--context", "x", "--max-objects", "20"}, "--max-replicas and --max-objects cap the simulator"},
		{[]string{"serve", "--max-replicas", "0"}, "--max-replicas must be at least 1, not 0"},
		{[]string{"doctor", "--max-objects", "5"}, "kubetutor doctor does not take --max-objects"},
		{[]string{"--real", "--lessons", "d"}, "--lessons adds lessons to the simulator's menu"},
		{[]string{"--real", "--context", "x"}, "--real plays on the current context"},
		{[]string{"--namespace", "x"}, "--namespace is for a real cluster"},
		{[]string{"--lesson", "nope"}, `no lesson "nope" (known lessons:`},
		{[]string{"--yes"}, "--yes is for a real cluster"},
		{[]string{"--plain", "--present"}, "--plain and --present do not go together"},
		{[]string{"--lang", "fr"}, `--lang must be en or ko, not "fr"`},
		{[]string{"serve", "--speed", "0"}, "--speed must be above 0 and at most 1000"},
		{[]string{"demo", "statefulset-basics", "--speed", "5000"}, "--speed must be above 0"},
		{[]string{"frob"}, `unknown command "frob" (known: classroom, completion, demo, doctor, lessons, manifests, progress, serve, version)`},
		{[]string{"progress"}, "kubetutor progress: name a command: export, import, path, reset"},
		{[]string{"progress", "frob"}, `kubetutor progress: unknown command "frob"`},
		{[]string{"progress", "export"}, "kubetutor progress export: name the file to write"},
		{[]string{"progress", "path", "x"}, `kubetutor progress path: unexpected argument "x"`},
		{[]string{"demo"}, "kubetutor demo: name one lesson"},
		{[]string{"--speed"}, "flag needs an argument: --speed"},
	} {
		var out, errOut bytes.Buffer
		code := run(c.args, &out, &errOut)
		if code != 2 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q\nwant 2 and %q", c.args, code, errOut.String(), c.want)
		}
		if strings.Count(errOut.String(), "kubetutor: kubetutor") > 0 {
			t.Errorf("%v: doubled prefix: %q", c.args, errOut.String())
		}
	}
}

func TestClassroomFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"classroom"}, "needs --host-key FILE"},
		{[]string{"classroom", "--host-key", "k"}, "needs --instructors FILE"},
		{[]string{"classroom", "--host-key", "k", "--instructors", "i"}, "needs --students FILE"},
		{[]string{"classroom", "--host-key", "k", "--instructors", "i", "--students", "s", "--max-students", "0"}, "--max-students must be between 1 and 1000"},
		{[]string{"classroom", "--host-key", "k", "--instructors", "i", "--students", "s", "--speed", "0"}, "--speed must be above 0"},
		{[]string{"classroom", "report"}, "needs --state DIR"},
		{[]string{"classroom", "report", "--state", "d", "--format", "xml"}, `unknown --format "xml"`},
	} {
		var out, errOut bytes.Buffer
		if code := run(c.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut.String(), c.want)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"classroom", "-h"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "--reconnect-window") {
		t.Errorf("classroom -h: exit %d, %q", code, out.String())
	}
}

// progress import names and drops what cannot be right: a negative quiz index (from the
// file's own check) and a step the lesson does not have (from the lessons' catalog).
func TestProgressImportDropsBadEntries(t *testing.T) {
	path := withProgress(t, "y\n")
	file := filepath.Join(t.TempDir(), "in.json")
	if err := os.WriteFile(file, []byte(`{"format":"kubetutor-progress","version":1,"lessons":{"statefulset-basics":{
	  "steps":{"create":{"done":true},"no-such-step":{"done":true}},"quiz":{"-1":{"choice":0}},"updated":"2021-01-01T00:00:00Z"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"progress", "import", file}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{`quiz answer -1 dropped: no such question`, `step "no-such-step" dropped: no such step`, "Imported progress of 1 lesson(s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	s, _, err := progress.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if l := s.Lesson("statefulset-basics"); len(l.Steps) != 1 || !l.Steps["create"].Done || len(l.Quiz) != 0 {
		t.Errorf("saved %+v", l)
	}
}
