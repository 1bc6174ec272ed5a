// Package lessons holds the lesson catalog (embedded YAML, one folder per lesson with en.yaml
// and ko.yaml), its schema and validation, and the checks that decide when a step is done.
//
// A lesson file, <id>/<lang>.yaml (unknown fields are errors):
//
//	id: statefulset-basics          # the folder name
//	title: StatefulSet Basics
//	summary: One paragraph for the menu.
//	level: beginner                 # beginner | intermediate | advanced
//	minutes: 35
//	order: 10                       # catalog position (optional)
//	steps:
//	  - id: scale-up                # same ids, same order, in every language
//	    title: Scale up to five
//	    goal: Grow the set from three pods to five.   # one sentence, shown above the body
//	    body: |                     # Markdown
//	      ...
//	    watchFor: |                 # what to look at in the watch pane and what to notice
//	      web-3 appears only after web-2 is Running and Ready.
//	    commands:                   # kubectl only; no pipes or $VARS; -f names an embedded manifest
//	      - kubectl scale sts web --replicas=5
//	      - {cmd: "kubectl get pods -w -l app=nginx", noRun: true}   # shown, never auto-run
//	    watch: {resource: pods, selector: app=nginx}
//	    checks:                     # identical in every language except desc
//	      - desc: Five pods are Running and Ready
//	        count: {resource: pods, selector: app=nginx, ready: true, equals: 5}
//	      - desc: The set reports 5 ready replicas
//	        jsonpath: {resource: sts, name: web, path: "{.status.readyReplicas}", equals: "5"}
//	      - desc: web-2 carries the update revision
//	        jsonpath:
//	          resource: pods
//	          name: web-2
//	          path: "{.metadata.labels.controller-revision-hash}"
//	          equalsPath: {resource: sts, name: web, path: "{.status.updateRevision}"}
//	    hints: [A nudge., More help.]  # exactly two, increasing help
//	    solution: Run `kubectl scale sts web --replicas=5`.
//	quiz:
//	  - question: ...
//	    choices:
//	      - {text: ..., correct: true, why: ...}
//	      - {text: ..., why: ...}
//
//	      - desc: nginx in web-0 serves web-0
//	        exec: {pod: web-0, command: [curl, -s, localhost], equals: web-0}
//	    simulate: {failNodeOf: kubia-0}   # optional: see Simulate
//
// Checks relative to the step's start (changed, event, observed, output; see change.go) make a
// step honest when its end state looks like its start; every step with checks must have one
// that fails on arrival (the solver fails a vacuous step, lint flags checks that cannot
// fail). A step may ask a prediction before its commands run (predict; see predict.go), and
// commands may name {node-of:POD}, the node a pod ran on when the step began (vars.go).
//
// A jsonpath check takes exactly one of equals, notEquals, equalsPath, notEqualsPath, or
// stands alone with exists: true/false. A count check may filter by ready or notReady (pods
// and nodes) and phase. An exec check runs a command in a pod (see ExecCheck). Resource
// names: see KnownResources.
//
// Every step has a goal; a step with commands says in watchFor what to notice; a step with
// checks has two hints and a solution.
package lessons

import (
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Lesson is one lesson in one language, as loaded from <id>/<lang>.yaml.
type Lesson struct {
	ID      string     `json:"id"`
	Lang    string     `json:"lang"` // from the file name, not from the YAML
	Title   string     `json:"title"`
	Summary string     `json:"summary"`
	Level   string     `json:"level"` // beginner | intermediate | advanced
	Minutes int        `json:"minutes"`
	Order   int        `json:"order,omitempty"` // position in the catalog; ties sort by id
	Steps   []Step     `json:"steps"`
	Quiz    []Question `json:"quiz,omitempty"`
	// Source is the file the lesson came from ("statefulset-basics/en.yaml"), for messages.
	Source string `json:"-"`
}

// Step is one screen of a lesson: text to read, commands to run, a watch to look at, and
// checks that tell when the cluster is in the state the step asks for.
type Step struct {
	ID    string `json:"id"`
	Lang  string `json:"-"` // the lesson's language: check details are worded in it
	Title string `json:"title"`
	Goal  string `json:"goal"` // one sentence: what the step achieves
	Body  string `json:"body"` // Markdown
	// WatchFor says what to look at in the watch pane while the step's commands run and
	// what to notice there (Markdown).
	WatchFor string `json:"watchFor,omitempty"`
	// Commands are every kubectl command line of the step in display order, including the
	// ones marked noRun. Cmds holds the same lines with their flags.
	Commands []string  `json:"commands"`
	Cmds     []Command `json:"-"`
	Watch    Watch     `json:"watch"`
	Checks   []Check   `json:"checks"`
	Hints    []string  `json:"hints"` // increasing help: a nudge first, then more
	// Solution is the full answer, shown after both hints.
	Solution string `json:"solution,omitempty"`
	// Simulate, when set, is done to the cluster before the step's commands run: something
	// only the simulator can do (cut a node off). See RunSimulate.
	Simulate *Simulate `json:"simulate,omitempty"`
	// Predict, when set, is asked before the step's commands run (see Predict).
	Predict *Predict `json:"predict,omitempty"`
}

// Help is the step's help in the order a learner asks for it: the hints, then the solution.
func (s Step) Help() []string {
	out := append([]string(nil), s.Hints...)
	if strings.TrimSpace(s.Solution) != "" {
		out = append(out, s.Solution)
	}
	return out
}

// Command is one command line of a step.
type Command struct {
	Line string
	// NoRun marks a command that is shown but never run for the learner: a long-running
	// watch (`kubectl get pods -w`) or an interactive one (`kubectl exec -it`).
	NoRun bool
}

// RunnableCommands are the step's command lines that may be run automatically, in order.
func (s Step) RunnableCommands() []string {
	var out []string
	for _, c := range s.Cmds {
		if !c.NoRun {
			out = append(out, c.Line)
		}
	}
	return out
}

// IsNoRun reports whether the command line is one of the step's show-only commands.
func (s Step) IsNoRun(line string) bool {
	for _, c := range s.Cmds {
		if c.Line == line {
			return c.NoRun
		}
	}
	return false
}

// Watch is what the watch pane shows during a step.
type Watch struct {
	Resource string `json:"resource"` // "pods", "pvc", "statefulsets", …
	Selector string `json:"selector"` // label selector, e.g. "app=nginx"
}

// Check is one declarative condition. Exactly one kind is set: JSONPath, Count and Exec read
// the cluster's state; Changed, Event, Observed and Output are relative to the start of the
// step (see change.go).
type Check struct {
	Desc     string         `json:"desc"` // human text in the lesson's language
	JSONPath *JSONPathCheck `json:"jsonpath,omitempty"`
	Count    *CountCheck    `json:"count,omitempty"`
	Exec     *ExecCheck     `json:"exec,omitempty"`
	Changed  *ChangedCheck  `json:"changed,omitempty"`
	Event    *EventCheck    `json:"event,omitempty"`
	Observed *ObservedCheck `json:"observed,omitempty"`
	Output   *OutputCheck   `json:"output,omitempty"`
}

// JSONPathCheck looks at one named object. With Exists set it asks only whether the object
// exists; otherwise it evaluates Path and compares the result with exactly one of Equals,
// NotEquals, EqualsPath or NotEqualsPath.
type JSONPathCheck struct {
	Resource      string     `json:"resource"`
	Name          string     `json:"name"`
	Path          string     `json:"path,omitempty"` // client-go JSONPath, e.g. "{.status.readyReplicas}"
	Exists        *bool      `json:"exists,omitempty"`
	Equals        *string    `json:"equals,omitempty"`
	NotEquals     *string    `json:"notEquals,omitempty"`
	EqualsPath    *ObjectRef `json:"equalsPath,omitempty"`
	NotEqualsPath *ObjectRef `json:"notEqualsPath,omitempty"`
}

// ObjectRef names a value on another object, for comparing two live values (a pod's
// controller-revision-hash label against the StatefulSet's status.updateRevision).
type ObjectRef struct {
	Resource string `json:"resource"`
	Name     string `json:"name"`
	Path     string `json:"path"`
}

// CountCheck counts objects of a resource that match a label selector.
type CountCheck struct {
	Resource string `json:"resource"`
	Selector string `json:"selector,omitempty"`
	Equals   *int   `json:"equals"`
	// Ready counts only pods that are Running, have the Ready condition True and are not
	// being deleted, or nodes whose Ready condition is True (pods and nodes only).
	Ready bool `json:"ready,omitempty"`
	// NotReady counts the pods or nodes Ready would not (a NotReady node, a pod that is not
	// ready or is being deleted).
	NotReady bool `json:"notReady,omitempty"`
	// Phase counts only objects whose status.phase is this value ("Running", "Bound").
	Phase string `json:"phase,omitempty"`
}

// Question is one multiple-choice quiz question at the end of a lesson.
type Question struct {
	Question string   `json:"question"`
	Choices  []Choice `json:"choices"`
}

// Choice is one answer to a quiz question; Why explains it whether right or wrong.
type Choice struct {
	Text    string `json:"text"`
	Correct bool   `json:"correct,omitempty"`
	Why     string `json:"why,omitempty"`
}

// CheckResult is the outcome of one check against live state.
type CheckResult struct {
	Desc   string
	OK     bool
	Detail string // why it failed, in the step's language; empty when OK
}

// ResourceInfo is what a resource name used in a lesson resolves to.
type ResourceInfo struct {
	Name       string // canonical plural, e.g. "persistentvolumeclaims"
	GVR        schema.GroupVersionResource
	Namespaced bool
	Noun       string // plural for messages, e.g. "PVCs"
}

var resourceTable = []struct {
	aliases []string
	info    ResourceInfo
}{
	{[]string{"pods", "pod", "po"}, ResourceInfo{"pods", schema.GroupVersionResource{Version: "v1", Resource: "pods"}, true, "pods"}},
	{[]string{"persistentvolumeclaims", "persistentvolumeclaim", "pvc"}, ResourceInfo{"persistentvolumeclaims", schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}, true, "PVCs"}},
	{[]string{"statefulsets", "statefulset", "sts"}, ResourceInfo{"statefulsets", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}, true, "StatefulSets"}},
	{[]string{"services", "service", "svc"}, ResourceInfo{"services", schema.GroupVersionResource{Version: "v1", Resource: "services"}, true, "Services"}},
	{[]string{"controllerrevisions", "controllerrevision"}, ResourceInfo{"controllerrevisions", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "controllerrevisions"}, true, "ControllerRevisions"}},
	{[]string{"persistentvolumes", "persistentvolume", "pv"}, ResourceInfo{"persistentvolumes", schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumes"}, false, "PersistentVolumes"}},
	{[]string{"deployments", "deployment", "deploy"}, ResourceInfo{"deployments", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, true, "Deployments"}},
	{[]string{"replicasets", "replicaset", "rs"}, ResourceInfo{"replicasets", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "replicasets"}, true, "ReplicaSets"}},
	{[]string{"daemonsets", "daemonset", "ds"}, ResourceInfo{"daemonsets", schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "daemonsets"}, true, "DaemonSets"}},
	{[]string{"nodes", "node", "no"}, ResourceInfo{"nodes", schema.GroupVersionResource{Version: "v1", Resource: "nodes"}, false, "Nodes"}},
	{[]string{"configmaps", "configmap", "cm"}, ResourceInfo{"configmaps", schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, true, "ConfigMaps"}},
}

// ResolveResource maps a resource name as lessons write it ("pvc", "sts", "pods") to its
// API resource. ok is false for names the lessons do not know.
func ResolveResource(name string) (ResourceInfo, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, r := range resourceTable {
		for _, a := range r.aliases {
			if a == n {
				return r.info, true
			}
		}
	}
	return ResourceInfo{}, false
}

// KnownResources lists every name ResolveResource accepts, sorted.
func KnownResources() []string {
	var out []string
	for _, r := range resourceTable {
		out = append(out, r.aliases...)
	}
	sort.Strings(out)
	return out
}
