// Package conformance compares kubetutor's simulator with a real Kubernetes control plane (the
// kit, ./kit) and tests kubetutor's real-cluster mode against that control plane. It is its
// own Go module because k8s.io/kubernetes is large: the main module never builds it.
package conformance

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kubetutor/kubetutor/engine"
)

// Row is one line `kubectl get -w` would print, with what varies between runs left out.
type Row struct {
	Step   string
	Type   string // ADDED, MODIFIED, DELETED
	Name   string
	Cells  string // the compared columns, e.g. "READY=1/1 STATUS=Running"
	RV     string
	Events int
}

func (r Row) String() string { return fmt.Sprintf("%-8s %-6s %s", r.Type, r.Name, r.Cells) }

// Recorder keeps the rows of one WatchTable stream, labelled with the step that was running.
type Recorder struct {
	mu      sync.Mutex
	step    string
	rows    []Row
	last    map[string]string // name -> resourceVersion of the newest row (deleted: gone)
	cols    []string
	errors  []error
	resyncs int
}

// Record watches resource/selector on s and records the rows; cols names the columns kept.
func Record(ctx context.Context, s *engine.Session, resource, selector string, cols ...string) (*Recorder, error) {
	ch, err := s.WatchTable(ctx, resource, selector)
	if err != nil {
		return nil, err
	}
	r := &Recorder{last: map[string]string{}, cols: cols}
	go func() {
		for ev := range ch {
			r.add(ev)
		}
	}()
	return r, nil
}

func (r *Recorder) add(ev engine.TableEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev.Type {
	case "ERROR":
		r.errors = append(r.errors, ev.Err)
		return
	case "RESYNC":
		r.resyncs++
		r.last = map[string]string{}
		return
	}
	if ev.Name == "" {
		return // the empty-list marker
	}
	var cells []string
	for _, c := range r.cols {
		for i, name := range ev.Columns {
			if name == c && i < len(ev.Cells) {
				cells = append(cells, c+"="+ev.Cells[i])
			}
		}
	}
	if ev.Type == "DELETED" {
		delete(r.last, ev.Name)
	} else {
		r.last[ev.Name] = ev.ResourceVersion
	}
	if ev.Type == "LIST" {
		return
	}
	r.rows = append(r.rows, Row{Step: r.step, Type: ev.Type, Name: ev.Name, Cells: strings.Join(cells, " "), RV: ev.ResourceVersion})
}

// SetStep labels the rows that come next.
func (r *Recorder) SetStep(step string) {
	r.mu.Lock()
	r.step = step
	r.mu.Unlock()
}

// Rows returns the rows recorded during step ("" for all).
func (r *Recorder) Rows(step string) []Row {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Row
	for _, row := range r.rows {
		if step == "" || row.Step == step {
			out = append(out, row)
		}
	}
	return out
}

// Errors returns the ERROR events seen and how many RESYNCs happened.
func (r *Recorder) Errors() ([]error, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errors...), r.resyncs
}

// CaughtUp waits until the recorder holds the same objects at the same versions as list
// (name -> resourceVersion): every event up to now has arrived.
func (r *Recorder) CaughtUp(ctx context.Context, list func(context.Context) (map[string]string, error)) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		want, err := list(ctx)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(want) != len(r.last) {
			last = fmt.Sprintf("have %v, server has %v", r.last, want)
			return false, nil
		}
		for k, v := range want {
			if r.last[k] != v {
				last = fmt.Sprintf("have %v, server has %v", r.last, want)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("watch did not catch up: %s: %w", last, err)
	}
	return nil
}

// PodVersions lists pods matching selector as name -> resourceVersion.
func PodVersions(s *engine.Session, selector string) func(context.Context) (map[string]string, error) {
	return func(ctx context.Context) (map[string]string, error) {
		l, err := s.Kube().CoreV1().Pods(s.Namespace()).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for _, p := range l.Items {
			out[p.Name] = p.ResourceVersion
		}
		return out, nil
	}
}

// PVCVersions lists claims matching selector as name -> resourceVersion.
func PVCVersions(s *engine.Session, selector string) func(context.Context) (map[string]string, error) {
	return func(ctx context.Context) (map[string]string, error) {
		l, err := s.Kube().CoreV1().PersistentVolumeClaims(s.Namespace()).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for _, p := range l.Items {
			out[p.Name] = p.ResourceVersion
		}
		return out, nil
	}
}

// Settled waits until the StatefulSets and pods of the session's namespace are at rest: no
// pod being deleted or starting, every set's controller has seen its spec and has the pods
// it wants, and claims are bound. On a real cluster this is how "the learner waited for the
// command to take effect" is known; the simulator says so itself (WaitIdle).
func Settled(ctx context.Context, s *engine.Session) error {
	if s.Sim() != nil {
		return s.WaitIdle(ctx)
	}
	var why string
	err := wait.PollUntilContextTimeout(ctx, 25*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		why = atRest(ctx, s)
		return why == "", nil
	})
	if err != nil {
		return fmt.Errorf("cluster did not settle: %s: %w", why, err)
	}
	return nil
}

func atRest(ctx context.Context, s *engine.Session) string {
	ns := s.Namespace()
	pods, err := s.Kube().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			return p.Name + " is terminating"
		}
		if p.Status.Phase != corev1.PodRunning || !podReady(&p) {
			return p.Name + " is not Running and Ready"
		}
	}
	pvcs, err := s.Kube().CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	for _, c := range pvcs.Items {
		if c.Status.Phase != corev1.ClaimBound {
			return c.Name + " is not Bound"
		}
		if c.DeletionTimestamp != nil {
			return c.Name + " is terminating"
		}
	}
	sets, err := s.Kube().AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	for _, st := range sets.Items {
		want := int32(1)
		if st.Spec.Replicas != nil {
			want = *st.Spec.Replicas
		}
		partition := int32(0)
		if ru := st.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.Partition != nil {
			partition = min(*ru.Partition, want)
		}
		ss := st.Status
		switch {
		case st.DeletionTimestamp != nil:
			return st.Name + " is being deleted"
		case ss.ObservedGeneration < st.Generation:
			return st.Name + ": controller has not seen the newest spec"
		case ss.Replicas != want || ss.ReadyReplicas != want:
			return fmt.Sprintf("%s: %d/%d ready of %d", st.Name, ss.ReadyReplicas, ss.Replicas, want)
		case st.Spec.UpdateStrategy.Type != "OnDelete" && ss.UpdatedReplicas < want-partition:
			return fmt.Sprintf("%s: %d updated, want %d", st.Name, ss.UpdatedReplicas, want-partition)
		}
	}
	return ""
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

var (
	ageRE  = regexp.MustCompile(`\b(\d+d)?(\d+h)?(\d+m)?(\d+s)?\b`)
	hashRE = regexp.MustCompile(`\b(web)-[0-9a-f]{8,10}\b`)
	uidRE  = regexp.MustCompile(`pvc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	wsRE   = regexp.MustCompile(`[ \t]+`)
)

// NormalizeOutput masks what differs between any two clusters in kubectl's output: ages,
// generated volume names, and column padding (which follows the masked widths).
func NormalizeOutput(s string) string {
	s = uidRE.ReplaceAllString(s, "pvc-<uid>")
	s = ageRE.ReplaceAllStringFunc(s, func(m string) string {
		if m == "" || !strings.ContainsAny(m, "dhms") {
			return m
		}
		return "<age>"
	})
	s = wsRE.ReplaceAllString(s, " ")
	return s
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
