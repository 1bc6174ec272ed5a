// Package engine is how the player and the lessons reach a cluster: everything goes through
// client-go on a *rest.Config, whether the cluster is the embedded simulator or a real one.
package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim"
	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/manifests"
)

// SimOptions configure an embedded simulator session.
type SimOptions struct {
	Clock clock.WithTicker // nil: real clock
	// Fake, when set, is the fake clock the simulator runs on (tests). With AutoAdvance the
	// simulator jumps it to the next due action whenever it has nothing else to do, so a whole
	// lesson plays in milliseconds and in a repeatable order.
	Fake        *testingclock.FakeClock
	AutoAdvance bool
	Speed       float64 // 1 is the real pace; 0 means 1
	Seed        int64
	// Logf, when set, receives the simulator's diagnostic log lines (never the terminal).
	Logf func(format string, args ...any)
	// Runner runs what kubectl exec and attach ask of a container; nil: nothing runs and
	// every command succeeds silently (container.Nop).
	Runner container.Runner
	// MaxReplicas and MaxObjects cap the simulator (--max-replicas, --max-objects); 0 means
	// the defaults, 1000 replicas per workload and 20000 objects.
	MaxReplicas, MaxObjects int
	// MaxBytes caps the simulator's object data and MaxRun one command in a container (a
	// classroom's per-student caps); 0: no cap.
	MaxBytes int64
	MaxRun   time.Duration
}

// KubeconfigOptions select a real cluster as kubectl does.
type KubeconfigOptions struct {
	Path      string // --kubeconfig; "" uses KUBECONFIG and ~/.kube/config
	Context   string
	Namespace string
}

// SimControl is what only a simulator can do. Nil on a real cluster.
type SimControl interface {
	Pause()
	Resume()
	Paused() bool
	StepOnce() bool // run one pending controller action; false if none
	SetSpeed(float64)
	Speed() float64
}

// SimFaults is failure injection a simulator offers besides SimControl; the SimControl of a
// simulator session implements it too (`if f, ok := s.Sim().(engine.SimFaults); ok`). It is a
// separate interface so existing SimControl implementations stay valid.
type SimFaults interface {
	// FailNode cuts a node off the network: NotReady after the node-monitor grace period, its
	// pods deleted after their 300s toleration but stuck Terminating. RecoverNode reconnects it.
	FailNode(name string) error
	RecoverNode(name string) error
	// ExitContainer makes a running container's process exit with code (a crash).
	ExitContainer(namespace, pod, container string, code int) error
}

var _ SimFaults = (*sim.Sim)(nil)

// TableEvent is one row change of a watched resource, as `kubectl get -w` sees it.
//
// The stream a UI sees: LIST rows of the initial list (one TableEvent{Type: "LIST", Name: ""}
// when the list is empty, so the UI knows it has loaded), then ADDED / MODIFIED / DELETED rows.
// After a gap the watch could not bridge (410 Gone) it sends RESYNC (drop every row you hold)
// followed by the LIST rows of a fresh list (again with the empty marker when there are none).
// ERROR events report a failure (Err set); the watch keeps retrying until its context ends.
type TableEvent struct {
	// Type is "LIST" for rows of the initial list, then "ADDED", "MODIFIED", "DELETED";
	// "ERROR" when the watch failed (Err set); "RESYNC" when it relisted after a gap.
	Type    string
	Columns []string // column names, upper case, priority-0 columns only (kubectl without -o wide)
	Name    string
	Cells   []string // same length as Columns
	Err     error

	// ResourceVersion of the row's object ("" on marker and ERROR events); a UI can use it to
	// ignore a row older than the one it shows.
	ResourceVersion string
	// Created is the object's creationTimestamp, so a UI can keep an AGE column ticking
	// between events (the server's AGE cell is a snapshot).
	Created time.Time
	// Object is the row's whole object as the server sent it (JSON, not decoded), so a UI
	// can show the version a row printed without a second watch of the same objects; nil
	// when the server left it out.
	Object json.RawMessage
}

// Session is one connection to a cluster.
type Session struct {
	cfg   *rest.Config
	kube  kubernetes.Interface
	dyn   dynamic.Interface
	ns    string
	label string
	sim   *sim.Sim // nil on a real cluster
	clk   clock.WithTicker

	// dir holds this session's files: the simulator's kubeconfig, the manifests that
	// `kubectl -f web.yaml` resolves to, and kubectl's discovery cache.
	dir string
	// kubeconfig and kubeContext are what the in-process kubectl loads; kubeconfig "" means
	// kubectl's default loading rules (KUBECONFIG, ~/.kube/config).
	kubeconfig  string
	kubeContext string

	stopSim context.CancelFunc

	mapperOnce sync.Once
	mapper     meta.RESTMapper
	discoMem   discovery.CachedDiscoveryInterface
	mapperErr  error

	closeOnce sync.Once

	real realState // a lesson's namespace on a real cluster (realcluster.go)

	runs runTracker // this session's kubectl runs (kubectl.go)
	// requestHook, when set (tests), sees every request an in-process kubectl run makes.
	requestHook atomic.Pointer[func(*http.Request)]
	// kubectlOwnRuns, when set (tests), keeps kubectl's own Run for the subcommands whose
	// waits kubectl_waits.go puts on the run's context, and for apply (kubectl_openapi.go),
	// to compare the two.
	kubectlOwnRuns atomic.Bool
}

// NewSimSession starts an embedded simulator in-process and connects to it in namespace
// "default". The simulator lives until Close, not until ctx ends; ctx only bounds startup.
func NewSimSession(ctx context.Context, o SimOptions) (*Session, error) {
	clk := o.Clock
	if o.Fake != nil {
		clk = o.Fake
	}
	if clk == nil {
		clk = clock.RealClock{}
	}
	s, err := newSessionDir()
	if err != nil {
		return nil, err
	}
	s.ns = "default"
	s.label = "simulator"
	s.clk = clk

	sm, err := sim.New(sim.Config{
		Clock:       o.Clock,
		Fake:        o.Fake,
		AutoAdvance: o.AutoAdvance,
		Speed:       o.Speed,
		Seed:        o.Seed,
		Addr:        "127.0.0.1:0",
		Logf:        o.Logf,
		Runner:      o.Runner,
		MaxReplicas: o.MaxReplicas,
		MaxObjects:  o.MaxObjects,
		MaxBytes:    o.MaxBytes,
		MaxRun:      o.MaxRun,
	})
	if err != nil {
		s.removeDir()
		return nil, fmt.Errorf("engine: creating simulator: %w", err)
	}
	// The simulator outlives the caller's ctx (often a startup timeout); Close stops it.
	simCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	if err := sm.Start(simCtx); err != nil {
		stop()
		sm.Close()
		s.removeDir()
		return nil, fmt.Errorf("engine: starting simulator: %w", err)
	}
	s.sim = sm
	s.stopSim = stop

	cfg := rest.CopyConfig(sm.RESTConfig())
	// The simulator is local: client-side throttling would only slow lessons down.
	cfg.QPS, cfg.Burst = 200, 400
	if err := s.setConfig(cfg); err != nil {
		s.Close()
		return nil, err
	}
	s.kubeconfig = filepath.Join(s.dir, "kubeconfig")
	s.kubeContext = "kubetutor"
	if err := s.WriteKubeconfig(s.kubeconfig); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// NewKubeconfigSession connects to a real cluster the way kubectl picks one: Path (or
// KUBECONFIG, then ~/.kube/config), Context overriding the current context, Namespace
// overriding the context's namespace (then "default"). It checks that the server answers.
func NewKubeconfigSession(ctx context.Context, o KubeconfigOptions) (*Session, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Path
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	overrides.Context.Namespace = o.Namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)

	raw, err := cc.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("engine: reading kubeconfig: %w", err)
	}
	ctxName := o.Context
	if ctxName == "" {
		ctxName = raw.CurrentContext
	}
	if ctxName != "" {
		if _, ok := raw.Contexts[ctxName]; !ok {
			return nil, fmt.Errorf("engine: kubeconfig has no context %q", ctxName)
		}
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("engine: kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("engine: kubeconfig namespace: %w", err)
	}

	s, err := newSessionDir()
	if err != nil {
		return nil, err
	}
	s.ns = ns
	s.label = ctxName
	if s.label == "" {
		s.label = cfg.Host
	}
	s.clk = clock.RealClock{}
	s.kubeconfig = o.Path
	s.kubeContext = ctxName
	if err := s.setConfig(cfg); err != nil {
		s.Close()
		return nil, err
	}

	// Fail now, with the server's address in the message, rather than on the first lesson step.
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := s.kube.Discovery().RESTClient().Get().AbsPath("/version").Do(pingCtx).Error(); err != nil {
		s.Close()
		return nil, fmt.Errorf("engine: cannot reach the cluster of context %q at %s: %w", ctxName, cfg.Host, err)
	}
	return s, nil
}

func newSessionDir() (*Session, error) {
	dir, err := os.MkdirTemp("", "kubetutor-session-")
	if err != nil {
		return nil, fmt.Errorf("engine: session directory: %w", err)
	}
	s := &Session{dir: dir}
	if err := s.writeManifests(); err != nil {
		s.removeDir()
		return nil, err
	}
	return s, nil
}

// writeManifests puts the embedded manifests on disk, where the in-process kubectl reads them.
func (s *Session) writeManifests() error {
	mdir := filepath.Join(s.dir, "manifests")
	if err := os.MkdirAll(mdir, 0o700); err != nil {
		return fmt.Errorf("engine: manifests directory: %w", err)
	}
	for _, name := range manifests.Names() {
		b, err := manifests.Read(name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(mdir, name), b, 0o600); err != nil {
			return fmt.Errorf("engine: writing manifest %s: %w", name, err)
		}
	}
	return nil
}

func (s *Session) manifestPath(name string) string {
	return filepath.Join(s.dir, "manifests", name)
}

func (s *Session) setConfig(cfg *rest.Config) error {
	// The session's own clients log server warnings: client-go's process-wide default handler
	// is whatever an in-process kubectl run last set it to, another session's output maybe.
	cfg.WarningHandler = rest.WarningLogger{}
	cfg.WarningHandlerWithContext = nil
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("engine: typed client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("engine: dynamic client: %w", err)
	}
	s.cfg, s.kube, s.dyn = cfg, kube, dyn
	return nil
}

func (s *Session) removeDir() {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

// RESTConfig returns a copy of the session's client configuration.
func (s *Session) RESTConfig() *rest.Config { return rest.CopyConfig(s.cfg) }

// Kube is the typed client.
func (s *Session) Kube() kubernetes.Interface { return s.kube }

// Dynamic is the dynamic client.
func (s *Session) Dynamic() dynamic.Interface { return s.dyn }

// Namespace is where lessons work and where kubectl runs by default.
func (s *Session) Namespace() string { return s.ns }

// Label names the cluster for the UI: "simulator" or the kubeconfig context.
func (s *Session) Label() string { return s.label }

// Sim offers the simulator's controls; nil on a real cluster.
func (s *Session) Sim() SimControl {
	if s.sim == nil {
		return nil
	}
	return s.sim
}

// Revision is the simulator's resourceVersion counter, which every write to the cluster
// moves; ok is false on a real cluster. The player compares it between ticks so it re-reads
// a step's checks only when something changed, and sits idle otherwise.
func (s *Session) Revision() (rev uint64, ok bool) {
	if s.sim == nil {
		return 0, false
	}
	return s.sim.Store().ResourceVersion(), true
}

// Now is the cluster's current time, for ages computed between events: the simulator's
// clock (which may be a fake one) in a simulator session, the local clock on a real cluster.
func (s *Session) Now() time.Time {
	if s.sim != nil {
		return s.sim.Now()
	}
	return time.Now()
}

// WaitIdle returns once the simulator has nothing left to do right now (every controller
// settled, every due timer fired). On a real cluster it returns at once: there is no way to
// know, and callers there wait on watches instead.
func (s *Session) WaitIdle(ctx context.Context) error {
	if s.sim == nil {
		return nil
	}
	return s.sim.WaitIdle(ctx)
}

// Close stops the simulator (if any) and removes the session's files. Safe to call twice.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		if s.stopSim != nil {
			s.stopSim()
		}
		if s.sim != nil {
			s.sim.Close()
		}
		s.removeDir()
	})
}

// restMapper resolves resource names and short names (po, sts, pvc) through discovery,
// cached in memory for the session.
func (s *Session) restMapper() (meta.RESTMapper, discovery.CachedDiscoveryInterface, error) {
	s.mapperOnce.Do(func() {
		dc, err := discovery.NewDiscoveryClientForConfig(s.cfg)
		if err != nil {
			s.mapperErr = fmt.Errorf("engine: discovery client: %w", err)
			return
		}
		s.discoMem = memory.NewMemCacheClient(dc)
		deferred := restmapper.NewDeferredDiscoveryRESTMapper(s.discoMem)
		s.mapper = restmapper.NewShortcutExpander(deferred, s.discoMem, nil)
	})
	return s.mapper, s.discoMem, s.mapperErr
}
