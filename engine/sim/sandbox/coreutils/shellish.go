package coreutils

import (
	"path"
	"sort"

	"fmt"
	"io"
	"mvdan.cc/sh/v3/syntax"
	"strconv"
	"strings"

	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
)

// --- echo, printf, test: builtins that are also programs ------------------------------------

func progEcho(p *Proc) int {
	args := p.Args[1:]
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
	if _, err := io.WriteString(p.Stdout, s); err != nil {
		fmt.Fprintf(p.Stderr, "echo: write error: %v\n", err)
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

func progPrintf(p *Proc) int {
	if len(p.Args) < 2 {
		fmt.Fprintln(p.Stderr, "printf: usage: printf format [arguments]")
		return 2
	}
	format, args := p.Args[1], p.Args[2:]
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
					fmt.Fprintf(p.Stderr, "printf: %s: invalid number\n", arg)
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
				q, _ := syntax.Quote(arg, syntax.LangBash)
				b.WriteString(q)
			default:
				fmt.Fprintf(p.Stderr, "printf: %%%c: invalid directive\n", verb)
				st = 1
			}
		}
		args = args[min(used, len(args)):]
		if used == 0 || len(args) == 0 {
			break
		}
	}
	io.WriteString(p.Stdout, b.String())
	return st
}

func progTest(p *Proc) int {
	args := p.Args[1:]
	name := path.Base(p.Args[0])
	if name == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			fmt.Fprintln(p.Stderr, "[: missing `]'")
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
		fmt.Fprintf(p.Stderr, "%s: %v\n", name, err)
		return 2
	}
	if v {
		return 0
	}
	return 1
}

type testEval struct {
	p *Proc
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
		return binaryTest(op, w, r)
	}
	if rest >= 2 && len(w) == 2 && w[0] == '-' && w != "-a" && w != "-o" {
		t.i += 2
		return unaryTest(t.p, w, t.a[t.i-1])
	}
	t.i++
	return w != "", nil
}

func isBinaryTestOp(op string) bool {
	switch op {
	case "=", "==", "!=", "=~", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "<", ">", "-nt", "-ot":
		return true
	}
	return false
}

func binaryTest(op, l, r string) (bool, error) {
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

func unaryTest(p *Proc, op, arg string) (bool, error) {
	switch op {
	case "-z":
		return arg == "", nil
	case "-n":
		return arg != "", nil
	}
	in, err := p.Sys.Stat(vfs.Abs(p.Cwd, arg))
	exists := err == nil && arg != ""
	switch op {
	case "-e", "-a":
		return exists, nil
	case "-f":
		return exists && in.Mode.IsRegular(), nil
	case "-d":
		return exists && in.Mode.IsDir(), nil
	case "-s":
		return exists && (in.Size > 0 || in.Mode.IsDir()), nil
	case "-r", "-w":
		return exists, nil
	case "-x":
		return exists && in.Mode&0o111 != 0, nil
	case "-L", "-h", "-p", "-S", "-b", "-c":
		return false, nil
	}
	return false, fmt.Errorf("%s: unary operator expected", op)
}

// SortedKeys is used by env and set.
func SortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
