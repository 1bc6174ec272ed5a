package sandbox

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

// programs are the simulated executables, by the name an image's binary points at.
var programs map[string]func(p *proc) int

func init() {
	programs = map[string]func(p *proc) int{
		"sh": progShell, "bash": progShell,
		"echo": progEcho, "printf": progPrintf, "test": progTest, "[": progTest,
		"true": func(*proc) int { return 0 }, "false": func(*proc) int { return 1 },
		"pwd": func(p *proc) int { fmt.Fprintln(p.stdout, p.cwd); return 0 },
		"cat": progCat, "ls": progLs, "cp": progCp, "mv": progMv, "rm": progRm, "mkdir": progMkdir,
		"rmdir": progRmdir, "touch": progTouch, "chmod": progChmod, "sleep": progSleep, "env": progEnv,
		"hostname": progHostname, "head": progHead, "tail": progTail, "wc": progWc, "date": progDate,
		"sort": progSort, "uniq": progUniq, "tee": progTee, "basename": progBasename,
		"dirname": progDirname, "seq": progSeq, "uname": progUname, "id": progID,
		"whoami": func(p *proc) int { fmt.Fprintln(p.stdout, "root"); return 0 },
		"yes":    progYes, "stat": progStat, "df": progDf, "du": progDu, "expr": progExpr, "tr": progTr,
		"cut": progCut, "sed": progSed, "grep": progGrep,
		"ln": func(p *proc) int {
			fmt.Fprintln(p.stderr, "ln: links are not available in the simulator")
			return 1
		},
	}
	// Network, MySQL and backup tools live in their own files.
	for k, v := range netPrograms {
		programs[k] = v
	}
	for k, v := range mysqlPrograms {
		programs[k] = v
	}
}

func (p *proc) name() string { return path.Base(p.args[0]) }

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

// inputs yields the contents of each file operand, or stdin when there are none or "-".
func (p *proc) inputs(files []string, each func(name string, r io.Reader) bool) int {
	if len(files) == 0 {
		files = []string{"-"}
	}
	st := 0
	for _, f := range files {
		if f == "-" {
			if !each("-", p.stdin) {
				return st
			}
			continue
		}
		data, err := p.e.readFile(vfs.Abs(p.cwd, f))
		if err != nil {
			fmt.Fprintf(p.stderr, "%s: %s: %v\n", p.name(), f, err)
			st = 1
			continue
		}
		if !each(f, bytes.NewReader(data)) {
			return st
		}
	}
	return st
}

func (p *proc) copyOut(r io.Reader) bool {
	buf := make([]byte, 32*1024)
	for {
		if p.ctx.Err() != nil {
			return false
		}
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := p.stdout.Write(buf[:n]); werr != nil {
				if brokenPipe(werr) {
					return false
				}
				fmt.Fprintf(p.stderr, "%s: write error: %v\n", p.name(), unwrapPathErr(werr))
				return false
			}
		}
		if err != nil {
			return true
		}
	}
}

func progCat(p *proc) int {
	_, files := splitFlags(p.args[1:])
	return p.inputs(files, func(_ string, r io.Reader) bool { return p.copyOut(r) })
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

func progLs(p *proc) int {
	flags, ops := splitFlags(p.args[1:])
	if len(ops) == 0 {
		ops = []string{"."}
	}
	long, all, dirOnly, one := flags['l'], flags['a'] || flags['A'], flags['d'], flags['1']
	st := 0
	var files []info
	var dirs []string
	for _, o := range ops {
		full := vfs.Abs(p.cwd, o)
		in, err := p.e.stat(full)
		if err != nil {
			fmt.Fprintf(p.stderr, "ls: cannot access '%s': %v\n", o, err)
			st = 2
			continue
		}
		if in.mode.IsDir() && !dirOnly {
			dirs = append(dirs, o)
			continue
		}
		in.name = o
		files = append(files, in)
	}
	now := p.e.sb.clk.Now()
	printList := func(ents []info) {
		if long {
			for _, in := range ents {
				size := in.size
				links := 1
				if in.mode.IsDir() {
					size, links = 4096, 2
				}
				ts := in.mtime.Format("Jan _2 15:04")
				if now.Sub(in.mtime) > 180*24*time.Hour {
					ts = in.mtime.Format("Jan _2  2006")
				}
				fmt.Fprintf(p.stdout, "%s %d root root %5d %s %s\n", modeString(in.mode), links, size, ts, in.name)
			}
			return
		}
		var names []string
		for _, in := range ents {
			names = append(names, in.name)
		}
		if len(names) == 0 {
			return
		}
		if p.tty && !one {
			fmt.Fprintln(p.stdout, strings.Join(names, "  "))
			return
		}
		fmt.Fprintln(p.stdout, strings.Join(names, "\n"))
	}
	printList(files)
	for i, d := range dirs {
		ents, _, err := p.e.readDir(vfs.Abs(p.cwd, d))
		if err != nil {
			fmt.Fprintf(p.stderr, "ls: cannot open directory '%s': %v\n", d, err)
			st = 2
			continue
		}
		var shown []info
		if all {
			shown = append(shown, info{name: ".", mode: fs.ModeDir | 0o755, mtime: now}, info{name: "..", mode: fs.ModeDir | 0o755, mtime: now})
		}
		total := 0
		for _, in := range ents {
			if !all && strings.HasPrefix(in.name, ".") {
				continue
			}
			shown = append(shown, in)
			total += (in.size + 4095) / 4096 * 4
		}
		if len(dirs)+len(files) > 1 {
			if i > 0 || len(files) > 0 {
				fmt.Fprintln(p.stdout)
			}
			fmt.Fprintf(p.stdout, "%s:\n", d)
		}
		if long {
			fmt.Fprintf(p.stdout, "total %d\n", total)
		}
		printList(shown)
	}
	return st
}

func progCp(p *proc) int {
	flags, ops := splitFlags(p.args[1:])
	rec := flags['r'] || flags['R'] || flags['a']
	if len(ops) < 2 {
		fmt.Fprintln(p.stderr, "cp: missing destination file operand")
		return 1
	}
	dst := ops[len(ops)-1]
	st := 0
	if len(ops) > 2 {
		if in, err := p.e.stat(vfs.Abs(p.cwd, dst)); err != nil || !in.mode.IsDir() {
			fmt.Fprintf(p.stderr, "cp: target '%s' is not a directory\n", dst)
			return 1
		}
	}
	for _, src := range ops[:len(ops)-1] {
		if err := p.e.copyTo(vfs.Abs(p.cwd, src), vfs.Abs(p.cwd, dst), rec); err != nil {
			if err == vfs.ErrIsDir {
				fmt.Fprintf(p.stderr, "cp: -r not specified; omitting directory '%s'\n", src)
			} else if err == vfs.ErrNotExist {
				fmt.Fprintf(p.stderr, "cp: cannot stat '%s': %v\n", src, err)
			} else {
				fmt.Fprintf(p.stderr, "cp: cannot create regular file '%s': %v\n", dst, err)
			}
			st = 1
		}
	}
	return st
}

func progMv(p *proc) int {
	_, ops := splitFlags(p.args[1:])
	if len(ops) < 2 {
		fmt.Fprintln(p.stderr, "mv: missing destination file operand")
		return 1
	}
	dst := ops[len(ops)-1]
	st := 0
	for _, src := range ops[:len(ops)-1] {
		if err := p.e.rename(vfs.Abs(p.cwd, src), vfs.Abs(p.cwd, dst)); err != nil {
			if err == vfs.ErrNotExist {
				fmt.Fprintf(p.stderr, "mv: cannot stat '%s': %v\n", src, err)
			} else {
				fmt.Fprintf(p.stderr, "mv: cannot move '%s' to '%s': %v\n", src, dst, err)
			}
			st = 1
		}
	}
	return st
}

func progRm(p *proc) int {
	flags, ops := splitFlags(p.args[1:])
	force, rec := flags['f'], flags['r'] || flags['R']
	if len(ops) == 0 && !force {
		fmt.Fprintln(p.stderr, "rm: missing operand")
		return 1
	}
	st := 0
	for _, o := range ops {
		full := vfs.Abs(p.cwd, o)
		in, err := p.e.stat(full)
		if err != nil {
			if !force {
				fmt.Fprintf(p.stderr, "rm: cannot remove '%s': %v\n", o, err)
				st = 1
			}
			continue
		}
		if in.mode.IsDir() && !rec {
			fmt.Fprintf(p.stderr, "rm: cannot remove '%s': Is a directory\n", o)
			st = 1
			continue
		}
		if err := p.e.remove(full, true); err != nil {
			fmt.Fprintf(p.stderr, "rm: cannot remove '%s': %v\n", o, err)
			st = 1
		}
	}
	return st
}

func progMkdir(p *proc) int {
	flags, ops := splitFlags(p.args[1:])
	if len(ops) == 0 {
		fmt.Fprintln(p.stderr, "mkdir: missing operand")
		return 1
	}
	st := 0
	for _, o := range ops {
		if err := p.e.mkdir(vfs.Abs(p.cwd, o), flags['p']); err != nil {
			fmt.Fprintf(p.stderr, "mkdir: cannot create directory '%s': %v\n", o, err)
			st = 1
		}
	}
	return st
}

func progRmdir(p *proc) int {
	_, ops := splitFlags(p.args[1:])
	st := 0
	for _, o := range ops {
		full := vfs.Abs(p.cwd, o)
		in, err := p.e.stat(full)
		if err == nil && !in.mode.IsDir() {
			err = vfs.ErrNotDir
		}
		if err == nil {
			err = p.e.remove(full, false)
		}
		if err != nil {
			fmt.Fprintf(p.stderr, "rmdir: failed to remove '%s': %v\n", o, err)
			st = 1
		}
	}
	return st
}

func progTouch(p *proc) int {
	_, ops := splitFlags(p.args[1:])
	st := 0
	for _, o := range ops {
		if err := p.e.touch(vfs.Abs(p.cwd, o)); err != nil {
			fmt.Fprintf(p.stderr, "touch: cannot touch '%s': %v\n", o, err)
			st = 1
		}
	}
	return st
}

func progChmod(p *proc) int {
	args := p.args[1:]
	for len(args) > 0 && (args[0] == "-R" || args[0] == "-v" || args[0] == "-f") {
		args = args[1:]
	}
	if len(args) < 2 {
		fmt.Fprintln(p.stderr, "chmod: missing operand")
		return 1
	}
	mode := args[0]
	st := 0
	for _, o := range args[1:] {
		full := vfs.Abs(p.cwd, o)
		in, err := p.e.stat(full)
		if err != nil {
			fmt.Fprintf(p.stderr, "chmod: cannot access '%s': %v\n", o, err)
			st = 1
			continue
		}
		m, ok := parseMode(mode, in.mode.Perm())
		if !ok {
			fmt.Fprintf(p.stderr, "chmod: invalid mode: '%s'\n", mode)
			return 1
		}
		if err := p.e.chmod(full, m); err != nil {
			fmt.Fprintf(p.stderr, "chmod: changing permissions of '%s': %v\n", o, err)
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

// sleep waits on the injected clock, and returns early when the command is cancelled.
func (p *proc) sleep(d time.Duration) bool {
	if d <= 0 || container.IsOnLoop(p.ctx) {
		// On the simulator's loop the fake clock cannot move until this returns.
		return p.ctx.Err() == nil
	}
	select {
	case <-p.ctx.Done():
		return false
	case <-p.e.sb.after(d):
		return true
	}
}

func progSleep(p *proc) int {
	if len(p.args) < 2 {
		fmt.Fprintln(p.stderr, "sleep: missing operand")
		return 1
	}
	var total time.Duration
	for _, a := range p.args[1:] {
		d, ok := parseDuration(a)
		if !ok {
			fmt.Fprintf(p.stderr, "sleep: invalid time interval '%s'\n", a)
			return 1
		}
		total += d
	}
	if !p.sleep(total) {
		return 130
	}
	return 0
}

func progEnv(p *proc) int {
	args := p.args[1:]
	vars := map[string]string{}
	for k, v := range p.vars {
		vars[k] = v
	}
	for len(args) > 0 && strings.Contains(args[0], "=") {
		k, v, _ := strings.Cut(args[0], "=")
		vars[k] = v
		args = args[1:]
	}
	if len(args) > 0 {
		child := *p
		child.vars = vars
		if _, _, ok := child.lookPath(args[0]); !ok {
			fmt.Fprintf(p.stderr, "env: '%s': No such file or directory\n", args[0])
			return 127
		}
		return child.execProgram(args)
	}
	for _, k := range sortedKeys(vars) {
		fmt.Fprintf(p.stdout, "%s=%s\n", k, vars[k])
	}
	return 0
}

func progHostname(p *proc) int {
	flags, ops := splitFlags(p.args[1:])
	if len(ops) > 0 {
		fmt.Fprintln(p.stderr, "hostname: you must be root to change the host name")
		return 1
	}
	switch {
	case flags['f']:
		if f := fqdnOf(p.e.pod); f != "" {
			fmt.Fprintln(p.stdout, f)
			return 0
		}
	case flags['i']:
		fmt.Fprintln(p.stdout, p.e.pod.Status.PodIP)
		return 0
	}
	fmt.Fprintln(p.stdout, hostnameOf(p.e.pod))
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

func progHead(p *proc) int {
	n, rest := countArg(p.args[1:], 10)
	_, files := splitFlags(rest)
	return p.inputs(files, func(_ string, r io.Reader) bool {
		br := bufio.NewReader(r)
		for i := 0; i < n; i++ {
			line, err := br.ReadString('\n')
			if line != "" {
				io.WriteString(p.stdout, line)
			}
			if err != nil {
				break
			}
		}
		return true
	})
}

func progTail(p *proc) int {
	n, rest := countArg(p.args[1:], 10)
	flags, files := splitFlags(rest)
	st := p.inputs(files, func(_ string, r io.Reader) bool {
		lines, _ := readLines(r)
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		for _, l := range lines {
			fmt.Fprintln(p.stdout, l)
		}
		return true
	})
	if flags['f'] || flags['F'] {
		// Nothing in the simulator appends to files on its own: wait until interrupted.
		<-p.ctx.Done()
		return 130
	}
	return st
}

func progWc(p *proc) int {
	flags, files := splitFlags(p.args[1:])
	if !flags['l'] && !flags['w'] && !flags['c'] {
		flags['l'], flags['w'], flags['c'] = true, true, true
	}
	return p.inputs(files, func(name string, r io.Reader) bool {
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
		fmt.Fprintln(p.stdout, strings.Join(parts, " "))
		return true
	})
}

func progDate(p *proc) int {
	now := p.e.sb.clk.Now().UTC()
	for _, a := range p.args[1:] {
		if strings.HasPrefix(a, "+") {
			fmt.Fprintln(p.stdout, strftime(now, a[1:]))
			return 0
		}
	}
	fmt.Fprintln(p.stdout, now.Format("Mon Jan _2 15:04:05 UTC 2006"))
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

func progSort(p *proc) int {
	flags, files := splitFlags(p.args[1:])
	var all []string
	st := p.inputs(files, func(_ string, r io.Reader) bool {
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
		fmt.Fprintln(p.stdout, l)
		prev = l
	}
	return st
}

func progUniq(p *proc) int {
	flags, files := splitFlags(p.args[1:])
	return p.inputs(files[:min(len(files), 1)], func(_ string, r io.Reader) bool {
		lines, _ := readLines(r)
		for i := 0; i < len(lines); {
			j := i
			for j < len(lines) && lines[j] == lines[i] {
				j++
			}
			if flags['c'] {
				fmt.Fprintf(p.stdout, "%7d %s\n", j-i, lines[i])
			} else {
				fmt.Fprintln(p.stdout, lines[i])
			}
			i = j
		}
		return true
	})
}

func progTee(p *proc) int {
	flags, files := splitFlags(p.args[1:])
	st := 0
	var targets []string
	for _, f := range files {
		full := vfs.Abs(p.cwd, f)
		if !flags['a'] {
			if err := p.e.writeFile(full, nil, false); err != nil {
				fmt.Fprintf(p.stderr, "tee: %s: %v\n", f, err)
				st = 1
				continue
			}
		}
		targets = append(targets, full)
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := p.stdin.Read(buf)
		if n > 0 {
			p.stdout.Write(buf[:n])
			for _, t := range targets {
				if werr := p.e.writeFile(t, buf[:n], true); werr != nil {
					fmt.Fprintf(p.stderr, "tee: %s: %v\n", t, werr)
					st = 1
				}
			}
		}
		if err != nil || p.ctx.Err() != nil {
			return st
		}
	}
}

func progBasename(p *proc) int {
	if len(p.args) < 2 {
		fmt.Fprintln(p.stderr, "basename: missing operand")
		return 1
	}
	b := path.Base(p.args[1])
	if len(p.args) > 2 {
		b = strings.TrimSuffix(b, p.args[2])
	}
	fmt.Fprintln(p.stdout, b)
	return 0
}

func progDirname(p *proc) int {
	if len(p.args) < 2 {
		fmt.Fprintln(p.stderr, "dirname: missing operand")
		return 1
	}
	fmt.Fprintln(p.stdout, path.Dir(p.args[1]))
	return 0
}

func progSeq(p *proc) int {
	var nums []int
	for _, a := range p.args[1:] {
		n, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintf(p.stderr, "seq: invalid floating point argument: '%s'\n", a)
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
		fmt.Fprintln(p.stderr, "seq: missing operand")
		return 1
	}
	if step == 0 || (last-first)/step > 100000 {
		fmt.Fprintln(p.stderr, "seq: the simulator prints at most 100000 numbers")
		return 1
	}
	for i := first; (step > 0 && i <= last) || (step < 0 && i >= last); i += step {
		if _, err := fmt.Fprintln(p.stdout, i); err != nil || p.ctx.Err() != nil {
			return 1
		}
	}
	return 0
}

func progUname(p *proc) int {
	flags, _ := splitFlags(p.args[1:])
	switch {
	case flags['a']:
		fmt.Fprintf(p.stdout, "Linux %s 6.8.0 #1 SMP x86_64 GNU/Linux\n", hostnameOf(p.e.pod))
	case flags['r']:
		fmt.Fprintln(p.stdout, "6.8.0")
	case flags['n']:
		fmt.Fprintln(p.stdout, hostnameOf(p.e.pod))
	case flags['m']:
		fmt.Fprintln(p.stdout, "x86_64")
	default:
		fmt.Fprintln(p.stdout, "Linux")
	}
	return 0
}

func progID(p *proc) int {
	fmt.Fprintln(p.stdout, "uid=0(root) gid=0(root) groups=0(root)")
	return 0
}

func progYes(p *proc) int {
	s := "y"
	if len(p.args) > 1 {
		s = strings.Join(p.args[1:], " ")
	}
	for p.ctx.Err() == nil {
		if _, err := fmt.Fprintln(p.stdout, s); err != nil {
			if brokenPipe(err) {
				return 141 // killed by SIGPIPE, silently
			}
			fmt.Fprintf(p.stderr, "yes: standard output: %v\n", unwrapPathErr(err))
			return 1
		}
	}
	return 130
}

func progStat(p *proc) int {
	_, ops := splitFlags(p.args[1:])
	st := 0
	for _, o := range ops {
		in, err := p.e.stat(vfs.Abs(p.cwd, o))
		if err != nil {
			fmt.Fprintf(p.stderr, "stat: cannot statx '%s': %v\n", o, err)
			st = 1
			continue
		}
		kind := "regular file"
		if in.mode.IsDir() {
			kind = "directory"
		}
		fmt.Fprintf(p.stdout, "  File: %s\n  Size: %d\t%s\nAccess: (%04o/%s)  Uid: (    0/    root)   Gid: (    0/    root)\nModify: %s\n",
			o, in.size, kind, in.mode.Perm(), modeString(in.mode), in.mtime.UTC().Format("2006-01-02 15:04:05.000000000 +0000"))
	}
	return st
}

func progDf(p *proc) int {
	fmt.Fprintln(p.stdout, "Filesystem     1K-blocks  Used Available Use% Mounted on")
	p.e.sb.mu.Lock()
	defer p.e.sb.mu.Unlock()
	for i := len(p.e.view.Mounts) - 1; i >= 0; i-- {
		m := p.e.view.Mounts[i]
		used := (m.Vol.Bytes + 1023) / 1024
		fmt.Fprintf(p.stdout, "%-14s %9d %5d %9d %3d%% %s\n", "overlay", vfs.MaxVolumeBytes/1024, used,
			vfs.MaxVolumeBytes/1024-used, used*100/(vfs.MaxVolumeBytes/1024), m.Path)
	}
	return 0
}

func progDu(p *proc) int {
	_, ops := splitFlags(p.args[1:])
	if len(ops) == 0 {
		ops = []string{"."}
	}
	for _, o := range ops {
		p.e.sb.mu.Lock()
		n, err := p.e.view.Stat(vfs.Abs(p.cwd, o))
		var b int64
		if err == nil {
			b, _ = vfs.Usage(n)
		}
		p.e.sb.mu.Unlock()
		if err != nil {
			fmt.Fprintf(p.stderr, "du: cannot access '%s': %v\n", o, err)
			return 1
		}
		fmt.Fprintf(p.stdout, "%d\t%s\n", (b+1023)/1024+4, o)
	}
	return 0
}

func progExpr(p *proc) int {
	a := p.args[1:]
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
					fmt.Fprintln(p.stderr, "expr: division by zero")
					return 2
				}
				if a[1] == "/" {
					r = x / y
				} else {
					r = x % y
				}
			default:
				fmt.Fprintln(p.stderr, "expr: syntax error")
				return 2
			}
			fmt.Fprintln(p.stdout, r)
			if r == 0 {
				return 1
			}
			return 0
		}
	}
	if len(a) == 1 {
		fmt.Fprintln(p.stdout, a[0])
		return 0
	}
	fmt.Fprintln(p.stderr, "expr: syntax error (the simulator's expr does integer arithmetic only)")
	return 2
}

func progTr(p *proc) int {
	flags, ops := splitFlags(p.args[1:])
	data, _ := io.ReadAll(io.LimitReader(p.stdin, vfs.MaxFileSize))
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
		fmt.Fprintln(p.stderr, "tr: missing operand")
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
		io.WriteString(p.stdout, out)
		return 0
	}
	if len(ops) < 2 {
		fmt.Fprintln(p.stderr, "tr: missing operand after set")
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
	io.WriteString(p.stdout, out)
	return 0
}

func progCut(p *proc) int {
	args := p.args[1:]
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
		fmt.Fprintln(p.stderr, "cut: you must specify a list of fields (-f)")
		return 1
	}
	return p.inputs(files, func(_ string, r io.Reader) bool {
		lines, _ := readLines(r)
		for _, l := range lines {
			parts := strings.Split(l, delim)
			var out []string
			for _, n := range want {
				if n-1 < len(parts) && n > 0 {
					out = append(out, parts[n-1])
				}
			}
			fmt.Fprintln(p.stdout, strings.Join(out, delim))
		}
		return true
	})
}

// progSed supports what scripts usually ask of it: s/re/repl/[g] (with -E), and -n with p.
func progSed(p *proc) int {
	args := p.args[1:]
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
		fmt.Fprintf(p.stderr, "sed: -e expression #1: the simulator's sed supports only s/regex/replacement/flags\n")
		return 1
	}
	sep := string(script[1])
	parts := strings.Split(script[2:], sep)
	if len(parts) < 3 {
		fmt.Fprintf(p.stderr, "sed: -e expression #1, char %d: unterminated `s' command\n", len(script))
		return 1
	}
	pat, repl, fl := parts[0], parts[1], parts[2]
	if !ere {
		// Basic regular expressions: \( \) \+ \? \| are the special ones.
		pat = strings.NewReplacer(`\(`, "(", `\)`, ")", `\+`, "+", `\?`, "?", `\|`, "|", "(", `\(`, ")", `\)`, "+", `\+`, "?", `\?`, "|", `\|`).Replace(pat)
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		fmt.Fprintf(p.stderr, "sed: -e expression #1: %v\n", err)
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
			full := vfs.Abs(p.cwd, f)
			data, err := p.e.readFile(full)
			if err != nil {
				fmt.Fprintf(p.stderr, "sed: can't read %s: %v\n", f, err)
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
			if err := p.e.writeFile(full, []byte(b.String()), false); err != nil {
				fmt.Fprintf(p.stderr, "sed: couldn't write %s: %v\n", f, err)
				return 4
			}
		}
		return 0
	}
	return p.inputs(files, func(_ string, r io.Reader) bool {
		lines, _ := readLines(r)
		for _, l := range lines {
			fmt.Fprintln(p.stdout, apply(l))
		}
		return true
	})
}

func progGrep(p *proc) int {
	args := p.args[1:]
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
		fmt.Fprintf(p.stderr, "grep: %v\n", err)
		return 2
	}
	found := false
	st := p.inputs(files, func(name string, r io.Reader) bool {
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
					fmt.Fprintf(p.stdout, "%s:%s\n", name, l)
				} else {
					fmt.Fprintln(p.stdout, l)
				}
			}
		}
		if flags['c'] {
			fmt.Fprintln(p.stdout, count)
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
func unwrapPathErr(err error) error {
	if e, ok := err.(*writeErr); ok {
		return e.err
	}
	return err
}

// brokenPipe says a write failed because the pipe's reader is gone, where a real program
// dies of SIGPIPE without a word.
func brokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)
}
