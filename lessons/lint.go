package lessons

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kubetutor/kubetutor/engine"
)

// LintError is one problem in a lesson file, located by file, step and field.
type LintError struct {
	File  string // "statefulset-basics/ko.yaml"
	Step  string // step id, or "" for lesson-level fields
	Field string // "checks[1].count.resource"
	Msg   string
}

func (e *LintError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Step != "" {
		fmt.Fprintf(&b, ": step %q", e.Step)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

var (
	idPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	levels    = []string{"beginner", "intermediate", "advanced"}
)

// validateLesson checks one file on its own: required fields, unique step ids, commands,
// selectors, JSONPath expressions, resource names and manifests.
func validateLesson(l Lesson, manifestNames map[string]bool, parseCommands bool) []error {
	var errs []error
	add := func(step, field, format string, a ...any) {
		errs = append(errs, &LintError{File: l.Source, Step: step, Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	switch {
	case l.ID == "":
		add("", "id", "required")
	case !idPattern.MatchString(l.ID):
		add("", "id", "%q: use lower-case letters, digits and dashes", l.ID)
	}
	if strings.TrimSpace(l.Title) == "" {
		add("", "title", "required")
	}
	if strings.TrimSpace(l.Summary) == "" {
		add("", "summary", "required")
	}
	if !contains(levels, l.Level) {
		add("", "level", "%q: want one of %s", l.Level, strings.Join(levels, ", "))
	}
	if l.Minutes <= 0 {
		add("", "minutes", "required (a positive number)")
	}
	if len(l.Steps) == 0 {
		add("", "steps", "a lesson needs at least one step")
	}
	seen := map[string]int{}
	for i, st := range l.Steps {
		stepName := st.ID
		if st.ID == "" {
			stepName = fmt.Sprintf("#%d", i+1)
			add(stepName, "id", "required")
		} else if !idPattern.MatchString(st.ID) {
			add(stepName, "id", "%q: use lower-case letters, digits and dashes", st.ID)
		}
		if j, dup := seen[st.ID]; dup && st.ID != "" {
			add(stepName, "id", "duplicate step id (also step #%d)", j+1)
		}
		seen[st.ID] = i
		if strings.TrimSpace(st.Title) == "" {
			add(stepName, "title", "required")
		}
		if strings.TrimSpace(st.Goal) == "" {
			add(stepName, "goal", "required: one sentence saying what the step achieves")
		}
		if strings.TrimSpace(st.Body) == "" {
			add(stepName, "body", "required")
		}
		if len(st.Cmds) > 0 && strings.TrimSpace(st.WatchFor) == "" {
			add(stepName, "watchFor", "required for a step with commands: what to look at in the watch pane and what to notice")
		}
		for ci, c := range st.Cmds {
			field := fmt.Sprintf("commands[%d]", ci)
			for _, msg := range lintCommand(c.Line, manifestNames, parseCommands) {
				add(stepName, field, "%s", msg)
			}
		}
		if st.Watch.Resource != "" || st.Watch.Selector != "" {
			if _, ok := ResolveResource(st.Watch.Resource); !ok {
				add(stepName, "watch.resource", "unknown resource %q (known: %s)", st.Watch.Resource, strings.Join(KnownResources(), ", "))
			}
			if err := lintSelector(st.Watch.Selector); err != nil {
				add(stepName, "watch.selector", "%v", err)
			}
		}
		for ci, c := range st.Checks {
			for _, e := range lintCheck(c) {
				add(stepName, fmt.Sprintf("checks[%d].%s", ci, e.field), "%s", e.msg)
			}
		}
		for _, e := range lintSimulate(st.Simulate) {
			add(stepName, e.field, "%s", e.msg)
		}
		if len(st.Checks) > 0 && len(st.Hints) != 2 {
			add(stepName, "hints", "a step with checks needs two hints (a nudge, then more help); have %d", len(st.Hints))
		}
		if len(st.Checks) > 0 && strings.TrimSpace(st.Solution) == "" {
			add(stepName, "solution", "required for a step with checks: the full answer, shown after the hints")
		}
		for hi, h := range st.Hints {
			if strings.TrimSpace(h) == "" {
				add(stepName, fmt.Sprintf("hints[%d]", hi), "empty hint")
			}
		}
	}
	for qi, q := range l.Quiz {
		field := fmt.Sprintf("quiz[%d]", qi)
		if strings.TrimSpace(q.Question) == "" {
			add("", field+".question", "required")
		}
		if len(q.Choices) < 2 {
			add("", field+".choices", "need at least two choices")
		}
		correct := 0
		for ci, c := range q.Choices {
			if strings.TrimSpace(c.Text) == "" {
				add("", fmt.Sprintf("%s.choices[%d].text", field, ci), "required")
			}
			if strings.TrimSpace(c.Why) == "" {
				add("", fmt.Sprintf("%s.choices[%d].why", field, ci), "required: say why the choice is right or wrong")
			}
			if c.Correct {
				correct++
			}
		}
		if correct == 0 {
			add("", field+".choices", "no choice is marked correct")
		}
	}
	return errs
}

// lintCommand returns what is wrong with one command line; without parse, only what shows
// before kubectl's parser reads it.
func lintCommand(line string, manifestNames map[string]bool, parse bool) []string {
	if strings.TrimSpace(line) == "" {
		return []string{"empty command"}
	}
	// The runner's own splitter, so a line that lints is a line that runs.
	words, err := engine.SplitCommandLine(line)
	if err != nil {
		return []string{fmt.Sprintf("%q: %v", line, err)}
	}
	if len(words) == 0 || words[0] != "kubectl" {
		return []string{fmt.Sprintf("%q: commands must start with kubectl", line)}
	}
	if len(words) < 2 {
		return []string{fmt.Sprintf("%q: no kubectl subcommand", line)}
	}
	if !parse {
		return nil
	}
	var msgs []string
	// One parse by kubectl's tree serves both checks: loading a lesson folder parses each of
	// its commands.
	parsed, err := engine.ParseKubectl(words[1:])
	if err != nil {
		return append(msgs, fmt.Sprintf("%q: %v", line, err))
	}
	if err := lineError(parsed); err != nil {
		msgs = append(msgs, fmt.Sprintf("%q: %v", line, err))
	}
	// Files as kubectl reads them: -f of logs is --follow, -f inside combined short flags
	// (-Rf) is still -f.
	badFile := false
	for _, f := range parsed.Values("filename") {
		if !manifestNames[f] {
			badFile = true
			msgs = append(msgs, fmt.Sprintf("%q: -f %q is not an embedded manifest (have %s)", line, f, strings.Join(sortedKeys(manifestNames), ", ")))
		} else if err := manifestProblem(f); err != nil {
			msgs = append(msgs, fmt.Sprintf("%q: -f %q: %v", line, f, err))
		}
	}
	// No lesson command may reach another cluster or user, or a file of the learner's
	// computer: the player, demo and solve refuse the same lines (they load lessons through
	// this check).
	if err := engine.CheckLocal(parsed); err != nil && !badFile {
		msgs = append(msgs, fmt.Sprintf("%q: not allowed in a lesson: %v", line, err))
	}
	return msgs
}

type fieldMsg struct{ field, msg string }

func lintCheck(c Check) []fieldMsg {
	var out []fieldMsg
	add := func(field, format string, a ...any) {
		out = append(out, fieldMsg{field, fmt.Sprintf(format, a...)})
	}
	if strings.TrimSpace(c.Desc) == "" {
		add("desc", "required")
	}
	kinds := 0
	for _, set := range []bool{c.JSONPath != nil, c.Count != nil, c.Exec != nil, c.Changed != nil, c.Event != nil, c.Observed != nil, c.Output != nil} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		add("jsonpath", "a check has exactly one of jsonpath, count, exec, changed, event, observed, output")
		return out
	case kinds == 0:
		add("jsonpath", "a check needs one of jsonpath, count, exec, changed, event, observed, output")
		return out
	}
	if c.Relative() {
		return append(out, lintRelative(c)...)
	}
	if c.Exec != nil {
		return append(out, lintExec(c.Exec)...)
	}
	if j := c.JSONPath; j != nil {
		if _, ok := ResolveResource(j.Resource); !ok {
			add("jsonpath.resource", "unknown resource %q", j.Resource)
		}
		if j.Name == "" {
			add("jsonpath.name", "required")
		}
		n := 0
		for _, set := range []bool{j.Equals != nil, j.NotEquals != nil, j.EqualsPath != nil, j.NotEqualsPath != nil} {
			if set {
				n++
			}
		}
		switch {
		case j.Exists != nil:
			if n > 0 || j.Path != "" {
				add("jsonpath.exists", "exists stands alone: drop path and the comparisons")
			}
		case j.Path == "":
			add("jsonpath.path", "required (or use exists)")
		default:
			if err := lintJSONPath(j.Path); err != nil {
				add("jsonpath.path", "%v", err)
			}
			if n != 1 {
				add("jsonpath", "want exactly one of equals, notEquals, equalsPath, notEqualsPath; have %d", n)
			}
		}
		for _, r := range []struct {
			name string
			ref  *ObjectRef
		}{{"equalsPath", j.EqualsPath}, {"notEqualsPath", j.NotEqualsPath}} {
			name, ref := r.name, r.ref
			if ref == nil {
				continue
			}
			if _, ok := ResolveResource(ref.Resource); !ok {
				add("jsonpath."+name+".resource", "unknown resource %q", ref.Resource)
			}
			if ref.Name == "" {
				add("jsonpath."+name+".name", "required")
			}
			if ref.Path == "" {
				add("jsonpath."+name+".path", "required")
			} else if err := lintJSONPath(ref.Path); err != nil {
				add("jsonpath."+name+".path", "%v", err)
			}
		}
	}
	if k := c.Count; k != nil {
		info, ok := ResolveResource(k.Resource)
		if !ok {
			add("count.resource", "unknown resource %q", k.Resource)
		}
		if err := lintSelector(k.Selector); err != nil {
			add("count.selector", "%v", err)
		}
		if k.Equals == nil {
			add("count.equals", "required")
		} else if *k.Equals < 0 {
			add("count.equals", "must not be negative")
		}
		if (k.Ready || k.NotReady) && ok && info.Name != "pods" && info.Name != "nodes" {
			add("count.ready", "only pods and nodes have readiness; resource is %q", k.Resource)
		}
		if k.Ready && k.NotReady {
			add("count.notReady", "ready and notReady exclude each other")
		}
	}
	return out
}

func lintSelector(sel string) error {
	if _, err := labels.Parse(sel); err != nil {
		return fmt.Errorf("bad label selector %q: %v", sel, err)
	}
	return nil
}

func lintJSONPath(p string) error {
	if !strings.Contains(p, "{") {
		return fmt.Errorf("JSONPath %q: wrap the expression in braces, e.g. {.status.readyReplicas}", p)
	}
	if err := jsonpath.New("check").Parse(p); err != nil {
		return fmt.Errorf("bad JSONPath %q: %v", p, err)
	}
	return nil
}

// compareLanguages checks that a translation has the same shape as the English file: the same
// steps in the same order, the same commands, watches and checks (descs may differ), and the
// same quiz answers.
func compareLanguages(base, tr Lesson) []error {
	var errs []error
	add := func(step, field, format string, a ...any) {
		errs = append(errs, &LintError{File: tr.Source, Step: step, Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	if base.ID != tr.ID {
		add("", "id", "%q differs from %s (%q)", tr.ID, base.Source, base.ID)
	}
	if base.Level != tr.Level {
		add("", "level", "%q differs from %s (%q)", tr.Level, base.Source, base.Level)
	}
	if base.Minutes != tr.Minutes {
		add("", "minutes", "%d differs from %s (%d)", tr.Minutes, base.Source, base.Minutes)
	}
	if base.Order != tr.Order {
		add("", "order", "%d differs from %s (%d)", tr.Order, base.Source, base.Order)
	}
	if !reflect.DeepEqual(stepIDs(base), stepIDs(tr)) {
		add("", "steps", "step ids %v differ from %s %v (same ids, same order)", stepIDs(tr), base.Source, stepIDs(base))
		return errs
	}
	for i, bs := range base.Steps {
		ts := tr.Steps[i]
		if !reflect.DeepEqual(bs.Cmds, ts.Cmds) {
			add(ts.ID, "commands", "differ from %s (commands are not translated)", base.Source)
		}
		if why := comparePredict(bs.Predict, ts.Predict); why != "" {
			add(ts.ID, "predict", "%s (compared with %s)", why, base.Source)
		}
		if !reflect.DeepEqual(bs.Simulate, ts.Simulate) {
			add(ts.ID, "simulate", "differs from %s (simulate is not translated)", base.Source)
		}
		if bs.Watch != ts.Watch {
			add(ts.ID, "watch", "%+v differs from %s %+v", ts.Watch, base.Source, bs.Watch)
		}
		if len(bs.Checks) != len(ts.Checks) {
			add(ts.ID, "checks", "%d checks, %s has %d", len(ts.Checks), base.Source, len(bs.Checks))
		} else {
			for ci := range bs.Checks {
				a, b := bs.Checks[ci], ts.Checks[ci]
				a.Desc, b.Desc = "", ""
				if !reflect.DeepEqual(a, b) {
					add(ts.ID, fmt.Sprintf("checks[%d]", ci), "differs from %s (only desc may be translated)", base.Source)
				}
			}
		}
		if len(bs.Hints) != len(ts.Hints) {
			add(ts.ID, "hints", "%d hints, %s has %d", len(ts.Hints), base.Source, len(bs.Hints))
		}
		for _, f := range []struct{ name, b, t string }{{"goal", bs.Goal, ts.Goal}, {"watchFor", bs.WatchFor, ts.WatchFor}, {"solution", bs.Solution, ts.Solution}} {
			if (strings.TrimSpace(f.b) == "") != (strings.TrimSpace(f.t) == "") {
				add(ts.ID, f.name, "present in only one of this file and %s", base.Source)
			}
		}
	}
	if len(base.Quiz) != len(tr.Quiz) {
		add("", "quiz", "%d questions, %s has %d", len(tr.Quiz), base.Source, len(base.Quiz))
		return errs
	}
	for qi := range base.Quiz {
		bq, tq := base.Quiz[qi], tr.Quiz[qi]
		if len(bq.Choices) != len(tq.Choices) {
			add("", fmt.Sprintf("quiz[%d].choices", qi), "%d choices, %s has %d", len(tq.Choices), base.Source, len(bq.Choices))
			continue
		}
		for ci := range bq.Choices {
			if bq.Choices[ci].Correct != tq.Choices[ci].Correct {
				add("", fmt.Sprintf("quiz[%d].choices[%d].correct", qi, ci), "%v differs from %s", tq.Choices[ci].Correct, base.Source)
			}
		}
	}
	return errs
}

func stepIDs(l Lesson) []string {
	ids := make([]string, len(l.Steps))
	for i, s := range l.Steps {
		ids[i] = s.ID
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
