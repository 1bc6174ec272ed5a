package engine

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"
)

func watchPods(t *testing.T, s *Session) (<-chan TableEvent, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(testCtx(t))
	ch, err := s.WatchTable(ctx, "po", "app=nginx")
	if err != nil {
		cancel()
		t.Fatalf("WatchTable: %v", err)
	}
	t.Cleanup(cancel)
	return ch, cancel
}

// watchedWeb is a session whose pod watch (behind a cutter that can break the stream) has
// seen the empty list and then web-0 and web-1 reach Running.
func watchedWeb(t *testing.T) (*Session, *testingclock.FakeClock, *cutter, <-chan TableEvent, *rowLog) {
	t.Helper()
	s, fake := newTestSession(t)
	c := newCutter(s)
	ch, _ := watchPods(t, s)
	log := newRowLog(t)
	log.add(nextEvent(t, ch)) // the empty list
	mustKubectl(t, s, "kubectl apply -f web.yaml", "")
	log.until(ch, running("web-0", "web-1"))
	return s, fake, c, ch, log
}

var podColumns = "NAME READY STATUS RESTARTS AGE"

func TestWatchTableListThenEvents(t *testing.T) {
	s, _ := newTestSession(t)
	ch, _ := watchPods(t, s)

	first := nextEvent(t, ch)
	if first.Type != "LIST" || first.Name != "" || strings.Join(first.Columns, " ") != podColumns {
		t.Fatalf("first event on an empty namespace = %+v, want the empty LIST marker with pod columns", first)
	}

	mustKubectl(t, s, "kubectl apply -f web.yaml", "")
	log := newRowLog(t)
	log.until(ch, running("web-0", "web-1"))

	// OrderedReady: web-0 is added, and runs, before web-1 is added.
	var order []string
	for _, ev := range log.events {
		if ev.Type == "ADDED" {
			order = append(order, ev.Name)
		}
		if ev.Name == "web-1" && ev.Type == "ADDED" && !running("web-0")(rowsBefore(log.events, ev)) {
			t.Fatalf("web-1 added before web-0 was running: %v", log.events)
		}
	}
	if strings.Join(order, ",") != "web-0,web-1" {
		t.Fatalf("ADDED order %v", order)
	}
	for _, ev := range log.events {
		if ev.Type == "LIST" {
			t.Fatalf("LIST row after the initial list: %+v", ev)
		}
		if ev.Created.IsZero() {
			t.Fatalf("%s %s has no creation time", ev.Type, ev.Name)
		}
	}

	// A second watch lists the existing pods.
	ctx2, cancel2 := context.WithCancel(testCtx(t))
	defer cancel2()
	ch2, err := s.WatchTable(ctx2, "pods", "")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for i := 0; i < 2; i++ {
		ev := nextEvent(t, ch2)
		if ev.Type != "LIST" || !running(ev.Name)(map[string]TableEvent{ev.Name: ev}) {
			t.Fatalf("second watch event %d = %+v, want a running LIST row", i, ev)
		}
		listed[ev.Name] = true
	}
	if !listed["web-0"] || !listed["web-1"] {
		t.Fatalf("second watch listed %v", listed)
	}
	cancel2()
	for range ch2 {
		// drains until closed: the channel must close once its context ends
	}

	// Deleting the StatefulSet deletes its pods: DELETED rows.
	mustKubectl(t, s, "kubectl delete sts web", `statefulset.apps "web" deleted from default namespace`+"\n")
	log.until(ch, func(rows map[string]TableEvent) bool { return len(rows) == 0 })
	deleted := map[string]bool{}
	for _, ev := range log.events {
		if ev.Type == "DELETED" {
			deleted[ev.Name] = true
		}
	}
	if !deleted["web-0"] || !deleted["web-1"] {
		t.Fatalf("DELETED rows for %v, want web-0 and web-1", deleted)
	}
}

// rowsBefore replays events up to (not including) stop.
func rowsBefore(events []TableEvent, stop TableEvent) map[string]TableEvent {
	rows := map[string]TableEvent{}
	for _, ev := range events {
		if ev.Name == stop.Name && ev.Type == stop.Type && ev.ResourceVersion == stop.ResourceVersion {
			break
		}
		rows[ev.Name] = ev
	}
	return rows
}

func TestWatchTableResolvesNames(t *testing.T) {
	s, _ := newTestSession(t)
	ctx := testCtx(t)
	for _, tc := range []struct{ resource, firstColumns string }{
		{"po", podColumns},
		{"pods", podColumns},
		{"Pod", podColumns},
		{"sts", "NAME READY AGE"},
		{"statefulsets.apps", "NAME READY AGE"},
		{"pvc", ""},
		{"svc", ""},
	} {
		wctx, cancel := context.WithCancel(ctx)
		ch, err := s.WatchTable(wctx, tc.resource, "")
		if err != nil {
			t.Errorf("%s: %v", tc.resource, err)
			cancel()
			continue
		}
		ev := nextEvent(t, ch)
		if ev.Type != "LIST" || len(ev.Columns) == 0 || ev.Columns[0] != "NAME" {
			t.Errorf("%s: first event %+v", tc.resource, ev)
		}
		if tc.firstColumns != "" && strings.Join(ev.Columns, " ") != tc.firstColumns {
			t.Errorf("%s: columns %v, want %s", tc.resource, ev.Columns, tc.firstColumns)
		}
		cancel()
	}
	for _, bad := range []struct{ resource, selector string }{{"frobs", ""}, {"", ""}, {"pods/log", ""}, {"pods", "app=("}} {
		if _, err := s.WatchTable(ctx, bad.resource, bad.selector); err == nil {
			t.Errorf("WatchTable(%q, %q) succeeded", bad.resource, bad.selector)
		}
	}
}

// TestWatchTableResumesAfterCut drops the watch connection and makes changes before the
// watch reconnects: every change arrives once, in order.
func TestWatchTableResumesAfterCut(t *testing.T) {
	s, _, c, ch, log := watchedWeb(t)

	// The stream has carried events, so the watch resumes at once from the last one.
	c.cut()
	mustKubectl(t, s, "kubectl scale sts web --replicas=4", "statefulset.apps/web scaled\n")
	log.until(ch, running("web-0", "web-1", "web-2", "web-3"))

	c.cut()
	mustKubectl(t, s, "kubectl scale sts web --replicas=2", "statefulset.apps/web scaled\n")
	log.until(ch, func(rows map[string]TableEvent) bool { return len(rows) == 2 })

	// What the watch shows is what the server has, version for version.
	waitIdle(t, s)
	pods, err := s.Kube().CoreV1().Pods("default").List(testCtx(t), metav1.ListOptions{LabelSelector: "app=nginx"})
	if err != nil {
		t.Fatal(err)
	}
	log.until(ch, func(rows map[string]TableEvent) bool {
		if len(rows) != len(pods.Items) {
			return false
		}
		for _, p := range pods.Items {
			if rows[p.Name].ResourceVersion != p.ResourceVersion {
				return false
			}
		}
		return true
	})
	for _, ev := range log.events {
		if ev.Type == "RESYNC" || (ev.Type == "LIST" && ev.Name != "") {
			t.Fatalf("a resumable cut produced %s", ev.Type)
		}
	}
	if n := c.watchCount(); n != 3 {
		t.Fatalf("%d watch requests, want 3 (one per cut)", n)
	}
}

// TestWatchTableRelistsWhenGone answers the resumed watch with 410 Gone: the watch relists.
func TestWatchTableRelistsWhenGone(t *testing.T) {
	s, _, c, ch, log := watchedWeb(t)
	waitIdle(t, s)

	c.failNext(410)
	c.cut()
	var ev TableEvent
	for ev.Type != "RESYNC" {
		// Events already on their way may come first; never an ERROR.
		ev = nextEvent(t, ch)
		log.add(ev)
	}
	for i := 0; i < 2; i++ {
		ev := nextEvent(t, ch)
		if ev.Type != "LIST" {
			t.Fatalf("after RESYNC: %+v, want LIST rows", ev)
		}
		log.add(ev)
	}
	if !running("web-0", "web-1")(log.rows) {
		t.Fatalf("relisted rows %v", log.rows)
	}
	// The new watch works.
	mustKubectl(t, s, "kubectl delete pod web-1", `pod "web-1" deleted from default namespace`+"\n")
	log.until(ch, func(rows map[string]TableEvent) bool { _, ok := rows["web-1"]; return !ok })
}

// TestWatchTableBacksOffOnErrors: a failing watch reports ERROR and retries only after the
// backoff has passed on the session's clock.
func TestWatchTableBacksOffOnErrors(t *testing.T) {
	s, fake, c, ch, log := watchedWeb(t)
	waitIdle(t, s)

	c.failNext(http.StatusInternalServerError)
	c.cut()
	var ev TableEvent
	for ev.Type != "ERROR" {
		ev = nextEvent(t, ch)
		if ev.Type != "ERROR" {
			log.add(ev)
		}
	}
	if ev.Err == nil || !strings.Contains(ev.Err.Error(), "injected by test") {
		t.Fatalf("ERROR event %+v, want the server's message", ev)
	}
	// The retry waits on the session's clock (armed before the event was sent).
	if !fake.HasWaiters() {
		t.Fatal("no timer armed on the session's clock after an error")
	}
	n := c.watchCount()
	fake.Step(backoffFirst)
	mustKubectl(t, s, "kubectl scale sts web --replicas=3", "statefulset.apps/web scaled\n")
	log.until(ch, running("web-0", "web-1", "web-2"))
	if got := c.watchCount() - n; got != 1 {
		t.Fatalf("%d watch requests after the error, want 1", got)
	}
}

// TestWatchObjectsListThenEvents: the object watch (row history, picture views) lists, then
// streams full objects on the same resumable loop as WatchTable; List reads the same objects.
func TestWatchObjectsListThenEvents(t *testing.T) {
	s, _ := newTestSession(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	ch, err := s.WatchObjects(ctx, "po", "app=nginx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WatchObjects(ctx, "bogus", ""); err == nil {
		t.Fatal("WatchObjects(bogus) should fail")
	}
	mustKubectl(t, s, "kubectl apply -f web.yaml", "")
	seen := map[string]bool{}
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for !seen["web-1"] {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("object watch closed")
			}
			// Watch events keep the object encoded until it is looked at.
			o, err := ev.Decode()
			if ev.Type == "ERROR" || err != nil || o == nil || o.GetKind() != "Pod" {
				t.Fatalf("event %s %v %v %v", ev.Type, ev.Err, err, o)
			}
			name, rv := ev.Key()
			if name != o.GetName() || rv != o.GetResourceVersion() {
				t.Fatalf("event key %s@%s, object %s@%s", name, rv, o.GetName(), o.GetResourceVersion())
			}
			seen[name] = true
		case <-timer.C:
			t.Fatalf("no web-1 in time; saw %v", seen)
		}
	}
	waitIdle(t, s)
	items, err := s.List(ctx, "pods", "app=nginx")
	if err != nil || len(items) != 2 {
		t.Fatalf("List = %d items, %v", len(items), err)
	}
	events, err := s.List(ctx, "events", "")
	if err != nil || len(events) == 0 || events[0].GetAPIVersion() != "v1" {
		t.Fatalf("List(events): %d, %v", len(events), err)
	}
}

// TestWatchObjectsListItemsDecodeAsList: the object watch keeps its first list's items as
// JSON too; each decodes to exactly the object a decoded list holds (kind and apiVersion
// from the list), and its key is the object's name and resourceVersion.
func TestWatchObjectsListItemsDecodeAsList(t *testing.T) {
	s, _ := newTestSession(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	mustKubectl(t, s, "kubectl apply -f web.yaml", "")
	waitIdle(t, s)
	want, err := s.List(ctx, "pods", "app=nginx")
	if err != nil || len(want) != 2 {
		t.Fatalf("List = %d items, %v", len(want), err)
	}
	ch, err := s.WatchObjects(ctx, "po", "app=nginx")
	if err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	for i := range want {
		select {
		case ev := <-ch:
			if ev.Type != "ADDED" || ev.Object != nil || ev.Raw == nil {
				t.Fatalf("list item %d: type %s, decoded %v, raw %d bytes; want ADDED kept as JSON", i, ev.Type, ev.Object != nil, len(ev.Raw))
			}
			o, err := ev.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if !equality.Semantic.DeepEqual(o.Object, want[i].Object) || o.GetKind() != "Pod" || o.GetAPIVersion() != "v1" {
				t.Fatalf("list item %d decodes to\n%v\nwant the listed\n%v", i, o.Object, want[i].Object)
			}
			if name, rv := ev.Key(); name != o.GetName() || rv != o.GetResourceVersion() {
				t.Fatalf("item key %s@%s, object %s@%s", name, rv, o.GetName(), o.GetResourceVersion())
			}
		case <-timer.C:
			t.Fatalf("only %d of %d listed objects came", i, len(want))
		}
	}
}
