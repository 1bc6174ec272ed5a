package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// barApp is the player on a fake cluster at w×h, showing the first lesson's step 1.
func barApp(t *testing.T, lang string, w, h int) *App {
	t.Helper()
	st := DefaultStyles(nil)
	a := New(Options{Context: context.Background(), Cluster: newBarCluster(), Lessons: testLessons(lang),
		LessonsFor: testLessons, Lang: lang, MarkdownStyle: "notty", Styles: &st})
	a.Update(tea.WindowSizeMsg{Width: w, Height: h})
	a.Update(startLessonMsg{index: 0})
	t.Cleanup(a.Close)
	return a
}

func lastLine(s string) string {
	l := strings.Split(s, "\n")
	return l[len(l)-1]
}

// The : key is in the short and the full help, from the key map, on the menu and in a lesson,
// and the short help still fits 80 columns in both languages.
func TestHelpListsCommandBarKey(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		a := barApp(t, lang, 80, 24)
		short := lastLine(ansiPlain(a.View()))
		if !strings.Contains(short, ": kubectl") {
			t.Errorf("%s: short help lacks the command bar key: %q", lang, short)
		}
		// Step 2 offers more keys: : gives way rather than cutting ? and q off.
		a.Update(keyRunes("n"))
		short2 := lastLine(ansiPlain(a.View()))
		if strings.Contains(short2, "…") || lipgloss.Width(short2) > 80 || !strings.Contains(short2, "quit") && !strings.Contains(short2, "종료") {
			t.Errorf("%s: short help cut or too wide: %q", lang, short2)
		}
		a.Update(keyRunes("p"))
		a.Update(keyRunes("?"))
		if full := a.helpView(); !regexp.MustCompile(`(?m):\s+kubectl`).MatchString(ansiPlain(full)) {
			t.Errorf("%s: full help lacks the command bar key:\n%s", lang, ansiPlain(full))
		}
		a.Update(keyRunes("?"))
		a.Update(tea.KeyMsg{Type: tea.KeyEsc}) // back to the menu
		if short := lastLine(ansiPlain(a.View())); !strings.Contains(short, ": kubectl") {
			t.Errorf("%s: menu help lacks the command bar key: %q", lang, short)
		}
	}
	// Without a cluster the bar has nothing to run, and the help does not offer it.
	st := DefaultStyles(nil)
	a := New(Options{Context: context.Background(), Lessons: testLessons("en"), Lang: "en", MarkdownStyle: "notty", Styles: &st})
	a.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	if strings.Contains(ansiPlain(a.helpView()), ": kubectl") {
		t.Error("help offers : without a cluster")
	}
}

// While the bar is open its letters are typed, so the help line shows the bar's keys, not
// the lesson's n/p/h or q.
func TestCmdBarHelpLineShowsBarKeys(t *testing.T) {
	a := barApp(t, "en", 80, 24)
	a.Update(keyRunes(":"))
	short := lastLine(ansiPlain(a.View()))
	if strings.Contains(short, "next step") || strings.Contains(short, "quit") || !strings.Contains(short, "esc close") || !strings.Contains(short, "tab complete") {
		t.Fatalf("help line with the bar open: %q", short)
	}
	a.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if short := lastLine(ansiPlain(a.View())); !strings.Contains(short, "quit") {
		t.Fatalf("help line after esc: %q", short)
	}
}

// L switches the bar's own words too (its notes such as "(stopped)").
func TestCmdBarFollowsLanguageSwitch(t *testing.T) {
	a := barApp(t, "en", 80, 24)
	a.Update(keyRunes("L"))
	if a.opts.Lang != "ko" {
		t.Fatalf("L did not switch: %s", a.opts.Lang)
	}
	if got := a.cmdbar.say("en", "ko"); got != "ko" {
		t.Fatalf("the command bar still speaks %s after L", got)
	}
}

// A step with nothing to run does not ask for Enter, which does nothing there.
func TestOutputPaneIdleTextFitsStep(t *testing.T) {
	for _, tc := range []struct{ lang, want, not string }{
		{"en", "Nothing to run in this step", "Press Enter to run"},
		{"ko", "실행할 명령이 없습니다", "Enter를 눌러"},
	} {
		a := barApp(t, tc.lang, 100, 30)
		screen := ansiPlain(a.View())
		if !strings.Contains(screen, tc.want) || strings.Contains(screen, tc.not) {
			t.Errorf("%s step 1 (no commands):\n%s", tc.lang, screen)
		}
		a.Update(keyRunes("n"))
		if screen := ansiPlain(a.View()); strings.Contains(screen, tc.want) {
			t.Errorf("%s step 2 (commands to run) still says there is nothing to run", tc.lang)
		}
	}
}

// Esc closes the bar and the next : starts on an empty line, not on a recalled one.
func TestCmdBarEscClearsLine(t *testing.T) {
	b := newTestBar(newBarCluster())
	b.handle(keyRunes(":"))
	typeInto(b, "get pods")
	cmd, _ := b.handle(tea.KeyMsg{Type: tea.KeyEnter})
	drive(t, b, cmd, nil)
	b.handle(tea.KeyMsg{Type: tea.KeyUp})
	b.handle(tea.KeyMsg{Type: tea.KeyEsc})
	b.handle(keyRunes(":"))
	typeInto(b, "get sts")
	if v := b.input.Value(); v != "get sts" {
		t.Fatalf("reopened bar line %q", v)
	}
	b.handle(tea.KeyMsg{Type: tea.KeyUp})
	if v := b.input.Value(); v != "get pods" {
		t.Fatalf("history after reopening: %q", v)
	}
}

// kubectl's error messages wrap in the bar instead of being cut at the window's edge.
func TestCmdBarWrapsErrors(t *testing.T) {
	b := newTestBar(newBarCluster())
	b.handle(keyRunes(":"))
	long := "error: when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well"
	b.lines = []string{"$ kubectl exec", long, "NAME    READY   STATUS    RESTARTS   AGE   LABELS   A-VERY-LONG-COLUMN-THAT-STAYS-ONE-LINE"}
	screen := ansiPlain(b.overlay(strings.Repeat("x\n", 23)+"x", 60, 24))
	if !strings.Contains(screen, "resource arguments as well") {
		t.Fatalf("error cut:\n%s", screen)
	}
	if strings.Contains(screen, "STAYS-ONE-LINE") {
		t.Fatalf("a table row was wrapped:\n%s", screen)
	}
}

// In a pane too narrow for the whole Events table, the message (the simulator's "why") is
// kept readable by dropping LAST SEEN, and TYPE while every row is Normal.
func TestEventsViewNarrowKeepsMessage(t *testing.T) {
	st := DefaultStyles(nil)
	cols := []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}
	w := &watchPane{st: &st, t: textFor("en"), mode: viewEvents, columns: cols, width: 80, stream: [][]string{
		{"43s", "Normal", "SuccessfulCreate", "statefulset/web", "create Pod web-0 in StatefulSet web successful"},
		{"43s", "Normal", "WhyWaitingForOrdinal", "statefulset/web", "web-1 is not created yet: web-0 is not Ready"},
	}}
	lines := w.eventLines()
	got := ansiPlain(strings.Join(lines, "\n"))
	// The message is wrapped under the other columns rather than cut (issue 13, item 10).
	if !strings.Contains(got, "[sim]   WhyWaitingForOrdinal   statefulset/web") || !strings.Contains(got, "web-1 is not created yet: web-0 is not Ready") {
		t.Fatalf("narrow events:\n%s", got)
	}
	w.stream = append(w.stream, []string{"1s", "Warning", "FailedCreate", "statefulset/web", "quota"})
	if got := ansiPlain(strings.Join(w.eventLines(), "\n")); !strings.Contains(got, "Warning") {
		t.Fatalf("a Warning row lost its type:\n%s", got)
	}
	w.width = 200
	if got := ansiPlain(strings.Join(w.eventLines(), "\n")); !strings.Contains(got, "LAST SEEN") {
		t.Fatalf("wide pane dropped columns:\n%s", got)
	}
}

// On a narrow terminal with a check pending, the status line still says the simulator is
// paused (checks cannot pass until it runs again).
func TestStatusLineKeepsPausedWhenNarrow(t *testing.T) {
	a := barApp(t, "en", 50, 24)
	if a.lesson.sim == nil {
		t.Skip("fake cluster has no simulator")
	}
	a.Update(keyRunes("n"))
	a.Update(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
	if !a.lesson.sim.Paused() {
		t.Fatal("space did not pause")
	}
	lines := strings.Split(ansiPlain(a.View()), "\n")
	status := lines[len(lines)-2]
	if !strings.Contains(status, "paused") || !strings.Contains(status, "step 2/3") {
		t.Fatalf("status line %q", status)
	}
}

// Under NO_COLOR (the plain Markdown style) bold and italic words show without ** and *.
func TestPlainMarkdownHasNoEmphasisMarks(t *testing.T) {
	md := newMarkdown("notty", 0)
	got := md.render("**Goal:** know a *StatefulSet* and `web-0`.", 80)
	if strings.Contains(got, "*") || !strings.Contains(got, "Goal: know a StatefulSet and `web-0`.") {
		t.Fatalf("rendered %q", got)
	}
}
