package tui

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// burstTargets is how many pods the burst writes to, round robin; they sort first, so their
// rows are on screen whatever the table's height cuts off.
const burstTargets = 5

// BenchmarkWatchBurst: a burst of b.N watch events at 1,000 events/s, through the real watch
// path (a status write through client-go → the API's watch over HTTP as server-side Table rows
// → engine.WatchTable → the player's watch pane) onto the terminal, with 10 or 1,000 pods in
// the watched set. Each event writes a unique STATUS ("B<seq>") into one of the first
// burstTargets pods; an event is on screen at the first frame drawn whose row for that pod
// shows its seq or a later one (the screen then reflects it). Reported: p50/p99/max of the
// write's start → that frame drawn, the frames built and drawn, and the process CPU per
// event. The harness plays the player's loop: Bubble Tea's (each message: Update, then
// View) around the App wrapped in the Redrawer, as main_player.go runs it, so a frame is
// built and drawn only when the Redrawer would write it to the terminal. The controllers are
// paused so only the burst writes. Run with -benchtime 3000x (3 s of burst).
func BenchmarkWatchBurst(b *testing.B) {
	for _, pods := range []int{10, 1000} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) { benchWatchBurst(b, pods) })
	}
}

func benchWatchBurst(b *testing.B, pods int) {
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
	// The burst writes through the API on the session's rest.Config, as any client would
	// (DESIGN.md: nothing outside engine reaches into the simulator); unthrottled, since the
	// benchmark sets its own pace.
	cfg := live.Session().RESTConfig()
	cfg.QPS, cfg.Burst = 1e6, 1e6
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	live.Sim().Pause() // nothing but the burst writes
	ns := live.Namespace()
	podAPI := kube.CoreV1().Pods(ns)
	name := func(i int) string { return fmt.Sprintf("burst-%04d", i) }
	stored := make([]*corev1.Pod, burstTargets)
	for i := 0; i < pods; i++ {
		p, err := podAPI.Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name(i), Namespace: ns, Labels: map[string]string{"app": "nginx"}},
			Spec:       corev1.PodSpec{NodeName: "sim-node-1", Containers: []corev1.Container{{Name: "nginx", Image: "registry.k8s.io/nginx-slim:0.24"}}}}, metav1.CreateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Reason: "B-1",
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "nginx", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
		p.ResourceVersion = ""
		if _, err := podAPI.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		if i < burstTargets {
			stored[i] = p
		}
	}

	a := New(Options{Context: ctx, Cluster: simPlayer{live}, Lessons: catalog, Lang: "en", MarkdownStyle: "dark"})
	r := newBenchRuntime(b, a)
	r.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	r.send(benchKey("enter")) // step 1 watches pods -l app=nginx
	row := regexp.MustCompile(`(burst-\d{4})\s+\S+\s+B(-?\d+)\b`)
	r.until(b, fmt.Sprintf("the first %d burst pods in the watch table", burstTargets), func(v string) bool {
		seen := map[string]bool{}
		for _, m := range row.FindAllStringSubmatch(sgr.ReplaceAllString(v, ""), -1) {
			seen[m[1]] = true
		}
		for i := 0; i < burstTargets; i++ {
			if !seen[name(i)] {
				return false
			}
		}
		return true
	})
	// The burst starts once the pane has settled: the object watch (row history) has listed
	// every pod too. Its first list of 1,000 pods decodes for about 0.1 s of CPU, which would
	// otherwise overlap the burst's first events.
	r.until(b, fmt.Sprintf("the object watch's %d pods", pods), func(string) bool {
		return a.lesson != nil && a.lesson.watchP != nil && len(a.lesson.watchP.versions) >= pods
	})

	// written[seq] is when event seq was written (ns since start); the reader finds, in each
	// frame, the newest seq shown per pod and records every older seq of that pod as seen.
	// The player's loop from here: the Redrawer in front of the App, drawing into a counter.
	out := &drawCounter{}
	rd := NewRedrawer(a, out)
	rd.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	rd.View()

	written := make([]atomic.Int64, b.N)
	var lat []time.Duration // the reader's until doneReading
	frames := make(chan frame, 4096)
	doneReading := make(chan struct{})
	allSeen := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(doneReading)
		next := make([]int, burstTargets) // per pod: the next seq not yet seen
		for i := range next {
			next[i] = i
		}
		for f := range frames {
			for _, m := range row.FindAllStringSubmatch(sgr.ReplaceAllString(f.view, ""), -1) {
				idx, _ := strconv.Atoi(strings.TrimPrefix(m[1], "burst-"))
				seq, _ := strconv.Atoi(m[2])
				if idx >= burstTargets || seq < 0 {
					continue
				}
				for ; next[idx] <= seq && next[idx] < len(written); next[idx] += burstTargets {
					w := written[next[idx]].Load()
					lat = append(lat, f.at-time.Duration(w))
					if len(lat) == len(written) {
						close(allSeen)
					}
				}
			}
		}
	}()

	cpu0 := cpuTime(b)
	b.ResetTimer()
	writerDone := make(chan error, 1)
	go func() {
		for seq := 0; seq < b.N; seq++ {
			if d := time.Until(start.Add(time.Duration(seq) * time.Millisecond)); d > 0 {
				time.Sleep(d)
			}
			p := stored[seq%burstTargets]
			p.Status.Reason = "B" + strconv.Itoa(seq)
			p.ResourceVersion = ""
			written[seq].Store(int64(time.Since(start)))
			if _, err := podAPI.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
				writerDone <- err
				return
			}
		}
		writerDone <- nil
	}()
	nmsgs, nframes := 0, 0
	// The loop's time in the Redrawer's Update (the App's Update and, when a frame is due,
	// its View) and in its View (writing the frame to the terminal).
	var busyUpdate, busyView time.Duration
	guard := time.After(time.Duration(b.N)*time.Millisecond + 60*time.Second)
burst:
	for {
		select {
		case <-allSeen:
			break burst
		case err := <-writerDone:
			if err != nil {
				b.Fatal(err)
			}
		case msg := <-r.msgs:
			switch msg := msg.(type) {
			case tea.BatchMsg:
				for _, c := range msg {
					r.exec(c)
				}
				continue
			case tea.QuitMsg:
				b.Fatal("the player quit during the burst")
			}
			t0 := time.Now()
			_, cmd := rd.Update(msg)
			r.exec(cmd)
			t1 := time.Now()
			drawn := out.n
			v := rd.View()
			busyUpdate += t1.Sub(t0)
			busyView += time.Since(t1)
			nmsgs++
			if out.n != drawn { // this View wrote a frame to the terminal
				nframes++
				frames <- frame{at: time.Since(start), view: v}
			}
		case <-guard:
			b.Fatalf("a minute after the burst not all of its %d events had reached the screen; view:\n%s", b.N, a.View())
		}
	}
	b.StopTimer()
	cpu := cpuTime(b) - cpu0
	close(frames)
	<-doneReading
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(float64(nframes)/float64(b.N), "frames/event")
	b.ReportMetric(float64(nmsgs)/float64(b.N), "msgs/event")
	b.ReportMetric(ms(busyUpdate)/float64(max(1, nmsgs)), "update-ms/msg")
	b.ReportMetric(ms(busyView)/float64(max(1, nmsgs)), "draw-ms/msg")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
}

// drawCounter is the terminal: it counts the frames written to it.
type drawCounter struct{ n int }

func (d *drawCounter) Write(p []byte) (int, error) {
	d.n++
	return len(p), nil
}

type frame struct {
	at   time.Duration // since the burst started
	view string
}
