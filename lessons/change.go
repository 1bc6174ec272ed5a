package lessons

import (
	"context"
	"fmt"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/kubetutor/kubetutor/engine"
)

// Checks relative to the start of a step. A state check (jsonpath, count, exec) asks how the
// cluster is; these ask what happened since the learner entered the step, so a step whose end
// state looks like its start (pods deleted and brought back under the same names) can still
// tell whether the learner did anything. They need a StepObserver: the player takes one when
// a step is entered (and again after a reset or a replay) and the solver before a step's
// commands run.
//
//	changed:  {resource: pods, name: web-0, how: recreated}        # same name, new uid
//	changed:  {resource: sts, name: web, how: generation}          # its spec was changed
//	changed:  {resource: sts, name: web, how: field, path: "{.spec.replicas}"}
//	event:    {reason: Killing, kind: Pod, name: web-1}            # such an event happened
//	observed: {name: web-0, phase: Pending}                        # the watch saw web-0 Pending
//	observed: {name: web-1, condition: Ready, status: "False"}
//	observed: {name: web-2, terminating: true}
//	output:   {command: "kubectl logs mysql-1 -c clone-mysql", contains: "Cloning"}

// ChangedCheck passes when one named object changed since the step began. How is one of:
//
//   - created: it exists now and did not at the start, or had another uid then;
//   - deleted: it existed at the start and is gone now, or was replaced (another uid);
//   - recreated: it existed at the start and exists now as another object (another uid);
//   - generation: the same object's metadata.generation grew (its spec was changed);
//   - field: the value at Path is not what it was at the start.
type ChangedCheck struct {
	Resource string `json:"resource"`
	Name     string `json:"name"`
	How      string `json:"how"`
	Path     string `json:"path,omitempty"` // only with how: field
}

// EventCheck passes when an Event with Reason was recorded, or an existing one counted again,
// since the step began. Kind and Name narrow it to one involved object; Message to events whose
// message contains that text.
type EventCheck struct {
	Reason  string `json:"reason"`
	Kind    string `json:"kind,omitempty"`
	Name    string `json:"name,omitempty"`
	Message string `json:"message,omitempty"`
}

// ObservedCheck passes when the watch saw one named object in a state at some moment since
// the step began, even if it has left that state since: a pod that went through Pending, a
// pod that was not Ready for a while, a pod that was Terminating. The state at the step's
// start does not count. Exactly one of Phase, Condition, Terminating and Path is set; Resource
// defaults to pods.
type ObservedCheck struct {
	Resource    string  `json:"resource,omitempty"`
	Name        string  `json:"name"`
	Phase       string  `json:"phase,omitempty"`
	Condition   string  `json:"condition,omitempty"` // a status.conditions type, e.g. Ready
	Status      string  `json:"status,omitempty"`    // the condition's status; default "True"
	Terminating bool    `json:"terminating,omitempty"`
	Path        string  `json:"path,omitempty"` // any JSONPath, compared with Equals
	Equals      *string `json:"equals,omitempty"`
}

// OutputCheck passes when the learner ran a command during the step (in the player's command
// bar, or by letting the player run a shown command) whose words begin with Command's and whose
// output contained Contains. Only for steps that change nothing, and only when no other check
// can tell that the learner looked: the learner's own terminal is not seen.
type OutputCheck struct {
	Command  string `json:"command"`
	Contains string `json:"contains"`
}

// Relative reports whether the check depends on the step's start (a StepObserver), rather than
// on the cluster's state alone.
func (c Check) Relative() bool {
	return c.Changed != nil || c.Event != nil || c.Observed != nil || c.Output != nil
}

// StateChecks are the step's checks that read the cluster's state alone; after a step is done
// they tell whether what it achieved still holds.
func StateChecks(st Step) []Check {
	var out []Check
	for _, c := range st.Checks {
		if !c.Relative() {
			out = append(out, c)
		}
	}
	return out
}

// NowFailing lists the failing results of a step's state checks (results in the order of
// st.Checks). For a step already done it says why what the step achieved no longer holds;
// relative checks are left out, since they speak of the step's own start, not of now.
func NowFailing(st Step, results []CheckResult) []CheckResult {
	var out []CheckResult
	for i, r := range results {
		if i < len(st.Checks) && !st.Checks[i].Relative() && !r.OK {
			out = append(out, r)
		}
	}
	return out
}

var eventsGVR = schema.GroupVersionResource{Version: "v1", Resource: "events"}

// objSnap is one object as the step found it.
type objSnap struct {
	exists     bool
	uid        string
	generation int64
	field      string // the value at a changed check's path
}

// ranCommand is one command the learner ran during the step and what it printed.
type ranCommand struct {
	words  []string
	output string
}

// StepObserver is a step's baseline, recorded when the step is entered, plus what happened
// since: the watch's sightings for observed checks and the commands the learner ran. It is
// safe for concurrent use. Close stops its watches.
type StepObserver struct {
	step   Step
	dyn    dynamic.Interface
	ns     string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	snaps     map[int]objSnap // check index → the object at the start (changed checks)
	snapErr   map[int]error
	events    map[string]int64 // event uid → count at the start
	eventsErr error
	seen      map[int]bool // observed check index → seen in that state
	watchErr  map[int]error
	ran       []ranCommand
	closed    bool
	nodes     map[string]string // pod → node at the baseline, for {node-of:POD}
	nodesErr  error
}

// Baseline records the start of a step on a session: the objects its changed checks name, the
// events so far, and a watch for its observed checks. Failures are not returned: they become
// the detail of the checks they affect.
func Baseline(ctx context.Context, s *engine.Session, st Step) *StepObserver {
	if s == nil || s.Dynamic() == nil {
		return NewStepObserver(ctx, nil, "", st)
	}
	return NewStepObserver(ctx, s.Dynamic(), s.Namespace(), st)
}

// NewStepObserver is Baseline on a dynamic client and namespace. The watches live until
// Close or until ctx ends.
func NewStepObserver(ctx context.Context, dyn dynamic.Interface, ns string, st Step) *StepObserver {
	// The prediction's confirmations share the baseline: they follow the step's own checks,
	// so check i means the same in both (see Step.ConfirmStep).
	st.Checks = st.ConfirmStep().Checks
	o := &StepObserver{step: st, dyn: dyn, ns: ns, snaps: map[int]objSnap{}, snapErr: map[int]error{},
		seen: map[int]bool{}, watchErr: map[int]error{}}
	wctx, cancel := context.WithCancel(ctx)
	o.cancel = cancel
	if dyn == nil {
		err := fmt.Errorf("no cluster session")
		for i := range st.Checks {
			o.snapErr[i], o.watchErr[i] = err, err
		}
		o.eventsErr = err
		return o
	}
	if pods := stepPlaceholders(st); len(pods) > 0 {
		o.nodes, o.nodesErr = resolveNodes(ctx, dyn, ns, pods)
	}
	needEvents := false
	watched := map[string][]int{} // canonical resource → observed check indexes
	for i, c := range st.Checks {
		switch {
		case c.Changed != nil:
			snap, err := o.snapshot(ctx, c.Changed)
			if err != nil {
				o.snapErr[i] = err
			} else {
				o.snaps[i] = snap
			}
		case c.Event != nil:
			needEvents = true
		case c.Observed != nil:
			info, ok := ResolveResource(c.Observed.resource())
			if !ok {
				o.watchErr[i] = fmt.Errorf("unknown resource %q", c.Observed.Resource)
				continue
			}
			watched[info.Name] = append(watched[info.Name], i)
		}
	}
	if needEvents {
		o.events, o.eventsErr = o.eventCounts(ctx)
	}
	for res, idx := range watched {
		o.startWatch(wctx, res, idx)
	}
	return o
}

// Step is the step the observer was taken for.
func (o *StepObserver) Step() Step { return o.step }

// Close stops the observer's watches and waits for them to end.
func (o *StepObserver) Close() {
	if o == nil {
		return
	}
	o.cancel()
	o.wg.Wait()
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

// Ran records a command the learner ran during the step and what it printed, for output checks.
func (o *StepObserver) Ran(line, output string) {
	if o == nil {
		return
	}
	words, err := engine.SplitCommandLine(line)
	if err != nil {
		return
	}
	o.mu.Lock()
	o.ran = append(o.ran, ranCommand{words: trimKubectl(words), output: output})
	o.mu.Unlock()
}

func trimKubectl(words []string) []string {
	if len(words) > 0 && words[0] == "kubectl" {
		return words[1:]
	}
	return words
}

func (c *ObservedCheck) resource() string {
	if c.Resource == "" {
		return "pods"
	}
	return c.Resource
}

func (o *StepObserver) snapshot(ctx context.Context, c *ChangedCheck) (objSnap, error) {
	f := &fetcher{ctx: ctx, dyn: o.dyn, ns: o.ns, got: map[string]fetched{}}
	return snapOf(f, c)
}

func snapOf(f *fetcher, c *ChangedCheck) (objSnap, error) {
	obj, _, err := f.get(c.Resource, c.Name)
	if err != nil || obj == nil {
		return objSnap{}, err
	}
	s := objSnap{exists: true, uid: string(obj.GetUID()), generation: obj.GetGeneration()}
	if c.How == "field" {
		v, _, err := f.value(c.Resource, c.Name, c.Path)
		if err != nil {
			return objSnap{}, err
		}
		s.field = v
	}
	return s, nil
}

func (o *StepObserver) eventCounts(ctx context.Context) (map[string]int64, error) {
	list, err := o.dyn.Resource(eventsGVR).Namespace(o.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list events: %v", err)
	}
	out := make(map[string]int64, len(list.Items))
	for i := range list.Items {
		out[string(list.Items[i].GetUID())] = eventCount(&list.Items[i])
	}
	return out, nil
}

// eventCount is how many times an Event happened: count, or its series' count, at least 1.
func eventCount(e *unstructured.Unstructured) int64 {
	n, _, _ := unstructured.NestedInt64(e.Object, "count")
	if s, ok, _ := unstructured.NestedInt64(e.Object, "series", "count"); ok && s > n {
		n = s
	}
	if n < 1 {
		n = 1
	}
	return n
}

// startWatch follows one resource from the current resourceVersion, so every change after the
// baseline is seen, and marks the observed checks whose state an event shows.
func (o *StepObserver) startWatch(ctx context.Context, resource string, idx []int) {
	fail := func(err error) {
		o.mu.Lock()
		for _, i := range idx {
			o.watchErr[i] = err
		}
		o.mu.Unlock()
	}
	rc, _, err := resourceClient(o.dyn, o.ns, resource)
	if err != nil {
		fail(err)
		return
	}
	list, err := rc.List(ctx, metav1.ListOptions{})
	if err != nil {
		fail(fmt.Errorf("list %s: %v", resource, err))
		return
	}
	rv := list.GetResourceVersion()
	w, err := watchtools.NewRetryWatcherWithContext(ctx, rv, &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return rc.Watch(ctx, opts)
		},
	})
	if err != nil {
		fail(fmt.Errorf("watch %s: %v", resource, err))
		return
	}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.ResultChan():
				if !ok {
					return
				}
				obj, isObj := ev.Object.(*unstructured.Unstructured)
				if !isObj || ev.Type == watch.Error || ev.Type == watch.Bookmark {
					continue
				}
				o.sight(obj, idx)
			}
		}
	}()
}

func (o *StepObserver) sight(obj *unstructured.Unstructured, idx []int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, i := range idx {
		c := o.step.Checks[i].Observed
		if c.Name != obj.GetName() || o.seen[i] {
			continue
		}
		if ok, _ := observedState(c, obj); ok {
			o.seen[i] = true
		}
	}
}

// observedState tells whether obj is in the state the check looks for.
func observedState(c *ObservedCheck, obj *unstructured.Unstructured) (bool, error) {
	switch {
	case c.Phase != "":
		p, _, _ := unstructured.NestedString(obj.Object, "status", "phase")
		return p == c.Phase, nil
	case c.Condition != "":
		want := c.Status
		if want == "" {
			want = "True"
		}
		conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
		for _, x := range conds {
			m, ok := x.(map[string]any)
			if ok && m["type"] == c.Condition {
				return m["status"] == want, nil
			}
		}
		return false, nil
	case c.Terminating:
		return obj.GetDeletionTimestamp() != nil, nil
	case c.Path != "" && c.Equals != nil:
		v, err := jsonPathValue(obj, c.Path)
		return err == nil && v == *c.Equals, err
	}
	return false, fmt.Errorf("observed check on %s has no state", c.Name)
}

// evalRelative evaluates one relative check against the observer.
func evalRelative(f *fetcher, o *StepObserver, i int, c Check, m messages) (bool, string, error) {
	cm := changeMessagesFor(m)
	if o == nil {
		return false, cm.noBaseline, nil
	}
	switch {
	case c.Changed != nil:
		return evalChanged(f, o, i, c.Changed, cm)
	case c.Event != nil:
		return evalEvent(f, o, c.Event, cm)
	case c.Observed != nil:
		o.mu.Lock()
		seen, err := o.seen[i], o.watchErr[i]
		o.mu.Unlock()
		if seen {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		return false, cm.notObserved(c.Observed.Name, observedWhat(c.Observed, cm)), nil
	case c.Output != nil:
		want := trimKubectl(splitOr(c.Output.Command))
		o.mu.Lock()
		defer o.mu.Unlock()
		ran := false
		for _, r := range o.ran {
			if !hasPrefix(r.words, want) {
				continue
			}
			ran = true
			if strings.Contains(r.output, c.Output.Contains) {
				return true, "", nil
			}
		}
		if ran {
			return false, cm.outputMissing(c.Output.Command, c.Output.Contains), nil
		}
		return false, cm.notRun(c.Output.Command), nil
	}
	return false, "", fmt.Errorf("not a relative check")
}

func splitOr(line string) []string {
	w, err := engine.SplitCommandLine(line)
	if err != nil {
		return strings.Fields(line)
	}
	return w
}

// hasPrefix compares command words, a resource's short and long names alike (sts and
// statefulset), since a learner may type either.
func hasPrefix(words, prefix []string) bool {
	if len(prefix) == 0 || len(words) < len(prefix) {
		return false
	}
	for i := range prefix {
		if canonicalWord(words[i]) != canonicalWord(prefix[i]) {
			return false
		}
	}
	return true
}

func canonicalWord(w string) string {
	if info, ok := ResolveResource(w); ok {
		return info.Name
	}
	return w
}

func evalChanged(f *fetcher, o *StepObserver, i int, c *ChangedCheck, cm changeMessages) (bool, string, error) {
	o.mu.Lock()
	start, err := o.snaps[i], o.snapErr[i]
	o.mu.Unlock()
	if err != nil {
		return false, "", err
	}
	info, _ := ResolveResource(c.Resource)
	what := info.Name + "/" + c.Name
	now, err := snapOf(f, c)
	if err != nil {
		return false, "", err
	}
	switch c.How {
	case "created":
		if now.exists && (!start.exists || now.uid != start.uid) {
			return true, "", nil
		}
		if !now.exists {
			return false, cm.notCreated(what), nil
		}
		return false, cm.sameObject(what), nil
	case "deleted":
		if start.exists && (!now.exists || now.uid != start.uid) {
			return true, "", nil
		}
		if !start.exists {
			return false, cm.absentAtStart(what), nil
		}
		return false, cm.sameObject(what), nil
	case "recreated":
		if start.exists && now.exists && now.uid != start.uid {
			return true, "", nil
		}
		switch {
		case !start.exists:
			return false, cm.absentAtStart(what), nil
		case !now.exists:
			return false, cm.notBackYet(what), nil
		}
		return false, cm.sameObject(what), nil
	case "generation":
		if start.exists && now.exists && now.uid == start.uid && now.generation > start.generation {
			return true, "", nil
		}
		if !now.exists {
			return false, cm.gone(what), nil
		}
		return false, cm.specUnchanged(what, now.generation), nil
	case "field":
		if now.exists && now.field != start.field {
			return true, "", nil
		}
		if !now.exists {
			return false, cm.gone(what), nil
		}
		return false, cm.fieldUnchanged(c.Path, what, now.field), nil
	}
	return false, "", fmt.Errorf("changed check on %s: unknown how %q", what, c.How)
}

func evalEvent(f *fetcher, o *StepObserver, c *EventCheck, cm changeMessages) (bool, string, error) {
	o.mu.Lock()
	start, err := o.events, o.eventsErr
	o.mu.Unlock()
	if err != nil {
		return false, "", err
	}
	list, err := f.dyn.Resource(eventsGVR).Namespace(f.ns).List(f.ctx, metav1.ListOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return false, cm.noEvent(eventWhat(c)), nil
		}
		return false, "", fmt.Errorf("list events: %v", err)
	}
	for i := range list.Items {
		e := &list.Items[i]
		if !eventMatches(e, c) {
			continue
		}
		before, had := start[string(e.GetUID())]
		if !had || eventCount(e) > before {
			return true, "", nil
		}
	}
	return false, cm.noEvent(eventWhat(c)), nil
}

func eventMatches(e *unstructured.Unstructured, c *EventCheck) bool {
	if r, _, _ := unstructured.NestedString(e.Object, "reason"); r != c.Reason {
		return false
	}
	if c.Kind != "" {
		if k, _, _ := unstructured.NestedString(e.Object, "involvedObject", "kind"); !strings.EqualFold(k, c.Kind) {
			return false
		}
	}
	if c.Name != "" {
		if n, _, _ := unstructured.NestedString(e.Object, "involvedObject", "name"); n != c.Name {
			return false
		}
	}
	if c.Message != "" {
		if msg, _, _ := unstructured.NestedString(e.Object, "message"); !strings.Contains(msg, c.Message) {
			return false
		}
	}
	return true
}

func eventWhat(c *EventCheck) string {
	w := c.Reason
	if c.Kind != "" || c.Name != "" {
		w += " (" + strings.TrimPrefix(c.Kind+"/"+c.Name, "/") + ")"
	}
	return w
}

func observedWhat(c *ObservedCheck, cm changeMessages) string {
	switch {
	case c.Phase != "":
		return c.Phase
	case c.Condition != "":
		st := c.Status
		if st == "" {
			st = "True"
		}
		return c.Condition + "=" + st
	case c.Terminating:
		return cm.terminating
	case c.Equals != nil:
		return c.Path + " = " + fmt.Sprintf("%q", *c.Equals)
	}
	return "?"
}

// lintRelative checks the fields of the relative check kinds.
func lintRelative(c Check) []fieldMsg {
	var out []fieldMsg
	add := func(field, format string, a ...any) {
		out = append(out, fieldMsg{field, fmt.Sprintf(format, a...)})
	}
	switch {
	case c.Changed != nil:
		k := c.Changed
		if _, ok := ResolveResource(k.Resource); !ok {
			add("changed.resource", "unknown resource %q", k.Resource)
		}
		if k.Name == "" {
			add("changed.name", "required")
		}
		switch k.How {
		case "created", "deleted", "recreated", "generation":
			if k.Path != "" {
				add("changed.path", "only how: field takes a path")
			}
		case "field":
			if k.Path == "" {
				add("changed.path", "required with how: field")
			} else if err := lintJSONPath(k.Path); err != nil {
				add("changed.path", "%v", err)
			}
		default:
			add("changed.how", "%q: want one of created, deleted, recreated, generation, field", k.How)
		}
	case c.Event != nil:
		if strings.TrimSpace(c.Event.Reason) == "" {
			add("event.reason", "required, e.g. Killing or SuccessfulDelete")
		}
	case c.Observed != nil:
		k := c.Observed
		info, ok := ResolveResource(k.resource())
		if !ok {
			add("observed.resource", "unknown resource %q", k.Resource)
		}
		if k.Name == "" {
			add("observed.name", "required")
		}
		n := 0
		for _, set := range []bool{k.Phase != "", k.Condition != "", k.Terminating, k.Path != ""} {
			if set {
				n++
			}
		}
		if n != 1 {
			add("observed", "want exactly one of phase, condition, terminating, path; have %d", n)
		}
		if k.Status != "" && k.Condition == "" {
			add("observed.status", "only with condition")
		}
		if (k.Path != "") != (k.Equals != nil) {
			add("observed.equals", "path and equals go together")
		}
		if k.Path != "" {
			if err := lintJSONPath(k.Path); err != nil {
				add("observed.path", "%v", err)
			}
		}
		if k.Phase != "" && ok && info.Name != "pods" && info.Name != "persistentvolumeclaims" && info.Name != "persistentvolumes" && info.Name != "namespaces" {
			add("observed.phase", "%s have no status.phase", info.Name)
		}
	case c.Output != nil:
		k := c.Output
		words, err := engine.SplitCommandLine(k.Command)
		if err != nil || len(words) < 2 || words[0] != "kubectl" {
			add("output.command", "want a kubectl command line, have %q", k.Command)
		} else if ChangesCluster(k.Command) && !throwawayRun(k.Command) {
			add("output.command", "%q changes the cluster: check what it changed instead (changed, event, observed)", k.Command)
		}
		if strings.TrimSpace(k.Contains) == "" {
			add("output.contains", "required: text the command's output must show")
		}
	}
	return out
}
