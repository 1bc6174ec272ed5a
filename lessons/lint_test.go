package lessons

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kubetutor/kubetutor/engine"
)

// A small lesson that passes validation; each case below breaks one thing in it.
const goodEN = `id: demo
title: Demo
summary: A tiny lesson.
level: beginner
minutes: 5
steps:
  - id: intro
    title: Intro
    goal: Meet the demo.
    body: Hello.
  - id: scale-up
    title: Scale up
    goal: Have five pods.
    body: Scale it.
    watchFor: Pods appear one by one.
    watch: {resource: pods, selector: app=nginx}
    commands:
      - kubectl apply -f web.yaml
      - {cmd: "kubectl get pods -w -l app=nginx", noRun: true}
      - kubectl scale sts web --replicas=5
    checks:
      - desc: web exists
        jsonpath: {resource: sts, name: web, exists: true}
      - desc: five ready
        count: {resource: pods, selector: app=nginx, ready: true, equals: 5}
    hints: [Scale it., Use kubectl scale.]
    solution: Run kubectl scale sts web --replicas=5.
quiz:
  - question: Why?
    choices:
      - {text: "Because", correct: true, why: "It is."}
      - {text: "No", why: "It is not."}
`

// goodKO is goodEN with the human text translated.
var goodKO = strings.NewReplacer(
	"title: Demo", "title: 데모",
	"desc: web exists", "desc: web이 있다",
	"desc: five ready", "desc: 다섯 개 준비",
	"body: Hello.", "body: 안녕.",
).Replace(goodEN)

var testManifests = map[string]bool{"web.yaml": true, "web-parallel.yaml": true}

func loadMap(t *testing.T, files map[string]string) (*Library, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return load(fsys, testManifests, nil)
}

func TestLoadGoodLesson(t *testing.T) {
	lib, err := loadMap(t, map[string]string{"demo/en.yaml": goodEN, "demo/ko.yaml": goodKO})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	ko, err := lib.Get("demo", "ko_KR.UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	if ko.Lang != "ko" || ko.Title != "데모" || ko.Source != "demo/ko.yaml" {
		t.Errorf("ko lesson = lang %q title %q source %q", ko.Lang, ko.Title, ko.Source)
	}
	st := ko.Steps[1]
	wantAll := []string{"kubectl apply -f web.yaml", "kubectl get pods -w -l app=nginx", "kubectl scale sts web --replicas=5"}
	if !reflect.DeepEqual(st.Commands, wantAll) {
		t.Errorf("Commands = %q, want %q", st.Commands, wantAll)
	}
	wantRun := []string{"kubectl apply -f web.yaml", "kubectl scale sts web --replicas=5"}
	if got := st.RunnableCommands(); !reflect.DeepEqual(got, wantRun) {
		t.Errorf("RunnableCommands = %q, want %q", got, wantRun)
	}
	if !st.IsNoRun("kubectl get pods -w -l app=nginx") || st.IsNoRun("kubectl apply -f web.yaml") {
		t.Error("IsNoRun does not follow the noRun flags")
	}
	if c := st.Checks[1].Count; c == nil || c.Equals == nil || *c.Equals != 5 || !c.Ready {
		t.Errorf("count check decoded as %+v", c)
	}
	if fr, _ := lib.Get("demo", "fr"); fr.Lang != "en" {
		t.Errorf("a missing language should fall back to en, got %q", fr.Lang)
	}
	if _, err := lib.Get("nope", "en"); err == nil {
		t.Error("Get of an unknown lesson should fail")
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	repl := func(s string, pairs ...string) string { return strings.NewReplacer(pairs...).Replace(s) }
	cases := []struct {
		name string
		en   string
		ko   string // "" means goodKO
		want []string
	}{
		{"missing title", repl(goodEN, "title: Demo\n", ""), "", []string{`demo/en.yaml: title: required`}},
		{"missing step body", repl(goodEN, "    body: Scale it.\n", ""), "", []string{`demo/en.yaml: step "scale-up": body: required`}},
		{"missing minutes", repl(goodEN, "minutes: 5\n", ""), "", []string{`demo/en.yaml: minutes: required`}},
		{"bad level", repl(goodEN, "level: beginner", "level: easy"), "", []string{`demo/en.yaml: level: "easy"`}},
		{"duplicate step id", repl(goodEN, "  - id: scale-up", "  - id: intro"), "", []string{`demo/en.yaml: step "intro": id: duplicate step id`}},
		{"mismatched step ids", "", repl(goodKO, "  - id: scale-up", "  - id: scale-out"), []string{`demo/ko.yaml: steps: step ids [intro scale-out] differ from demo/en.yaml [intro scale-up]`}},
		{"unknown resource", "", repl(goodKO, "resource: pods, selector: app=nginx, ready", "resource: podz, selector: app=nginx, ready"), []string{`demo/ko.yaml: step "scale-up": checks[1].count.resource: unknown resource "podz"`}},
		{"bad selector", repl(goodEN, "selector: app=nginx, ready", "selector: app==nginx==x, ready"), "", []string{`demo/en.yaml: step "scale-up": checks[1].count.selector: bad label selector`}},
		{"bad watch selector", repl(goodEN, "watch: {resource: pods, selector: app=nginx}", "watch: {resource: pods, selector: 'app in (nginx'}"), "", []string{`demo/en.yaml: step "scale-up": watch.selector: bad label selector`}},
		{"unknown watch resource", repl(goodEN, "watch: {resource: pods,", "watch: {resource: cronjobs,"), "", []string{`demo/en.yaml: step "scale-up": watch.resource: unknown resource "cronjobs"`}},
		{"missing manifest", repl(goodEN, "-f web.yaml", "-f nope.yaml"), "", []string{`demo/en.yaml: step "scale-up": commands[0]: "kubectl apply -f nope.yaml": -f "nope.yaml" is not an embedded manifest`}},
		{"missing manifest, --filename=", repl(goodEN, "-f web.yaml", "--filename=nope.yaml"), "", []string{`commands[0]: "kubectl apply --filename=nope.yaml": -f "nope.yaml" is not an embedded manifest`}},
		{"not kubectl", repl(goodEN, "kubectl scale sts", "oc scale sts"), "", []string{`step "scale-up": commands[2]: "oc scale sts web --replicas=5": commands must start with kubectl`}},
		{"unterminated quote", repl(goodEN, "--replicas=5\n", "--replicas='5\n"), "", []string{`commands[2]: "kubectl scale sts web --replicas='5": unterminated single quote`}},
		{"unknown kubectl flag", repl(goodEN, "--replicas=5\n", "--replica=5\n"), "", []string{`demo/en.yaml: step "scale-up": commands[2]: "kubectl scale sts web --replica=5": kubectl scale: unknown flag: --replica`}},
		{"unknown kubectl command", repl(goodEN, "kubectl scale sts", "kubectl scael sts"), "", []string{`demo/en.yaml: step "scale-up": commands[2]: "kubectl scael sts web --replicas=5": unknown command "scael"`}},
		{"bad noRun command", repl(goodEN, `{cmd: "kubectl get pods -w -l app=nginx", noRun: true}`, `{cmd: "kubectl get pods --wtch", noRun: true}`), "", []string{`commands[1]: "kubectl get pods --wtch": kubectl get: unknown flag: --wtch`}},
		{"pipe", repl(goodEN, "--replicas=5\n", "--replicas=5 | cat\n"), "", []string{`commands[2]: "kubectl scale sts web --replicas=5 | cat": "|" at column`}},
		{"bad jsonpath", repl(goodEN, "{resource: sts, name: web, exists: true}", `{resource: sts, name: web, path: "{.status[", equals: "1"}`), "", []string{`step "scale-up": checks[0].jsonpath.path: bad JSONPath`}},
		{"jsonpath without braces", repl(goodEN, "{resource: sts, name: web, exists: true}", `{resource: sts, name: web, path: ".status.replicas", equals: "1"}`), "", []string{`checks[0].jsonpath.path: JSONPath ".status.replicas": wrap the expression in braces`}},
		{"two comparisons", repl(goodEN, "{resource: sts, name: web, exists: true}", `{resource: sts, name: web, path: "{.a}", equals: "1", notEquals: "2"}`), "", []string{`checks[0].jsonpath: want exactly one of equals, notEquals, equalsPath, notEqualsPath; have 2`}},
		{"no comparison", repl(goodEN, "{resource: sts, name: web, exists: true}", `{resource: sts, name: web, path: "{.a}"}`), "", []string{`checks[0].jsonpath: want exactly one of`}},
		{"bad equalsPath", repl(goodEN, "{resource: sts, name: web, exists: true}", `{resource: sts, name: web, path: "{.a}", equalsPath: {resource: cronjobs, name: x, path: "{.b}"}}`), "", []string{`checks[0].jsonpath.equalsPath.resource: unknown resource "cronjobs"`}},
		{"both check kinds", repl(goodEN, "{resource: sts, name: web, exists: true}", "{resource: sts, name: web, exists: true}\n        count: {resource: pods, equals: 1}"), "", []string{`checks[0].jsonpath: a check has exactly one of jsonpath, count, exec`}},
		{"no check kind", repl(goodEN, "        jsonpath: {resource: sts, name: web, exists: true}\n", ""), "", []string{`checks[0].jsonpath: a check needs one of jsonpath, count, exec`}},
		{"exec without command", repl(goodEN, "jsonpath: {resource: sts, name: web, exists: true}", "exec: {pod: web-0, equals: web-0}"), "", []string{`checks[0].exec.command: required`}},
		{"exec without comparison", repl(goodEN, "jsonpath: {resource: sts, name: web, exists: true}", "exec: {pod: web-0, command: [hostname]}"), "", []string{`checks[0].exec: want exactly one of equals, contains`}},
		{"exec with two comparisons", repl(goodEN, "jsonpath: {resource: sts, name: web, exists: true}", "exec: {pod: web-0, command: [hostname], equals: a, contains: b}"), "", []string{`checks[0].exec: want exactly one of equals, contains`}},
		{"exec without pod", repl(goodEN, "jsonpath: {resource: sts, name: web, exists: true}", "exec: {command: [hostname], equals: a}"), "", []string{`checks[0].exec.pod: required`}},
		{"exec and jsonpath", repl(goodEN, "jsonpath: {resource: sts, name: web, exists: true}", "jsonpath: {resource: sts, name: web, exists: true}\n        exec: {pod: web-0, command: [hostname], equals: a}"), "", []string{`checks[0].jsonpath: a check has exactly one of jsonpath, count, exec`}},
		{"notReady on pvc", repl(goodEN, "resource: pods, selector: app=nginx, ready: true", "resource: pvc, selector: app=nginx, notReady: true"), "", []string{`checks[1].count.ready: only pods and nodes have readiness`}},
		{"ready and notReady", repl(goodEN, "ready: true, equals: 5", "ready: true, notReady: true, equals: 5"), "", []string{`checks[1].count.notReady: ready and notReady exclude each other`}},
		{"empty simulate", repl(goodEN, "    hints: [Scale it.", "    simulate: {}\n    hints: [Scale it."), "", []string{`step "scale-up": simulate: want exactly one of failNodeOf, recoverNodes; have 0`}},
		{"two simulations", repl(goodEN, "    hints: [Scale it.", "    simulate: {failNodeOf: web-0, recoverNodes: true}\n    hints: [Scale it."), "", []string{`step "scale-up": simulate: want exactly one of failNodeOf, recoverNodes; have 2`}},
		{"bad simulate pod", repl(goodEN, "    hints: [Scale it.", "    simulate: {failNodeOf: Web_0}\n    hints: [Scale it."), "", []string{`step "scale-up": simulate.failNodeOf: "Web_0" is not a pod name`}},
		{"unknown simulation", repl(goodEN, "    hints: [Scale it.", "    simulate: {rebootNode: web-0}\n    hints: [Scale it."), "", []string{`unknown field "rebootNode"`}},
		{"simulate differs across languages", repl(goodEN, "    hints: [Scale it.", "    simulate: {failNodeOf: web-0}\n    hints: [Scale it."), repl(goodKO, "    hints: [Scale it.", "    simulate: {failNodeOf: web-1}\n    hints: [Scale it."), []string{`demo/ko.yaml: step "scale-up": simulate: differs from demo/en.yaml`}},
		{"missing desc", repl(goodEN, "desc: web exists", "desc: ''"), "", []string{`step "scale-up": checks[0].desc: required`}},
		{"count without equals", repl(goodEN, "ready: true, equals: 5", "ready: true"), "", []string{`checks[1].count.equals: required`}},
		{"ready on pvc", repl(goodEN, "resource: pods, selector: app=nginx, ready", "resource: pvc, selector: app=nginx, ready"), "", []string{`checks[1].count.ready: only pods and nodes have readiness`}},
		{"one hint", repl(goodEN, "hints: [Scale it., Use kubectl scale.]", "hints: [Scale it.]"), "", []string{`step "scale-up": hints: a step with checks needs two hints`}},
		{"three hints", repl(goodEN, "hints: [Scale it., Use kubectl scale.]", "hints: [a, b, c]"), "", []string{`step "scale-up": hints: a step with checks needs two hints`}},
		{"no solution", repl(goodEN, "    solution: Run kubectl scale sts web --replicas=5.\n", ""), "", []string{`step "scale-up": solution: required`}},
		{"no goal", repl(goodEN, "    goal: Have five pods.\n", ""), "", []string{`step "scale-up": goal: required`}},
		{"no watchFor", repl(goodEN, "    watchFor: Pods appear one by one.\n", ""), "", []string{`step "scale-up": watchFor: required`}},
		{"solution only in one language", "", repl(goodKO, "    solution: Run kubectl scale sts web --replicas=5.\n", ""), []string{`demo/ko.yaml: step "scale-up": solution: required`, `demo/ko.yaml: step "scale-up": solution: present in only one`}},
		{"unknown field", repl(goodEN, "    watch: {resource: pods, selector: app=nginx}", "    watch: {resource: pods, selektor: app=nginx}"), "", []string{`demo/en.yaml: `, `unknown field "selektor"`}},
		{"bad command object", repl(goodEN, `{cmd: "kubectl get pods -w -l app=nginx", noRun: true}`, `{command: "kubectl get pods", noRun: true}`), "", []string{`demo/en.yaml: `, `want a string or {cmd, noRun}`}},
		{"id differs from folder", repl(goodEN, "id: demo", "id: other"), repl(goodKO, "id: demo", "id: other"), []string{`demo/en.yaml: id: "other" does not match the folder name "demo"`}},
		{"checks differ across languages", "", repl(goodKO, "ready: true, equals: 5", "ready: true, equals: 4"), []string{`demo/ko.yaml: step "scale-up": checks[1]: differs from demo/en.yaml (only desc may be translated)`}},
		{"commands differ across languages", "", repl(goodKO, "--replicas=5", "--replicas=4"), []string{`demo/ko.yaml: step "scale-up": commands: differ from demo/en.yaml`}},
		{"watch differs across languages", "", repl(goodKO, "watch: {resource: pods,", "watch: {resource: pvc,"), []string{`demo/ko.yaml: step "scale-up": watch: `}},
		{"quiz without a correct choice", repl(goodEN, `correct: true, `, ""), repl(goodKO, `correct: true, `, ""), []string{`demo/en.yaml: quiz[0].choices: no choice is marked correct`}},
		{"quiz answers differ", "", repl(goodKO, `{text: "Because", correct: true, why: "It is."}`, `{text: "Because", why: "It is."}`), []string{`demo/ko.yaml: quiz[0].choices[0].correct: false differs from demo/en.yaml`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			en, ko := tc.en, tc.ko
			if en == "" {
				en = goodEN
			}
			if ko == "" {
				ko = goodKO
			}
			_, err := loadMap(t, map[string]string{"demo/en.yaml": en, "demo/ko.yaml": ko})
			if err == nil {
				t.Fatalf("load succeeded; want an error containing %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
			var le *LintError
			if !errors.As(err, &le) || le.File == "" {
				t.Errorf("want a *LintError naming the file, got %T: %v", err, err)
			}
		})
	}
}

func TestLoadNeedsEnglish(t *testing.T) {
	_, err := loadMap(t, map[string]string{"demo/ko.yaml": goodKO})
	if err == nil || !strings.Contains(err.Error(), "demo/en.yaml: missing: every lesson needs an English version") {
		t.Fatalf("err = %v", err)
	}
	_, err = loadMap(t, map[string]string{"demo/en.yaml": goodEN, "demo/korean.yaml": goodKO})
	if err == nil || !strings.Contains(err.Error(), "demo/korean.yaml: file name must be a language code") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	bad := strings.NewReplacer("title: Demo\n", "", "-f web.yaml", "-f nope.yaml").Replace(goodEN)
	_, err := loadMap(t, map[string]string{"demo/en.yaml": bad, "demo/ko.yaml": goodKO})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, w := range []string{"demo/en.yaml: title: required", `-f "nope.yaml"`, "demo/ko.yaml: step \"scale-up\": commands: differ"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("missing %q in:\n%v", w, err)
		}
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "demo", "en.yaml"), []byte(goodEN), 0o644); err != nil {
		t.Fatal(err)
	}
	// Stray files and folders without lessons are ignored.
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("notes"), 0o644); err != nil {
		t.Fatal(err)
	}
	lib, err := LoadDir(dir)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	if got := lib.IDs(); !reflect.DeepEqual(got, []string{"demo"}) {
		t.Errorf("IDs = %v", got)
	}
	if got := lib.Catalog("ko"); len(got) != 1 || got[0].Lang != "en" {
		t.Errorf("Catalog(ko) = %+v, want the English fallback", got)
	}
	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadDir of a missing directory should fail")
	}
}

func TestEmbeddedCatalog(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		ls, err := Catalog(lang)
		if err != nil {
			t.Fatalf("Catalog(%s): %v", lang, err)
		}
		if len(ls) == 0 {
			t.Fatalf("Catalog(%s) is empty", lang)
		}
		for _, l := range ls {
			if l.Lang != lang {
				t.Errorf("%s: Lang = %q, want %q (every embedded lesson has both languages)", l.ID, l.Lang, lang)
			}
			if len(l.Quiz) < 3 || len(l.Quiz) > 5 {
				t.Errorf("%s/%s: %d quiz questions, want 3 to 5", l.ID, lang, len(l.Quiz))
			}
		}
	}
	l, err := Get("statefulset-basics", "ko")
	if err != nil {
		t.Fatal(err)
	}
	if l.Title != "스테이트풀셋 기본" {
		t.Errorf("ko title = %q", l.Title)
	}
}

// The Korean lessons use one term per concept, the one in shared/GLOSSARY.md.
func TestKoreanUsesGlossaryTerms(t *testing.T) {
	avoid := map[string]string{
		"스테이트풀 셋":     "스테이트풀셋",
		"퍼시스턴스볼륨":     "퍼시스턴트볼륨",
		"퍼시스턴트 볼륨":    "퍼시스턴트볼륨",
		"퍼시스턴트볼륨 클레임": "퍼시스턴트볼륨클레임",
		"포드":          "파드",
		"레플리카 셋":      "레플리카셋",
	}
	lib, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range lib.IDs() {
		l, _ := lib.Get(id, "ko")
		if l.Lang != "ko" {
			continue
		}
		var text strings.Builder
		text.WriteString(l.Title + l.Summary)
		for _, st := range l.Steps {
			text.WriteString(st.Title + st.Goal + st.Body + st.WatchFor + st.Solution + strings.Join(st.Hints, ""))
			for _, c := range st.Checks {
				text.WriteString(c.Desc)
			}
		}
		for _, q := range l.Quiz {
			text.WriteString(q.Question)
			for _, c := range q.Choices {
				text.WriteString(c.Text + c.Why)
			}
		}
		for bad, good := range avoid {
			if strings.Contains(text.String(), bad) {
				t.Errorf("%s: uses %q; the glossary term is %q", l.Source, bad, good)
			}
		}
	}
}

func TestManifestArgs(t *testing.T) {
	cases := map[string][]string{
		"kubectl apply -f web.yaml":                    {"web.yaml"},
		"kubectl apply --filename web.yaml":            {"web.yaml"},
		"kubectl apply --filename=a.yaml -f=b.yaml":    {"a.yaml", "b.yaml"},
		"kubectl apply -fweb.yaml":                     {"web.yaml"},
		"kubectl get pods -w":                          nil,
		"kubectl exec web-0 -- tail -f /var/log/x.log": nil,
	}
	for line, want := range cases {
		words, err := engine.SplitCommandLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if got := manifestArgs(words); !reflect.DeepEqual(got, want) {
			t.Errorf("manifestArgs(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestResolveResource(t *testing.T) {
	for name, want := range map[string]string{
		"pods": "pods", "po": "pods", "pvc": "persistentvolumeclaims", "sts": "statefulsets",
		"StatefulSets": "statefulsets", "svc": "services", "controllerrevisions": "controllerrevisions",
		"pv": "persistentvolumes", "no": "nodes", "cm": "configmaps", "deploy": "deployments", "rs": "replicasets",
	} {
		info, ok := ResolveResource(name)
		if !ok || info.Name != want {
			t.Errorf("ResolveResource(%q) = %+v, %v; want %s", name, info, ok, want)
		}
	}
	for _, n := range []string{"pv", "nodes"} {
		if info, _ := ResolveResource(n); info.Namespaced {
			t.Errorf("%s are cluster-scoped", n)
		}
	}
	if _, ok := ResolveResource("podz"); ok {
		t.Error("podz resolved")
	}
}

func TestNormalizeLang(t *testing.T) {
	for in, want := range map[string]string{"ko": "ko", "ko_KR.UTF-8": "ko", "en-US": "en", "C": "en", "": "en", "KO": "ko"} {
		if got := NormalizeLang(in); got != want {
			t.Errorf("NormalizeLang(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseKubectl(t *testing.T) {
	good := []string{
		"kubectl get pods -w -l app=nginx",
		"kubectl apply -f web.yaml",
		"kubectl -n default get sts web",
		"kubectl delete statefulset web --cascade=orphan",
		"kubectl exec web-0 -- sh -c 'hostname'",
		"kubectl run -i --tty --image busybox:1.28 dns-test --restart=Never --rm",
		"kubectl rollout status sts/web",
		"kubectl logs -f web-0",
		"kubectl drain node-1 --ignore-daemonsets --delete-emptydir-data",
	}
	for _, line := range good {
		words, err := engine.SplitCommandLine(line)
		if err != nil {
			t.Fatal(err)
		}
		if err := parseKubectl(words[1:]); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
	bad := map[string]string{
		"kubectl gte pods":                             `unknown command "gte"`,
		"kubectl get pods --wach":                      "unknown flag: --wach",
		"kubectl scale sts web --replicas=five":        "invalid argument",
		"kubectl drain node-1 --delete-local-data":     "unknown flag: --delete-local-data",
		"kubectl rollout":                              "needs a subcommand",
		"kubectl scale sts web --replicas":             "flag needs an argument",
		"kubectl get pods -o json --show-labels --wat": "unknown flag: --wat",
	}
	for line, want := range bad {
		words, err := engine.SplitCommandLine(line)
		if err != nil {
			t.Fatal(err)
		}
		err = parseKubectl(words[1:])
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", line, err, want)
		}
	}
	// A flag set by one line does not leak into the next.
	for _, line := range []string{"kubectl get pods -w", "kubectl get pods"} {
		words, _ := engine.SplitCommandLine(line)
		if err := parseKubectl(words[1:]); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
}

func TestParseManifest(t *testing.T) {
	for _, name := range []string{"web.yaml", "web-parallel.yaml"} {
		if err := manifestProblem(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	cases := map[string]string{
		"kind: Service\nmetadata: {name: a}\n":         "no apiVersion",
		"apiVersion: v1\nmetadata: {name: a}\n":        "no kind",
		"apiVersion: v1\nkind: Service\n":              "no metadata.name",
		"apiVersion: v1\nkind: Service\nmetadata: [\n": "does not parse",
		"---\n---\n": "holds no objects",
		"apiVersion: v1\nkind: Service\nmetadata: {name: a}": "",
	}
	for doc, want := range cases {
		err := parseManifest([]byte(doc))
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", doc, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: err = %v, want %q", doc, err, want)
		}
	}
}

func TestMerge(t *testing.T) {
	emb, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	other := strings.NewReplacer("title: Demo", "title: Replaced").Replace(strings.Replace(goodEN, "id: demo", "id: statefulset-basics", 1))
	extra, err := loadMap(t, map[string]string{"demo/en.yaml": goodEN, "statefulset-basics/en.yaml": other})
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(emb, extra)
	if got := m.IDs(); len(got) != len(emb.IDs())+1 {
		t.Errorf("IDs = %v, want the %d embedded ones plus demo", got, len(emb.IDs()))
	}
	if _, err := m.Get("demo", "en"); err != nil {
		t.Error(err)
	}
	l, _ := m.Get("statefulset-basics", "en")
	if l.Title != "Replaced" {
		t.Errorf("the extra lesson should replace the built-in one of the same id; title %q", l.Title)
	}
	// Merge does not change its arguments.
	if l, _ := emb.Get("statefulset-basics", "en"); l.Title != "StatefulSet Basics" {
		t.Errorf("embedded lesson changed: %q", l.Title)
	}
	if len(Merge(emb, nil).IDs()) != len(emb.IDs()) {
		t.Error("Merge with nil lost lessons")
	}
}

// Every built-in lesson is written in English and Korean and ends with a 3–5 question quiz.
func TestEveryLessonInBothLanguagesWithAQuiz(t *testing.T) {
	lib, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"deployment-vs-statefulset", "lab-dns", "lab-storage", "lab-stuck-rollout", "node-failure", "replicated-mysql", "statefulset-basics", "why-statefulsets"}
	if got := lib.IDs(); !reflect.DeepEqual(sortedCopy(got), want) {
		t.Errorf("lessons %v, want %v", got, want)
	}
	for _, id := range lib.IDs() {
		if got := lib.Languages(id); !reflect.DeepEqual(got, []string{"en", "ko"}) {
			t.Errorf("%s: languages %v, want en and ko", id, got)
		}
		l, _ := lib.Get(id, "en")
		if len(l.Quiz) < 3 || len(l.Quiz) > 5 {
			t.Errorf("%s: %d quiz questions, want 3 to 5", id, len(l.Quiz))
		}
	}
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

// TestEmbeddedInIsEmbeddedForOneLanguage: the player's start-up library (EmbeddedIn) reads
// only the learner's language and English, and gives exactly the lessons the full library
// gives in that language.
func TestEmbeddedInIsEmbeddedForOneLanguage(t *testing.T) {
	full, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "ko", "ko_KR.UTF-8", "fr"} {
		lib, err := EmbeddedIn(lang)
		if err != nil {
			t.Fatalf("EmbeddedIn(%q): %v", lang, err)
		}
		if got, want := lib.Catalog(lang), full.Catalog(lang); !reflect.DeepEqual(got, want) {
			t.Errorf("EmbeddedIn(%q).Catalog differs from Embedded().Catalog", lang)
		}
		for _, id := range lib.IDs() {
			for _, l := range lib.Languages(id) {
				if l != BaseLang && l != NormalizeLang(lang) {
					t.Errorf("EmbeddedIn(%q) read %s in %q", lang, id, l)
				}
			}
		}
	}
	if en, _ := EmbeddedIn("en"); len(en.Languages("statefulset-basics")) != 1 {
		t.Errorf("EmbeddedIn(en) languages of statefulset-basics = %v, want only en", en.Languages("statefulset-basics"))
	}
}

// TestEmbeddedInLeavesOnlyKubectlsParse: the player's start (EmbeddedIn) skips kubectl's parse
// of the commands and nothing else, and only for the built-in lessons: a folder's lesson with
// an unknown flag, or a command reaching another cluster, is refused as before, while the
// same files loaded without the parse pass; a command that is not kubectl at all is refused
// either way. The built-in lessons themselves pass the full check (TestEmbeddedCatalog).
func TestEmbeddedInLeavesOnlyKubectlsParse(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"kubectl scale sts web --replicas=5 --no-such-flag", "no-such-flag"},
		{"kubectl scale sts web --replicas=5 --context prod", "not allowed in a lesson"},
	} {
		fsys := fstest.MapFS{"demo/en.yaml": &fstest.MapFile{Data: []byte(strings.Replace(goodEN, "kubectl scale sts web --replicas=5", c.line, 1))}}
		if _, err := load(fsys, testManifests, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q loaded from a folder: %v, want an error about %q", c.line, err, c.want)
		}
		if _, err := loadChecked(fsys, testManifests, nil, false); err != nil {
			t.Errorf("%q loaded without kubectl's parse: %v", c.line, err)
		}
	}
	fsys := fstest.MapFS{"demo/en.yaml": &fstest.MapFile{Data: []byte(strings.Replace(goodEN, "kubectl scale sts web --replicas=5", "rm -rf /", 1))}}
	if _, err := loadChecked(fsys, testManifests, nil, false); err == nil || !strings.Contains(err.Error(), "must start with kubectl") {
		t.Errorf("a command that is not kubectl, without kubectl's parse: %v", err)
	}
}
