package tui

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// -update rewrites testdata/*.golden. teatest's golden package already defines the flag;
// define it only when that package is absent, and read it by name.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite testdata/*.golden")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestMain(m *testing.M) {
	// Plain text, and a fixed background guess, so goldens do not depend on the terminal.
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	os.Exit(m.Run())
}

// fakeCluster runs scripted commands and hands out watch channels the test feeds.
type fakeCluster struct {
	mu      sync.Mutex
	ran     []string
	outputs map[string]string
	fail    map[string]int // line → exit code
	applied bool
	watches []fakeWatch
	// onRun, when set, is called (outside the lock) after a command ran, e.g. to push
	// watch events as the simulator would.
	onRun func(line string)
	now   time.Time // the cluster clock; tests move it
	// kubeconfigs are the paths WriteKubeconfig wrote; kubeconfigErr fails it.
	kubeconfigs   []string
	kubeconfigErr error
	// sim is the time control; real makes the cluster a real one (no Sim).
	sim  *fakeSim
	real bool
}

// fakeEpoch is the fake cluster's clock at start.
var fakeEpoch = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

type fakeWatch struct {
	resource, selector string
	ch                 chan engine.TableEvent
	ctx                context.Context
}

func newFakeCluster() *fakeCluster {
	return &fakeCluster{
		outputs: map[string]string{
			"kubectl apply -f web.yaml":          "service/nginx created\nstatefulset.apps/web created\n",
			"kubectl get statefulset web":        "NAME   READY   AGE\nweb    2/2     10s\n",
			"kubectl scale sts web --replicas=3": "statefulset.apps/web scaled\n",
		},
		fail: map[string]int{},
		now:  fakeEpoch,
		sim:  &fakeSim{speed: 2},
	}
}

func (f *fakeCluster) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeCluster) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func (f *fakeCluster) WriteKubeconfig(path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kubeconfigErr != nil {
		return f.kubeconfigErr
	}
	f.kubeconfigs = append(f.kubeconfigs, path)
	return nil
}

func (f *fakeCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	f.mu.Lock()
	f.ran = append(f.ran, line)
	if code, ok := f.fail[line]; ok {
		f.mu.Unlock()
		fmt.Fprintf(errOut, "Error from server (NotFound): not found\n")
		return &engine.KubectlError{Code: code}
	}
	if line == "kubectl apply -f web.yaml" {
		f.applied = true
	}
	o := f.outputs[line]
	hook := f.onRun
	f.mu.Unlock()
	io.WriteString(out, o)
	if hook != nil {
		hook(line)
	}
	return nil
}

func (f *fakeCluster) WatchTable(ctx context.Context, resource, selector string) (<-chan engine.TableEvent, error) {
	if resource == "bogus" {
		return nil, fmt.Errorf("engine: unknown resource %q", resource)
	}
	ch := make(chan engine.TableEvent, 64)
	// Like the engine: an empty initial list still sends one marker, so the pane knows it loaded.
	ch <- engine.TableEvent{Type: "LIST", Columns: podColumns}
	f.mu.Lock()
	f.watches = append(f.watches, fakeWatch{resource, selector, ch, ctx})
	f.mu.Unlock()
	return ch, nil
}

func (f *fakeCluster) lastWatch() fakeWatch {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.watches) == 0 {
		return fakeWatch{}
	}
	return f.watches[len(f.watches)-1]
}

func (f *fakeCluster) Label() string     { return "simulator" }
func (f *fakeCluster) Namespace() string { return "default" }
func (f *fakeCluster) Sim() engine.SimControl {
	if f.real {
		return nil
	}
	return f.sim
}

func (f *fakeCluster) isApplied() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied
}

// evaluator passes the "web exists" check once web.yaml was applied.
func (f *fakeCluster) evaluator() Evaluator {
	return func(ctx context.Context, st lessons.Step) []lessons.CheckResult {
		var out []lessons.CheckResult
		for _, c := range st.Checks {
			r := lessons.CheckResult{Desc: c.Desc, OK: f.isApplied()}
			if !r.OK {
				r.Detail = `statefulsets "web" not found`
			}
			out = append(out, r)
		}
		return out
	}
}

// fakeSim records time control; it starts at speed 2, running.
type fakeSim struct {
	mu     sync.Mutex
	paused bool
	speed  float64
	steps  int // StepOnce calls
	queued int // actions StepOnce can still run
}

func (s *fakeSim) Pause()  { s.mu.Lock(); s.paused = true; s.mu.Unlock() }
func (s *fakeSim) Resume() { s.mu.Lock(); s.paused = false; s.mu.Unlock() }
func (s *fakeSim) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}
func (s *fakeSim) StepOnce() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.steps++
	if s.queued > 0 {
		s.queued--
		return true
	}
	return false
}
func (s *fakeSim) SetSpeed(v float64) { s.mu.Lock(); s.speed = v; s.mu.Unlock() }
func (s *fakeSim) Speed() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.speed
}

var podColumns = []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}

func podEvent(typ, name, ready, status, age string) engine.TableEvent {
	return engine.TableEvent{Type: typ, Columns: podColumns, Name: name, Cells: []string{name, ready, status, "0", age}}
}

func ptr[T any](v T) *T { return &v }

// testLessons is a small two-language lesson shaped like the real catalog.
func testLessons(lang string) []lessons.Lesson {
	watch := lessons.Watch{Resource: "pods", Selector: "app=nginx"}
	exists := lessons.Check{Desc: "The StatefulSet web exists", JSONPath: &lessons.JSONPathCheck{Resource: "sts", Name: "web", Exists: ptr(true)}}
	cmds := []lessons.Command{
		{Line: "kubectl get pods -w -l app=nginx", NoRun: true},
		{Line: "kubectl apply -f web.yaml"},
		{Line: "kubectl get statefulset web"},
	}
	if lang == "ko" {
		exists.Desc = "스테이트풀셋 web이 있습니다"
		return []lessons.Lesson{{
			ID: "statefulset-basics", Lang: "ko", Title: "스테이트풀셋 기초", Level: "beginner", Minutes: 35,
			Summary: "작은 nginx 스테이트풀셋을 만들고 디플로이먼트와 무엇이 다른지 지켜봅니다: 고정된 이름으로 하나씩 만들어지는 파드, 파드보다 오래 남는 파드별 볼륨, 스케일링과 파티션을 이용한 단계적 업데이트.",
			Steps: []lessons.Step{
				{ID: "intro", Title: "스테이트풀셋이 약속하는 것", Watch: watch,
					Body: "대부분의 워크로드는 어느 파드가 요청에 답하는지 신경 쓰지 않습니다. **스테이트풀셋**은 각 파드에 다음을 줍니다:\n\n- **순번**과 그로부터 만든 이름 (`web-0`, `web-1`, …)\n- 파드별 **스토리지**\n- 순차적 생성과 순차 종료\n"},
				{ID: "create", Title: "서비스와 스테이트풀셋 만들기", Watch: watch, Cmds: cmds,
					Body:   "매니페스트 `web.yaml`에는 헤드리스 서비스 `nginx`와 스테이트풀셋 `web`이 들어 있습니다. 매니페스트를 적용하고 감시 창을 지켜보세요.",
					Checks: []lessons.Check{exists},
					Hints:  []string{"매니페스트는 내장되어 있습니다. 파일 이름 web.yaml로 가리키세요.", "`kubectl apply -f web.yaml`을 실행하세요."}},
				{ID: "pvc", Title: "파드별 볼륨", Watch: lessons.Watch{Resource: "pvc", Selector: "app=nginx"},
					Cmds: []lessons.Command{{Line: "kubectl get pvc -l app=nginx"}},
					Body: "각 파드에는 자기 퍼시스턴트볼륨클레임이 있습니다."},
			},
		}}
	}
	return []lessons.Lesson{{
		ID: "statefulset-basics", Lang: "en", Title: "StatefulSet Basics", Level: "beginner", Minutes: 35,
		Summary: "Create a small nginx StatefulSet and watch what makes it different from a Deployment: pods created one by one with fixed names, a volume per pod that outlives the pod, scaling, and staged updates with a partition.",
		Steps: []lessons.Step{
			{ID: "intro", Title: "What a StatefulSet promises", Watch: watch,
				Body: "Most workloads do not care which copy of a pod answers a request. A **StatefulSet** gives every pod:\n\n- an **ordinal** and a name built from it\n  (`web-0`, `web-1`, …) that stays the same;\n- its **own storage**;\n- an **order** of creation and removal.\n"},
			{ID: "create", Title: "Create the Service and the StatefulSet", Watch: watch, Cmds: cmds,
				Body:   "The manifest `web.yaml` holds a headless Service `nginx` and a StatefulSet `web`. Apply it and watch the pane beside this text.",
				Checks: []lessons.Check{exists},
				Hints:  []string{"The manifests are built in; refer to the file by its name, web.yaml.", "Run `kubectl apply -f web.yaml`."}},
			{ID: "pvc", Title: "A volume per pod", Watch: lessons.Watch{Resource: "pvc", Selector: "app=nginx"},
				Cmds: []lessons.Command{{Line: "kubectl get pvc -l app=nginx"}},
				Body: "Every pod has its own PersistentVolumeClaim."},
		},
	}}
}

func newTestApp(lang string, c *fakeCluster) *App {
	return New(Options{
		Context:       context.Background(),
		Cluster:       c,
		Evaluate:      c.evaluator(),
		Lessons:       testLessons(lang),
		Lang:          lang,
		MarkdownStyle: "notty",
	})
}

// send feeds one message to the app and returns the resulting Cmd.
func send(a *App, msg tea.Msg) tea.Cmd {
	_, cmd := a.Update(msg)
	return cmd
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// openLesson sizes the app and starts the first lesson, returning the lesson view's Init Cmd.
func openLesson(t *testing.T, a *App, w, h int) tea.Cmd {
	t.Helper()
	send(a, tea.WindowSizeMsg{Width: w, Height: h})
	cmd := send(a, keyMsg("enter"))
	if cmd == nil {
		t.Fatal("enter on the menu returned no Cmd")
	}
	msg := cmd()
	if _, ok := msg.(startLessonMsg); !ok {
		t.Fatalf("enter on the menu produced %T, want startLessonMsg", msg)
	}
	init := send(a, msg)
	if a.lesson == nil {
		t.Fatal("no lesson view after startLessonMsg")
	}
	return init
}

// startWatch runs the watch-opening Cmd of the current step directly (the test plays the
// runtime) and feeds its result back, returning the fake watch it opened.
func startWatch(t *testing.T, a *App, c *fakeCluster) fakeWatch {
	t.Helper()
	w := a.lesson.watchP
	gen := w.gen
	ctx := w.ctx
	spec := w.spec
	ch, err := c.WatchTable(ctx, spec.Resource, spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	send(a, watchStartedMsg{gen: gen, ch: ch})
	return c.lastWatch()
}

// assertFrame checks the frame is exactly w×h cells.
func assertFrame(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if got := lipgloss.Width(l); got != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, got, w, l)
		}
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test ./tui -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}
