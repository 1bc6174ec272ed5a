package tui

import (
	"context"
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// evil is what a hostile lesson author, manifest or container can print: window title
// (OSC 0 and 2), clipboard (OSC 52), DCS, a screen clear and cursor home (CSI, not SGR).
const evil = "\x1b]0;t0\x07\x1b]2;t2\x1b\\\x1b]52;c;cm0gLXJmIH4=\x07\x1bP+q544e\x1b\\\x1b[2J\x1b[H"

// nonSGR finds a control sequence or character other than SGR, \n and \t in s.
func nonSGR(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0x1b:
			j := i + 2
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == ';' || s[j] == ':') {
				j++
			}
			if i+1 < len(s) && s[i+1] == '[' && j < len(s) && s[j] == 'm' {
				i = j
				continue
			}
			return s[i:min(len(s), i+12)], true
		case c < 0x20 && c != '\n' && c != '\t', c == 0x7f:
			return s[i:min(len(s), i+12)], true
		}
	}
	return "", false
}

func assertSafe(t *testing.T, where, s string) {
	t.Helper()
	if seq, bad := nonSGR(s); bad {
		t.Errorf("%s: %q reaches the terminal", where, seq)
	}
}

// Lesson text, command output, watch rows and object data carrying escape sequences reach
// the player's frame with only SGR left, and their printable text still shows.
func TestPlayerFrameHasNoEscapesButSGR(t *testing.T) {
	c := newFakeCluster()
	c.outputs["kubectl apply -f web.yaml"] = "service/nginx " + evil + "created\n"
	ls := testLessons("en")
	ls[0].Title = "StatefulSet " + evil + "Basics"
	ls[0].Steps[1].Body = "Apply " + evil + "the manifest."
	ls[0].Steps[1].Hints[0] = "Hint " + evil + "one"
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: ls,
		Lang: "en", MarkdownStyle: "notty"})
	send(a, tea.WindowSizeMsg{Width: 100, Height: 30})
	assertSafe(t, "menu", a.View())
	if !strings.Contains(a.View(), "StatefulSet Basics") {
		t.Errorf("menu lost the title's text:\n%s", a.View())
	}
	openLesson(t, a, 100, 30)
	send(a, keyMsg("n"))
	startWatch(t, a, c)
	send(a, watchBatchMsg{gen: a.lesson.watchP.gen, events: []engine.TableEvent{podEvent("ADDED", "web-0", "0/1", "Pending"+evil, "1s")}})
	send(a, send(a, keyMsg("enter"))())
	send(a, keyMsg("h"))
	view := a.View()
	assertSafe(t, "lesson", view)
	for _, want := range []string{"Apply the manifest.", "service/nginx created", "web-0"} {
		if !strings.Contains(view, want) {
			t.Errorf("frame lost %q:\n%s", want, view)
		}
	}
}

// hostileBar writes escape sequences cut across writes, on stdout and stderr.
type hostileBar struct{ *barCluster }

func (h hostileBar) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	s := "NAME " + evil + "web-0\n"
	for i := 0; i < len(s); i += 3 {
		io.WriteString(out, s[i:min(len(s), i+3)])
	}
	io.WriteString(errOut, "warning: \x1b]52;c;eA==\x07done\n")
	return nil
}

func TestCmdBarOutputHasNoEscapes(t *testing.T) {
	b := newTestBar(hostileBar{newBarCluster()})
	b.handle(keyRunes(":"))
	typeInto(b, "get pods")
	cmd, _ := b.handle(tea.KeyMsg{Type: tea.KeyEnter})
	drive(t, b, cmd, nil)
	all := strings.Join(b.lines, "\n")
	assertSafe(t, "command bar", all)
	if !strings.Contains(all, "NAME web-0") || !strings.Contains(all, "warning: done") {
		t.Errorf("bar lines %q", b.lines)
	}
}

// --plain: lesson text and command output arrive without any escape, SGR included.
func TestPlainHasNoEscapes(t *testing.T) {
	c := newFakeCluster()
	c.outputs["kubectl apply -f web.yaml"] = "service/nginx " + evil + "created\x1b[1m!\x1b[0m\n"
	ls := testLessons("en")
	ls[0].Steps[1].Body = "Apply " + evil + "the manifest."
	in := strings.NewReader("1\nn\n\nq\n")
	var out strings.Builder
	if err := RunPlain(context.Background(), Options{Cluster: c, Evaluate: c.evaluator(), Lessons: ls, Lang: "en", Progress: progress.Memory()}, in, &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.ContainsAny(got, "\x1b\x07\r") {
		t.Errorf("plain output keeps control bytes: %q", got)
	}
	if !strings.Contains(got, "service/nginx created!") || !strings.Contains(got, "Apply the manifest.") {
		t.Errorf("plain output lost text:\n%s", got)
	}
}

// A progress record with quiz indices out of range (a negative question, a negative or too
// large choice) neither panics the quiz nor counts: the player drops them on start, and the
// quiz ignores any that arrive later.
func TestQuizSurvivesBadProgress(t *testing.T) {
	store := progress.Memory()
	bad := func(l *progress.Lesson) {
		l.Quiz = map[int]progress.Answer{-1: {Choice: 0}, 0: {Choice: -4}, 1: {Choice: 9, Correct: true}}
	}
	store.Change("statefulset-basics", bad)
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: quizLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Progress: store})
	send(a, tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := a.View(); !strings.Contains(strings.Join(strings.Fields(v), " "), "quiz answer -1 dropped") {
		t.Errorf("menu does not say what was dropped:\n%s", v)
	}
	if q := store.Lesson("statefulset-basics").Quiz; len(q) != 0 {
		t.Errorf("kept %v", q)
	}
	// Records that arrive after the check (another process, an import) are ignored.
	store.Change("statefulset-basics", bad)
	openAndRun(t, a, 80, 24)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("n"))) // the quiz
	if a.lesson.quiz == nil {
		t.Fatal("quiz not open")
	}
	if right, n := a.lesson.play.Score(); right != 0 || n != 0 {
		t.Errorf("out-of-range answers counted: %d of %d", right, n)
	}
	_ = a.View()
}
