package coreutils

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
)

// Programs are the coreutils by the name an image's binary points at.
var Programs map[string]func(p *Proc) int

func init() {
	Programs = map[string]func(p *Proc) int{
		"echo": progEcho, "printf": progPrintf, "test": progTest, "[": progTest,
		"true": func(*Proc) int { return 0 }, "false": func(*Proc) int { return 1 },
		"pwd": func(p *Proc) int { fmt.Fprintln(p.Stdout, p.Cwd); return 0 },
		"cat": progCat, "ls": progLs, "cp": progCp, "mv": progMv, "rm": progRm, "mkdir": progMkdir,
		"rmdir": progRmdir, "touch": progTouch, "chmod": progChmod, "sleep": progSleep, "env": progEnv,
		"hostname": progHostname, "head": progHead, "tail": progTail, "wc": progWc, "date": progDate,
		"sort": progSort, "uniq": progUniq, "tee": progTee, "basename": progBasename,
		"dirname": progDirname, "seq": progSeq, "uname": progUname, "id": progID,
		"whoami": func(p *Proc) int { fmt.Fprintln(p.Stdout, "root"); return 0 },
		"yes":    progYes, "stat": progStat, "df": progDf, "du": progDu, "expr": progExpr, "tr": progTr,
		"cut": progCut, "sed": progSed, "grep": progGrep,
		"ln": func(p *Proc) int {
			fmt.Fprintln(p.Stderr, "ln: links are not available in the simulator")
			return 1
		},
	}
}

func (p *Proc) Name() string { return path.Base(p.Args[0]) }

// splitFlags separates single-letter flags from operands ("-la" → l, a).
func splitFlags(args []string) (map[rune]bool, []string) {
	flags := map[rune]bool{}
	var ops []string
	done := false
	for _, a := range args {
		if !done && a == "--" {
			done = true
			continue
		}
		if !done && len(a) > 1 && a[0] == '-' && !isDigits(a[1:]) {
			if strings.HasPrefix(a, "--") {
				flags[rune(0)] = true
				continue
			}
			for _, c := range a[1:] {
				flags[c] = true
			}
			continue
		}
		ops = append(ops, a)
	}
	return flags, ops
}

// Inputs yields the contents of each file operand, or stdin when there are none or "-".
func (p *Proc) Inputs(files []string, each func(name string, r io.Reader) bool) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	st := 0
	for _, f := range files {
		if f == "-" {
			if !each("-", p.Stdin) {
				return st
			}
			continue
		}
		data, err := p.Sys.ReadFile(vfs.Abs(p.Cwd, f))
		if err != nil {
			fmt.Fprintf(p.Stderr, "%s: %s: %v\n", p.Name(), f, err)
			st = 1
			continue
		}
		if !each(f, bytes.NewReader(data)) {
			return st
		}
	}
	return st
}

func (p *Proc) CopyOut(r io.Reader) bool {
	buf := make([]byte, 32*1024)
	for {
		if p.Ctx.Err() != nil {
			return false
		}
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := p.Stdout.Write(buf[:n]); werr != nil {
				if BrokenPipe(werr) {
					return false
				}
				fmt.Fprintf(p.Stderr, "%s: write error: %v\n", p.Name(), UnwrapPathErr(werr))
				return false
			}
		}
		if err != nil {
			return true
		}
	}
}

func progCat(p *Proc) int {
	_, files := splitFlags(p.Args[1:])
	return p.Inputs(files, func(_ string, r io.Reader) bool { return p.CopyOut(r) })
}

func modeString(m fs.FileMode) string {
	s := []byte("-rwxrwxrwx")
	if m.IsDir() {
		s[0] = 'd'
	}
	for i := 0; i < 9; i++ {
		if m&(1<<uint(8-i)) == 0 {
			s[i+1] = '-'
		}
	}
	return string(s)
}

func progLs(p *Proc) int {
	flags, ops := splitFlags(p.Args[1:])
	if len(ops) == 0 {
		ops = []string{"."}
	}
	long, all, dirOnly, one := flags['l'], flags['a'] || flags['A'], flags['d'], flags['1']
	st := 0
	var files []Info
	var dirs []string
	for _, o := range ops {
		full := vfs.Abs(p.Cwd, o)
		in, err := p.Sys.Stat(full)
		if err != nil {
			fmt.Fprintf(p.Stderr, "ls: cannot access '%s': %v\n", o, err)
			st = 2
			continue
		}
		if in.Mode.IsDir() && !dirOnly {
			dirs = append(dirs, o)
			continue
		}
		in.Name = o
		files = append(files, in)
	}
	now := p.Sys.Now()
	printList := func(ents []Info) {
		if long {
			for _, in := range ents {
				size := in.Size
				links := 1
				if in.Mode.IsDir() {
					size, links = 4096, 2
				}
				ts := in.MTime.Format("Jan _2 15:04")
				if now.Sub(in.MTime) > 180*24*time.Hour {
					ts = in.MTime.Format("Jan _2  2006")
				}
				fmt.Fprintf(p.Stdout, "%s %d root root %5d %s %s\n", modeString(in.Mode), links, size, ts, in.Name)
			}
			return
		}
		var names []string
		for _, in := range ents {
			names = append(names, in.Name)
		}
		if len(names) == 0 {
			return
		}
		if p.TTY && !one {
			fmt.Fprintln(p.Stdout, strings.Join(names, "  "))
			return
		}
		fmt.Fprintln(p.Stdout, strings.Join(names, "\n"))
	}
	printList(files)
	for i, d := range dirs {
		ents, _, err := p.Sys.ReadDir(vfs.Abs(p.Cwd, d))
		if err != nil {
			fmt.Fprintf(p.Stderr, "ls: cannot open directory '%s': %v\n", d, err)
			st = 2
			continue
		}
		var shown []Info
		if all {
			shown = append(shown, Info{Name: ".", Mode: fs.ModeDir | 0o755, MTime: now}, Info{Name: "..", Mode: fs.ModeDir | 0o755, MTime: now})
		}
		total := 0
		for _, in := range ents {
			if !all && strings.HasPrefix(in.Name, ".") {
				continue
			}
			shown = append(shown, in)
			total += (in.Size + 4095) / 4096 * 4
		}
		if len(dirs)+len(files) > 1 {
			if i > 0 || len(files) > 0 {
				fmt.Fprintln(p.Stdout)
			}
			fmt.Fprintf(p.Stdout, "%s:\n", d)
		}
		if long {
			fmt.Fprintf(p.Stdout, "total %d\n", total)
		}
		printList(shown)
	}
	return st
}

func progCp(p *Proc) int {
	flags, ops := splitFlags(p.Args[1:])
	rec := flags['r'] || flags['R'] || flags['a']
	if len(ops) < 2 {
		fmt.Fprintln(p.Stderr, "cp: missing destination file operand")
		return 1
	}
	dst := ops[len(ops)-1]
	st := 0
	if len(ops) > 2 {
		if in, err := p.Sys.Stat(vfs.Abs(p.Cwd, dst)); err != nil || !in.Mode.IsDir() {
			fmt.Fprintf(p.Stderr, "cp: target '%s' is not a directory\n", dst)
			return 1
		}
	}
	for _, src := range ops[:len(ops)-1] {
		if err := p.Sys.CopyTo(vfs.Abs(p.Cwd, src), vfs.Abs(p.Cwd, dst), rec); err != nil {
			if err == vfs.ErrIsDir {
				fmt.Fprintf(p.Stderr, "cp: -r not specified; omitting directory '%s'\n", src)
			} else if err == vfs.ErrNotExist {
				fmt.Fprintf(p.Stderr, "cp: cannot stat '%s': %v\n", src, err)
			} else {
				fmt.Fprintf(p.Stderr, "cp: cannot create regular file '%s': %v\n", dst, err)
			}
			st = 1
		}
	}
	return st
}

func progMv(p *Proc) int {
	_, ops := splitFlags(p.Args[1:])
	if len(ops) < 2 {
		fmt.Fprintln(p.Stderr, "mv: missing destination file operand")
		return 1
	}
	dst := ops[len(ops)-1]
	st := 0
	for _, src := range ops[:len(ops)-1] {
		if err := p.Sys.Rename(vfs.Abs(p.Cwd, src), vfs.Abs(p.Cwd, dst)); err != nil {
			if err == vfs.ErrNotExist {
				fmt.Fprintf(p.Stderr, "mv: cannot stat '%s': %v\n", src, err)
			} else {
				fmt.Fprintf(p.Stderr, "mv: cannot move '%s' to '%s': %v\n", src, dst, err)
			}
			st = 1
		}
	}
	return st
}

func progRm(p *Proc) int {
	flags, ops := splitFlags(p.Args[1:])
	force, rec := flags['f'], flags['r'] || flags['R']
	if len(ops) == 0 && !force {
		fmt.Fprintln(p.Stderr, "rm: missing operand")
		return 1
	}
	st := 0
	for _, o := range ops {
		full := vfs.Abs(p.Cwd, o)
		in, err := p.Sys.Stat(full)
		if err != nil {
			if !force {
				fmt.Fprintf(p.Stderr, "rm: cannot remove '%s': %v\n", o, err)
				st = 1
			}
			continue
		}
		if in.Mode.IsDir() && !rec {
			fmt.Fprintf(p.Stderr, "rm: cannot remove '%s': Is a directory\n", o)
			st = 1
			continue
		}
		if err := p.Sys.Remove(full, true); err != nil {
			fmt.Fprintf(p.Stderr, "rm: cannot remove '%s': %v\n", o, err)
			st = 1
		}
	}
	return st
}

func progMkdir(p *Proc) int {
	flags, ops := splitFlags(p.Args[1:])
	if len(ops) == 0 {
		fmt.Fprintln(p.Stderr, "mkdir: missing operand")
		return 1
	}
	st := 0
	for _, o := range ops {
		if err := p.Sys.Mkdir(vfs.Abs(p.Cwd, o), flags['p']); err != nil {
			fmt.Fprintf(p.Stderr, "mkdir: cannot create directory '%s': %v\n", o, err)
			st = 1
		}
	}
	return st
}

func progRmdir(p *Proc) int {
	_, ops := splitFlags(p.Args[1:])
	st := 0
	for _, o := range ops {
		full := vfs.Abs(p.Cwd, o)
		in, err := p.Sys.Stat(full)
		if err == nil && !in.Mode.IsDir() {
			err = vfs.ErrNotDir
		}
		if err == nil {
			err = p.Sys.Remove(full, false)
		}
		if err != nil {
			fmt.Fprintf(p.Stderr, "rmdir: failed to remove '%s': %v\n", o, err)
			st = 1
		}
	}
	return st
}

func progTouch(p *Proc) int {
	_, ops := splitFlags(p.Args[1:])
	st := 0
	for _, o := range ops {
		if err := p.Sys.Touch(vfs.Abs(p.Cwd, o)); err != nil {
			fmt.Fprintf(p.Stderr, "touch: cannot touch '%s': %v\n", o, err)
			st = 1
		}
	}
	return st
}

func progChmod(p *Proc) int {
	args := p.Args[1:]
	for len(args) > 0 && (args[0] == "-R" || args[0] == "-v" || args[0] == "-f") {
		args = args[1:]
	}
	if len(args) < 2 {
		fmt.Fprintln(p.Stderr, "chmod: missing operand")
		return 1
	}
	mode := args[0]
	st := 0
	for _, o := range args[1:] {
		full := vfs.Abs(p.Cwd, o)
		in, err := p.Sys.Stat(full)
		if err != nil {
			fmt.Fprintf(p.Stderr, "chmod: cannot access '%s': %v\n", o, err)
			st = 1
			continue
		}
		m, ok := parseMode(mode, in.Mode.Perm())
		if !ok {
			fmt.Fprintf(p.Stderr, "chmod: invalid mode: '%s'\n", mode)
			return 1
		}
		if err := p.Sys.Chmod(full, m); err != nil {
			fmt.Fprintf(p.Stderr, "chmod: changing permissions of '%s': %v\n", o, err)
			st = 1
		}
	}
	return st
}

// parseMode understands octal modes and symbolic ones like u+x, go-w, a=r, +x.
func parseMode(s string, cur fs.FileMode) (fs.FileMode, bool) {
	if n, err := strconv.ParseUint(s, 8, 32); err == nil {
		return fs.FileMode(n) & fs.ModePerm, true
	}
	m := cur
	for _, clause := range strings.Split(s, ",") {
		i := 0
		who := fs.FileMode(0)
		for i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0 {
			switch clause[i] {
			case 'u':
				who |= 0o700
			case 'g':
				who |= 0o070
			case 'o':
				who |= 0o007
			case 'a':
				who |= 0o777
			}
			i++
		}
		if who == 0 {
			who = 0o777
		}
		if i >= len(clause) || strings.IndexByte("+-=", clause[i]) < 0 {
			return 0, false
		}
		op := clause[i]
		bits := fs.FileMode(0)
		for _, c := range clause[i+1:] {
			switch c {
			case 'r':
				bits |= 0o444
			case 'w':
				bits |= 0o222
			case 'x', 'X':
				bits |= 0o111
			default:
				return 0, false
			}
		}
		bits &= who
		switch op {
		case '+':
			m |= bits
		case '-':
			m &^= bits
		case '=':
			m = m&^who | bits
		}
	}
	return m, true
}

// parseDuration reads sleep's operand: 1, 0.5, 2s, 3m, 1h, infinity.
func parseDuration(s string) (time.Duration, bool) {
	if s == "infinity" || s == "inf" {
		return 1<<63 - 1, true
	}
	unit := time.Second
	switch {
	case strings.HasSuffix(s, "s"):
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		s, unit = s[:len(s)-1], time.Minute
	case strings.HasSuffix(s, "h"):
		s, unit = s[:len(s)-1], time.Hour
	case strings.HasSuffix(s, "d"):
		s, unit = s[:len(s)-1], 24*time.Hour
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return time.Duration(f * float64(unit)), true
}

// Sleep waits on the injected clock, and returns early when the command is cancelled.
func (p *Proc) Sleep(d time.Duration) bool {
	if d <= 0 || container.IsOnLoop(p.Ctx) {
		// On the simulator's loop the fake clock cannot move until this returns.
		return p.Ctx.Err() == nil
	}
	select {
	case <-p.Ctx.Done():
		return false
	case <-p.Sys.After(d):
		return true
	}
}

func progSleep(p *Proc) int {
	if len(p.Args) < 2 {
		fmt.Fprintln(p.Stderr, "sleep: missing operand")
		return 1
	}
	var total time.Duration
	for _, a := range p.Args[1:] {
		d, ok := parseDuration(a)
		if !ok {
			fmt.Fprintf(p.Stderr, "sleep: invalid time interval '%s'\n", a)
			return 1
		}
		total += d
	}
	if !p.Sleep(total) {
		return 130
	}
	return 0
}

func progEnv(p *Proc) int {
	args := p.Args[1:]
	vars := map[string]string{}
	for k, v := range p.Vars {
		vars[k] = v
	}
	for len(args) > 0 && strings.Contains(args[0], "=") {
		k, v, _ := strings.Cut(args[0], "=")
		vars[k] = v
		args = args[1:]
	}
	if len(args) > 0 {
		child := *p
		child.Vars = vars
		if _, _, ok := p.Sys.LookPath(&child, args[0]); !ok {
			fmt.Fprintf(p.Stderr, "env: '%s': No such file or directory\n", args[0])
			return 127
		}
		return p.Sys.Exec(&child, args)
	}
	for _, k := range SortedKeys(vars) {
		fmt.Fprintf(p.Stdout, "%s=%s\n", k, vars[k])
	}
	return 0
}

func progHostname(p *Proc) int {
	flags, ops := splitFlags(p.Args[1:])
	if len(ops) > 0 {
		fmt.Fprintln(p.Stderr, "hostname: you must be root to change the host name")
		return 1
	}
	switch {
	case flags['f']:
		if f := p.Sys.FQDN(); f != "" {
			fmt.Fprintln(p.Stdout, f)
			return 0
		}
	case flags['i']:
		fmt.Fprintln(p.Stdout, p.Sys.PodIP())
		return 0
	}
	fmt.Fprintln(p.Stdout, p.Sys.Hostname())
	return 0
}

func readLines(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), vfs.MaxFileSize)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out, sc.Err()
}

func countArg(args []string, def int) (int, []string) {
	var rest []string
	n := def
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-n" && i+1 < len(args):
			n, _ = strconv.Atoi(strings.TrimPrefix(args[i+1], "+"))
			i++
		case strings.HasPrefix(a, "-n"):
			n, _ = strconv.Atoi(a[2:])
		case len(a) > 1 && a[0] == '-' && isDigits(a[1:]):
			n, _ = strconv.Atoi(a[1:])
		default:
			rest = append(rest, a)
		}
	}
	return n, rest
}

func progHead(p *Proc) int {
	n, rest := countArg(p.Args[1:], 10)
	_, files := splitFlags(rest)
	return p.Inputs(files, func(_ string, r io.Reader) bool {
		br := bufio.NewReader(r)
		for i := 0; i < n; i++ {
			line, err := br.ReadString('\n')
			if line != "" {
				io.WriteString(p.Stdout, line)
			}
			if err != nil {
				break
			}
		}
		return true
	})
}

func progTail(p *Proc) int {
	n, rest := countArg(p.Args[1:], 10)
	flags, files := splitFlags(rest)
	st := p.Inputs(files, func(_ string, r io.Reader) bool {
		lines, _ := readLines(r)
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		for _, l := range lines {
			fmt.Fprintln(p.Stdout, l)
		}
		return true
	})
	if flags['f'] || flags['F'] {
		// Nothing in the simulator appends to files on its own: wait until interrupted.
		<-p.Ctx.Done()
		return 130
	}
	return st
}

func progWc(p *Proc) int {
	flags, files := splitFlags(p.Args[1:])
	if !flags['l'] && !flags['w'] && !flags['c'] {
		flags['l'], flags['w'], flags['c'] = true, true, true
	}
	return p.Inputs(files, func(name string, r io.Reader) bool {
		data, _ := io.ReadAll(io.LimitReader(r, vfs.MaxFileSize))
		var parts []string
		if flags['l'] {
			parts = append(parts, strconv.Itoa(bytes.Count(data, []byte("\n"))))
		}
		if flags['w'] {
			parts = append(parts, strconv.Itoa(len(strings.Fields(string(data)))))
		}
		if flags['c'] {
			parts = append(parts, strconv.Itoa(len(data)))
		}
		if name != "-" {
			parts = append(parts, name)
		}
		fmt.Fprintln(p.Stdout, strings.Join(parts, " "))
		return true
	})
}

func progDate(p *Proc) int {
	now := p.Sys.Now().UTC()
	for _, a := range p.Args[1:] {
		if strings.HasPrefix(a, "+") {
			fmt.Fprintln(p.Stdout, strftime(now, a[1:]))
			return 0
		}
	}
	fmt.Fprintln(p.Stdout, now.Format("Mon Jan _2 15:04:05 UTC 2006"))
	return 0
}

func strftime(t time.Time, f string) string {
	repl := map[byte]string{'Y': "2006", 'm': "01", 'd': "02", 'H': "15", 'M': "04", 'S': "05",
		'F': "2006-01-02", 'T': "15:04:05", 'y': "06", 'b': "Jan", 'a': "Mon", 'Z': "MST", 'z': "-0700"}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case '%':
			b.WriteByte('%')
		case 'N':
			fmt.Fprintf(&b, "%09d", t.Nanosecond())
		default:
			if l, ok := repl[f[i]]; ok {
				b.WriteString(t.Format(l))
			} else {
				b.WriteByte('%')
				b.WriteByte(f[i])
			}
		}
	}
	return b.String()
}

func progSort(p *Proc) int {
	flags, files := splitFlags(p.Args[1:])
	var all []string
	st := p.Inputs(files, func(_ string, r io.Reader) bool {
		l, _ := readLines(r)
		all = append(all, l...)
		return true
	})
	if flags['n'] {
		sort.SliceStable(all, func(i, j int) bool {
			a, _ := strconv.ParseFloat(strings.Fields(all[i] + " 0")[0], 64)
			b, _ := strconv.ParseFloat(strings.Fields(all[j] + " 0")[0], 64)
			return a < b
		})
	} else {
		sort.Strings(all)
	}
	if flags['r'] {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	prev := ""
	for i, l := range all {
		if flags['u'] && i > 0 && l == prev {
			continue
		}
		fmt.Fprintln(p.Stdout, l)
		prev = l
	}
	return st
}

func progUniq(p *Proc) int {
	flags, files := splitFlags(p.Args[1:])
	return p.Inputs(files[:min(len(files), 1)], func(_ string, r io.Reader) bool {
		lines, _ := readLines(r)
		for i := 0; i < len(lines); {
			j := i
			for j < len(lines) && lines[j] == lines[i] {
				j++
			}
			if flags['c'] {
				fmt.Fprintf(p.Stdout, "%7d %s\n", j-i, lines[i])
			} else {
				fmt.Fprintln(p.Stdout, lines[i])
			}
			i = j
		}
		return true
	})
}

func progTee(p *Proc) int {
	flags, files := splitFlags(p.Args[1:])
	st := 0
	var targets []string
	for _, f := range files {
		full := vfs.Abs(p.Cwd, f)
		if !flags['a'] {
			if err := p.Sys.WriteFile(full, nil, false); err != nil {
				fmt.Fprintf(p.Stderr, "tee: %s: %v\n", f, err)
				st = 1
				continue
			}
		}
		targets = append(targets, full)
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := p.Stdin.Read(buf)
		if n > 0 {
			p.Stdout.Write(buf[:n])
			for _, t := range targets {
				if werr := p.Sys.WriteFile(t, buf[:n], true); werr != nil {
					fmt.Fprintf(p.Stderr, "tee: %s: %v\n", t, werr)
					st = 1
				}
			}
		}
		if err != nil || p.Ctx.Err() != nil {
			return st
		}
	}
}

func progBasename(p *Proc) int {
	if len(p.Args) < 2 {
		fmt.Fprintln(p.Stderr, "basename: missing operand")
		return 1
	}
	b := path.Base(p.Args[1])
	if len(p.Args) > 2 {
		b = strings.TrimSuffix(b, p.Args[2])
	}
	fmt.Fprintln(p.Stdout, b)
	return 0
}

func progDirname(p *Proc) int {
	if len(p.Args) < 2 {
		fmt.Fprintln(p.Stderr, "dirname: missing operand")
		return 1
	}
	fmt.Fprintln(p.Stdout, path.Dir(p.Args[1]))
	return 0
}

func progSeq(p *Proc) int {
	var nums []int
	for _, a := range p.Args[1:] {
		n, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintf(p.Stderr, "seq: invalid floating point argument: '%s'\n", a)
			return 1
		}
		nums = append(nums, n)
	}
	first, step, last := 1, 1, 0
	switch len(nums) {
	case 1:
		last = nums[0]
	case 2:
		first, last = nums[0], nums[1]
	case 3:
		first, step, last = nums[0], nums[1], nums[2]
	default:
		fmt.Fprintln(p.Stderr, "seq: missing operand")
		return 1
	}
	if step == 0 || (last-first)/step > 100000 {
		fmt.Fprintln(p.Stderr, "seq: the simulator prints at most 100000 numbers")
		return 1
	}
	for i := first; (step > 0 && i <= last) || (step < 0 && i >= last); i += step {
		if _, err := fmt.Fprintln(p.Stdout, i); err != nil || p.Ctx.Err() != nil {
			return 1
		}
	}
	return 0
}

func progUname(p *Proc) int {
	flags, _ := splitFlags(p.Args[1:])
	switch {
	case flags['a']:
		fmt.Fprintf(p.Stdout, "Linux %s 6.8.0 #1 SMP x86_64 GNU/Linux\n", p.Sys.Hostname())
	case flags['r']:
		fmt.Fprintln(p.Stdout, "6.8.0")
	case flags['n']:
		fmt.Fprintln(p.Stdout, p.Sys.Hostname())
	case flags['m']:
		fmt.Fprintln(p.Stdout, "x86_64")
	default:
		fmt.Fprintln(p.Stdout, "Linux")
	}
	return 0
}

func progID(p *Proc) int {
	fmt.Fprintln(p.Stdout, "uid=0(root) gid=0(root) groups=0(root)")
	return 0
}

func progYes(p *Proc) int {
	s := "y"
	if len(p.Args) > 1 {
		s = strings.Join(p.Args[1:], " ")
	}
	for p.Ctx.Err() == nil {
		if _, err := fmt.Fprintln(p.Stdout, s); err != nil {
			if BrokenPipe(err) {
				return 141 // killed by SIGPIPE, silently
			}
			fmt.Fprintf(p.Stderr, "yes: standard output: %v\n", UnwrapPathErr(err))
			return 1
		}
	}
	return 130
}

func progStat(p *Proc) int {
	_, ops := splitFlags(p.Args[1:])
	st := 0
	for _, o := range ops {
		in, err := p.Sys.Stat(vfs.Abs(p.Cwd, o))
		if err != nil {
			fmt.Fprintf(p.Stderr, "stat: cannot statx '%s': %v\n", o, err)
			st = 1
			continue
		}
		kind := "regular file"
		if in.Mode.IsDir() {
			kind = "directory"
		}
		fmt.Fprintf(p.Stdout, "  File: %s\n  Size: %d\t%s\nAccess: (%04o/%s)  Uid: (    0/    root)   Gid: (    0/    root)\nModify: %s\n",
			o, in.Size, kind, in.Mode.Perm(), modeString(in.Mode), in.MTime.UTC().Format("2006-01-02 15:04:05.000000000 +0000"))
	}
	return st
}

func progDf(p *Proc) int {
	fmt.Fprintln(p.Stdout, "Filesystem     1K-blocks  Used Available Use% Mounted on")
	for _, m := range p.Sys.Mounts() {
		used := (m.Bytes + 1023) / 1024
		fmt.Fprintf(p.Stdout, "%-14s %9d %5d %9d %3d%% %s\n", "overlay", vfs.MaxVolumeBytes/1024, used,
			vfs.MaxVolumeBytes/1024-used, used*100/(vfs.MaxVolumeBytes/1024), m.Path)
	}
	return 0
}

func progDu(p *Proc) int {
	_, ops := splitFlags(p.Args[1:])
	if len(ops) == 0 {
		ops = []string{"."}
	}
	for _, o := range ops {
		b, err := p.Sys.Usage(vfs.Abs(p.Cwd, o))
		if err != nil {
			fmt.Fprintf(p.Stderr, "du: cannot access '%s': %v\n", o, err)
			return 1
		}
		fmt.Fprintf(p.Stdout, "%d\t%s\n", (b+1023)/1024+4, o)
	}
	return 0
}

func progExpr(p *Proc) int {
	a := p.Args[1:]
	if len(a) == 3 {
		x, err1 := strconv.ParseInt(a[0], 10, 64)
		y, err2 := strconv.ParseInt(a[2], 10, 64)
		if err1 == nil && err2 == nil {
			var r int64
			switch a[1] {
			case "+":
				r = x + y
			case "-":
				r = x - y
			case "*":
				r = x * y
			case "/", "%":
				if y == 0 {
					fmt.Fprintln(p.Stderr, "expr: division by zero")
					return 2
				}
				if a[1] == "/" {
					r = x / y
				} else {
					r = x % y
				}
			default:
				fmt.Fprintln(p.Stderr, "expr: syntax error")
				return 2
			}
			fmt.Fprintln(p.Stdout, r)
			if r == 0 {
				return 1
			}
			return 0
		}
	}
	if len(a) == 1 {
		fmt.Fprintln(p.Stdout, a[0])
		return 0
	}
	fmt.Fprintln(p.Stderr, "expr: syntax error (the simulator's expr does integer arithmetic only)")
	return 2
}

func progTr(p *Proc) int {
	flags, ops := splitFlags(p.Args[1:])
	data, _ := io.ReadAll(io.LimitReader(p.Stdin, vfs.MaxFileSize))
	expand := func(s string) []rune {
		var out []rune
		r := []rune(s)
		for i := 0; i < len(r); i++ {
			if i+2 < len(r) && r[i+1] == '-' {
				for c := r[i]; c <= r[i+2]; c++ {
					out = append(out, c)
				}
				i += 2
				continue
			}
			out = append(out, r[i])
		}
		return out
	}
	if len(ops) == 0 {
		fmt.Fprintln(p.Stderr, "tr: missing operand")
		return 1
	}
	set1 := expand(ops[0])
	if flags['d'] {
		out := strings.Map(func(c rune) rune {
			for _, x := range set1 {
				if x == c {
					return -1
				}
			}
			return c
		}, string(data))
		io.WriteString(p.Stdout, out)
		return 0
	}
	if len(ops) < 2 {
		fmt.Fprintln(p.Stderr, "tr: missing operand after set")
		return 1
	}
	set2 := expand(ops[1])
	out := strings.Map(func(c rune) rune {
		for i, x := range set1 {
			if x == c {
				if i < len(set2) {
					return set2[i]
				}
				return set2[len(set2)-1]
			}
		}
		return c
	}, string(data))
	io.WriteString(p.Stdout, out)
	return 0
}

func progCut(p *Proc) int {
	args := p.Args[1:]
	delim, fieldsSpec := "\t", ""
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-d" && i+1 < len(args):
			delim = args[i+1]
			i++
		case strings.HasPrefix(a, "-d"):
			delim = a[2:]
		case a == "-f" && i+1 < len(args):
			fieldsSpec = args[i+1]
			i++
		case strings.HasPrefix(a, "-f"):
			fieldsSpec = a[2:]
		default:
			files = append(files, a)
		}
	}
	var want []int
	for _, f := range strings.Split(fieldsSpec, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			want = append(want, n)
		}
	}
	if len(want) == 0 {
		fmt.Fprintln(p.Stderr, "cut: you must specify a list of fields (-f)")
		return 1
	}
	return p.Inputs(files, func(_ string, r io.Reader) bool {
		lines, _ := readLines(r)
		for _, l := range lines {
			parts := strings.Split(l, delim)
			var out []string
			for _, n := range want {
				if n-1 < len(parts) && n > 0 {
					out = append(out, parts[n-1])
				}
			}
			fmt.Fprintln(p.Stdout, strings.Join(out, delim))
		}
		return true
	})
}

// progSed supports what scripts usually ask of it: s/re/repl/[g] (with -E), and -n with p.
func progSed(p *Proc) int {
	args := p.Args[1:]
	ere, inPlace := false, false
	var script string
	var files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-E" || a == "-r":
			ere = true
		case a == "-i":
			inPlace = true
		case a == "-e" && i+1 < len(args):
			script = args[i+1]
			i++
		case script == "" && !strings.HasPrefix(a, "-"):
			script = a
		default:
			files = append(files, a)
		}
	}
	if len(script) < 2 || script[0] != 's' {
		fmt.Fprintf(p.Stderr, "sed: -e expression #1: the simulator's sed supports only s/regex/replacement/flags\n")
		return 1
	}
	sep := string(script[1])
	parts := strings.Split(script[2:], sep)
	if len(parts) < 3 {
		fmt.Fprintf(p.Stderr, "sed: -e expression #1, char %d: unterminated `s' command\n", len(script))
		return 1
	}
	pat, repl, fl := parts[0], parts[1], parts[2]
	if !ere {
		// Basic regular expressions: \( \) \+ \? \| are the special ones.
		pat = strings.NewReplacer(`\(`, "(", `\)`, ")", `\+`, "+", `\?`, "?", `\|`, "|", "(", `\(`, ")", `\)`, "+", `\+`, "?", `\?`, "|", `\|`).Replace(pat)
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		fmt.Fprintf(p.Stderr, "sed: -e expression #1: %v\n", err)
		return 1
	}
	repl = regexp.MustCompile(`\\([0-9])`).ReplaceAllString(strings.ReplaceAll(repl, "&", "${0}"), "${$1}")
	apply := func(line string) string {
		if strings.Contains(fl, "g") {
			return re.ReplaceAllString(line, repl)
		}
		done := false
		return re.ReplaceAllStringFunc(line, func(m string) string {
			if done {
				return m
			}
			done = true
			return re.ReplaceAllString(m, repl)
		})
	}
	if inPlace {
		for _, f := range files {
			full := vfs.Abs(p.Cwd, f)
			data, err := p.Sys.ReadFile(full)
			if err != nil {
				fmt.Fprintf(p.Stderr, "sed: can't read %s: %v\n", f, err)
				return 2
			}
			lines := strings.SplitAfter(string(data), "\n")
			var b strings.Builder
			for _, l := range lines {
				nl := strings.HasSuffix(l, "\n")
				b.WriteString(apply(strings.TrimSuffix(l, "\n")))
				if nl {
					b.WriteByte('\n')
				}
			}
			if err := p.Sys.WriteFile(full, []byte(b.String()), false); err != nil {
				fmt.Fprintf(p.Stderr, "sed: couldn't write %s: %v\n", f, err)
				return 4
			}
		}
		return 0
	}
	return p.Inputs(files, func(_ string, r io.Reader) bool {
		lines, _ := readLines(r)
		for _, l := range lines {
			fmt.Fprintln(p.Stdout, apply(l))
		}
		return true
	})
}

func progGrep(p *Proc) int {
	args := p.Args[1:]
	var pat string
	var files []string
	flags := map[rune]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-e" && i+1 < len(args) {
			pat = args[i+1]
			i++
			continue
		}
		if len(a) > 1 && a[0] == '-' && pat == "" || (len(a) > 1 && a[0] == '-' && len(files) == 0 && pat != "" && false) {
			for _, c := range a[1:] {
				flags[c] = true
			}
			continue
		}
		if pat == "" {
			pat = a
			continue
		}
		files = append(files, a)
	}
	if !flags['E'] {
		pat = strings.NewReplacer(`\(`, "(", `\)`, ")", `\|`, "|", "(", `\(`, ")", `\)`, "|", `\|`, "+", `\+`, "?", `\?`).Replace(pat)
	}
	if flags['F'] {
		pat = regexp.QuoteMeta(pat)
	}
	if flags['i'] {
		pat = "(?i)" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		fmt.Fprintf(p.Stderr, "grep: %v\n", err)
		return 2
	}
	found := false
	st := p.Inputs(files, func(name string, r io.Reader) bool {
		lines, _ := readLines(r)
		count := 0
		for _, l := range lines {
			if re.MatchString(l) != flags['v'] {
				found = true
				count++
				if flags['q'] || flags['c'] {
					continue
				}
				if len(files) > 1 {
					fmt.Fprintf(p.Stdout, "%s:%s\n", name, l)
				} else {
					fmt.Fprintln(p.Stdout, l)
				}
			}
		}
		if flags['c'] {
			fmt.Fprintln(p.Stdout, count)
		}
		return true
	})
	if st != 0 {
		return 2
	}
	if !found {
		return 1
	}
	return 0
}

// unwrapPathErr drops the "path: " a fileWriter adds, for tools that name stdout instead.
// UnwrapPathErr is the bare error text a tool prints after "NAME: ".
func UnwrapPathErr(err error) error {
	if e, ok := err.(interface{ Unwrap() error }); ok && e.Unwrap() != nil {
		return e.Unwrap()
	}
	return err
}

// BrokenPipe says a write failed because the pipe's reader is gone, where a real program
// dies of SIGPIPE without a word.
func BrokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)
}
