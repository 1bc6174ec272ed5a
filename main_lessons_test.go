package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyLesson plays in a fraction of a second: create web, check it, delete it.
const tinyLesson = `id: tiny
title: Tiny
summary: Create and delete web.
level: beginner
minutes: 2
order: 99
steps:
  - id: create
    title: Create
    goal: Create web.
    body: Apply the manifest.
    watchFor: web-0 starts.
    watch: {resource: pods, selector: app=nginx}
    commands:
      - kubectl apply -f web.yaml
    checks:
      - desc: web exists
        jsonpath: {resource: sts, name: web, exists: true}
      - desc: two pods ready
        count: {resource: pods, selector: app=nginx, ready: true, equals: 2}
    hints: [Apply it., web.yaml]
    solution: kubectl apply -f web.yaml
  - id: delete
    title: Delete
    goal: Delete web.
    body: Delete it.
    watchFor: Pods go.
    watch: {resource: pods, selector: app=nginx}
    commands:
      - kubectl delete sts web
    checks:
      - desc: web is gone
        jsonpath: {resource: sts, name: web, exists: false}
    hints: [Delete it., kubectl delete]
    solution: kubectl delete sts web
quiz:
  - question: Q?
    choices:
      - {text: A, correct: true, why: Yes.}
      - {text: B, why: No.}
`

func writeLesson(t *testing.T, dir, id, lang, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, id), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id, lang+".yaml"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLessonsLintBuiltIn(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"lessons", "lint"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "no problems") {
		t.Errorf("output: %s", out.String())
	}
}

func TestLessonsLintDirNamesFileStepAndField(t *testing.T) {
	dir := t.TempDir()
	bad := strings.NewReplacer("kubectl delete sts web", "kubectl delet sts web", "web.yaml\n", "nope.yaml\n").Replace(tinyLesson)
	writeLesson(t, dir, "tiny", "en", bad)
	var out, errOut bytes.Buffer
	code := run([]string{"lessons", "lint", dir}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		`tiny/en.yaml: step "delete": commands[0]: "kubectl delet sts web": unknown command "delet"`,
		`tiny/en.yaml: step "create": commands[0]: "kubectl apply -f nope.yaml": -f "nope.yaml" is not an embedded manifest`,
		`step "delete": checks: cannot fail`, // the misspelt command changes nothing
		"3 problems",
	} {
		if !strings.Contains(out.String()+errOut.String(), want) {
			t.Errorf("missing %q in:\n%s%s", want, out.String(), errOut.String())
		}
	}
}

func TestLessonsListAndSolveExtraDir(t *testing.T) {
	dir := t.TempDir()
	writeLesson(t, dir, "tiny", "en", tinyLesson)
	var out, errOut bytes.Buffer
	if code := run([]string{"lessons", "list", "--lessons", dir}, &out, &errOut); code != 0 {
		t.Fatalf("list: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "statefulset-basics") || !strings.Contains(out.String(), "tiny") {
		t.Errorf("list should show built-in and extra lessons:\n%s", out.String())
	}
	out.Reset()
	if code := run([]string{"--lessons", dir, "lessons", "solve", "tiny"}, &out, &errOut); code != 0 {
		t.Fatalf("solve: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"✓  1/2 create", "✓  2/2 delete", "tiny (en): all 2 steps solved"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
}

func TestLessonsSolveReportsTheFailingCheck(t *testing.T) {
	dir := t.TempDir()
	writeLesson(t, dir, "tiny", "en", strings.Replace(tinyLesson, "ready: true, equals: 2", "ready: true, equals: 3", 1))
	var out, errOut bytes.Buffer
	code := run([]string{"lessons", "solve", "tiny", "--lessons", dir, "--lang", "en"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"✗  1/2 create", "check failed: two pods ready: want 3 ready pods matching app=nginx, have 2", "1 later steps not played"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
}

func TestLessonsUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"name a command":          {"lessons"},
		`unknown command "frob"`:  {"lessons", "frob"},
		`no lesson "nope"`:        {"lessons", "solve", "nope"},
		"name one lesson":         {"lessons", "solve"},
		`not "fr"`:                {"lessons", "solve", "statefulset-basics", "--lang", "fr"},
		"one directory at most":   {"lessons", "lint", "a", "b"},
		`unexpected argument "x"`: {"lessons", "list", "x"},
	}
	for want, args := range cases {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", args, code, errOut.String(), want)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"lessons", "lint", filepath.Join(t.TempDir(), "missing")}, &out, &errOut); code != 1 {
		t.Errorf("lint of a missing dir: exit %d", code)
	}
}
