package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// proc is one running program: its container, arguments, streams and environment.
type proc struct {
	ctx    context.Context
	e      *env
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	tty    bool
	cwd    string
	vars   map[string]string // the environment
	depth  int               // processes and shell functions nested above this one
}

// Nesting and size limits, so a runaway script gets an error instead of exhausting the
// simulator (Go stacks and memory are shared by every learner of a server).
const (
	maxDepth    = 64
	maxVarBytes = 1 << 20
	maxArgBytes = 2 << 20
)

func (p *proc) errf(format string, a ...any) {
	fmt.Fprintf(p.stderr, format, a...)
}

// lookPath finds a program in the container's filesystem as execve with $PATH would.
func (p *proc) lookPath(name string) (string, string, bool) {
	if strings.Contains(name, "/") {
		full := abs(p.cwd, name)
		if in, err := p.e.stat(full); err == nil && !in.mode.IsDir() && in.mode&0o111 != 0 {
			return full, in.prog, true
		}
		return full, "", false
	}
	pathVar := p.vars["PATH"]
	if pathVar == "" {
		pathVar = defaultP
	}
	for _, dir := range strings.Split(pathVar, ":") {
		full := path.Join(abs("/", dir), name)
		if in, err := p.e.stat(full); err == nil && !in.mode.IsDir() && in.mode&0o111 != 0 {
			return full, in.prog, true
		}
	}
	return "", "", false
}

// execProgram runs argv as a new process; direct says it was started by the runtime (exec,
// probe, init container) rather than by a shell, which changes the not-found message.
func (p *proc) execProgram(argv []string, direct bool) int {
	if len(argv) == 0 {
		return 0
	}
	full, prog, ok := p.lookPath(argv[0])
	if !ok {
		if direct {
			p.errf("OCI runtime exec failed: exec failed: unable to start container process: exec: %q: executable file not found in $PATH: unknown\n", argv[0])
			// A program the real image has: say it is the simulator that lacks it.
			if notSimulated[path.Base(argv[0])] {
				p.errf("(%s is not available in the simulator's containers)\n", path.Base(argv[0]))
			}
		}
		return 127
	}
	fn := programs[prog]
	if fn == nil {
		p.errf("%s: %s is not available in the simulator\n", argv[0], path.Base(full))
		return 127
	}
	child := &proc{ctx: p.ctx, e: p.e, args: argv, stdin: p.stdin, stdout: p.stdout, stderr: p.stderr,
		tty: p.tty, cwd: p.cwd, vars: p.vars, depth: p.depth + 1}
	if p.ctx.Err() != nil {
		return 130
	}
	if child.depth > maxDepth {
		p.errf("%s: fork: retry: Resource temporarily unavailable (the simulator nests at most %d processes)\n", argv[0], maxDepth)
		return 126
	}
	return fn(child)
}

// --- the shell -----------------------------------------------------------------------------

type shell struct {
	p        *proc
	name     string // "bash" or "sh"
	ash      bool   // busybox messages
	vars     map[string]string
	exported map[string]bool
	arrays   map[string][]string
	funcs    map[string]command
	args     []string // $0 $1 ...
	status   int
	errexit  bool
	xtrace   bool
	nounset  bool
	depth    int // subshell nesting, for xtrace's "++"
	noExit   int // >0 while evaluating a condition (set -e does not apply)
	line     int
	cmdMode  bool // -c: messages say "line N"
	arithRec int
}

// Control flow travels as errors.
type exitErr struct{ code int }
type breakErr struct{ n int }
type contErr struct{ n int }
type returnErr struct{ code int }

func (e exitErr) Error() string   { return "exit" }
func (e breakErr) Error() string  { return "break" }
func (e contErr) Error() string   { return "continue" }
func (e returnErr) Error() string { return "return" }

func newShell(p *proc, name string) *shell {
	sh := &shell{p: p, name: name, ash: p.e.image.shell == "ash", vars: map[string]string{},
		exported: map[string]bool{}, arrays: map[string][]string{}, funcs: map[string]command{}}
	if sh.ash {
		sh.name = "sh"
	}
	for k, v := range p.vars {
		sh.vars[k] = v
		sh.exported[k] = true
	}
	if _, ok := sh.vars["PWD"]; !ok {
		sh.vars["PWD"] = p.cwd
	}
	sh.vars["IFS"] = " \t\n"
	return sh
}

func (sh *shell) get(name string) (string, bool) {
	if a, ok := sh.arrays[name]; ok {
		if len(a) > 0 {
			return a[0], true
		}
		return "", true
	}
	v, ok := sh.vars[name]
	return v, ok
}

func (sh *shell) set(name, v string) {
	delete(sh.arrays, name)
	sh.vars[name] = v
}

// environ is the environment a child program gets.
func (sh *shell) environ(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k := range sh.exported {
		if v, ok := sh.vars[k]; ok {
			out[k] = v
		}
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func (sh *shell) subshell() *shell {
	c := *sh
	cp := *sh.p
	c.p = &cp
	c.vars = map[string]string{}
	for k, v := range sh.vars {
		c.vars[k] = v
	}
	c.exported = map[string]bool{}
	for k, v := range sh.exported {
		c.exported[k] = v
	}
	c.arrays = map[string][]string{}
	for k, v := range sh.arrays {
		c.arrays[k] = append([]string(nil), v...)
	}
	c.funcs = map[string]command{}
	for k, v := range sh.funcs {
		c.funcs[k] = v
	}
	c.depth++
	c.noExit = 0
	return &c
}

func (sh *shell) errPrefix(line int) string {
	if sh.ash {
		return "sh"
	}
	if sh.cmdMode {
		if line <= 0 {
			line = sh.line
		}
		return fmt.Sprintf("%s: line %d", sh.name, line)
	}
	return sh.name
}

// runSource parses and runs a script, returning its exit status.
func (sh *shell) runSource(src string) int {
	if sh.p.depth >= maxDepth {
		fmt.Fprintf(sh.p.stderr, "%s: maximum nesting level exceeded (%d)\n", sh.name, maxDepth)
		return 126
	}
	sh.p.depth++
	defer func() { sh.p.depth-- }()
	prog, err := parseScript(src)
	if err != nil {
		var se *syntaxError
		switch {
		case errors.As(err, &se):
			fmt.Fprintf(sh.p.stderr, "%s: %s\n", sh.errPrefix(se.line), se.msg)
		case errors.Is(err, errIncomplete):
			fmt.Fprintf(sh.p.stderr, "%s: syntax error: unexpected end of file\n", sh.errPrefix(strings.Count(src, "\n")+1))
		default:
			fmt.Fprintf(sh.p.stderr, "%s: %v\n", sh.name, err)
		}
		return 2
	}
	st, err := sh.runList(prog)
	var ee exitErr
	switch {
	case errors.As(err, &ee):
		return ee.code
	case err != nil && sh.p.ctx.Err() != nil:
		return 130
	}
	return st
}

func (sh *shell) runList(l *list) (int, error) {
	st := sh.status
	for _, ao := range l.items {
		if err := sh.p.ctx.Err(); err != nil {
			return 130, err
		}
		var err error
		st, err = sh.runAndOr(ao)
		sh.status = st
		if err != nil {
			return st, err
		}
	}
	return st, nil
}

func (sh *shell) runAndOr(ao *andOr) (int, error) {
	if ao.bg {
		// No job control: a background job runs to completion first (it is still bounded by ctx).
		fmt.Fprintf(sh.p.stderr, "%s: background jobs run in the foreground in the simulator\n", sh.name)
	}
	st := 0
	for i, pl := range ao.pipes {
		if i > 0 {
			op := ao.ops[i-1]
			if (op == "&&" && st != 0) || (op == "||" && st == 0) {
				continue
			}
		}
		last := i == len(ao.pipes)-1
		if !last {
			sh.noExit++
		}
		var err error
		st, err = sh.runPipeline(pl)
		if !last {
			sh.noExit--
		}
		sh.status = st
		if err != nil {
			return st, err
		}
		if last && st != 0 && sh.errexit && sh.noExit == 0 && !pl.neg && isSimple(pl) {
			return st, exitErr{st}
		}
	}
	return st, nil
}

func isSimple(pl *pipeline) bool {
	if len(pl.cmds) > 1 {
		return true
	}
	switch pl.cmds[0].(type) {
	case *simpleCmd, *condCmd:
		return true
	}
	return false
}

func (sh *shell) runPipeline(pl *pipeline) (int, error) {
	if pl.neg {
		sh.noExit++
		defer func() { sh.noExit-- }()
	}
	var st int
	var err error
	if len(pl.cmds) == 1 {
		st, err = sh.runCommand(pl.cmds[0])
	} else {
		st, err = sh.runPipe(pl.cmds)
	}
	if pl.neg {
		if st == 0 {
			st = 1
		} else {
			st = 0
		}
	}
	return st, err
}

// runPipe runs each stage in its own subshell, connected by pipes.
func (sh *shell) runPipe(cmds []command) (int, error) {
	n := len(cmds)
	codes := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	var in io.Reader = sh.p.stdin
	var closers []func()
	for i, c := range cmds {
		sub := sh.subshell()
		sub.depth = sh.depth // the stages trace like the shell itself
		sub.p.stdin = in
		var pw *io.PipeWriter
		if i < n-1 {
			pr, w := io.Pipe()
			pw = w
			sub.p.stdout = w
			in = pr
			closers = append(closers, func() { pr.CloseWithError(io.ErrClosedPipe); w.Close() })
		}
		myIn, _ := sub.p.stdin.(*io.PipeReader)
		wg.Add(1)
		go func(i int, c command, sub *shell, pw *io.PipeWriter, myIn *io.PipeReader) {
			defer wg.Done()
			st, err := sub.runCommand(c)
			var ee exitErr
			if errors.As(err, &ee) {
				st, err = ee.code, nil
			}
			codes[i], errs[i] = st, err
			if pw != nil {
				pw.Close()
			}
			if myIn != nil {
				myIn.CloseWithError(io.ErrClosedPipe)
			}
		}(i, c, sub, pw, myIn)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-sh.p.ctx.Done():
			for _, c := range closers {
				c()
			}
		case <-done:
		}
	}()
	wg.Wait()
	close(done)
	if err := sh.p.ctx.Err(); err != nil {
		return 130, err
	}
	return codes[n-1], nil
}

func (sh *shell) runCommand(c command) (int, error) {
	if err := sh.p.ctx.Err(); err != nil {
		return 130, err
	}
	if sc, ok := c.(*simpleCmd); ok {
		return sh.runSimple(sc)
	}
	if fd, ok := c.(*funcDef); ok {
		sh.funcs[fd.name] = fd.body
		return 0, nil
	}
	restore, err := sh.applyRedirs(c.redirs())
	if err != nil {
		fmt.Fprintf(sh.p.stderr, "%s: %v\n", sh.errPrefix(0), err)
		return 1, nil
	}
	defer restore()
	switch x := c.(type) {
	case *groupCmd:
		if x.sub {
			sub := sh.subshell()
			st, err := sub.runList(x.body)
			var ee exitErr
			if errors.As(err, &ee) {
				return ee.code, nil
			}
			return st, err
		}
		return sh.runList(x.body)
	case *ifCmd:
		for i, cond := range x.conds {
			sh.noExit++
			st, err := sh.runList(cond)
			sh.noExit--
			if err != nil {
				return st, err
			}
			if st == 0 {
				return sh.runList(x.bodies[i])
			}
		}
		if x.els != nil {
			return sh.runList(x.els)
		}
		return 0, nil
	case *loopCmd:
		st := 0
		for {
			if err := sh.p.ctx.Err(); err != nil {
				return 130, err
			}
			sh.noExit++
			cst, err := sh.runList(x.cond)
			sh.noExit--
			if err != nil {
				return cst, err
			}
			if (cst == 0) == x.until {
				return st, nil
			}
			st, err = sh.runList(x.body)
			var be breakErr
			var ce contErr
			switch {
			case errors.As(err, &be):
				if be.n > 1 {
					return st, breakErr{be.n - 1}
				}
				return st, nil
			case errors.As(err, &ce):
				if ce.n > 1 {
					return st, contErr{ce.n - 1}
				}
			case err != nil:
				return st, err
			}
		}
	case *forCmd:
		items := sh.positional()
		if x.in {
			var err error
			items, err = sh.expandWords(x.words)
			if err != nil {
				fmt.Fprintf(sh.p.stderr, "%s: %v\n", sh.errPrefix(0), err)
				return 1, nil
			}
		}
		st := 0
		for _, it := range items {
			if err := sh.p.ctx.Err(); err != nil {
				return 130, err
			}
			sh.set(x.name, it)
			var err error
			st, err = sh.runList(x.body)
			var be breakErr
			var ce contErr
			switch {
			case errors.As(err, &be):
				if be.n > 1 {
					return st, breakErr{be.n - 1}
				}
				return st, nil
			case errors.As(err, &ce):
				if ce.n > 1 {
					return st, contErr{ce.n - 1}
				}
			case err != nil:
				return st, err
			}
		}
		return st, nil
	case *condCmd:
		sh.line = x.line
		return sh.runCond(x)
	}
	return 0, nil
}

// applyRedirs points the shell's streams at files; restore undoes it.
func (sh *shell) applyRedirs(rs []*redir) (func(), error) {
	p := sh.p
	oldIn, oldOut, oldErr := p.stdin, p.stdout, p.stderr
	restore := func() { p.stdin, p.stdout, p.stderr = oldIn, oldOut, oldErr }
	for _, r := range rs {
		fd := r.fd
		switch r.op {
		case "<<", "<<-", "<<<":
			body := r.body
			if r.op == "<<<" {
				s, err := sh.expandOne(r.word)
				if err != nil {
					restore()
					return nil, err
				}
				body = s + "\n"
			} else if !r.quoted {
				segs, err := sh.expandHeredoc(body)
				if err != nil {
					restore()
					return nil, err
				}
				body = segs
			}
			if fd <= 0 {
				p.stdin = strings.NewReader(body)
			}
			continue
		}
		target, err := sh.expandOne(r.word)
		if err != nil {
			restore()
			return nil, err
		}
		switch r.op {
		case ">&", "<&":
			if fd < 0 {
				fd = 1
				if r.op == "<&" {
					fd = 0
				}
			}
			var w io.Writer
			switch target {
			case "1":
				w = p.stdout
			case "2":
				w = p.stderr
			case "-":
				w = io.Discard
			default:
				if r.op == ">&" && fd == 1 && !isDigits(target) {
					// >&file is &>file.
					fw, err := sh.openWrite(target, false)
					if err != nil {
						restore()
						return nil, err
					}
					p.stdout, p.stderr = fw, fw
					continue
				}
				restore()
				return nil, fmt.Errorf("%s: bad file descriptor", target)
			}
			if fd == 1 {
				p.stdout = w
			} else if fd == 2 {
				p.stderr = w
			}
		case ">", ">>", ">|", "&>", "&>>":
			w, err := sh.openWrite(target, r.op == ">>" || r.op == "&>>")
			if err != nil {
				restore()
				return nil, err
			}
			switch {
			case r.op == "&>" || r.op == "&>>":
				p.stdout, p.stderr = w, w
			case fd == 2:
				p.stderr = w
			case fd <= 1:
				p.stdout = w
			}
		case "<":
			switch target {
			case "/dev/null":
				p.stdin = strings.NewReader("")
				continue
			case "/dev/stdin":
				continue
			}
			data, err := p.e.readFile(abs(p.cwd, target))
			if err != nil {
				restore()
				return nil, fmt.Errorf("%s: %v", target, err)
			}
			p.stdin = strings.NewReader(string(data))
		}
	}
	return restore, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (sh *shell) expandHeredoc(body string) (string, error) {
	// In a here-document only $, ` and \ are special; quotes are plain characters.
	var b strings.Builder
	i := 0
	for i < len(body) {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body) && strings.ContainsRune("$`\\\n", rune(body[i+1])):
			if body[i+1] != '\n' {
				b.WriteByte(body[i+1])
			}
			i += 2
		case c == '$' || c == '`':
			end := i + 1
			if c == '`' {
				e, err := skipQuoted(body, i)
				if err != nil {
					return "", err
				}
				end = e
			} else if i+1 < len(body) {
				switch {
				case body[i+1] == '(' || body[i+1] == '{':
					e, err := skipQuoted(body, i)
					if err != nil {
						return "", err
					}
					end = e
				default:
					end = i + 2
					for end < len(body) && isName(body[i+1:end+1]) {
						end++
					}
				}
			}
			segs, err := sh.expandSegs(body[i:end], true)
			if err != nil {
				return "", err
			}
			b.WriteString(joinSegs(segs))
			i = end
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// fileWriter streams a redirection's output into a container file.
type fileWriter struct {
	e *env
	p string
}

func (f *fileWriter) Write(b []byte) (int, error) {
	if err := f.e.writeFile(f.p, b, true); err != nil {
		return 0, &writeErr{path: f.p, err: err}
	}
	return len(b), nil
}

type writeErr struct {
	path string
	err  error
}

func (e *writeErr) Error() string { return e.path + ": " + e.err.Error() }

func (sh *shell) openWrite(target string, appendTo bool) (io.Writer, error) {
	switch target {
	case "/dev/null":
		return io.Discard, nil
	case "/dev/stdout":
		return sh.p.stdout, nil
	case "/dev/stderr":
		return sh.p.stderr, nil
	}
	full := abs(sh.p.cwd, target)
	if appendTo {
		if _, err := sh.p.e.stat(full); err != nil {
			if err := sh.p.e.writeFile(full, nil, false); err != nil {
				return nil, fmt.Errorf("%s: %v", target, err)
			}
		}
	} else if err := sh.p.e.writeFile(full, nil, false); err != nil {
		return nil, fmt.Errorf("%s: %v", target, err)
	}
	return &fileWriter{e: sh.p.e, p: full}, nil
}

// trace prints a command as set -x does.
func (sh *shell) trace(words []string) {
	if !sh.xtrace {
		return
	}
	var b strings.Builder
	b.WriteString(strings.Repeat("+", sh.depth+1))
	for _, w := range words {
		b.WriteByte(' ')
		b.WriteString(traceQuote(w))
	}
	b.WriteByte('\n')
	io.WriteString(sh.p.stderr, b.String())
}

func traceQuote(w string) string {
	if w == "" {
		return "''"
	}
	if strings.ContainsAny(w, " \t\n'\"\\$`;&|<>(){}*?[]!#~") {
		if isAssignment(w) {
			i := strings.IndexByte(w, '=')
			return w[:i+1] + "'" + strings.ReplaceAll(w[i+1:], "'", `'\''`) + "'"
		}
		return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return w
}

func (sh *shell) runSimple(c *simpleCmd) (int, error) {
	sh.line = c.line
	argv, err := sh.expandWords(c.words)
	if err != nil {
		if sh.p.ctx.Err() != nil {
			return 130, err
		}
		fmt.Fprintf(sh.p.stderr, "%s: %v\n", sh.errPrefix(c.line), err)
		if !sh.cmdMode && !sh.ash {
			return 1, nil
		}
		return 1, exitErr{1}
	}
	assigns := map[string]string{}
	var order []string
	for _, a := range c.assigns {
		i := strings.IndexByte(a, '=')
		name, raw := a[:i], a[i+1:]
		appendTo := strings.HasSuffix(name, "+")
		name = strings.TrimSuffix(name, "+")
		v, err := sh.expandOne(raw)
		if err != nil {
			fmt.Fprintf(sh.p.stderr, "%s: %v\n", sh.errPrefix(c.line), err)
			return 1, nil
		}
		if appendTo {
			old, _ := sh.get(name)
			v = old + v
		}
		if len(v) > maxVarBytes {
			fmt.Fprintf(sh.p.stderr, "%s: %s: value too large (the simulator caps a variable at 1 MiB)\n", sh.errPrefix(c.line), name)
			return 1, exitErr{1}
		}
		assigns[name] = v
		order = append(order, name)
	}
	if len(argv) == 0 {
		var tr []string
		for _, n := range order {
			sh.set(n, assigns[n])
			tr = append(tr, n+"="+assigns[n])
		}
		sh.trace(tr)
		if len(c.rs) > 0 {
			restore, err := sh.applyRedirs(c.rs)
			if err != nil {
				fmt.Fprintf(sh.p.stderr, "%s: %v\n", sh.errPrefix(c.line), err)
				return 1, nil
			}
			restore()
		}
		if len(c.words) > 0 || len(c.assigns) > 0 {
			return sh.status, nil
		}
		return 0, nil
	}
	sh.trace(append(prefixAssigns(order, assigns), argv...))
	restore, err := sh.applyRedirs(c.rs)
	if err != nil {
		fmt.Fprintf(sh.p.stderr, "%s: %v\n", sh.errPrefix(c.line), err)
		return 1, nil
	}
	defer restore()
	return sh.invoke(argv, assigns)
}

func prefixAssigns(order []string, a map[string]string) []string {
	var out []string
	for _, n := range order {
		out = append(out, n+"="+a[n])
	}
	return out
}

// invoke runs a function, builtin or program.
func (sh *shell) invoke(argv []string, assigns map[string]string) (int, error) {
	name := argv[0]
	if body, ok := sh.funcs[name]; ok {
		if sh.p.depth >= maxDepth {
			fmt.Fprintf(sh.p.stderr, "%s: %s: maximum function nesting level exceeded (%d)\n", sh.errPrefix(0), name, maxDepth)
			return 1, exitErr{1}
		}
		saved := sh.args
		sh.args = append([]string{sh.args[0]}, argv[1:]...)
		sh.p.depth++
		st, err := sh.runCommand(body)
		sh.p.depth--
		sh.args = saved
		var re returnErr
		if errors.As(err, &re) {
			return re.code, nil
		}
		return st, err
	}
	if b, ok := builtins[name]; ok {
		return b(sh, argv)
	}
	child := &proc{ctx: sh.p.ctx, e: sh.p.e, stdin: sh.p.stdin, stdout: sh.p.stdout, stderr: sh.p.stderr,
		tty: sh.p.tty, cwd: sh.p.cwd, vars: sh.environ(assigns), depth: sh.p.depth + 1}
	if child.depth > maxDepth {
		fmt.Fprintf(sh.p.stderr, "%s: fork: retry: Resource temporarily unavailable (the simulator nests at most %d processes)\n", sh.errPrefix(0), maxDepth)
		return 126, nil
	}
	full, prog, ok := child.lookPath(name)
	if !ok {
		switch {
		case strings.Contains(name, "/"):
			fmt.Fprintf(sh.p.stderr, "%s: %s: No such file or directory\n", sh.errPrefix(0), name)
		case notSimulated[name]:
			fmt.Fprintf(sh.p.stderr, "%s: %s: command not found (the simulator does not provide %s)\n", sh.errPrefix(0), name, name)
		case sh.ash:
			fmt.Fprintf(sh.p.stderr, "sh: %s: not found\n", name)
		default:
			fmt.Fprintf(sh.p.stderr, "%s: %s: command not found\n", sh.errPrefix(0), name)
		}
		return 127, nil
	}
	fn := programs[prog]
	if fn == nil {
		fmt.Fprintf(sh.p.stderr, "%s: %s: %s is not available in the simulator\n", sh.errPrefix(0), name, path.Base(full))
		return 127, nil
	}
	child.args = argv
	code := fn(child)
	if err := sh.p.ctx.Err(); err != nil {
		return 130, err
	}
	return code, nil
}

// --- [[ ]] ---------------------------------------------------------------------------------

func (sh *shell) runCond(c *condCmd) (int, error) {
	// Operands expand once (command substitutions run once), before tracing and evaluating.
	ce := &condEval{sh: sh, w: c.words, segs: make([][]seg, len(c.words))}
	tr := []string{"[["}
	for i, w := range c.words {
		if w == "&&" || w == "||" || w == "!" || w == "(" || w == ")" || isBinaryTestOp(w) || isUnaryTestOp(w) {
			tr = append(tr, w)
			continue
		}
		segs, err := sh.expandSegs(w, false)
		if err != nil {
			if sh.p.ctx.Err() != nil {
				return 130, err
			}
			fmt.Fprintf(sh.p.stderr, "%s: %v\n", sh.errPrefix(c.line), err)
			return 2, nil
		}
		ce.segs[i] = segs
		tr = append(tr, joinSegs(segs))
	}
	tr = append(tr, "]]")
	if sh.xtrace {
		io.WriteString(sh.p.stderr, strings.Repeat("+", sh.depth+1)+" "+strings.Join(tr, " ")+"\n")
	}
	ok, err := ce.or()
	if err != nil {
		fmt.Fprintf(sh.p.stderr, "%s: %v\n", sh.errPrefix(c.line), err)
		return 2, nil
	}
	if ce.i < len(ce.w) {
		fmt.Fprintf(sh.p.stderr, "%s: syntax error in conditional expression\n", sh.errPrefix(c.line))
		return 2, nil
	}
	if ok {
		return 0, nil
	}
	return 1, nil
}

func isUnaryTestOp(w string) bool {
	return len(w) == 2 && w[0] == '-' && strings.ContainsRune("abcdefghLnprsSuwxz", rune(w[1]))
}

type condEval struct {
	sh   *shell
	w    []string
	segs [][]seg // expanded operands, by index
	i    int
}

func (c *condEval) val(k int) string { return joinSegs(c.segs[k]) }

func (c *condEval) peek() string {
	if c.i < len(c.w) {
		return c.w[c.i]
	}
	return ""
}

func (c *condEval) or() (bool, error) {
	x, err := c.and()
	if err != nil {
		return false, err
	}
	for c.peek() == "||" {
		c.i++
		y, err := c.and()
		if err != nil {
			return false, err
		}
		x = x || y
	}
	return x, nil
}

func (c *condEval) and() (bool, error) {
	x, err := c.not()
	if err != nil {
		return false, err
	}
	for c.peek() == "&&" {
		c.i++
		y, err := c.not()
		if err != nil {
			return false, err
		}
		x = x && y
	}
	return x, nil
}

func (c *condEval) not() (bool, error) {
	if c.peek() == "!" {
		c.i++
		v, err := c.not()
		return !v, err
	}
	return c.primary()
}

func (c *condEval) primary() (bool, error) {
	if c.i >= len(c.w) {
		return false, errors.New("syntax error in conditional expression")
	}
	w := c.w[c.i]
	if w == "(" {
		c.i++
		v, err := c.or()
		if err != nil {
			return false, err
		}
		if c.peek() != ")" {
			return false, errors.New("syntax error in conditional expression: expected `)'")
		}
		c.i++
		return v, nil
	}
	if c.i+2 < len(c.w) && isBinaryTestOp(c.w[c.i+1]) {
		op := c.w[c.i+1]
		l := c.val(c.i)
		rk := c.i + 2
		c.i += 3
		if op == "=~" {
			re, err := regexFromSegs(c.segs[rk])
			if err != nil {
				return false, nil // bash: an invalid regex is status 2; false is close enough
			}
			m := re.FindStringSubmatch(l)
			if m == nil {
				c.sh.arrays["BASH_REMATCH"] = []string{}
				return false, nil
			}
			c.sh.arrays["BASH_REMATCH"] = m
			delete(c.sh.vars, "BASH_REMATCH")
			return true, nil
		}
		if op == "==" || op == "=" || op == "!=" {
			// The right side is a pattern unless quoted.
			pat := globPattern(c.segs[rk])
			ok, _ := path.Match(pat, l)
			if strings.Contains(l, "/") || strings.Contains(pat, "/") {
				ok = matchNoSlash(pat, l)
			}
			if op == "!=" {
				return !ok, nil
			}
			return ok, nil
		}
		return binaryTest(c.sh, op, l, c.val(rk))
	}
	if isUnaryTestOp(w) && c.i+1 < len(c.w) {
		arg := c.val(c.i + 1)
		c.i += 2
		return unaryTest(c.sh.p, w, arg)
	}
	v := c.val(c.i)
	c.i++
	return v != "", nil
}

// matchNoSlash matches a glob where * may cross "/" (as [[ == ]] does).
func matchNoSlash(pat, s string) bool {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pat); i++ {
		switch pat[i] {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 < len(pat) {
				i++
				b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
			}
		default:
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	return err == nil && re.MatchString(s)
}

func globPattern(segs []seg) string {
	var b strings.Builder
	for _, s := range segs {
		if s.quoted {
			for _, r := range s.s {
				if strings.ContainsRune("*?[\\", r) {
					b.WriteByte('\\')
				}
				b.WriteRune(r)
			}
			continue
		}
		b.WriteString(s.s)
	}
	return b.String()
}

func isBinaryTestOp(op string) bool {
	switch op {
	case "=", "==", "!=", "=~", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "<", ">", "-nt", "-ot":
		return true
	}
	return false
}

func binaryTest(sh *shell, op, l, r string) (bool, error) {
	switch op {
	case "=", "==":
		return l == r, nil
	case "!=":
		return l != r, nil
	case "<":
		return l < r, nil
	case ">":
		return l > r, nil
	case "-nt", "-ot":
		return false, nil
	}
	toInt := func(s string) (int64, error) {
		if sh != nil {
			return sh.arith(s)
		}
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: integer expression expected", s)
		}
		return v, nil
	}
	a, err := toInt(l)
	if err != nil {
		return false, err
	}
	b, err := toInt(r)
	if err != nil {
		return false, err
	}
	switch op {
	case "-eq":
		return a == b, nil
	case "-ne":
		return a != b, nil
	case "-lt":
		return a < b, nil
	case "-le":
		return a <= b, nil
	case "-gt":
		return a > b, nil
	case "-ge":
		return a >= b, nil
	}
	return false, fmt.Errorf("%s: unknown operator", op)
}

func unaryTest(p *proc, op, arg string) (bool, error) {
	switch op {
	case "-z":
		return arg == "", nil
	case "-n":
		return arg != "", nil
	}
	in, err := p.e.stat(abs(p.cwd, arg))
	exists := err == nil && arg != ""
	switch op {
	case "-e", "-a":
		return exists, nil
	case "-f":
		return exists && in.mode.IsRegular(), nil
	case "-d":
		return exists && in.mode.IsDir(), nil
	case "-s":
		return exists && (in.size > 0 || in.mode.IsDir()), nil
	case "-r", "-w":
		return exists, nil
	case "-x":
		return exists && in.mode&0o111 != 0, nil
	case "-L", "-h", "-p", "-S", "-b", "-c":
		return false, nil
	}
	return false, fmt.Errorf("%s: unary operator expected", op)
}

// --- running a shell as a program ----------------------------------------------------------

// progShell is sh/bash: -c SCRIPT, a script file, or commands from stdin (interactive with a
// terminal).
func progShell(p *proc) int {
	name := path.Base(p.args[0])
	sh := newShell(p, name)
	args := p.args[1:]
	var script string
	haveScript := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) > 1 {
		a := args[0]
		args = args[1:]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "--") {
			continue // --login, --norc and the like
		}
		for _, f := range a[1:] {
			switch f {
			case 'c':
				if len(args) == 0 {
					fmt.Fprintf(p.stderr, "%s: -c: option requires an argument\n", name)
					return 2
				}
				script, haveScript = args[0], true
				args = args[1:]
			case 'e':
				sh.errexit = true
			case 'x':
				sh.xtrace = true
			case 'u':
				sh.nounset = true
			}
		}
	}
	if haveScript {
		sh.cmdMode = true
		sh.args = append([]string{name}, args...)
		if len(args) > 0 {
			sh.args = args
		}
		return sh.runSource(script)
	}
	if len(args) > 0 {
		data, err := p.e.readFile(abs(p.cwd, args[0]))
		if err != nil {
			fmt.Fprintf(p.stderr, "%s: %s: %v\n", name, args[0], err)
			return 127
		}
		sh.cmdMode = true
		sh.args = args
		return sh.runSource(string(data))
	}
	sh.args = []string{name}
	return sh.interactive()
}

// interactive reads commands line by line until EOF or exit. With a terminal it prompts and
// echoes, as a pty would.
func (sh *shell) interactive() int {
	p := sh.p
	in := asLineReader(p)
	p.stdin = in
	var pending strings.Builder
	for {
		if p.tty {
			prompt := sh.prompt()
			if pending.Len() > 0 {
				prompt = "> "
			}
			io.WriteString(p.stdout, prompt)
		}
		line, err := in.readLine()
		if errors.Is(err, errInterrupt) {
			pending.Reset()
			sh.status = 130
			continue
		}
		if err != nil {
			if p.tty {
				io.WriteString(p.stdout, "exit\n")
			}
			return sh.status
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		src := pending.String()
		prog, perr := parseScript(src)
		if errors.Is(perr, errIncomplete) {
			continue
		}
		pending.Reset()
		if perr != nil {
			var se *syntaxError
			if errors.As(perr, &se) {
				fmt.Fprintf(p.stderr, "%s: %s\n", sh.name, se.msg)
			}
			sh.status = 2
			continue
		}
		// Ctrl-C interrupts the running command, not the shell.
		ctx, cancel := context.WithCancel(p.ctx)
		in.onInterrupt(cancel)
		saved := p.ctx
		p.ctx = ctx
		st, rerr := sh.runList(prog)
		p.ctx = saved
		in.onInterrupt(nil)
		interrupted := ctx.Err() != nil
		cancel()
		sh.status = st
		var ee exitErr
		if errors.As(rerr, &ee) {
			return ee.code
		}
		if saved.Err() != nil {
			return 130
		}
		if interrupted && p.tty {
			io.WriteString(p.stdout, "^C\n")
			sh.status = 130
		}
	}
}

func (sh *shell) prompt() string {
	if sh.ash {
		return sh.p.cwd + " # "
	}
	h, _ := sh.get("HOSTNAME")
	dir := sh.p.cwd
	if dir == "/root" {
		dir = "~"
	}
	return fmt.Sprintf("root@%s:%s# ", h, dir)
}

var errInterrupt = errors.New("interrupt")

// lineReader turns a byte stream into lines. With a terminal it does what a pty's line
// discipline does: echo, backspace, Ctrl-C, Ctrl-D.
type lineReader struct {
	ctx   context.Context
	tty   bool
	echo  io.Writer
	ch    chan byte
	errCh chan error
	mu    sync.Mutex
	intr  func()
	rest  []byte
}

func newLineReader(ctx context.Context, r io.Reader, tty bool, echo io.Writer) *lineReader {
	lr := &lineReader{ctx: ctx, tty: tty, echo: echo, ch: make(chan byte, 256), errCh: make(chan error, 1)}
	go func() {
		b := make([]byte, 256)
		for {
			n, err := r.Read(b)
			for _, c := range b[:n] {
				if tty && c == 3 {
					lr.mu.Lock()
					f := lr.intr
					lr.mu.Unlock()
					if f != nil {
						f()
						continue
					}
				}
				select {
				case lr.ch <- c:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				lr.errCh <- err
				return
			}
		}
	}()
	return lr
}

func (lr *lineReader) onInterrupt(f func()) {
	lr.mu.Lock()
	lr.intr = f
	lr.mu.Unlock()
}

func (lr *lineReader) readByte() (byte, error) {
	select {
	case c := <-lr.ch:
		return c, nil
	default:
	}
	select {
	case c := <-lr.ch:
		return c, nil
	case err := <-lr.errCh:
		// Drain what arrived before the error.
		select {
		case c := <-lr.ch:
			lr.errCh <- err
			return c, nil
		default:
		}
		lr.errCh <- err
		return 0, err
	case <-lr.ctx.Done():
		return 0, lr.ctx.Err()
	}
}

func (lr *lineReader) readLine() (string, error) {
	var line []byte
	for {
		c, err := lr.readByte()
		if err != nil {
			if len(line) > 0 && !lr.tty {
				return string(line), nil
			}
			return "", err
		}
		if !lr.tty {
			if c == '\n' {
				return string(line), nil
			}
			line = append(line, c)
			continue
		}
		switch c {
		case '\r', '\n':
			io.WriteString(lr.echo, "\n")
			return string(line), nil
		case 3: // Ctrl-C with nothing running
			io.WriteString(lr.echo, "^C\n")
			return "", errInterrupt
		case 4: // Ctrl-D
			if len(line) == 0 {
				return "", io.EOF
			}
		case 127, 8:
			if len(line) > 0 {
				// Remove a whole UTF-8 character.
				k := len(line) - 1
				for k > 0 && line[k]&0xC0 == 0x80 {
					k--
				}
				line = line[:k]
				io.WriteString(lr.echo, "\b \b")
			}
		case 21: // Ctrl-U
			for range []rune(string(line)) {
				io.WriteString(lr.echo, "\b \b")
			}
			line = line[:0]
		case 27:
			// Escape sequences (arrow keys): swallow "[X".
			lr.readByte()
			lr.readByte()
		default:
			if c < 32 && c != '\t' {
				continue
			}
			line = append(line, c)
			lr.echo.Write([]byte{c})
		}
	}
}

// Read lets programs started from an interactive shell read the terminal in cooked mode:
// a line at a time, ending at Ctrl-D.
func (lr *lineReader) Read(b []byte) (int, error) {
	if len(lr.rest) == 0 {
		line, err := lr.readLine()
		if err != nil {
			if errors.Is(err, errInterrupt) {
				return 0, io.EOF
			}
			return 0, err
		}
		lr.rest = []byte(line + "\n")
	}
	n := copy(b, lr.rest)
	lr.rest = lr.rest[n:]
	return n, nil
}

// asLineReader reuses the shell's terminal reader when there is one.
func asLineReader(p *proc) *lineReader {
	if lr, ok := p.stdin.(*lineReader); ok {
		return lr
	}
	return newLineReader(p.ctx, p.stdin, p.tty, p.stdout)
}

// sortedKeys is used by env and set.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
