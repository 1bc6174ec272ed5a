package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// TestPlayerKeepsDrawingUnderStress hunts the stall seen once under load (two tmux plays of
// StatefulSet Basics stopped changing after s on step 2, pod AGE stuck at 0s): it plays the
// two reported key sequences (enter s n s; enter n s s) through a real Bubble Tea program
// with the Redrawer, set up as the player runs it (no standard renderer: tui.Screen), on a real simulator session (fake clock, auto-advanced), with the
// scheduling shaken: a random GOMAXPROCS per play, keys sent back to back or one frame apart,
// and runtime.Gosched injected in the program's loop (a message filter), in the terminal
// writes, and around every kubectl run, check evaluation and watch event. After the keys it
// asks the screen for liveness three times: a pod created from outside shows up in the watch
// pane (a watch event), the simulator's clock moved by minutes shows in its AGE (the lesson's
// tick), and ? opens and closes the full help (a key). The deadline on each is only a
// failure detector: a stalled player never gets there, and the goroutine stacks are logged.
//
// KUBETUTOR_STALL_ROUNDS=N plays each sequence N times (default 2) for a longer hunt.
func TestPlayerKeepsDrawingUnderStress(t *testing.T) {
	rounds := 2
	if s := os.Getenv("KUBETUTOR_STALL_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("KUBETUTOR_STALL_ROUNDS=%q: want a positive number", s)
		}
		rounds = n
	}
	basics, err := lessons.Get("statefulset-basics", "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(basics.Steps) < 2 || basics.Steps[1].ID != "create" {
		t.Fatal("statefulset-basics does not start with intro, create")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KUBETUTOR_STALL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (KUBETUTOR_STALL_SEED to replay the choices; the scheduling itself is not replayable)", seed)
	rng := rand.New(rand.NewPCG(seed, 0x57a11))
	seqs := [][]string{{"enter", "s", "n", "s"}, {"enter", "n", "s", "s"}}
	for r := 0; r < rounds; r++ {
		for i, seq := range seqs {
			play := stallPlay{
				procs: 1 + rng.IntN(4), burst: rng.IntN(2) == 0, jitter: rng.IntN(4),
				seed: rng.Uint64(), keys: seq, lesson: basics,
			}
			t.Run(fmt.Sprintf("round%d/seq%d/%s", r, i, play.name()), play.run)
		}
	}
}

// stallPlay is one play of a key sequence under one set of scheduling choices.
type stallPlay struct {
	procs  int  // GOMAXPROCS
	burst  bool // keys back to back, without waiting for a frame between them
	jitter int  // 1 in jitter+1 of the injection points yields (0: all of them)
	seed   uint64
	keys   []string
	lesson lessons.Lesson
}

func (p stallPlay) name() string {
	mode := "paced"
	if p.burst {
		mode = "burst"
	}
	return fmt.Sprintf("procs%d-%s-jitter%d", p.procs, mode, p.jitter)
}

// stallDeadline bounds each wait: far beyond what a working player needs even under -race
// on a loaded machine (a second or two), short enough to fail a CI run rather than hang it.
const stallDeadline = 45 * time.Second

func (p stallPlay) run(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p.procs))
	j := &jitter{rng: rand.New(rand.NewPCG(p.seed, 1)), every: p.jitter + 1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	live, err := engine.NewLiveSim(ctx, engine.SimOptions{Fake: fake, AutoAdvance: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	store, _, err := progress.Open(filepath.Join(t.TempDir(), "progress.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := stallCluster{simCluster{live, lessons.NewBaselines(ctx)}, j}
	app := New(Options{Context: ctx, Cluster: c, Lessons: []lessons.Lesson{p.lesson}, Lang: "en",
		MarkdownStyle: "notty", Progress: store})
	scr := newVScreen(50)
	prog := tea.NewProgram(NewRedrawer(app, jitterWriter{scr, j}),
		tea.WithContext(ctx), tea.WithInput(nil), tea.WithOutput(jitterWriter{io.Discard, j}),
		tea.WithoutRenderer(), tea.WithoutSignals(), tea.WithoutCatchPanics(),
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg { j.yield(); return msg }))
	done := make(chan error, 1)
	go func() { _, err := prog.Run(); done <- err }()
	defer func() {
		prog.Quit()
		select {
		case <-done:
		case <-time.After(stallDeadline):
			t.Errorf("the program did not end after Quit\n%s", goroutines())
		}
		app.Close()
	}()
	prog.Send(tea.WindowSizeMsg{Width: 200, Height: 50})

	wait := func(what string, ok func(screen string) bool) {
		t.Helper()
		if !scr.waitFor(ok, stallDeadline) {
			t.Fatalf("stalled: the screen never showed %s in %v; last screen:\n%s\n%s", what, stallDeadline, scr.text(), goroutines())
		}
	}
	wait("the menu", func(s string) bool { return strings.Contains(s, p.lesson.Title) })
	step := 0
	for _, k := range p.keys {
		seen := scr.draws()
		prog.Send(keyMsg(k))
		j.yield()
		if p.burst {
			continue
		}
		// Paced as a person types: each key after its effect is on screen, so the last s
		// is pressed on step 2 as in the report.
		switch k {
		case "enter", "n":
			step++
			title := fmt.Sprintf("Step %d/%d", step, len(p.lesson.Steps))
			wait(title, func(s string) bool { return strings.Contains(s, title) })
		default:
			// s draws nothing where it does nothing (step 1 has nothing to run).
			scr.waitFor(func(string) bool { return scr.draws() > seen }, 200*time.Millisecond)
		}
	}
	wait("the lesson", func(s string) bool { return strings.Contains(s, "Watch: pods -l app=nginx") })
	if !p.burst {
		// Both pods up and the step's checks passed (the apply's own output may have
		// scrolled out of the output pane behind the step's other commands).
		running := regexp.MustCompile(`web-1\s+1/1\s+Running`)
		done := regexp.MustCompile(`step 2/\d+ · ✓ done`)
		wait("web-1 Running and step 2 done after s on step 2", func(s string) bool {
			return running.MatchString(s) && done.MatchString(s)
		})
	}
	for i := 1; i <= 3; i++ {
		// A watch event: a pod the watch pane's selector matches, created from outside.
		pod := fmt.Sprintf("probe-%d", i)
		var out bytes.Buffer
		if err := live.RunKubectl(ctx, "kubectl run "+pod+" --image=nginx --labels=app=nginx", nil, &out, &out); err != nil {
			t.Fatalf("kubectl run %s: %v\n%s", pod, err, out.String())
		}
		wait(pod+" in the watch pane", func(s string) bool { return strings.Contains(s, pod) })
		// The lesson's tick: the cluster's clock moves on, the AGE column follows.
		fake.Step(time.Duration(i) * 10 * time.Minute)
		wait(pod+"'s AGE after "+strconv.Itoa(i*10)+" minutes", func(s string) bool { return ageMinutes(s, pod) >= i*10 })
		// A key: ? opens the full help, which lists the time controls; ? again closes it.
		prog.Send(keyMsg("?"))
		wait("the full help", func(s string) bool { return strings.Contains(s, "slower") })
		prog.Send(keyMsg("?"))
		wait("the short help again", func(s string) bool { return !strings.Contains(s, "slower") })
	}
}

// jitter yields the processor at some of the points it is called from: a different
// interleaving of the program's loop, its commands, the simulator and the watches each play.
type jitter struct {
	mu    sync.Mutex
	rng   *rand.Rand
	every int
}

func (j *jitter) yield() {
	j.mu.Lock()
	n := 0
	if j.rng.IntN(j.every) == 0 {
		n = 1 + j.rng.IntN(3)
	}
	j.mu.Unlock()
	for range n {
		runtime.Gosched()
	}
}

type jitterWriter struct {
	w io.Writer
	j *jitter
}

func (w jitterWriter) Write(b []byte) (int, error) {
	w.j.yield()
	return w.w.Write(b)
}

// stallCluster is the player's simulator cluster (main's playerCluster in small, with the
// step baseline read in the background as main does) with yields around what runs off the
// program's loop.
type stallCluster struct {
	simCluster
	j *jitter
}

func (c stallCluster) StepStarted(st lessons.Step) {
	s := c.Session()
	go func() {
		c.j.yield()
		c.base.Enter(s, st)
	}()
}

func (c stallCluster) Evaluate(ctx context.Context, st lessons.Step) []lessons.CheckResult {
	c.j.yield()
	defer c.j.yield()
	return c.simCluster.Evaluate(ctx, st)
}

func (c stallCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	c.j.yield()
	defer c.j.yield()
	return c.simCluster.RunKubectl(ctx, line, in, out, errOut)
}

func (c stallCluster) WatchTable(ctx context.Context, resource, selector string) (<-chan engine.TableEvent, error) {
	in, err := c.Live.WatchTable(ctx, resource, selector)
	if err != nil {
		return nil, err
	}
	out := make(chan engine.TableEvent)
	go func() {
		defer close(out)
		for ev := range in {
			c.j.yield()
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// vScreen is the terminal as the Redrawer draws it: each write moves to a row ("ESC[r;1H")
// and writes that row's line, or clears the screen below a row.
type vScreen struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every write
	rows    []string
	n       int // writes so far
}

func newVScreen(height int) *vScreen {
	return &vScreen{rows: make([]string, height), changed: make(chan struct{})}
}

var rowMove = regexp.MustCompile(`\x1b\[(\d+);1H`)

func (s *vScreen) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text := string(b)
	locs := rowMove.FindAllStringSubmatchIndex(text, -1)
	for i, l := range locs {
		row, _ := strconv.Atoi(text[l[2]:l[3]])
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		seg := text[l[1]:end]
		if row < 1 || row > len(s.rows) {
			continue
		}
		if strings.Contains(seg, ansi.EraseScreenBelow) {
			for r := row - 1; r < len(s.rows); r++ {
				s.rows[r] = ""
			}
			continue
		}
		s.rows[row-1] = ansi.Strip(seg)
	}
	s.n++
	close(s.changed)
	s.changed = make(chan struct{})
	return len(b), nil
}

func (s *vScreen) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.rows, "\n")
}

func (s *vScreen) draws() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// waitFor reports whether ok held for the screen within d, looking after every write.
func (s *vScreen) waitFor(ok func(string) bool, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		screen, changed := strings.Join(s.rows, "\n"), s.changed
		s.mu.Unlock()
		if ok(screen) {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// ageMinutes is the largest AGE in whole minutes on a line of pod's (its table row; the
// stream's lines keep the AGE they were printed with), -1 without one.
func ageMinutes(screen, pod string) int {
	age := regexp.MustCompile(regexp.QuoteMeta(pod) + `\s.*\s(\d+)m(\d+s)?\s*$`)
	best := -1
	for _, l := range strings.Split(screen, "\n") {
		if m := age.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			best = max(best, n)
		}
	}
	return best
}

func goroutines() string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	return b.String()
}
