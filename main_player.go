package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// liveSession is the player's cluster: a simulator session that Reset replaces with a fresh
// one, so "reset this lesson" really starts from an empty cluster. Every call goes to the
// current session.
type liveSession struct {
	mu     sync.RWMutex
	s      *engine.Session
	opts   engine.SimOptions
	logger *log.Logger
	// kubeconfig is the learner's kubeconfig file; Reset rewrites it if it exists, so their
	// own kubectl follows the new simulator.
	kubeconfig string
}

func (l *liveSession) cur() *engine.Session {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.s
}

func (l *liveSession) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return l.cur().RunKubectl(ctx, line, in, out, errOut)
}

func (l *liveSession) WatchTable(ctx context.Context, resource, selector string) (<-chan engine.TableEvent, error) {
	return l.cur().WatchTable(ctx, resource, selector)
}

func (l *liveSession) Label() string                      { return l.cur().Label() }
func (l *liveSession) Namespace() string                  { return l.cur().Namespace() }
func (l *liveSession) Sim() engine.SimControl             { return l.cur().Sim() }
func (l *liveSession) Now() time.Time                     { return l.cur().Now() }
func (l *liveSession) WriteKubeconfig(path string) error  { return l.cur().WriteKubeconfig(path) }
func (l *liveSession) WaitIdle(ctx context.Context) error { return l.cur().WaitIdle(ctx) }

func (l *liveSession) evaluate(ctx context.Context, st lessons.Step) []lessons.CheckResult {
	return lessons.Evaluate(ctx, l.cur(), st)
}

// list reads a resource's objects for the watch pane's picture views.
func (l *liveSession) list(ctx context.Context, resource, selector string) ([]unstructured.Unstructured, error) {
	s := l.cur()
	info, ok := lessons.ResolveResource(resource)
	if !ok {
		return nil, fmt.Errorf("unknown resource %q", resource)
	}
	ri := s.Dynamic().Resource(info.GVR)
	var res *unstructured.UnstructuredList
	var err error
	if info.Namespaced {
		res, err = ri.Namespace(s.Namespace()).List(ctx, metav1.ListOptions{LabelSelector: selector})
	} else {
		res, err = ri.List(ctx, metav1.ListOptions{LabelSelector: selector})
	}
	if err != nil {
		return nil, err
	}
	return res.Items, nil
}

// watchObjects lists then watches full objects, for showing a stream row's object as it
// was. It relists when the server ends the watch, until ctx ends.
func (l *liveSession) watchObjects(ctx context.Context, resource, selector string) (<-chan tui.ObjectEvent, error) {
	s := l.cur()
	info, ok := lessons.ResolveResource(resource)
	if !ok && resource != "events" {
		return nil, fmt.Errorf("unknown resource %q", resource)
	}
	if resource == "events" {
		info = lessons.ResourceInfo{GVR: schema.GroupVersionResource{Version: "v1", Resource: "events"}, Namespaced: true}
	}
	var ri dynamic.ResourceInterface = s.Dynamic().Resource(info.GVR)
	if info.Namespaced {
		ri = s.Dynamic().Resource(info.GVR).Namespace(s.Namespace())
	}
	out := make(chan tui.ObjectEvent, 64)
	send := func(ev tui.ObjectEvent) bool {
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(out)
		for ctx.Err() == nil {
			list, err := ri.List(ctx, metav1.ListOptions{LabelSelector: selector})
			if err != nil {
				if !send(tui.ObjectEvent{Type: "ERROR", Err: err}) {
					return
				}
				select {
				case <-time.After(2 * time.Second):
				case <-ctx.Done():
				}
				continue
			}
			for i := range list.Items {
				if !send(tui.ObjectEvent{Type: "ADDED", Object: &list.Items[i]}) {
					return
				}
			}
			w, err := ri.Watch(ctx, metav1.ListOptions{LabelSelector: selector, ResourceVersion: list.GetResourceVersion()})
			if err != nil {
				pause(ctx)
				continue
			}
			for ev := range w.ResultChan() {
				if o, ok := ev.Object.(*unstructured.Unstructured); ok {
					if !send(tui.ObjectEvent{Type: string(ev.Type), Object: o}) {
						w.Stop()
						return
					}
				}
			}
			w.Stop()
			pause(ctx) // the server ended the watch: relist, without spinning
		}
	}()
	return out, nil
}

func pause(ctx context.Context) {
	select {
	case <-time.After(500 * time.Millisecond):
	case <-ctx.Done():
	}
}

// reset starts a fresh simulator, swaps it in and stops the old one.
func (l *liveSession) reset(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	fresh, err := engine.NewSimSession(sctx, l.opts)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.s
	l.s = fresh
	l.mu.Unlock()
	old.Close()
	if l.kubeconfig != "" {
		if _, err := os.Stat(l.kubeconfig); err == nil {
			if err := fresh.WriteKubeconfig(l.kubeconfig); err != nil {
				l.logger.Printf("rewriting %s after a reset: %v", l.kubeconfig, err)
			}
		}
	}
	l.logger.Printf("fresh simulator after a reset")
	return nil
}

func (l *liveSession) Close() { l.cur().Close() }

// openProgress opens the learner's progress file; a file set aside comes back as a warning,
// an unusable state directory as an in-memory store (progress then lasts one run).
func openProgress(logger *log.Logger) (*progress.Store, string) {
	path, err := progress.DefaultPath()
	if err != nil {
		logger.Printf("progress: %v", err)
		return progress.Memory(), err.Error()
	}
	store, warn, err := progress.Open(path)
	if err != nil {
		logger.Printf("progress: %v", err)
		return store, err.Error()
	}
	if warn != "" {
		logger.Printf("progress: %s", warn)
	}
	return store, warn
}

// playerOptions fills the learning-tool parts of the player's options.
func playerOptions(o *tui.Options, live *liveSession, c config, logger *log.Logger) {
	o.Progress, o.ProgressWarning = openProgress(logger)
	o.LessonsFor = func(lang string) []lessons.Lesson {
		lc := c
		lc.lang = lang
		ls, err := loadCatalog(lc) // built-in lessons and --lessons DIR
		if err != nil {
			return nil
		}
		return ls
	}
	o.Reset = live.reset
	o.Simulate = func(ctx context.Context, st lessons.Step) (string, error) {
		return lessons.RunSimulate(ctx, live.cur(), st)
	}
	o.List = live.list
	o.WatchObjects = live.watchObjects
	o.Present = c.present
}

// progressCmd is `kubetutor progress export FILE | import FILE | reset | path`.
func progressCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"progress needs a command: export FILE, import FILE, path or reset"}
	}
	path, err := progress.DefaultPath()
	if err != nil {
		return err
	}
	need := func(n int) error {
		if len(args) != n {
			return usageError{fmt.Sprintf("progress %s takes %d argument(s)", args[0], n-1)}
		}
		return nil
	}
	open := func() (*progress.Store, error) {
		s, warn, err := progress.Open(path)
		if err != nil {
			return nil, err
		}
		if warn != "" {
			fmt.Fprintf(stdout, "note: %s\n", warn)
		}
		return s, nil
	}
	switch args[0] {
	case "path":
		if err := need(1); err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
	case "export":
		if err := need(2); err != nil {
			return err
		}
		s, err := open()
		if err != nil {
			return err
		}
		if err := s.Export(args[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Progress written to %s.\n", args[1])
	case "import":
		if err := need(2); err != nil {
			return err
		}
		s, err := open()
		if err != nil {
			return err
		}
		return progressImport(s, args[1], stdout)
	case "reset":
		if err := need(1); err != nil {
			return err
		}
		s, err := open()
		if err != nil {
			return err
		}
		return progressReset(s, stdout)
	default:
		return usageError{fmt.Sprintf("unknown progress command %q (known: export, import, path, reset)", args[0])}
	}
	return nil
}

// demoOptions makes the player open one lesson and play it by itself.
func demoOptions(o *tui.Options, id string) error {
	for _, l := range o.Lessons {
		if l.ID == id {
			o.Demo = id
			return nil
		}
	}
	var ids []string
	for _, l := range o.Lessons {
		ids = append(ids, l.ID)
	}
	return usageError{fmt.Sprintf("no lesson %q (lessons: %v)", id, ids)}
}

// runPlain runs the line-by-line player.
func runPlain(ctx context.Context, o tui.Options, in io.Reader, out io.Writer) error {
	return tui.RunPlain(ctx, o, in, out)
}
