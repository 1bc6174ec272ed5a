package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// The built-in editor of `kubectl edit`: a textarea over the whole screen, opened by the
// command bar when kubectl's edit flow (engine.WithEditor) hands it the object's text. It is
// an Overlay of the bar: while Active it takes every key, and as a help.KeyMap it supplies
// the help line (the Overlay key-map hook). Nothing runs outside this process, whatever
// $EDITOR says.

// EditorKeyMap holds the editor's own keys; every other key edits the text (textarea's
// bindings: arrows, home/end, ctrl+k, …).
type EditorKeyMap struct {
	Save, Quit key.Binding
	// Discard and Keep answer "discard your changes?" after Quit on changed text.
	Discard, Keep key.Binding
}

// DefaultEditorKeyMap returns the editor's bindings, worded in the player's language.
func DefaultEditorKeyMap(ko bool) EditorKeyMap {
	w := func(en, k string) string {
		if ko {
			return k
		}
		return en
	}
	return EditorKeyMap{
		Save:    key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", w("save and apply", "저장하고 적용"))),
		Quit:    key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", w("quit without saving", "저장하지 않고 나가기"))),
		Discard: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", w("discard the changes", "변경 버리기")), key.WithDisabled()),
		Keep:    key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", w("keep editing", "계속 편집")), key.WithDisabled()),
	}
}

func (k EditorKeyMap) ShortHelp() []key.Binding {
	return enabledList([]key.Binding{k.Save, k.Quit, k.Discard, k.Keep})
}

func (k EditorKeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// editorDoneMsg reports the editor closed with text: the saved text, or the text it was
// opened with when the learner quit without saving (kubectl then cancels the edit).
type editorDoneMsg struct{ text string }

// Editor is the built-in editor's model.
type Editor struct {
	ta       textarea.Model
	keys     EditorKeyMap
	st       *Styles
	ko       bool
	title    string
	original string
	asking   bool // quit was pressed on changed text: discard them?
	closed   bool // saved or quit: the text went back to kubectl
	w, h     int
}

// NewEditor opens text for editing; title names what is edited (the kubectl line).
func NewEditor(title, text string, st *Styles, ko bool) *Editor {
	ta := textarea.New()
	ta.ShowLineNumbers = true
	ta.CharLimit = 0
	// textarea keeps at most 10000 lines; MaxHeight sizes the line-number column too.
	ta.MaxHeight = 9999
	ta.MaxWidth = 0
	ta.Prompt = ""
	// The looks on the program's renderer: textarea's defaults use lipgloss's process-wide
	// one, which has no colours (nor the reverse-video cursor) over SSH.
	look := textarea.Style{
		Base:             st.NewStyle(),
		CursorLine:       st.NewStyle(),
		CursorLineNumber: st.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "240", Dark: "250"}),
		EndOfBuffer:      st.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "254", Dark: "0"}),
		LineNumber:       st.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "249", Dark: "240"}),
		Placeholder:      st.NewStyle(),
		Prompt:           st.NewStyle(),
		Text:             st.NewStyle(),
	}
	ta.FocusedStyle, ta.BlurredStyle = look, look
	ta.Cursor.Style, ta.Cursor.TextStyle = st.NewStyle(), st.NewStyle()
	// A steady cursor: a blinking one redraws the screen twice a second for nothing (over
	// SSH, for every student), and a move while it is hidden would show no change at all.
	ta.Cursor.SetMode(cursor.CursorStatic)
	ta.SetValue(text)
	// Start at the top, as an editor opening a file does.
	for ta.Line() > 0 {
		ta.CursorUp()
	}
	ta.CursorStart()
	e := &Editor{ta: ta, keys: DefaultEditorKeyMap(ko), st: st, ko: ko, title: title, original: ta.Value()}
	return e
}

// Init focuses the text (the cursor blinks).
func (e *Editor) Init() tea.Cmd { return e.ta.Focus() }

// KeyMap is what the help line shows while the editor is open.
func (e *Editor) KeyMap() EditorKeyMap {
	k := e.keys
	k.Save.SetEnabled(!e.asking)
	k.Quit.SetEnabled(!e.asking)
	k.Discard.SetEnabled(e.asking)
	k.Keep.SetEnabled(e.asking)
	return k
}

// Active implements Overlay: the editor takes the keys until it is saved or quit.
func (e *Editor) Active() bool { return e != nil && !e.closed }

// ShortHelp implements help.KeyMap (the Overlay key-map hook): the keys that work now.
func (e *Editor) ShortHelp() []key.Binding { return e.KeyMap().ShortHelp() }

// FullHelp implements help.KeyMap.
func (e *Editor) FullHelp() [][]key.Binding { return e.KeyMap().FullHelp() }

// SetSize gives the editor w×h cells: a title line, the text, a status line.
func (e *Editor) SetSize(w, h int) {
	if w == e.w && h == e.h {
		return
	}
	e.w, e.h = w, h
	e.ta.SetWidth(max(1, w))
	e.ta.SetHeight(max(1, h-2))
	if e.ta.Focused() {
		// Keep the cursor in view at the new height (the textarea scrolls only in Update).
		e.ta, _ = e.ta.Update(nil)
	}
}

// Changed reports whether the text differs from what the editor opened with.
func (e *Editor) Changed() bool { return e.ta.Value() != e.original }

// Update implements Overlay: a key edits, saves or quits; saving or quitting answers with
// an editorDoneMsg.
func (e *Editor) Update(msg tea.Msg) tea.Cmd {
	if e.closed {
		return nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmd tea.Cmd
		e.ta, cmd = e.ta.Update(msg)
		return cmd
	}
	k := e.KeyMap()
	switch {
	case e.asking && key.Matches(km, k.Discard):
		return e.done(e.original)
	case e.asking:
		// Any other answer keeps the changes: losing work takes an explicit y.
		e.asking = false
		return nil
	case key.Matches(km, k.Save):
		return e.done(e.ta.Value())
	case key.Matches(km, k.Quit):
		if !e.Changed() {
			return e.done(e.original)
		}
		e.asking = true
		return nil
	}
	var cmd tea.Cmd
	e.ta, cmd = e.ta.Update(km)
	return cmd
}

func (e *Editor) done(text string) tea.Cmd {
	e.ta.Blur()
	e.closed = true
	return func() tea.Msg { return editorDoneMsg{text: text} }
}

// View implements Overlay: the editor in width cells and the height SetSize gave.
func (e *Editor) View(width int) string {
	if width != e.w {
		e.SetSize(width, e.h)
	}
	say := func(en, ko string) string {
		if e.ko {
			return ko
		}
		return en
	}
	title := e.title
	if e.Changed() {
		title += say("  (modified)", "  (수정됨)")
	}
	var status string
	switch {
	case e.asking:
		status = e.st.Header.Render(say("Discard your changes? y: discard, n: keep editing", "변경을 버릴까요? y: 버리기, n: 계속 편집"))
	default:
		status = e.st.Dim.Render(fmt.Sprintf(say("line %d of %d · ctrl+s saves and applies · esc quits without saving",
			"%d/%d행 · ctrl+s 저장하고 적용 · esc 저장하지 않고 나가기"), e.ta.Line()+1, e.ta.LineCount()))
	}
	body := e.ta.View()
	return fit(strings.Join([]string{e.st.Header.Render(title), body, status}, "\n"), width, e.h)
}
