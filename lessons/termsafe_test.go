package lessons

import (
	"strings"
	"testing"
)

// A lesson file carrying escape sequences in double-quoted YAML strings (OSC 0/2/52, DCS,
// CSI other than SGR) loads with every text field clean: a step shows what it runs, and
// nothing in it drives the terminal.
func TestLoadStripsEscapesFromLessonText(t *testing.T) {
	evil := `\e]0;t0\a\e]2;t2\e\\\e]52;c;cm0gLXJmIH4=\a\eP+q544e\e\\\e[2J\e[1mB\e[0m`
	en := strings.NewReplacer(
		"title: Demo", `title: "Demo`+evil+`"`,
		"body: Hello.", `body: "Hel`+evil+`lo."`,
		"hints: [Scale it., Use kubectl scale.]", `hints: ["Scale`+evil+` it.", Use kubectl scale.]`,
		"      - kubectl scale sts web --replicas=5", `      - "kubectl scale sts web`+evil+` --replicas=5"`,
		`{text: "Because", correct: true, why: "It is."}`, `{text: "Be`+evil+`cause", correct: true, why: "It is."}`,
	).Replace(goodEN)
	if en == goodEN {
		t.Fatal("the replacements did not apply")
	}
	lib, err := loadMap(t, map[string]string{"demo/en.yaml": en})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	l, _ := lib.Get("demo", "en")
	for _, s := range []string{l.Title, l.Steps[0].Body, l.Steps[1].Hints[0], l.Steps[1].Commands[2], l.Steps[1].Cmds[2].Line, l.Quiz[0].Choices[0].Text} {
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Errorf("%q keeps control bytes", s)
		}
	}
	if l.Title != "DemoB" || l.Steps[0].Body != "HelBlo." || l.Steps[1].Cmds[2].Line != "kubectl scale sts webB --replicas=5" {
		t.Errorf("cleaned: title %q body %q command %q", l.Title, l.Steps[0].Body, l.Steps[1].Cmds[2].Line)
	}
}
