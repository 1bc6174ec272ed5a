package sandbox

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// seg is a piece of an expanded word: quoted pieces are never split or globbed.
type seg struct {
	s      string
	quoted bool
	lit    bool // source text (not the result of an expansion)
	brk    bool // a field break ("$@")
}

const maxSubstOutput = 1 << 20

// expandSegs expands one word's parameters, commands and arithmetic, keeping quote marks.
func (sh *shell) expandSegs(w string, inDouble bool) ([]seg, error) {
	var out []seg
	var lit strings.Builder
	flush := func(quoted bool) {
		if lit.Len() > 0 {
			out = append(out, seg{s: lit.String(), quoted: quoted, lit: true})
			lit.Reset()
		}
	}
	i := 0
	for i < len(w) {
		c := w[i]
		switch {
		case c == '\\':
			if i+1 >= len(w) {
				lit.WriteByte('\\')
				i++
				continue
			}
			n := w[i+1]
			if n == '\n' {
				i += 2
				continue
			}
			if inDouble && !strings.ContainsRune("$`\"\\", rune(n)) {
				lit.WriteByte('\\')
				i++
				continue
			}
			flush(inDouble)
			out = append(out, seg{s: string(n), quoted: true, lit: true})
			i += 2
		case c == '\'' && !inDouble:
			flush(false)
			j := strings.IndexByte(w[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unexpected EOF while looking for matching `''")
			}
			out = append(out, seg{s: w[i+1 : i+1+j], quoted: true, lit: true})
			i += j + 2
		case c == '"' && !inDouble:
			flush(false)
			end, err := skipQuoted(w, i)
			if err != nil {
				return nil, fmt.Errorf("unexpected EOF while looking for matching `\"'")
			}
			inner, err := sh.expandSegs(w[i+1:end-1], true)
			if err != nil {
				return nil, err
			}
			if len(inner) == 0 {
				inner = []seg{{s: "", quoted: true, lit: true}}
			}
			for k := range inner {
				inner[k].quoted = true
			}
			out = append(out, inner...)
			i = end
		case c == '`':
			flush(inDouble)
			end, err := skipQuoted(w, i)
			if err != nil {
				return nil, fmt.Errorf("unexpected EOF while looking for matching ``'")
			}
			src := strings.ReplaceAll(w[i+1:end-1], "\\`", "`")
			s, err := sh.commandSubst(src)
			if err != nil {
				return nil, err
			}
			out = append(out, seg{s: s, quoted: inDouble})
			i = end
		case c == '$' && i+1 < len(w):
			flush(inDouble)
			segs, n, err := sh.dollar(w, i, inDouble)
			if err != nil {
				return nil, err
			}
			out = append(out, segs...)
			i = n
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush(inDouble)
	return out, nil
}

// dollar expands the $-construct at w[i]; it returns the segments and the index after it.
func (sh *shell) dollar(w string, i int, inDouble bool) ([]seg, int, error) {
	n := w[i+1]
	switch {
	case n == '(' && i+2 < len(w) && w[i+2] == '(':
		end, err := skipParens(w, i+1)
		if err != nil {
			return nil, 0, err
		}
		if end >= 2 && w[end-2] == ')' {
			expr := w[i+3 : end-2]
			v, err := sh.arith(expr)
			if err != nil {
				return nil, 0, err
			}
			return []seg{{s: strconv.FormatInt(v, 10), quoted: inDouble}}, end, nil
		}
		fallthrough
	case n == '(':
		end, err := skipParens(w, i+1)
		if err != nil {
			return nil, 0, err
		}
		s, err := sh.commandSubst(w[i+2 : end-1])
		if err != nil {
			return nil, 0, err
		}
		return []seg{{s: s, quoted: inDouble}}, end, nil
	case n == '{':
		end, err := skipQuoted(w, i)
		if err != nil {
			return nil, 0, err
		}
		v, err := sh.braceParam(w[i+2 : end-1])
		if err != nil {
			return nil, 0, err
		}
		return []seg{{s: v, quoted: inDouble}}, end, nil
	case n == '@' || n == '*':
		args := sh.positional()
		if n == '@' && inDouble {
			var out []seg
			for k, a := range args {
				if k > 0 {
					out = append(out, seg{brk: true})
				}
				out = append(out, seg{s: a, quoted: true})
			}
			return out, i + 2, nil
		}
		return []seg{{s: strings.Join(args, " "), quoted: inDouble}}, i + 2, nil
	case n == '?' || n == '$' || n == '#' || n == '!' || n == '-' || (n >= '0' && n <= '9'):
		return []seg{{s: sh.special(n), quoted: inDouble}}, i + 2, nil
	case n == '_' || (n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z'):
		j := i + 1
		for j < len(w) && (w[j] == '_' || (w[j] >= 'a' && w[j] <= 'z') || (w[j] >= 'A' && w[j] <= 'Z') || (w[j] >= '0' && w[j] <= '9')) {
			j++
		}
		name := w[i+1 : j]
		v, ok := sh.get(name)
		if !ok && sh.nounset {
			return nil, 0, fmt.Errorf("%s: unbound variable", name)
		}
		return []seg{{s: v, quoted: inDouble}}, j, nil
	}
	return []seg{{s: "$", quoted: inDouble, lit: true}}, i + 1, nil
}

func (sh *shell) special(n byte) string {
	switch n {
	case '?':
		return strconv.Itoa(sh.status)
	case '$':
		return "1"
	case '!':
		return ""
	case '#':
		return strconv.Itoa(len(sh.positional()))
	case '-':
		f := "h"
		if sh.errexit {
			f += "e"
		}
		if sh.xtrace {
			f += "x"
		}
		return f
	}
	k := int(n - '0')
	if k < len(sh.args) {
		return sh.args[k]
	}
	return ""
}

func (sh *shell) positional() []string {
	if len(sh.args) <= 1 {
		return nil
	}
	return sh.args[1:]
}

// braceParam handles ${name}, ${name[i]}, ${#name}, ${name:-w}, ${name:=w}, ${name:+w},
// ${name%pat}, ${name#pat}.
func (sh *shell) braceParam(body string) (string, error) {
	if strings.HasPrefix(body, "#") && len(body) > 1 {
		v, _ := sh.param(body[1:])
		return strconv.Itoa(len(v)), nil
	}
	j := 0
	for j < len(body) && (body[j] == '_' || body[j] == '@' || body[j] == '*' || body[j] == '?' ||
		(body[j] >= 'a' && body[j] <= 'z') || (body[j] >= 'A' && body[j] <= 'Z') || (body[j] >= '0' && body[j] <= '9')) {
		j++
	}
	if j < len(body) && body[j] == '[' {
		k := strings.IndexByte(body[j:], ']')
		if k < 0 {
			return "", fmt.Errorf("${%s}: bad substitution", body)
		}
		j += k + 1
	}
	name, rest := body[:j], body[j:]
	if name == "" {
		return "", fmt.Errorf("${%s}: bad substitution", body)
	}
	v, set := sh.param(name)
	word := func(s string) (string, error) {
		segs, err := sh.expandSegs(s, true)
		if err != nil {
			return "", err
		}
		return joinSegs(segs), nil
	}
	switch {
	case rest == "":
		if !set && sh.nounset {
			return "", fmt.Errorf("%s: unbound variable", name)
		}
		return v, nil
	case strings.HasPrefix(rest, ":-"), strings.HasPrefix(rest, "-"):
		colon := rest[0] == ':'
		if !set || (colon && v == "") {
			return word(strings.TrimLeft(rest, ":")[1:])
		}
		return v, nil
	case strings.HasPrefix(rest, ":="), strings.HasPrefix(rest, "="):
		colon := rest[0] == ':'
		if !set || (colon && v == "") {
			w, err := word(strings.TrimLeft(rest, ":")[1:])
			if err != nil {
				return "", err
			}
			sh.set(name, w)
			return w, nil
		}
		return v, nil
	case strings.HasPrefix(rest, ":+"), strings.HasPrefix(rest, "+"):
		colon := rest[0] == ':'
		if set && !(colon && v == "") {
			return word(strings.TrimLeft(rest, ":")[1:])
		}
		return "", nil
	case strings.HasPrefix(rest, "%"), strings.HasPrefix(rest, "#"):
		long := strings.HasPrefix(rest, "%%") || strings.HasPrefix(rest, "##")
		pat := strings.TrimLeft(rest[1:], rest[:1])
		pw, err := word(pat)
		if err != nil {
			return "", err
		}
		return trimPattern(v, pw, rest[0] == '%', long), nil
	}
	return "", fmt.Errorf("${%s}: bad substitution", body)
}

func trimPattern(v, pat string, suffix, long bool) string {
	if suffix {
		idx := []int{}
		for i := len(v); i >= 0; i-- {
			idx = append(idx, i)
		}
		if long {
			sort.Ints(idx)
		}
		for _, i := range idx {
			if ok, _ := path.Match(pat, v[i:]); ok {
				return v[:i]
			}
		}
		return v
	}
	for k := 0; k <= len(v); k++ {
		i := k
		if long {
			i = len(v) - k
		}
		if ok, _ := path.Match(pat, v[:i]); ok {
			return v[i:]
		}
	}
	return v
}

// param reads a variable, an array element (name[i]) or a special parameter.
func (sh *shell) param(name string) (string, bool) {
	if b := strings.IndexByte(name, '['); b > 0 && strings.HasSuffix(name, "]") {
		idxS := name[b+1 : len(name)-1]
		arr := sh.arrays[name[:b]]
		if idxS == "@" || idxS == "*" {
			return strings.Join(arr, " "), arr != nil
		}
		idx, err := sh.arith(idxS)
		if err != nil || idx < 0 || int(idx) >= len(arr) {
			if arr == nil && idx == 0 {
				return sh.get(name[:b])
			}
			return "", false
		}
		return arr[idx], true
	}
	if len(name) == 1 && strings.ContainsAny(name, "?$#!-0123456789") {
		return sh.special(name[0]), true
	}
	if name == "@" || name == "*" {
		return strings.Join(sh.positional(), " "), true
	}
	if len(name) > 1 && name[0] >= '0' && name[0] <= '9' {
		k, _ := strconv.Atoi(name)
		if k < len(sh.args) {
			return sh.args[k], true
		}
		return "", false
	}
	return sh.get(name)
}

func joinSegs(segs []seg) string {
	var b strings.Builder
	for _, s := range segs {
		if s.brk {
			b.WriteByte(' ')
			continue
		}
		b.WriteString(s.s)
	}
	return b.String()
}

// commandSubst runs src in a subshell and returns its output without trailing newlines.
func (sh *shell) commandSubst(src string) (string, error) {
	trim := strings.TrimSpace(src)
	// $(<file) reads the file.
	if strings.HasPrefix(trim, "<") && !strings.HasPrefix(trim, "<<") && !strings.ContainsAny(trim[1:], ";|&\n") {
		segs, err := sh.expandSegs(strings.TrimSpace(trim[1:]), false)
		if err != nil {
			return "", err
		}
		p := abs(sh.p.cwd, joinSegs(segs))
		data, err := sh.p.e.readFile(p)
		if err != nil {
			fmt.Fprintf(sh.p.stderr, "%s: %s: %v\n", sh.errPrefix(0), joinSegs(segs), err)
			sh.status = 1
			return "", nil
		}
		return strings.TrimRight(string(data), "\n"), nil
	}
	sub := sh.subshell()
	var buf limitedBuffer
	sub.p.stdout = &buf
	st := sub.runSource(src)
	sh.status = st
	if sh.p.ctx.Err() != nil {
		return "", sh.p.ctx.Err()
	}
	return strings.TrimRight(buf.String(), "\n"), nil
}

type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > maxSubstOutput {
		return 0, errNoSpace
	}
	return b.Buffer.Write(p)
}

// expandWords expands words into fields: splitting unquoted expansions on whitespace and
// globbing unquoted patterns.
func (sh *shell) expandWords(words []string) ([]string, error) {
	var out []string
	size := 0
	for _, w := range words {
		segs, err := sh.expandSegs(w, false)
		if err != nil {
			return nil, err
		}
		for _, f := range splitFields(segs) {
			for _, g := range sh.glob(f) {
				size += len(g) + 1
				out = append(out, g)
			}
		}
		if size > maxArgBytes {
			return nil, fmt.Errorf("Argument list too long (the simulator caps a command line at 2 MiB)")
		}
	}
	return out, nil
}

// expandOne expands a word without splitting or globbing (assignments, redirection targets,
// [[ ]] operands, here-strings).
func (sh *shell) expandOne(w string) (string, error) {
	segs, err := sh.expandSegs(w, false)
	if err != nil {
		return "", err
	}
	return joinSegs(segs), nil
}

func splitFields(segs []seg) [][]seg {
	var fields [][]seg
	var cur []seg
	have := false
	for _, s := range segs {
		if s.brk {
			fields = append(fields, cur)
			cur, have = nil, false
			continue
		}
		if s.quoted || s.lit {
			cur = append(cur, s)
			have = true
			continue
		}
		parts := strings.FieldsFunc(s.s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
		if len(parts) == 0 {
			if s.s != "" && have {
				fields = append(fields, cur)
				cur, have = nil, false
			}
			continue
		}
		startsBlank := s.s[0] == ' ' || s.s[0] == '\t' || s.s[0] == '\n'
		endsBlank := strings.ContainsAny(s.s[len(s.s)-1:], " \t\n")
		for k, part := range parts {
			if k > 0 || (startsBlank && have) {
				fields = append(fields, cur)
				cur = nil
			}
			cur = append(cur, seg{s: part})
			have = true
		}
		if endsBlank {
			fields = append(fields, cur)
			cur, have = nil, false
		}
	}
	if have {
		fields = append(fields, cur)
	}
	return fields
}

// glob expands a field with unquoted * ? [ against the container's files.
func (sh *shell) glob(f []seg) []string {
	var pat, plain strings.Builder
	magic := false
	for _, s := range f {
		plain.WriteString(s.s)
		if s.quoted {
			for _, r := range s.s {
				if strings.ContainsRune("*?[\\", r) {
					pat.WriteByte('\\')
				}
				pat.WriteRune(r)
			}
			continue
		}
		if strings.ContainsAny(s.s, "*?[") {
			magic = true
		}
		pat.WriteString(s.s)
	}
	if !magic {
		return []string{plain.String()}
	}
	p := pat.String()
	dir, file := path.Split(p)
	if strings.ContainsAny(dir, "*?[") {
		return []string{plain.String()} // patterns in directories: not supported, left as is
	}
	lookIn := abs(sh.p.cwd, unescapeGlob(dir))
	ents, isDir, err := sh.p.e.readDir(lookIn)
	if err != nil || !isDir {
		return []string{plain.String()}
	}
	var out []string
	for _, ent := range ents {
		if strings.HasPrefix(ent.name, ".") && !strings.HasPrefix(file, ".") {
			continue
		}
		if ok, _ := path.Match(file, ent.name); ok {
			out = append(out, unescapeGlob(dir)+ent.name)
		}
	}
	if len(out) == 0 {
		return []string{plain.String()}
	}
	return out
}

func unescapeGlob(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// regexFromSegs builds the right side of =~: quoted parts match literally.
func regexFromSegs(segs []seg) (*regexp.Regexp, error) {
	var b strings.Builder
	for _, s := range segs {
		if s.quoted {
			b.WriteString(regexp.QuoteMeta(s.s))
		} else {
			b.WriteString(s.s)
		}
	}
	return regexp.Compile(b.String())
}

// --- arithmetic ----------------------------------------------------------------------------

type arithParser struct {
	sh  *shell
	s   string
	pos int
}

func (sh *shell) arith(expr string) (int64, error) {
	// Parameters and command substitutions expand first, as in bash.
	segs, err := sh.expandSegs(expr, true)
	if err != nil {
		return 0, err
	}
	ap := &arithParser{sh: sh, s: joinSegs(segs)}
	v, err := ap.ternary()
	if err != nil {
		return 0, err
	}
	ap.skip()
	if ap.pos < len(ap.s) {
		return 0, fmt.Errorf("%s: syntax error in expression (error token is \"%s\")", strings.TrimSpace(ap.s), ap.s[ap.pos:])
	}
	return v, nil
}

func (a *arithParser) skip() {
	for a.pos < len(a.s) && (a.s[a.pos] == ' ' || a.s[a.pos] == '\t' || a.s[a.pos] == '\n') {
		a.pos++
	}
}

func (a *arithParser) accept(op string) bool {
	a.skip()
	if strings.HasPrefix(a.s[a.pos:], op) {
		a.pos += len(op)
		return true
	}
	return false
}

func (a *arithParser) ternary() (int64, error) {
	c, err := a.binary(0)
	if err != nil {
		return 0, err
	}
	if a.accept("?") {
		x, err := a.ternary()
		if err != nil {
			return 0, err
		}
		if !a.accept(":") {
			return 0, fmt.Errorf("%s: expected `:'", a.s)
		}
		y, err := a.ternary()
		if err != nil {
			return 0, err
		}
		if c != 0 {
			return x, nil
		}
		return y, nil
	}
	return c, nil
}

var arithLevels = [][]string{{"||"}, {"&&"}, {"==", "!="}, {"<=", ">=", "<", ">"}, {"+", "-"}, {"*", "/", "%"}}

func (a *arithParser) binary(level int) (int64, error) {
	if level == len(arithLevels) {
		return a.unary()
	}
	x, err := a.binary(level + 1)
	if err != nil {
		return 0, err
	}
	for {
		matched := ""
		a.skip()
		for _, op := range arithLevels[level] {
			if strings.HasPrefix(a.s[a.pos:], op) {
				// "<" must not eat "<=", "*" must not eat "**".
				if (op == "<" || op == ">") && strings.HasPrefix(a.s[a.pos:], op+"=") {
					continue
				}
				matched = op
				break
			}
		}
		if matched == "" {
			return x, nil
		}
		a.pos += len(matched)
		y, err := a.binary(level + 1)
		if err != nil {
			return 0, err
		}
		b2i := func(b bool) int64 {
			if b {
				return 1
			}
			return 0
		}
		switch matched {
		case "||":
			x = b2i(x != 0 || y != 0)
		case "&&":
			x = b2i(x != 0 && y != 0)
		case "==":
			x = b2i(x == y)
		case "!=":
			x = b2i(x != y)
		case "<":
			x = b2i(x < y)
		case "<=":
			x = b2i(x <= y)
		case ">":
			x = b2i(x > y)
		case ">=":
			x = b2i(x >= y)
		case "+":
			x += y
		case "-":
			x -= y
		case "*":
			x *= y
		case "/", "%":
			if y == 0 {
				return 0, fmt.Errorf("%s: division by 0", strings.TrimSpace(a.s))
			}
			if matched == "/" {
				x /= y
			} else {
				x %= y
			}
		}
	}
}

func (a *arithParser) unary() (int64, error) {
	a.skip()
	switch {
	case a.accept("-"):
		v, err := a.unary()
		return -v, err
	case a.accept("+"):
		return a.unary()
	case a.accept("!"):
		v, err := a.unary()
		if v == 0 {
			return 1, err
		}
		return 0, err
	case a.accept("("):
		v, err := a.ternary()
		if err != nil {
			return 0, err
		}
		if !a.accept(")") {
			return 0, fmt.Errorf("%s: missing `)'", a.s)
		}
		return v, nil
	}
	a.skip()
	start := a.pos
	for a.pos < len(a.s) && (a.s[a.pos] == '_' || (a.s[a.pos] >= 'a' && a.s[a.pos] <= 'z') ||
		(a.s[a.pos] >= 'A' && a.s[a.pos] <= 'Z') || (a.s[a.pos] >= '0' && a.s[a.pos] <= '9')) {
		a.pos++
	}
	tok := a.s[start:a.pos]
	if tok == "" {
		if a.pos >= len(a.s) {
			return 0, fmt.Errorf("%s: syntax error: operand expected (error token is \"%s\")", strings.TrimSpace(a.s), a.s[a.pos:])
		}
		return 0, fmt.Errorf("%s: syntax error: operand expected (error token is \"%s\")", strings.TrimSpace(a.s), a.s[a.pos:])
	}
	if tok[0] >= '0' && tok[0] <= '9' {
		v, err := strconv.ParseInt(tok, 0, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: value too great for base (error token is \"%s\")", tok, tok)
		}
		return v, nil
	}
	v, _ := a.sh.get(tok)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		// A variable holding an expression is evaluated in turn, to a limit (bash's too).
		if a.sh.arithRec >= 64 {
			return 0, fmt.Errorf("%s: expression recursion level exceeded (error token is \"%s\")", tok, tok)
		}
		a.sh.arithRec++
		defer func() { a.sh.arithRec-- }()
		return a.sh.arith(v)
	}
	return n, nil
}
