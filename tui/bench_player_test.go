package tui

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// Player benchmarks of issue 14 (see BENCHMARKS.md). They measure; none asserts a time.

// BenchmarkStartToMenu is the player's own part of start → first menu frame, without tmux
// or a process start: New, Init, the first WindowSizeMsg and the first View. The catalog is
// loaded once outside the loop (the binary loads it before the player starts).
func BenchmarkStartToMenu(b *testing.B) {
	catalog, err := lessons.Catalog("en")
	if err != nil {
		b.Fatal(err)
	}
	c := newFakeCluster()
	b.ReportAllocs()
	var view string
	for i := 0; i < b.N; i++ {
		a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(),
			Lessons: catalog, Lang: "en", MarkdownStyle: "dark"})
		_ = a.Init()
		a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		view = a.View()
		a.Close()
	}
	b.StopTimer()
	if !strings.Contains(view, catalog[0].Title) {
		b.Fatalf("the first frame has no menu with %q:\n%s", catalog[0].Title, view)
	}
}

// BenchmarkWatchView1000 is App.View at 200×50 with 1,000 pods in the watch pane (fake
// cluster, step 2 of StatefulSet Basics).
func BenchmarkWatchView1000(b *testing.B) {
	catalog, err := lessons.Catalog("en")
	if err != nil {
		b.Fatal(err)
	}
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(),
		Lessons: catalog, Lang: "en", MarkdownStyle: "dark"})
	r := newBenchRuntime(b, a)
	r.send(tea.WindowSizeMsg{Width: 200, Height: 50})
	r.send(benchKey("enter"))
	r.until(b, "step 1", func(v string) bool { return strings.Contains(v, catalog[0].Steps[0].Title[:20]) })
	r.send(benchKey("n"))
	r.until(b, "step 2's watch", func(string) bool { return c.lastWatch().ch != nil })
	w := c.lastWatch()
	go func() {
		for i := 0; i < 1000; i++ {
			w.ch <- podEvent("ADDED", fmt.Sprintf("web-%d", i), "1/1", "Running", "1s")
		}
	}()
	last := regexp.MustCompile(`\+9\d\d|web-999`)
	r.until(b, "1,000 pods in the watch pane", func(v string) bool {
		return len(a.lesson.watchP.rows) == 1000 && last.MatchString(v)
	})
	b.ReportAllocs()
	b.ResetTimer()
	var view string
	for i := 0; i < b.N; i++ {
		view = a.View()
	}
	b.StopTimer()
	b.SetBytes(int64(len(view)))
}

// simPlayer is the player's cluster on a real simulator session: what main hands the player,
// less the baselines (engine.Live plus lessons' checks and simulate).
type simPlayer struct{ *engine.Live }

func (p simPlayer) Evaluate(ctx context.Context, st lessons.Step) []lessons.CheckResult {
	return lessons.Evaluate(ctx, p.Session(), st)
}

func (p simPlayer) Simulate(ctx context.Context, st lessons.Step) (string, error) {
	return lessons.RunSimulate(ctx, p.Session(), st)
}

// BenchmarkIdleLesson plays step 2 of StatefulSet Basics on a real simulator (real clock),
// waits for both pods Running, then lets the player sit for idleWindow with nothing moving
// and reports what it did meanwhile: messages handled per second (the player's wakeups),
// process CPU as a share of one core, and the process's RSS and Go heap afterwards. Run it
// with -benchtime 1x: one iteration is one window.
func BenchmarkIdleLesson(b *testing.B) {
	const idleWindow = 5 * time.Second
	catalog, err := lessons.Catalog("en")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live, err := engine.NewLiveSim(ctx, engine.SimOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer live.Close()
	a := New(Options{Context: ctx, Cluster: simPlayer{live}, Lessons: catalog, Lang: "en", MarkdownStyle: "dark"})
	r := newBenchRuntime(b, a)
	r.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	r.send(benchKey("enter"))
	r.until(b, "step 1", func(v string) bool { return strings.Contains(v, catalog[0].Steps[0].Title[:20]) })
	r.send(benchKey("n"))
	r.until(b, "step 2", func(v string) bool { return strings.Contains(v, catalog[0].Steps[1].Title[:20]) })
	r.send(benchKey("enter"))
	running := regexp.MustCompile(`web-1\s+1/1\s+Running`)
	r.until(b, "both pods Running", func(v string) bool { return running.MatchString(sgr.ReplaceAllString(v, "")) })
	// Let the last events and checks settle before the window opens.
	r.runFor(2 * time.Second)
	b.ResetTimer()
	var msgs int
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		before := cpuTime(b)
		msgs += r.runFor(idleWindow)
		cpu += cpuTime(b) - before
	}
	b.StopTimer()
	secs := idleWindow.Seconds() * float64(b.N)
	b.ReportMetric(float64(msgs)/secs, "msgs/s")
	b.ReportMetric(100*cpu.Seconds()/secs, "%cpu")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(float64(ms.Sys)/(1<<20), "gosys-MB")
	b.ReportMetric(float64(vmRSS(b))/(1<<20), "rss-MB")
}

// runFor feeds messages to the model for d of real time and returns how many it handled
// (each one is a wakeup of the player's loop, and a View in Bubble Tea).
func (r *benchRuntime) runFor(d time.Duration) int {
	n := 0
	end := time.After(d)
	for {
		select {
		case msg := <-r.msgs:
			n++
			switch msg := msg.(type) {
			case tea.BatchMsg:
				for _, c := range msg {
					r.exec(c)
				}
			default:
				r.send(msg)
				_ = r.a.View()
			}
		case <-end:
			return n
		}
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmRSS is the process's resident set from /proc/self/status (Linux).
func vmRSS(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatalf("RSS needs /proc/self/status: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
