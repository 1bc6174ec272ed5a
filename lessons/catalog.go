package lessons

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/kubetutor/kubetutor/engine/termsafe"
	"github.com/kubetutor/kubetutor/manifests"
)

// BaseLang is the language every lesson must exist in; other languages are checked against it
// and fall back to it.
const BaseLang = "en"

//go:embed */*.yaml
var embedded embed.FS

// Library is a set of lessons, each in one or more languages.
type Library struct {
	byID map[string]map[string]Lesson // id → lang → lesson
	ids  []string                     // catalog order
}

var (
	embeddedOnce sync.Once
	embeddedLib  *Library
	embeddedErr  error
)

// Embedded returns the lessons built into the binary. They are validated on first use; the
// tests make sure this never fails for a released build.
func Embedded() (*Library, error) {
	embeddedOnce.Do(func() {
		embeddedLib, embeddedErr = Load(embedded)
	})
	return embeddedLib, embeddedErr
}

var (
	embeddedInMu sync.Mutex
	embeddedIn   = map[string]*Library{}
)

// EmbeddedIn returns the built-in lessons in lang and in English only, validated as Embedded
// validates them; the other languages' files are not even read. The player starts with it:
// decoding and checking every language was most of its time to the first menu frame, and a
// learner plays one language (L loads the other one when asked for).
func EmbeddedIn(lang string) (*Library, error) {
	lang = NormalizeLang(lang)
	embeddedInMu.Lock()
	defer embeddedInMu.Unlock()
	if lib, ok := embeddedIn[lang]; ok {
		return lib, nil
	}
	// The commands are not put through kubectl's parser here: that builds a whole kubectl
	// command tree (tens of milliseconds, and 2 MB the parse pool kept at the menu) to
	// re-check files the binary carries as the tests checked them (Embedded, which
	// TestEmbeddedCatalog loads, validates everything). Lessons from a folder get every check.
	lib, err := loadChecked(embedded, manifestSet(), map[string]bool{BaseLang: true, lang: true}, false)
	if err != nil {
		return nil, err
	}
	embeddedIn[lang] = lib
	return lib, nil
}

// Catalog returns every embedded lesson in the given language ("en", "ko", or a locale such
// as "ko_KR.UTF-8"), falling back to English for a lesson not written in that language.
func Catalog(lang string) ([]Lesson, error) {
	lib, err := EmbeddedIn(lang)
	if err != nil {
		return nil, err
	}
	return lib.Catalog(lang), nil
}

// Get returns one embedded lesson in the given language (falling back to English).
func Get(id, lang string) (Lesson, error) {
	lib, err := EmbeddedIn(lang)
	if err != nil {
		return Lesson{}, err
	}
	return lib.Get(id, lang)
}

// LoadDir loads and validates the lessons in dir (the --lessons flag): one folder per lesson
// named by its id, holding en.yaml and optionally other languages.
func LoadDir(dir string) (*Library, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("lessons: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("lessons: %s is not a directory", dir)
	}
	return Load(os.DirFS(dir))
}

// Load reads and validates every lesson folder at the root of fsys. All problems are
// reported together, each naming the file, step and field.
func Load(fsys fs.FS) (*Library, error) {
	return load(fsys, manifestSet(), nil)
}

func manifestSet() map[string]bool {
	set := map[string]bool{}
	for _, n := range manifests.Names() {
		set[n] = true
	}
	return set
}

var langFile = regexp.MustCompile(`^([a-z]{2,3})\.yaml$`)

// decoded is one lesson file read and decoded (not yet validated).
type decoded struct {
	lesson Lesson
	err    error
}

// decodeAll reads and decodes every lesson file (DIR/LANG.yaml) under the entries at once,
// one goroutine per file: the player loads the built-in lessons at every start, and YAML
// decoding is most of that time. Validation stays sequential in load (it parses commands
// with kubectl's tree, one parse at a time). only, when not nil, keeps only those languages.
func decodeAll(fsys fs.FS, entries []fs.DirEntry, only map[string]bool) map[string]decoded {
	out := map[string]decoded{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" {
			continue
		}
		files, err := fs.ReadDir(fsys, e.Name())
		if err != nil {
			continue // load reports it
		}
		for _, f := range files {
			m := langFile.FindStringSubmatch(f.Name())
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".yaml") || m == nil || (only != nil && !only[m[1]]) {
				continue
			}
			file := path.Join(e.Name(), f.Name())
			wg.Go(func() {
				var d decoded
				data, err := fs.ReadFile(fsys, file)
				if err != nil {
					d.err = fmt.Errorf("%s: %w", file, err)
				} else {
					d.lesson, d.err = decodeLesson(data, file, m[1])
				}
				mu.Lock()
				out[file] = d
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return out
}

// load reads and validates the lesson folders at the root of fsys; langs, when not nil, are
// the only languages read (BaseLang must be among them).
func load(fsys fs.FS, manifestNames map[string]bool, only map[string]bool) (*Library, error) {
	return loadChecked(fsys, manifestNames, only, true)
}

// loadChecked is load; parseCommands false leaves out kubectl's parse of the commands.
func loadChecked(fsys fs.FS, manifestNames map[string]bool, only map[string]bool, parseCommands bool) (*Library, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("lessons: %w", err)
	}
	lib := &Library{byID: map[string]map[string]Lesson{}}
	var errs []error
	decoded := decodeAll(fsys, entries, only)
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" {
			continue
		}
		dir := e.Name()
		files, err := fs.ReadDir(fsys, dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dir, err))
			continue
		}
		langs := map[string]Lesson{}
		var names []string
		broken := map[string]bool{} // languages whose file did not decode
		for _, f := range files {
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".yaml") {
				continue
			}
			file := path.Join(dir, f.Name())
			m := langFile.FindStringSubmatch(f.Name())
			if m == nil {
				errs = append(errs, &LintError{File: file, Msg: "file name must be a language code such as en.yaml or ko.yaml"})
				continue
			}
			if only != nil && !only[m[1]] {
				continue
			}
			d := decoded[file]
			l, err := d.lesson, d.err
			if err != nil {
				errs = append(errs, err)
				broken[m[1]] = true
				continue
			}
			if l.ID != dir && l.ID != "" {
				errs = append(errs, &LintError{File: file, Field: "id", Msg: fmt.Sprintf("%q does not match the folder name %q", l.ID, dir)})
			}
			errs = append(errs, validateLesson(l, manifestNames, parseCommands)...)
			errs = append(errs, lintVacuous(l)...)
			errs = append(errs, lintPredictions(l)...)
			langs[l.Lang] = l
			names = append(names, l.Lang)
		}
		if len(names) == 0 && len(broken) == 0 {
			continue // not a lesson folder
		}
		base, ok := langs[BaseLang]
		if !ok {
			if broken[BaseLang] {
				continue // already reported
			}
			errs = append(errs, &LintError{File: path.Join(dir, BaseLang+".yaml"), Msg: "missing: every lesson needs an English version"})
			continue
		}
		sort.Strings(names)
		for _, lang := range names {
			if lang != BaseLang {
				errs = append(errs, compareLanguages(base, langs[lang])...)
			}
		}
		lib.byID[dir] = langs
		lib.ids = append(lib.ids, dir)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.SliceStable(lib.ids, func(i, j int) bool {
		a, b := lib.byID[lib.ids[i]][BaseLang], lib.byID[lib.ids[j]][BaseLang]
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.ID < b.ID
	})
	return lib, nil
}

// IDs lists the lesson ids in catalog order.
func (l *Library) IDs() []string { return append([]string(nil), l.ids...) }

// Catalog returns every lesson in the language, in catalog order.
func (l *Library) Catalog(lang string) []Lesson {
	out := make([]Lesson, 0, len(l.ids))
	for _, id := range l.ids {
		out = append(out, l.pick(id, lang))
	}
	return out
}

// Get returns one lesson in the language, falling back to English.
func (l *Library) Get(id, lang string) (Lesson, error) {
	if _, ok := l.byID[id]; !ok {
		return Lesson{}, fmt.Errorf("no lesson %q (known lessons: %s)", id, strings.Join(l.ids, ", "))
	}
	return l.pick(id, lang), nil
}

// Languages lists the languages a lesson is written in, sorted.
func (l *Library) Languages(id string) []string {
	var out []string
	for lang := range l.byID[id] {
		out = append(out, lang)
	}
	sort.Strings(out)
	return out
}

func (l *Library) pick(id, lang string) Lesson {
	langs := l.byID[id]
	if les, ok := langs[NormalizeLang(lang)]; ok {
		return les
	}
	return langs[BaseLang]
}

// NormalizeLang turns a language or locale ("ko", "ko_KR.UTF-8", "en-US", "C") into the
// code lesson files are named by.
func NormalizeLang(lang string) string {
	l := strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(l, "_-.@"); i >= 0 {
		l = l[:i]
	}
	if l == "" || l == "c" || l == "posix" {
		return BaseLang
	}
	return l
}

// File layout: decoded strictly (unknown fields are errors), then turned into Lesson.
type fileLesson struct {
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	Summary string     `json:"summary"`
	Level   string     `json:"level"`
	Minutes int        `json:"minutes"`
	Order   int        `json:"order,omitempty"`
	Steps   []fileStep `json:"steps"`
	Quiz    []Question `json:"quiz,omitempty"`
}

type fileStep struct {
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Goal     string        `json:"goal,omitempty"`
	Body     string        `json:"body"`
	WatchFor string        `json:"watchFor,omitempty"`
	Commands []fileCommand `json:"commands,omitempty"`
	Watch    Watch         `json:"watch"`
	Checks   []Check       `json:"checks,omitempty"`
	Hints    []string      `json:"hints,omitempty"`
	Solution string        `json:"solution,omitempty"`
	Simulate *Simulate     `json:"simulate,omitempty"`
	Predict  *Predict      `json:"predict,omitempty"`
}

// fileCommand is written either as a plain string or as {cmd: "...", noRun: true}.
type fileCommand Command

func (c *fileCommand) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &c.Line)
	}
	var obj struct {
		Cmd   string `json:"cmd"`
		NoRun bool   `json:"noRun"`
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&obj); err != nil {
		return fmt.Errorf("command: want a string or {cmd, noRun}: %w", err)
	}
	c.Line, c.NoRun = obj.Cmd, obj.NoRun
	return nil
}

func decodeLesson(data []byte, file, lang string) (Lesson, error) {
	var fl fileLesson
	if err := yaml.UnmarshalStrict(data, &fl); err != nil {
		return Lesson{}, &LintError{File: file, Msg: cleanYAMLError(err)}
	}
	l := Lesson{
		ID: fl.ID, Lang: lang, Title: fl.Title, Summary: fl.Summary, Level: fl.Level,
		Minutes: fl.Minutes, Order: fl.Order, Quiz: fl.Quiz, Source: file,
	}
	for _, fs := range fl.Steps {
		st := Step{ID: fs.ID, Lang: lang, Title: fs.Title, Goal: fs.Goal, Body: fs.Body, WatchFor: fs.WatchFor,
			Watch: fs.Watch, Checks: fs.Checks, Hints: fs.Hints, Solution: fs.Solution, Simulate: fs.Simulate, Predict: fs.Predict}
		for _, c := range fs.Commands {
			st.Commands = append(st.Commands, c.Line)
			st.Cmds = append(st.Cmds, Command(c))
		}
		l.Steps = append(l.Steps, st)
	}
	// Lesson files are plain text: no escape sequence in them may reach the terminal, and
	// what a step shows is what it runs.
	termsafe.Clean(&l, termsafe.Plain)
	return l, nil
}

// cleanYAMLError drops the wrapping sigs.k8s.io/yaml adds, keeping the part a lesson author
// can act on (line number or unknown field).
func cleanYAMLError(err error) string {
	s := err.Error()
	for _, p := range []string{"error unmarshaling JSON: ", "while decoding JSON: ", "json: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	return s
}
