package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/kubetutor/kubetutor/engine/sim/sandbox/coreutils"
	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
)

// programs are the simulated executables, by the name an image's binary points at.
var programs = map[string]func(p *Proc) int{}

func init() {
	programs["sh"], programs["bash"] = progShell, progShell
	for _, m := range []map[string]func(p *Proc) int{coreutils.Programs, netPrograms, mysqlPrograms} {
		for k, v := range m {
			programs[k] = v
		}
	}
}

// Proc is a running program; its System is the container (env).
type Proc = coreutils.Proc

func envOf(p *Proc) *env { return p.Sys.(*env) }

// Nesting and size limits, so a runaway script gets an error instead of exhausting the
// simulator (Go stacks and memory are shared by every learner of a server).
const (
	maxDepth    = 64
	maxArgBytes = 2 << 20
	maxVarBytes = 1 << 20
	maxNesting  = 1000 // parentheses in one script: the parser recurses on them
	// maxFrames bounds the Go stack under one shell: interp runs a shell function call as a
	// Go call, so unbounded recursion would otherwise grow the shared process's stack until
	// the runtime aborts everything.
	maxFrames = 3000
)

func errf(p *Proc, format string, a ...any) {
	fmt.Fprintf(p.Stderr, format, a...)
}

// lookPath finds a program in the container's filesystem as execve with $PATH would.
func lookPath(p *Proc, name string) (string, string, bool) {
	if strings.Contains(name, "/") {
		full := vfs.Abs(p.Cwd, name)
		if in, err := p.Sys.Stat(full); err == nil && !in.Mode.IsDir() && in.Mode&0o111 != 0 {
			return full, in.Prog, true
		}
		return full, "", false
	}
	pathVar := p.Vars["PATH"]
	if pathVar == "" {
		pathVar = defaultP
	}
	for _, dir := range strings.Split(pathVar, ":") {
		full := path.Join(vfs.Abs("/", dir), name)
		if in, err := p.Sys.Stat(full); err == nil && !in.Mode.IsDir() && in.Mode&0o111 != 0 {
			return full, in.Prog, true
		}
	}
	return "", "", false
}

// execProgram runs argv as a new process started by the runtime (exec, probe, init
// container, attach): no shell is involved, so a missing program gets the OCI runtime's error.
func execProgram(p *Proc, argv []string) int {
	if len(argv) == 0 {
		return 0
	}
	full, prog, ok := lookPath(p, argv[0])
	if !ok {
		errf(p, "OCI runtime exec failed: exec failed: unable to start container process: exec: %q: executable file not found in $PATH: unknown\n", argv[0])
		// A program the real image has: say it is the simulator that lacks it.
		if notSimulated[path.Base(argv[0])] {
			errf(p, "(%s is not available in the simulator's containers)\n", path.Base(argv[0]))
		}
		return 127
	}
	fn := programs[prog]
	if fn == nil {
		errf(p, "%s: %s is not available in the simulator\n", argv[0], path.Base(full))
		return 127
	}
	child := *p
	child.Args, child.Depth = argv, p.Depth+1
	if p.Ctx.Err() != nil {
		return 130
	}
	return fn(&child)
}

// --- the shell: mvdan.cc/sh's interpreter on the container's files and programs ------------

// Names of the shell's private commands. They start with NUL, which no shell word can hold,
// so a learner cannot call them.
const (
	cmdType     = "\x00type"
	cmdCommandV = "\x00command-v"
	cmdFail     = "\x00fail"
	cmdNoSubst  = "\x00no-procsubst"
)

// noFifoDir is where interp would make the named pipes of a process substitution. It cannot
// exist on any host (/proc refuses new entries), so nothing the shell does creates a host
// FIFO; the sandbox runs `<(…)` itself (see rewrite).
const noFifoDir = "/proc/kubetutor-sandbox-makes-no-fifos"

var pids atomic.Int64

// shell is one sh/bash process.
type shell struct {
	p      *Proc
	name   string // what messages start with: "bash", "sh" or the script's path
	ash    bool   // busybox wording
	cmd    bool   // -c or a script: messages carry "line N"
	pid    string
	r      *interp.Runner
	realIn io.Reader // the shell's stdin when the runner reads a stand-in pipe
	inR    *os.File  // the stand-in: interp needs an *os.File for stdin
	inW    *os.File
	inEOF  bool
	psub   int          // the next /dev/fd/N for a process substitution
	line   atomic.Int64 // the line of the last command, for messages that have no position
	multi  bool         // the script has more than one line

	mu    sync.Mutex // pipeline stages call the handlers concurrently
	funcs map[string]bool
}

func newShell(p *Proc, name string, params []string, opts []string) (*shell, error) {
	sh := &shell{p: p, name: name, ash: envOf(p).image.shell == "ash", funcs: map[string]bool{},
		pid: strconv.FormatInt(100+pids.Add(1), 10)}
	stdin, ok := p.Stdin.(*os.File)
	if !ok {
		// interp copies any other reader into a pipe eagerly, which would steal the lines an
		// interactive learner types next. The runner gets a pipe that is fed only when the
		// read builtin needs a line; programs read the real stream directly.
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		sh.inR, sh.inW, sh.realIn, stdin = r, w, p.Stdin, r
	}
	env := newEnviron(p.Vars)
	env.hideTmp = true
	ps := append(append(opts, "--"), params...)
	r, err := interp.New(
		interp.Env(env),
		func(r *interp.Runner) error { r.Dir = p.Cwd; return nil }, // interp.Dir stats the host
		interp.StdIO(stdin, p.Stdout, p.Stderr),
		interp.Params(ps...),
		interp.CallHandler(sh.call),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc { return sh.exec }),
		interp.OpenHandler(sh.open),
		interp.StatHandler(sh.stat),
		interp.ReadDirHandler2(sh.readDir),
		interp.AccessHandler(sh.access),
	)
	if err != nil {
		sh.close()
		return nil, err
	}
	r.Reset() // reads TMPDIR once, while the environment shows noFifoDir
	env.hideTmp = false
	sh.r = r
	return sh, nil
}

func (sh *shell) close() {
	if sh.inR != nil {
		sh.inR.Close()
		sh.inW.Close()
	}
	for i := sh.psub; i > 0; i-- {
		_ = sh.p.Sys.Remove(fmt.Sprintf("/dev/fd/%d", 64-i), false)
	}
}

// prefix starts a message as the shell would: "bash: line 3" for -c and scripts.
func (sh *shell) prefix(pos syntax.Pos) string {
	if sh.ash {
		return "sh"
	}
	if !sh.cmd {
		return sh.name
	}
	line := int64(1)
	switch {
	case pos.IsValid():
		line = int64(pos.Line())
	case sh.multi:
		line = max(sh.line.Load(), 1)
	}
	return fmt.Sprintf("%s: line %d", sh.name, line)
}

func (sh *shell) parse(src, name string) (*syntax.File, error) {
	if len(src) > maxArgBytes {
		return nil, errors.New("script too large (the simulator caps a script at 2 MiB)")
	}
	depth, most := 0, 0
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '(', '{':
			depth++
			most = max(most, depth)
		case ')', '}':
			depth--
		}
	}
	if most > maxNesting {
		return nil, fmt.Errorf("syntax error: nested more than %d levels (the simulator's limit)", maxNesting)
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), name)
	if err != nil {
		return nil, err
	}
	sh.rewrite(f)
	return f, nil
}

// syntaxMessage words a parse error as bash does.
func (sh *shell) syntaxMessage(err error, src string) string {
	var pe syntax.ParseError
	where := sh.name
	if sh.cmd && sh.name == "bash" {
		where = "bash: -c"
	}
	if errors.As(err, &pe) {
		if q, ok := strings.CutPrefix(pe.Text, "reached EOF without closing quote "); ok && !sh.ash {
			q = strings.Trim(q, "`")
			return fmt.Sprintf("%s: line %d: unexpected EOF while looking for matching `%s'\n", where, pe.Pos.Line(), q)
		}
		if pe.Incomplete {
			return fmt.Sprintf("%s: line %d: syntax error: unexpected end of file\n", where, strings.Count(strings.TrimSuffix(src, "\n"), "\n")+2)
		}
		if sh.ash {
			return fmt.Sprintf("sh: syntax error: %s\n", pe.Text)
		}
		return fmt.Sprintf("%s: line %d: syntax error: %s\n", where, pe.Pos.Line(), pe.Text)
	}
	return fmt.Sprintf("%s: %v\n", where, err)
}

// run runs a whole script (-c or a file): status, and the EXIT trap at the end.
func (sh *shell) run(src string) int {
	f, err := sh.parse(src, sh.name)
	if err != nil {
		io.WriteString(sh.p.Stderr, sh.syntaxMessage(err, src))
		return 2
	}
	return sh.status(sh.r.Run(sh.p.Ctx, f))
}

func (sh *shell) status(err error) int {
	if sh.p.Ctx.Err() != nil {
		return 130
	}
	if err == nil {
		return 0
	}
	if st, ok := interp.IsExitStatus(err); ok {
		return int(st)
	}
	// A handler's refusal (too deep, too large) ends the shell with its message.
	fmt.Fprintf(sh.p.Stderr, "%s: %v\n", sh.name, err)
	return 2
}

// rewrite makes a parsed script safe and faithful to run on the sandbox: $$ and $PPID are the
// container's, not the simulator's process ids, and process substitutions become files.
func (sh *shell) rewrite(f *syntax.File) {
	fixParts := func(parts []syntax.WordPart) {
		for i, wp := range parts {
			switch x := wp.(type) {
			case *syntax.ParamExp:
				if x.Param == nil || x.Exp != nil || x.Repl != nil || x.Slice != nil || x.Index != nil || x.Length || x.Width || x.Excl {
					continue
				}
				switch x.Param.Value {
				case "$":
					parts[i] = &syntax.Lit{ValuePos: x.Pos(), ValueEnd: x.End(), Value: sh.pid}
				case "PPID":
					parts[i] = &syntax.Lit{ValuePos: x.Pos(), ValueEnd: x.End(), Value: "1"}
				}
			case *syntax.ProcSubst:
				parts[i] = sh.procSubst(x)
			}
		}
	}
	syntax.Walk(f, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.Word:
			fixParts(x.Parts)
		case *syntax.DblQuoted:
			fixParts(x.Parts)
		case *syntax.WhileClause:
			markLoop(x.Do)
		case *syntax.ForClause:
			markLoop(x.Do)
		case *syntax.FuncDecl:
			sh.mu.Lock()
			sh.funcs[x.Name.Value] = true
			sh.mu.Unlock()
		}
		return true
	})
}

// markLoop adds 2>checkMarker in front of a loop body's first statement's redirections: it
// leaves stderr where it was and lets open run guard on every turn.
func markLoop(body []*syntax.Stmt) {
	if len(body) == 0 {
		return
	}
	rd := &syntax.Redirect{Op: syntax.RdrOut, N: &syntax.Lit{Value: "2"}, Word: lit(checkMarker)}
	body[0].Redirs = append([]*syntax.Redirect{rd}, body[0].Redirs...)
}

// procSubst turns <(list) into $( { list; } >/dev/fd/N; echo /dev/fd/N ): the list runs to
// completion first and its output is a file in the container, as bash's /dev/fd/N would read.
// >(list) is refused: it needs a reader running alongside the command.
func lit(s string) *syntax.Word { return &syntax.Word{Parts: []syntax.WordPart{&syntax.Lit{Value: s}}} }

func (sh *shell) procSubst(ps *syntax.ProcSubst) syntax.WordPart {
	call := func(args ...string) *syntax.Stmt {
		ce := &syntax.CallExpr{}
		for _, a := range args {
			ce.Args = append(ce.Args, lit(a))
		}
		return &syntax.Stmt{Cmd: ce}
	}
	if ps.Op != syntax.CmdIn {
		return &syntax.CmdSubst{Left: ps.OpPos, Right: ps.Rparen, Stmts: []*syntax.Stmt{call(cmdNoSubst)}}
	}
	sh.psub = sh.psub%8 + 1
	file := fmt.Sprintf("/dev/fd/%d", 64-sh.psub)
	run := &syntax.Stmt{Cmd: &syntax.Block{Stmts: ps.Stmts},
		Redirs: []*syntax.Redirect{{Op: syntax.RdrOut, Word: lit(file)}}}
	return &syntax.CmdSubst{Left: ps.OpPos, Right: ps.Rparen, Stmts: []*syntax.Stmt{run, call("echo", file)}}
}

// --- handlers --------------------------------------------------------------------------------

var (
	errTooDeep  = errors.New("maximum function nesting level exceeded (the simulator stops runaway recursion)")
	errTooLarge = errors.New("value too large (the simulator caps a variable at 1 MiB)")
)

// checkMarker is the file of a redirection rewrite adds to every loop body, so each turn of a
// loop passes through guard even when it runs no command. On Linux 2>/proc/self/fd/2 changes
// nothing, and so it does here.
const checkMarker = "/proc/self/fd/2"

// guard stops a shell whose variables grow past the cap (x=$x$x in a loop doubles forever).
func guard(hc interp.HandlerContext) error {
	var err error
	hc.Env.Each(func(name string, vr expand.Variable) bool {
		n := len(vr.Str)
		for _, s := range vr.List {
			n += len(s)
		}
		for _, s := range vr.Map {
			n += len(s)
		}
		if n > maxVarBytes {
			err = fmt.Errorf("%s: %w", name, errTooLarge)
			return false
		}
		return true
	})
	return err
}

// call sees every simple command after expansion: it bounds recursion and argument size and
// sends the builtins that would look at the host (type, command -v, source's PATH search, cd's
// messages) to the sandbox's own versions.
func (sh *shell) call(ctx context.Context, args []string) ([]string, error) {
	var pcs [maxFrames]uintptr
	if runtime.Callers(1, pcs[:]) >= maxFrames {
		return nil, fmt.Errorf("%s: %w", args[0], errTooDeep)
	}
	n := 0
	for _, a := range args {
		n += len(a)
	}
	hc := interp.HandlerCtx(ctx)
	if hc.Pos.IsValid() {
		sh.line.Store(int64(hc.Pos.Line()))
	}
	if err := guard(hc); err != nil {
		return nil, err
	}
	if n > maxArgBytes {
		return []string{cmdFail, "126", fmt.Sprintf("%s: %s: Argument list too long (the simulator caps a command at 2 MiB)\n", sh.prefix(hc.Pos), args[0])}, nil
	}
	switch args[0] {
	case "type":
		return append([]string{cmdType}, args[1:]...), nil
	case "command":
		if len(args) > 2 && (args[1] == "-v" || args[1] == "-V") {
			return append([]string{cmdCommandV}, args[1:]...), nil
		}
	case "source", ".":
		if len(args) > 1 && !strings.Contains(args[1], "/") {
			p := sh.procFor(hc, args)
			if full, ok := sh.findFile(p, args[1]); ok {
				args = append([]string{args[0], full}, args[2:]...)
			}
		}
	case "cd":
		return sh.checkCd(hc, args), nil
	case "eval":
		// interp parses eval's text itself; rewrite it as the script was rewritten.
		src := strings.Join(args[1:], " ")
		if f, err := sh.parse(src, ""); err == nil {
			var b strings.Builder
			if syntax.NewPrinter().Print(&b, f) == nil {
				return []string{"eval", b.String()}, nil
			}
		}
	case "read", "mapfile", "readarray":
		if hc.Stdin == io.Reader(sh.inR) && sh.inR != nil {
			sh.feed(args[0] == "read")
		}
	}
	return args, nil
}

// feed moves a line (or, for mapfile, everything) of the real stdin into the stand-in pipe.
func (sh *shell) feed(line bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.inEOF {
		return
	}
	var buf []byte
	b := make([]byte, 1)
	for len(buf) < 60<<10 {
		n, err := sh.realIn.Read(b)
		if n > 0 {
			buf = append(buf, b[0])
			if line && b[0] == '\n' {
				break
			}
		}
		if err != nil {
			sh.inEOF = true
			break
		}
	}
	sh.inW.Write(buf)
	if sh.inEOF {
		sh.inW.Close()
	}
}

func (sh *shell) checkCd(hc interp.HandlerContext, args []string) []string {
	ops := args[1:]
	for len(ops) > 0 && (ops[0] == "-L" || ops[0] == "-P") {
		ops = ops[1:]
	}
	if len(ops) > 0 && ops[0] == "--" {
		ops = ops[1:]
	}
	var target string
	switch {
	case len(ops) > 1:
		return []string{cmdFail, "1", sh.prefix(hc.Pos) + ": cd: too many arguments\n"}
	case len(ops) == 0:
		target = hc.Env.Get("HOME").String()
		if target == "" {
			return []string{cmdFail, "1", sh.prefix(hc.Pos) + ": cd: HOME not set\n"}
		}
	case ops[0] == "-":
		return args
	default:
		target = ops[0]
	}
	in, err := sh.p.Sys.Stat(vfs.Abs(hc.Dir, target))
	if err == nil && !in.Mode.IsDir() {
		err = vfs.ErrNotDir
	}
	if err != nil {
		return []string{cmdFail, "1", fmt.Sprintf("%s: cd: %s: %v\n", sh.prefix(hc.Pos), target, coreutils.UnwrapPathErr(err))}
	}
	return args
}

// procFor is the process a command of this shell runs as.
func (sh *shell) procFor(hc interp.HandlerContext, args []string) *Proc {
	vars := map[string]string{}
	hc.Env.Each(func(name string, vr expand.Variable) bool {
		if vr.Exported && vr.IsSet() && vr.Kind == expand.String {
			vars[name] = vr.Str
		}
		return true
	})
	in := hc.Stdin
	if sh.inR != nil && in == io.Reader(sh.inR) {
		in = sh.realIn
	}
	if in == nil {
		in = strings.NewReader("")
	}
	return &Proc{Ctx: sh.p.Ctx, Sys: sh.p.Sys, Args: args, Stdin: in, Stdout: hc.Stdout, Stderr: hc.Stderr,
		TTY: sh.p.TTY && hc.Stdout == sh.p.Stdout, Cwd: hc.Dir, Vars: vars, Depth: sh.p.Depth + 1}
}

// findFile looks a name up in $PATH for source (any file) or command -v (executables).
func (sh *shell) findFile(p *Proc, name string) (string, bool) {
	for _, dir := range strings.Split(p.Vars["PATH"], ":") {
		full := path.Join(vfs.Abs(p.Cwd, dir), name)
		if in, err := p.Sys.Stat(full); err == nil && !in.Mode.IsDir() {
			return full, true
		}
	}
	return "", false
}

func exitCode(code int) error {
	if code == 0 {
		return nil
	}
	return interp.ExitStatus(uint8(code))
}

// exec runs a program from the container's $PATH, or one of the shell's private commands.
func (sh *shell) exec(ctx context.Context, args []string) error {
	hc := interp.HandlerCtx(ctx)
	p := sh.procFor(hc, args)
	switch args[0] {
	case cmdFail:
		io.WriteString(p.Stderr, args[2])
		code, _ := strconv.Atoi(args[1])
		return exitCode(code)
	case cmdType, cmdCommandV:
		return exitCode(sh.describe(p, hc, args))
	case cmdNoSubst:
		fmt.Fprintf(p.Stderr, "%s: process substitution >(…) is not available in the simulator\n", sh.prefix(hc.Pos))
		io.WriteString(p.Stdout, "/dev/null")
		return exitCode(1)
	}
	if p.Depth > maxDepth {
		fmt.Fprintf(p.Stderr, "%s: fork: retry: Resource temporarily unavailable (the simulator nests at most %d processes)\n", sh.prefix(hc.Pos), maxDepth)
		return exitCode(126)
	}
	name := args[0]
	full, prog, ok := lookPath(p, name)
	if !ok {
		in, err := p.Sys.Stat(full)
		switch {
		case strings.Contains(name, "/") && err == nil && in.Mode.IsDir():
			fmt.Fprintf(p.Stderr, "%s: %s: Is a directory\n", sh.prefix(hc.Pos), name)
			return exitCode(126)
		case strings.Contains(name, "/") && err == nil:
			fmt.Fprintf(p.Stderr, "%s: %s: Permission denied\n", sh.prefix(hc.Pos), name)
			return exitCode(126)
		case strings.Contains(name, "/") && sh.ash:
			fmt.Fprintf(p.Stderr, "sh: %s: not found\n", name)
		case strings.Contains(name, "/"):
			fmt.Fprintf(p.Stderr, "%s: %s: No such file or directory\n", sh.prefix(hc.Pos), name)
		case notSimulated[name]:
			fmt.Fprintf(p.Stderr, "%s: %s: command not found (the simulator does not provide %s)\n", sh.prefix(hc.Pos), name, name)
		case sh.ash:
			fmt.Fprintf(p.Stderr, "sh: %s: not found\n", name)
		default:
			fmt.Fprintf(p.Stderr, "%s: %s: command not found\n", sh.prefix(hc.Pos), name)
		}
		return exitCode(127)
	}
	fn := programs[prog]
	if fn == nil {
		fmt.Fprintf(p.Stderr, "%s: %s: %s is not available in the simulator\n", sh.prefix(hc.Pos), name, path.Base(full))
		return exitCode(127)
	}
	code := fn(p)
	if ctx.Err() != nil {
		return exitCode(130)
	}
	return exitCode(code)
}

// describe is type and command -v/-V, looking programs up in the container, not the host.
func (sh *shell) describe(p *Proc, hc interp.HandlerContext, args []string) int {
	verbose := args[0] == cmdType
	names := args[1:]
	if args[0] == cmdCommandV {
		verbose = names[0] == "-V"
		names = names[1:]
	}
	typeT := false
	if args[0] == cmdType && len(names) > 0 && names[0] == "-t" {
		typeT, names = true, names[1:]
	}
	st := 0
	for _, n := range names {
		sh.mu.Lock()
		fn := sh.funcs[n]
		sh.mu.Unlock()
		kind, where := "", ""
		switch {
		case syntax.IsKeyword(n):
			kind = "keyword"
		case fn:
			kind = "function"
		case interp.IsBuiltin(n):
			kind = "builtin"
		default:
			if full, _, ok := lookPath(p, n); ok {
				kind, where = "file", full
			}
		}
		switch {
		case kind == "":
			st = 1
			if verbose {
				fmt.Fprintf(p.Stderr, "%s: %s: %s: not found\n", sh.prefix(hc.Pos), map[bool]string{true: "type", false: "command"}[args[0] == cmdType], n)
			}
		case typeT:
			fmt.Fprintln(p.Stdout, kind)
		case !verbose && kind == "file":
			fmt.Fprintln(p.Stdout, where)
		case !verbose:
			fmt.Fprintln(p.Stdout, n)
		case kind == "file":
			fmt.Fprintf(p.Stdout, "%s is %s\n", n, where)
		case kind == "builtin":
			fmt.Fprintf(p.Stdout, "%s is a shell builtin\n", n)
		default:
			fmt.Fprintf(p.Stdout, "%s is a shell %s\n", n, kind)
		}
	}
	return st
}

// fileInfo is a sandbox file as fs.FileInfo, for interp's tests and globbing.
type fileInfo struct{ in Info }

func (f fileInfo) Name() string       { return f.in.Name }
func (f fileInfo) Size() int64        { return int64(f.in.Size) }
func (f fileInfo) Mode() fs.FileMode  { return f.in.Mode }
func (f fileInfo) ModTime() time.Time { return f.in.MTime }
func (f fileInfo) IsDir() bool        { return f.in.Mode.IsDir() }

// Sys is what interp's -O and -G tests read (fileinfo_unix.go, fileinfo_other.go).
func (f fileInfo) Sys() any { return statSys() }

// devices the container has besides its files.
var devices = map[string]bool{"/dev/null": true, "/dev/stdin": true, "/dev/stdout": true,
	"/dev/stderr": true, "/dev/tty": true, "/dev/zero": true}

func (sh *shell) stat(ctx context.Context, name string, _ bool) (fs.FileInfo, error) {
	hc := interp.HandlerCtx(ctx)
	full := vfs.Abs(hc.Dir, name)
	if devices[full] {
		return fileInfo{Info{Name: path.Base(full), Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666}}, nil
	}
	in, err := sh.p.Sys.Stat(full)
	if err != nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: coreutils.UnwrapPathErr(err)}
	}
	return fileInfo{in}, nil
}

func (sh *shell) access(ctx context.Context, name string, mode interp.AccessMode) error {
	fi, err := sh.stat(ctx, name, true)
	if err != nil {
		return err
	}
	if mode&interp.AccessExec != 0 && !fi.IsDir() && fi.Mode()&0o111 == 0 {
		return &os.PathError{Op: "access", Path: name, Err: fs.ErrPermission}
	}
	if mode&interp.AccessWrite != 0 && !devices[name] && !envOf(sh.p).writable(vfs.Abs(interp.HandlerCtx(ctx).Dir, name)) {
		return &os.PathError{Op: "access", Path: name, Err: vfs.ErrReadOnly}
	}
	return nil
}

func (sh *shell) readDir(ctx context.Context, name string) ([]fs.DirEntry, error) {
	hc := interp.HandlerCtx(ctx)
	list, isDir, err := sh.p.Sys.ReadDir(vfs.Abs(hc.Dir, name))
	if err != nil || !isDir {
		if err == nil {
			err = vfs.ErrNotDir
		}
		return nil, &os.PathError{Op: "readdir", Path: name, Err: err}
	}
	out := make([]fs.DirEntry, len(list))
	for i, in := range list {
		out[i] = fs.FileInfoToDirEntry(fileInfo{in})
	}
	return out, nil
}

type readOnly struct{ io.Reader }

func (readOnly) Write([]byte) (int, error) { return 0, errors.New("bad file descriptor") }
func (readOnly) Close() error              { return nil }

type writeOnly struct{ io.Writer }

func (writeOnly) Read([]byte) (int, error) { return 0, errors.New("bad file descriptor") }
func (writeOnly) Close() error             { return nil }

// open serves redirections and source from the container's files; the error's Op is the
// message prefix, so interp prints "bash: line 1: FILE: No such file or directory".
func (sh *shell) open(ctx context.Context, name string, flag int, _ os.FileMode) (io.ReadWriteCloser, error) {
	hc := interp.HandlerCtx(ctx)
	full := vfs.Abs(hc.Dir, name)
	if vfs.Abs(hc.Dir, name) == checkMarker {
		if err := guard(hc); err != nil {
			return nil, err
		}
		return writeOnly{hc.Stderr}, nil
	}
	write := flag&(os.O_WRONLY|os.O_RDWR) != 0
	fail := func(err error) error {
		err = coreutils.UnwrapPathErr(err)
		if sh.ash {
			// busybox: "sh: can't open FILE: no such file", "sh: can't create FILE: …"
			verb, text := "create", err.Error()
			if !write {
				verb = "open"
			}
			switch {
			case errors.Is(err, vfs.ErrNotExist) && write:
				text = "nonexistent directory"
			case errors.Is(err, vfs.ErrNotExist):
				text = "no such file"
			}
			return &os.PathError{Op: "sh:", Path: "can't " + verb + " " + name, Err: errors.New(text)}
		}
		return &os.PathError{Op: sh.prefix(syntax.Pos{}) + ":", Path: name, Err: err}
	}
	switch full {
	case "/dev/null", "/dev/zero":
		if write {
			return writeOnly{io.Discard}, nil
		}
		return readOnly{strings.NewReader("")}, nil
	case "/dev/stdout", "/dev/tty", "/proc/self/fd/1":
		return writeOnly{hc.Stdout}, nil
	case "/dev/stderr", "/proc/self/fd/2":
		return writeOnly{hc.Stderr}, nil
	case "/dev/stdin":
		p := sh.procFor(hc, nil)
		return readOnly{p.Stdin}, nil
	}
	if !write {
		data, err := sh.p.Sys.ReadFile(full)
		if err != nil {
			return nil, fail(err)
		}
		return readOnly{strings.NewReader(string(data))}, nil
	}
	if flag&os.O_APPEND != 0 {
		if _, err := sh.p.Sys.Stat(full); err != nil {
			if err := sh.p.Sys.WriteFile(full, nil, false); err != nil {
				return nil, fail(err)
			}
		}
	} else if err := sh.p.Sys.WriteFile(full, nil, false); err != nil {
		return nil, fail(err)
	}
	return writeOnly{&fileWriter{e: envOf(sh.p), p: full}}, nil
}

// fileWriter streams a redirection's output into a container file.
type fileWriter struct {
	e *env
	p string
}

func (f *fileWriter) Write(b []byte) (int, error) {
	if err := f.e.WriteFile(f.p, b, true); err != nil {
		return 0, &writeErr{path: f.p, err: err}
	}
	return len(b), nil
}

type writeErr struct {
	path string
	err  error
}

func (e *writeErr) Error() string { return e.path + ": " + e.err.Error() }
func (e *writeErr) Unwrap() error { return e.err }

// --- the environment -------------------------------------------------------------------------

// environ is the shell's starting environment, built from the container's and nothing of the
// host's: interp would otherwise fill HOME, UID and TMPDIR from the simulator's process.
type environ struct {
	vars    map[string]expand.Variable
	names   []string
	hideTmp bool
}

func newEnviron(vars map[string]string) *environ {
	e := &environ{vars: map[string]expand.Variable{}}
	for k, v := range vars {
		e.vars[k] = expand.Variable{Set: true, Exported: true, Kind: expand.String, Str: v}
	}
	for _, k := range []string{"UID", "EUID", "GID"} {
		e.vars[k] = expand.Variable{Set: true, ReadOnly: true, Kind: expand.String, Str: "0"}
	}
	if _, ok := e.vars["HOME"]; !ok {
		e.vars["HOME"] = expand.Variable{Set: true, Kind: expand.String, Str: "/root"}
	}
	for k := range e.vars {
		e.names = append(e.names, k)
	}
	sort.Strings(e.names)
	return e
}

func (e *environ) Get(name string) expand.Variable {
	if name == "TMPDIR" && e.hideTmp {
		return expand.Variable{Set: true, Kind: expand.String, Str: noFifoDir}
	}
	return e.vars[name]
}

func (e *environ) Each(f func(name string, vr expand.Variable) bool) {
	for _, k := range e.names {
		if !f(k, e.vars[k]) {
			return
		}
	}
}

// --- running a shell as a program ----------------------------------------------------------

// progShell is sh/bash: -c SCRIPT, a script file, or commands from stdin (interactive with a
// terminal).
func progShell(p *Proc) (code int) {
	defer func() {
		// interp panics on states it does not expect; a learner's script must not take the
		// simulator down with it.
		if v := recover(); v != nil {
			fmt.Fprintf(p.Stderr, "%s: internal error in the simulator's shell: %v\n", path.Base(p.Args[0]), v)
			code = 2
		}
	}()
	name := path.Base(p.Args[0])
	if envOf(p).image.shell == "ash" {
		name = "sh"
	}
	if p.Depth > maxDepth {
		fmt.Fprintf(p.Stderr, "%s: fork: retry: Resource temporarily unavailable (the simulator nests at most %d processes)\n", name, maxDepth)
		return 126
	}
	args := p.Args[1:]
	var opts []string
	script, haveScript := "", false
	for len(args) > 0 && len(args[0]) > 1 && (args[0][0] == '-' || args[0][0] == '+') {
		a := args[0]
		args = args[1:]
		if a == "--" || a == "-" {
			break
		}
		if strings.HasPrefix(a, "--") {
			continue // --login, --norc and the like
		}
		for _, f := range a[1:] {
			switch f {
			case 'c':
				if len(args) == 0 && !haveScript {
					fmt.Fprintf(p.Stderr, "%s: -c: option requires an argument\n", name)
					return 2
				}
				script, haveScript = args[0], true
				args = args[1:]
			case 'o':
				if len(args) > 0 {
					opts = append(opts, a[:1]+"o", args[0])
					args = args[1:]
				}
			case 'e', 'x', 'u', 'f', 'n', 'a', 'v':
				opts = append(opts, a[:1]+string(f))
			}
		}
	}
	var params []string
	src, file := script, name
	switch {
	case haveScript:
		if len(args) > 0 {
			file, params = args[0], args[1:]
		}
	case len(args) > 0:
		data, err := p.Sys.ReadFile(vfs.Abs(p.Cwd, args[0]))
		if err != nil {
			fmt.Fprintf(p.Stderr, "%s: %s: %v\n", name, args[0], coreutils.UnwrapPathErr(err))
			return 127
		}
		src, file, params = string(data), args[0], args[1:]
	}
	sh, err := newShell(p, name, params, opts)
	if err != nil {
		fmt.Fprintf(p.Stderr, "%s: %v\n", name, err)
		return 2
	}
	defer sh.close()
	if !haveScript && len(args) == 0 {
		return sh.interactive()
	}
	sh.cmd, sh.multi = true, strings.Contains(strings.TrimSuffix(src, "\n"), "\n")
	if !haveScript && !sh.ash {
		sh.name = file
	}
	f, perr := sh.parse(src, file)
	if perr != nil {
		io.WriteString(p.Stderr, sh.syntaxMessage(perr, src))
		return 2
	}
	return sh.status(sh.r.Run(p.Ctx, f))
}

// interactive reads commands line by line until EOF or exit. With a terminal it prompts and
// echoes, as a pty would.
func (sh *shell) interactive() int {
	p := sh.p
	in := asLineReader(p)
	sh.realIn = in
	var pending strings.Builder
	last := 0
	for {
		if p.TTY {
			prompt := sh.prompt()
			if pending.Len() > 0 {
				prompt = "> "
			}
			io.WriteString(p.Stdout, prompt)
		}
		line, err := in.readLine()
		if errors.Is(err, errInterrupt) {
			pending.Reset()
			last = 130
			continue
		}
		if err != nil {
			if p.TTY {
				io.WriteString(p.Stdout, "exit\n")
			}
			// The end of input is the shell's exit: the EXIT trap runs.
			sh.r.Run(p.Ctx, &syntax.File{})
			return last
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		src := pending.String()
		f, perr := sh.parse(src, "")
		if perr != nil && syntax.IsIncomplete(perr) {
			continue
		}
		pending.Reset()
		if perr != nil {
			io.WriteString(p.Stderr, sh.syntaxMessage(perr, src))
			last = 2
			continue
		}
		// Ctrl-C interrupts the running command, not the shell.
		ctx, cancel := context.WithCancel(p.Ctx)
		if d := runLimit(p.Ctx); d > 0 {
			cancel()
			ctx, cancel = context.WithTimeoutCause(p.Ctx, d, errRunLimit)
		}
		in.onInterrupt(cancel)
		for _, st := range f.Stmts {
			err := sh.r.Run(ctx, st)
			switch {
			case p.Ctx.Err() != nil:
				cancel()
				return 130
			case ctx.Err() != nil:
				last = 130
			default:
				last = sh.status(err)
			}
			if sh.r.Exited() || ctx.Err() != nil {
				break
			}
		}
		in.onInterrupt(nil)
		interrupted := ctx.Err() != nil
		limited := errors.Is(context.Cause(ctx), errRunLimit) && p.Ctx.Err() == nil
		cancel()
		if sh.r.Exited() && !interrupted {
			return last
		}
		switch {
		case limited:
			io.WriteString(p.Stderr, runLimitMessage(runLimit(p.Ctx)))
			last = 137
		case interrupted && p.TTY:
			io.WriteString(p.Stdout, "^C\n")
		}
	}
}

func (sh *shell) prompt() string {
	dir := sh.r.Dir
	if sh.ash {
		return dir + " # "
	}
	h := sh.r.Vars["HOSTNAME"].String()
	if h == "" {
		h = sh.p.Vars["HOSTNAME"]
	}
	if dir == "/root" {
		dir = "~"
	}
	return fmt.Sprintf("root@%s:%s# ", h, dir)
}
