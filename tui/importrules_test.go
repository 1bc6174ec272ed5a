package tui

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules keeps DESIGN.md's first rule checkable: tui and lessons (tests and
// benchmarks included) reach the cluster through engine and a *rest.Config, never by
// importing the simulator.
func TestImportRules(t *testing.T) {
	sim := path.Join(modulePath(t), "engine", "sim")
	checked := 0
	for _, root := range []string{".", "../lessons"} {
		err := filepath.WalkDir(root, func(file string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(file, ".go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			checked++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if p == sim || strings.HasPrefix(p, sim+"/") {
					t.Errorf("%s imports %s: tui and lessons reach the simulator only through engine's *rest.Config (DESIGN.md)", file, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 50 {
		t.Fatalf("only %d Go files checked: the walk missed the packages", checked)
	}
}

// modulePath is the module's path, from go.mod's module line: the forbidden import is spelled
// from it, so the rule follows the module if it is renamed.
func modulePath(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	t.Fatal("go.mod has no module line")
	return ""
}
