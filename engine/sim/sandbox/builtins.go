package sandbox

import (
	"bufio"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

type builtin func(sh *shell, argv []string) (int, error)

var builtins map[string]builtin

func init() {
	builtins = map[string]builtin{
		":":     func(*shell, []string) (int, error) { return 0, nil },
		"true":  func(*shell, []string) (int, error) { return 0, nil },
		"false": func(*shell, []string) (int, error) { return 1, nil },
		"echo":  func(sh *shell, a []string) (int, error) { return progEcho(sh.proc(a)), nil },
		"printf": func(sh *shell, a []string) (int, error) {
			return progPrintf(sh.proc(a)), nil
		},
		"test": func(sh *shell, a []string) (int, error) { return progTest(sh.proc(a)), nil },
		"[":    func(sh *shell, a []string) (int, error) { return progTest(sh.proc(a)), nil },
		"pwd": func(sh *shell, a []string) (int, error) {
			fmt.Fprintln(sh.p.stdout, sh.p.cwd)
			return 0, nil
		},
		"cd":       builtinCd,
		"exit":     builtinExit,
		"return":   builtinReturn,
		"break":    func(sh *shell, a []string) (int, error) { return 0, breakErr{loopCount(a)} },
		"continue": func(sh *shell, a []string) (int, error) { return 0, contErr{loopCount(a)} },
		"set":      builtinSet,
		"export":   builtinExport,
		"local":    builtinLocal,
		"unset":    builtinUnset,
		"read":     builtinRead,
		"shift":    builtinShift,
		"eval": func(sh *shell, a []string) (int, error) {
			return sh.runSource(strings.Join(a[1:], " ")), nil
		},
		"exec":    builtinExec,
		"source":  builtinSource,
		".":       builtinSource,
		"type":    builtinType,
		"command": builtinCommand,
		"wait":    func(*shell, []string) (int, error) { return 0, nil },
		"trap":    func(*shell, []string) (int, error) { return 0, nil },
		"ulimit":  func(*shell, []string) (int, error) { return 0, nil },
		"umask":   func(*shell, []string) (int, error) { return 0, nil },
		"hash":    func(*shell, []string) (int, error) { return 0, nil },
	}
}

func (sh *shell) proc(argv []string) *proc {
	return &proc{ctx: sh.p.ctx, e: sh.p.e, args: argv, stdin: sh.p.stdin, stdout: sh.p.stdout,
		stderr: sh.p.stderr, tty: sh.p.tty, cwd: sh.p.cwd, vars: sh.environ(nil)}
}

func loopCount(a []string) int {
	if len(a) > 1 {
		if n, err := strconv.Atoi(a[1]); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

func builtinCd(sh *shell, a []string) (int, error) {
	dir := sh.vars["HOME"]
	if len(a) > 1 {
		dir = a[1]
	}
	if dir == "-" {
		dir = sh.vars["OLDPWD"]
	}
	full := abs(sh.p.cwd, dir)
	in, err := sh.p.e.stat(full)
	if err != nil {
		fmt.Fprintf(sh.p.stderr, "%s: cd: %s: %v\n", sh.errPrefix(0), dir, err)
		return 1, nil
	}
	if !in.mode.IsDir() {
		fmt.Fprintf(sh.p.stderr, "%s: cd: %s: Not a directory\n", sh.errPrefix(0), dir)
		return 1, nil
	}
	sh.vars["OLDPWD"] = sh.p.cwd
	sh.p.cwd = full
	sh.vars["PWD"] = full
	return 0, nil
}

func builtinExit(sh *shell, a []string) (int, error) {
	code := sh.status
	if len(a) > 1 {
		n, err := strconv.Atoi(a[1])
		if err != nil {
			fmt.Fprintf(sh.p.stderr, "%s: exit: %s: numeric argument required\n", sh.errPrefix(0), a[1])
			n = 2
		}
		code = n & 0xff
	}
	return code, exitErr{code}
}

func builtinReturn(sh *shell, a []string) (int, error) {
	code := sh.status
	if len(a) > 1 {
		code, _ = strconv.Atoi(a[1])
	}
	return code, returnErr{code}
}

func builtinSet(sh *shell, a []string) (int, error) {
	if len(a) == 1 {
		for _, k := range sortedKeys(sh.vars) {
			fmt.Fprintf(sh.p.stdout, "%s=%s\n", k, traceQuote(sh.vars[k]))
		}
		return 0, nil
	}
	args := a[1:]
	for len(args) > 0 {
		f := args[0]
		if f == "--" {
			sh.args = append([]string{sh.args[0]}, args[1:]...)
			return 0, nil
		}
		if (f == "-o" || f == "+o") && len(args) > 1 {
			on := f == "-o"
			switch args[1] {
			case "errexit":
				sh.errexit = on
			case "xtrace":
				sh.xtrace = on
			case "nounset":
				sh.nounset = on
			}
			args = args[2:]
			continue
		}
		if len(f) < 2 || (f[0] != '-' && f[0] != '+') {
			sh.args = append([]string{sh.args[0]}, args...)
			return 0, nil
		}
		on := f[0] == '-'
		for _, c := range f[1:] {
			switch c {
			case 'e':
				sh.errexit = on
			case 'x':
				sh.xtrace = on
			case 'u':
				sh.nounset = on
			}
		}
		args = args[1:]
	}
	return 0, nil
}

func builtinExport(sh *shell, a []string) (int, error) {
	if len(a) == 1 || (len(a) == 2 && a[1] == "-p") {
		for _, k := range sortedKeys(sh.vars) {
			if sh.exported[k] {
				fmt.Fprintf(sh.p.stdout, "declare -x %s=%q\n", k, sh.vars[k])
			}
		}
		return 0, nil
	}
	for _, arg := range a[1:] {
		name, v, hasV := strings.Cut(arg, "=")
		if !isName(name) {
			fmt.Fprintf(sh.p.stderr, "%s: export: `%s': not a valid identifier\n", sh.errPrefix(0), arg)
			return 1, nil
		}
		if hasV {
			sh.set(name, v)
		}
		sh.exported[name] = true
	}
	return 0, nil
}

func builtinLocal(sh *shell, a []string) (int, error) {
	for _, arg := range a[1:] {
		name, v, _ := strings.Cut(arg, "=")
		if isName(name) {
			sh.set(name, v)
		}
	}
	return 0, nil
}

func builtinUnset(sh *shell, a []string) (int, error) {
	for _, n := range a[1:] {
		if n == "-v" || n == "-f" {
			continue
		}
		delete(sh.vars, n)
		delete(sh.arrays, n)
		delete(sh.exported, n)
		delete(sh.funcs, n)
	}
	return 0, nil
}

func builtinShift(sh *shell, a []string) (int, error) {
	n := loopCount(a)
	if n > len(sh.args)-1 {
		return 1, nil
	}
	sh.args = append([]string{sh.args[0]}, sh.args[1+n:]...)
	return 0, nil
}

func builtinRead(sh *shell, a []string) (int, error) {
	args := a[1:]
	raw := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-r":
			raw = true
		case "-p":
			if len(args) > 1 {
				io.WriteString(sh.p.stderr, args[1])
				args = args[1:]
			}
		}
		args = args[1:]
	}
	if len(args) == 0 {
		args = []string{"REPLY"}
	}
	line, err := readLineFrom(sh.p.stdin)
	if err != nil && line == "" {
		return 1, nil
	}
	if !raw {
		line = strings.ReplaceAll(line, "\\", "")
	}
	fields := strings.Fields(line)
	for i, name := range args {
		switch {
		case i == len(args)-1 && i < len(fields):
			// The last variable takes the rest of the line.
			rest := strings.TrimLeft(line, " \t")
			for k := 0; k < i; k++ {
				rest = strings.TrimLeft(strings.TrimPrefix(rest, fields[k]), " \t")
			}
			sh.set(name, strings.TrimRight(rest, " \t"))
		case i < len(fields):
			sh.set(name, fields[i])
		default:
			sh.set(name, "")
		}
	}
	return 0, nil
}

// readLineFrom reads one line byte by byte, so nothing after it is consumed.
func readLineFrom(r io.Reader) (string, error) {
	if br, ok := r.(*bufio.Reader); ok {
		s, err := br.ReadString('\n')
		return strings.TrimSuffix(s, "\n"), err
	}
	var b []byte
	one := make([]byte, 1)
	for {
		n, err := r.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				return string(b), nil
			}
			b = append(b, one[0])
			if len(b) > MaxFileSize {
				return string(b), errNoSpace
			}
		}
		if err != nil {
			return string(b), err
		}
	}
}

func builtinExec(sh *shell, a []string) (int, error) {
	if len(a) == 1 {
		return 0, nil
	}
	st, err := sh.invoke(a[1:], nil)
	if err != nil {
		return st, err
	}
	return st, exitErr{st}
}

func builtinSource(sh *shell, a []string) (int, error) {
	if len(a) < 2 {
		fmt.Fprintf(sh.p.stderr, "%s: %s: filename argument required\n", sh.errPrefix(0), a[0])
		return 2, nil
	}
	data, err := sh.p.e.readFile(abs(sh.p.cwd, a[1]))
	if err != nil {
		fmt.Fprintf(sh.p.stderr, "%s: %s: %v\n", sh.errPrefix(0), a[1], err)
		return 1, nil
	}
	return sh.runSource(string(data)), nil
}

func builtinType(sh *shell, a []string) (int, error) {
	st := 0
	for _, n := range a[1:] {
		if _, ok := builtins[n]; ok {
			fmt.Fprintf(sh.p.stdout, "%s is a shell builtin\n", n)
			continue
		}
		if full, _, ok := sh.p.lookPath(n); ok {
			fmt.Fprintf(sh.p.stdout, "%s is %s\n", n, full)
			continue
		}
		fmt.Fprintf(sh.p.stderr, "%s: type: %s: not found\n", sh.errPrefix(0), n)
		st = 1
	}
	return st, nil
}

func builtinCommand(sh *shell, a []string) (int, error) {
	if len(a) > 2 && (a[1] == "-v" || a[1] == "-V") {
		n := a[2]
		if _, ok := builtins[n]; ok {
			fmt.Fprintln(sh.p.stdout, n)
			return 0, nil
		}
		if full, _, ok := sh.p.lookPath(n); ok {
			fmt.Fprintln(sh.p.stdout, full)
			return 0, nil
		}
		return 1, nil
	}
	if len(a) > 1 {
		return sh.invoke(a[1:], nil)
	}
	return 0, nil
}

// --- echo, printf, test: builtins that are also programs ------------------------------------

func progEcho(p *proc) int {
	args := p.args[1:]
	newline, escapes := true, false
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		for _, c := range args[0][1:] {
			switch c {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if escapes {
		var stop bool
		s, stop = unescapeEcho(s)
		if stop {
			newline = false
		}
	}
	if newline {
		s += "\n"
	}
	if _, err := io.WriteString(p.stdout, s); err != nil {
		fmt.Fprintf(p.stderr, "echo: write error: %v\n", err)
		return 1
	}
	return 0
}

func unescapeEcho(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		case 'a':
			b.WriteByte(7)
		case 'e':
			b.WriteByte(27)
		case 'c':
			return b.String(), true
		case '0':
			v := 0
			k := 0
			for k < 3 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '7' {
				i++
				v = v*8 + int(s[i]-'0')
				k++
			}
			b.WriteByte(byte(v))
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String(), false
}

func progPrintf(p *proc) int {
	if len(p.args) < 2 {
		fmt.Fprintln(p.stderr, "printf: usage: printf format [arguments]")
		return 2
	}
	format, args := p.args[1], p.args[2:]
	var b strings.Builder
	st := 0
	for {
		used := 0
		for i := 0; i < len(format); i++ {
			c := format[i]
			if c == '\\' {
				s, _ := unescapeEcho(format[i:min(i+2, len(format))])
				b.WriteString(s)
				i++
				continue
			}
			if c != '%' {
				b.WriteByte(c)
				continue
			}
			j := i + 1
			for j < len(format) && strings.IndexByte("-+ 0#.123456789", format[j]) >= 0 {
				j++
			}
			if j >= len(format) {
				b.WriteString(format[i:])
				break
			}
			verb := format[j]
			spec := format[i+1 : j]
			i = j
			if verb == '%' {
				b.WriteByte('%')
				continue
			}
			arg := ""
			if used < len(args) {
				arg = args[used]
			}
			used++
			switch verb {
			case 's':
				fmt.Fprintf(&b, "%"+spec+"s", arg)
			case 'b':
				s, _ := unescapeEcho(arg)
				fmt.Fprintf(&b, "%"+spec+"s", s)
			case 'd', 'i':
				n, err := strconv.ParseInt(strings.TrimSpace(arg), 0, 64)
				if err != nil && arg != "" {
					fmt.Fprintf(p.stderr, "printf: %s: invalid number\n", arg)
					st = 1
				}
				fmt.Fprintf(&b, "%"+spec+"d", n)
			case 'x', 'X', 'o':
				n, _ := strconv.ParseInt(strings.TrimSpace(arg), 0, 64)
				fmt.Fprintf(&b, "%"+spec+string(verb), n)
			case 'c':
				if arg != "" {
					b.WriteByte(arg[0])
				}
			case 'f', 'e', 'g':
				f, _ := strconv.ParseFloat(strings.TrimSpace(arg), 64)
				fmt.Fprintf(&b, "%"+spec+string(verb), f)
			case 'q':
				b.WriteString(traceQuote(arg))
			default:
				fmt.Fprintf(p.stderr, "printf: %%%c: invalid directive\n", verb)
				st = 1
			}
		}
		args = args[min(used, len(args)):]
		if used == 0 || len(args) == 0 {
			break
		}
	}
	io.WriteString(p.stdout, b.String())
	return st
}

func progTest(p *proc) int {
	args := p.args[1:]
	name := path.Base(p.args[0])
	if name == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			fmt.Fprintln(p.stderr, "[: missing `]'")
			return 2
		}
		args = args[:len(args)-1]
	}
	t := &testEval{p: p, a: args}
	v, err := t.or()
	if err == nil && t.i < len(t.a) {
		err = fmt.Errorf("%s: too many arguments", name)
	}
	if err != nil {
		fmt.Fprintf(p.stderr, "%s: %v\n", name, err)
		return 2
	}
	if v {
		return 0
	}
	return 1
}

type testEval struct {
	p *proc
	a []string
	i int
}

func (t *testEval) or() (bool, error) {
	x, err := t.and()
	for err == nil && t.i < len(t.a) && t.a[t.i] == "-o" {
		t.i++
		var y bool
		y, err = t.and()
		x = x || y
	}
	return x, err
}

func (t *testEval) and() (bool, error) {
	x, err := t.not()
	for err == nil && t.i < len(t.a) && t.a[t.i] == "-a" {
		t.i++
		var y bool
		y, err = t.not()
		x = x && y
	}
	return x, err
}

func (t *testEval) not() (bool, error) {
	if t.i < len(t.a) && t.a[t.i] == "!" && len(t.a)-t.i > 1 {
		t.i++
		v, err := t.not()
		return !v, err
	}
	return t.prim()
}

func (t *testEval) prim() (bool, error) {
	rest := len(t.a) - t.i
	if rest == 0 {
		return false, nil
	}
	w := t.a[t.i]
	if w == "(" {
		t.i++
		v, err := t.or()
		if t.i < len(t.a) && t.a[t.i] == ")" {
			t.i++
		}
		return v, err
	}
	if rest >= 3 && isBinaryTestOp(t.a[t.i+1]) && t.a[t.i+1] != "=~" {
		op, r := t.a[t.i+1], t.a[t.i+2]
		t.i += 3
		return binaryTest(nil, op, w, r)
	}
	if rest >= 2 && len(w) == 2 && w[0] == '-' && w != "-a" && w != "-o" {
		t.i += 2
		return unaryTest(t.p, w, t.a[t.i-1])
	}
	t.i++
	return w != "", nil
}
