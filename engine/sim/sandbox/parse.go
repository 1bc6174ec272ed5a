package sandbox

import (
	"errors"
	"fmt"
	"strings"
)

// The shell's grammar is a subset of POSIX sh plus bash's [[ ]]: lists, && ||, pipelines,
// redirections and here-documents, if/while/until/for, { } and ( ) groups. Words keep their
// source text (quotes and all) and are expanded when the command runs.

type tokKind int

const (
	tWord tokKind = iota
	tOp
	tNewline
	tEOF
)

type token struct {
	kind tokKind
	val  string
	fd   int // redirection operators: the file descriptor written before them, or -1
	line int
}

type lexer struct {
	src      string
	pos      int
	line     int
	pending  []*redir // here-documents whose bodies start after the next newline
	peeked   *token
	condMode bool // inside [[ ]]: ( ) < > are part of words
}

// errIncomplete says the input ends inside a construct (an interactive shell reads on).
var errIncomplete = errors.New("unexpected end of file")

type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return e.msg }

func (l *lexer) errf(format string, a ...any) error {
	return &syntaxError{line: l.line, msg: fmt.Sprintf(format, a...)}
}

func isMeta(c byte) bool {
	switch c {
	case ' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')':
		return true
	}
	return false
}

func (l *lexer) peek() (token, error) {
	if l.peeked != nil {
		return *l.peeked, nil
	}
	t, err := l.scan()
	if err != nil {
		return t, err
	}
	l.peeked = &t
	return t, nil
}

func (l *lexer) next() (token, error) {
	if l.peeked != nil {
		t := *l.peeked
		l.peeked = nil
		return t, nil
	}
	return l.scan()
}

func (l *lexer) scan() (token, error) {
	// Skip blanks, line continuations and comments.
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == ' ' || c == '\t' || c == '\r' {
			l.pos++
			continue
		}
		if c == '\\' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\n' {
			l.pos += 2
			l.line++
			continue
		}
		if c == '#' {
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
			continue
		}
		break
	}
	if l.pos >= len(l.src) {
		if len(l.pending) > 0 {
			return token{}, errIncomplete
		}
		return token{kind: tEOF, line: l.line}, nil
	}
	c := l.src[l.pos]
	if c == '\n' {
		l.pos++
		t := token{kind: tNewline, val: "\n", line: l.line}
		l.line++
		if err := l.readHeredocs(); err != nil {
			return t, err
		}
		return t, nil
	}
	// An fd number right before a redirection: 2>, 2>>, 2>&1.
	if c >= '0' && c <= '9' {
		j := l.pos
		for j < len(l.src) && l.src[j] >= '0' && l.src[j] <= '9' {
			j++
		}
		if j < len(l.src) && (l.src[j] == '<' || l.src[j] == '>') && !l.condMode {
			fd := 0
			fmt.Sscanf(l.src[l.pos:j], "%d", &fd)
			l.pos = j
			t := l.op()
			t.fd = fd
			return t, nil
		}
	}
	if l.condMode {
		if strings.HasPrefix(l.src[l.pos:], "&&") || strings.HasPrefix(l.src[l.pos:], "||") {
			t := token{kind: tOp, val: l.src[l.pos : l.pos+2], fd: -1, line: l.line}
			l.pos += 2
			return t, nil
		}
		if c == ';' || c == '&' || c == '|' {
			return l.op(), nil
		}
		return l.word()
	}
	if isMeta(c) {
		return l.op(), nil
	}
	return l.word()
}

var ops = []string{"<<<", "<<-", "&>>", ";;", "&&", "||", ">>", "<<", ">&", "<&", "&>", ">|", ";", "&", "|", "<", ">", "(", ")"}

func (l *lexer) op() token {
	for _, o := range ops {
		if strings.HasPrefix(l.src[l.pos:], o) {
			l.pos += len(o)
			return token{kind: tOp, val: o, fd: -1, line: l.line}
		}
	}
	c := l.src[l.pos]
	l.pos++
	return token{kind: tOp, val: string(c), fd: -1, line: l.line}
}

func (l *lexer) word() (token, error) {
	start, line := l.pos, l.line
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			break
		}
		if l.condMode {
			if c == ';' || strings.HasPrefix(l.src[l.pos:], "&&") || strings.HasPrefix(l.src[l.pos:], "||") {
				break
			}
		} else if isMeta(c) {
			break
		}
		end, err := skipQuoted(l.src, l.pos)
		if err != nil {
			return token{}, err
		}
		l.line += strings.Count(l.src[l.pos:end], "\n")
		l.pos = end
	}
	return token{kind: tWord, val: l.src[start:l.pos], fd: -1, line: line}, nil
}

// skipQuoted returns the index after the word element starting at s[i]: a quoted string, an
// escape, a $(...), ${...}, $((...)), a backquoted command, or one plain character.
func skipQuoted(s string, i int) (int, error) {
	switch s[i] {
	case '\\':
		if i+1 < len(s) {
			return i + 2, nil
		}
		return i + 1, nil
	case '\'':
		j := strings.IndexByte(s[i+1:], '\'')
		if j < 0 {
			return 0, errIncomplete
		}
		return i + 1 + j + 1, nil
	case '"':
		j := i + 1
		for j < len(s) {
			switch s[j] {
			case '\\':
				j += 2
				continue
			case '"':
				return j + 1, nil
			case '$', '`':
				e, err := skipQuoted(s, j)
				if err != nil {
					return 0, err
				}
				j = e
				continue
			}
			j++
		}
		return 0, errIncomplete
	case '`':
		j := i + 1
		for j < len(s) {
			if s[j] == '\\' {
				j += 2
				continue
			}
			if s[j] == '`' {
				return j + 1, nil
			}
			j++
		}
		return 0, errIncomplete
	case '$':
		if i+1 < len(s) && s[i+1] == '(' {
			return skipParens(s, i+1)
		}
		if i+1 < len(s) && s[i+1] == '{' {
			j := i + 2
			depth := 1
			for j < len(s) {
				switch s[j] {
				case '\\':
					j += 2
					continue
				case '\'', '"', '`':
					e, err := skipQuoted(s, j)
					if err != nil {
						return 0, err
					}
					j = e
					continue
				case '{':
					depth++
				case '}':
					depth--
					if depth == 0 {
						return j + 1, nil
					}
				}
				j++
			}
			return 0, errIncomplete
		}
	}
	return i + 1, nil
}

// skipParens returns the index after the ")" matching the "(" at s[i].
func skipParens(s string, i int) (int, error) {
	depth := 0
	j := i
	for j < len(s) {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		case '\\', '\'', '"', '`':
			e, err := skipQuoted(s, j)
			if err != nil {
				return 0, err
			}
			j = e
			continue
		case '#':
			// A comment inside $( ) runs to the end of the line.
			if j > 0 && (s[j-1] == ' ' || s[j-1] == '\n' || s[j-1] == '\t') {
				for j < len(s) && s[j] != '\n' {
					j++
				}
				continue
			}
		}
		j++
	}
	return 0, errIncomplete
}

func (l *lexer) readHeredocs() error {
	for len(l.pending) > 0 {
		r := l.pending[0]
		l.pending = l.pending[1:]
		var body strings.Builder
		for {
			if l.pos >= len(l.src) {
				// bash warns and takes the rest as the body; so do we.
				break
			}
			end := strings.IndexByte(l.src[l.pos:], '\n')
			var ln string
			if end < 0 {
				ln, l.pos = l.src[l.pos:], len(l.src)
			} else {
				ln, l.pos = l.src[l.pos:l.pos+end], l.pos+end+1
			}
			l.line++
			check := ln
			if r.op == "<<-" {
				check = strings.TrimLeft(ln, "\t")
				ln = check
			}
			if strings.TrimRight(check, "\r") == r.delim {
				break
			}
			body.WriteString(ln)
			body.WriteByte('\n')
		}
		r.body = body.String()
	}
	return nil
}

// --- AST -----------------------------------------------------------------------------------

type list struct{ items []*andOr }

type andOr struct {
	pipes []*pipeline
	ops   []string // between pipes: "&&" or "||"
	bg    bool
}

type pipeline struct {
	neg  bool
	cmds []command
}

type command interface{ redirs() []*redir }

type redir struct {
	fd     int
	op     string
	word   string
	delim  string
	quoted bool // here-document with a quoted delimiter: no expansion
	body   string
}

type simpleCmd struct {
	assigns []string
	words   []string
	rs      []*redir
	line    int
}

type ifCmd struct {
	conds, bodies []*list
	els           *list
	rs            []*redir
}

type loopCmd struct {
	until      bool
	cond, body *list
	rs         []*redir
}

type forCmd struct {
	name  string
	words []string
	in    bool
	body  *list
	rs    []*redir
}

type groupCmd struct {
	body *list
	sub  bool
	rs   []*redir
}

type condCmd struct {
	words []string
	line  int
	rs    []*redir
}

type funcDef struct {
	name string
	body command
}

func (c *simpleCmd) redirs() []*redir { return c.rs }
func (c *ifCmd) redirs() []*redir     { return c.rs }
func (c *loopCmd) redirs() []*redir   { return c.rs }
func (c *forCmd) redirs() []*redir    { return c.rs }
func (c *groupCmd) redirs() []*redir  { return c.rs }
func (c *condCmd) redirs() []*redir   { return c.rs }
func (c *funcDef) redirs() []*redir   { return nil }

// --- parser --------------------------------------------------------------------------------

type parser struct {
	lx    *lexer
	depth int
}

const maxParseDepth = 200

func parseScript(src string) (*list, error) {
	p := &parser{lx: &lexer{src: src, line: 1}}
	l, err := p.list(nil)
	if err != nil {
		return nil, err
	}
	t, err := p.lx.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != tEOF {
		return nil, p.lx.errf("syntax error near unexpected token `%s'", t.val)
	}
	return l, nil
}

func isReserved(w string) bool {
	switch w {
	case "if", "then", "elif", "else", "fi", "while", "until", "do", "done", "for", "in", "{", "}", "!", "[[", "]]", "case", "esac":
		return true
	}
	return false
}

func (p *parser) skipNewlines() error {
	for {
		t, err := p.lx.peek()
		if err != nil {
			return err
		}
		if t.kind != tNewline {
			return nil
		}
		p.lx.next()
	}
}

// list parses and-or lists until one of the stop words (in command position) or ")" or EOF.
func (p *parser) list(stop []string) (*list, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxParseDepth {
		return nil, p.lx.errf("syntax error: commands nested more than %d deep", maxParseDepth)
	}
	l := &list{}
	for {
		if err := p.skipNewlines(); err != nil {
			return nil, err
		}
		t, err := p.lx.peek()
		if err != nil {
			return nil, err
		}
		if t.kind == tEOF || (t.kind == tOp && (t.val == ")" || t.val == ";;")) {
			return l, nil
		}
		if t.kind == tWord {
			for _, s := range stop {
				if t.val == s {
					return l, nil
				}
			}
		}
		ao, err := p.andOr()
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, ao)
		t, err = p.lx.peek()
		if err != nil {
			return nil, err
		}
		switch {
		case t.kind == tOp && (t.val == ";" || t.val == "&"):
			p.lx.next()
			ao.bg = t.val == "&"
		case t.kind == tNewline, t.kind == tEOF:
		case t.kind == tOp && t.val == ")":
		case t.kind == tWord && contains(stop, t.val):
		default:
			return nil, p.lx.errf("syntax error near unexpected token `%s'", t.val)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) andOr() (*andOr, error) {
	ao := &andOr{}
	for {
		pl, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		ao.pipes = append(ao.pipes, pl)
		t, err := p.lx.peek()
		if err != nil {
			return nil, err
		}
		if t.kind == tOp && (t.val == "&&" || t.val == "||") {
			p.lx.next()
			ao.ops = append(ao.ops, t.val)
			if err := p.skipNewlines(); err != nil {
				return nil, err
			}
			continue
		}
		return ao, nil
	}
}

func (p *parser) pipeline() (*pipeline, error) {
	pl := &pipeline{}
	t, err := p.lx.peek()
	if err != nil {
		return nil, err
	}
	if t.kind == tWord && t.val == "!" {
		p.lx.next()
		pl.neg = true
	}
	for {
		c, err := p.command()
		if err != nil {
			return nil, err
		}
		pl.cmds = append(pl.cmds, c)
		t, err := p.lx.peek()
		if err != nil {
			return nil, err
		}
		if t.kind == tOp && t.val == "|" {
			p.lx.next()
			if err := p.skipNewlines(); err != nil {
				return nil, err
			}
			continue
		}
		return pl, nil
	}
}

func (p *parser) expectWord(w string) error {
	if err := p.skipNewlines(); err != nil {
		return err
	}
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	if t.kind == tEOF {
		return errIncomplete
	}
	if t.kind != tWord || t.val != w {
		return p.lx.errf("syntax error near unexpected token `%s'", t.val)
	}
	return nil
}

func (p *parser) command() (command, error) {
	t, err := p.lx.peek()
	if err != nil {
		return nil, err
	}
	if t.kind == tEOF {
		return nil, errIncomplete
	}
	var c command
	switch {
	case t.kind == tOp && t.val == "(":
		p.lx.next()
		body, err := p.list(nil)
		if err != nil {
			return nil, err
		}
		t, err := p.lx.next()
		if err != nil {
			return nil, err
		}
		if t.kind == tEOF {
			return nil, errIncomplete
		}
		if t.val != ")" {
			return nil, p.lx.errf("syntax error near unexpected token `%s'", t.val)
		}
		c = &groupCmd{body: body, sub: true}
	case t.kind == tWord && t.val == "{":
		p.lx.next()
		body, err := p.list([]string{"}"})
		if err != nil {
			return nil, err
		}
		if err := p.expectWord("}"); err != nil {
			return nil, err
		}
		c = &groupCmd{body: body}
	case t.kind == tWord && t.val == "if":
		c, err = p.ifCmd()
	case t.kind == tWord && (t.val == "while" || t.val == "until"):
		p.lx.next()
		cond, err := p.list([]string{"do"})
		if err != nil {
			return nil, err
		}
		if err := p.expectWord("do"); err != nil {
			return nil, err
		}
		body, err := p.list([]string{"done"})
		if err != nil {
			return nil, err
		}
		if err := p.expectWord("done"); err != nil {
			return nil, err
		}
		c = &loopCmd{until: t.val == "until", cond: cond, body: body}
	case t.kind == tWord && t.val == "for":
		c, err = p.forCmd()
	case t.kind == tWord && t.val == "[[":
		c, err = p.condCmd()
	case t.kind == tWord && t.val == "case":
		return nil, p.lx.errf("case statements are not supported by the simulator's shell")
	case t.kind == tWord && isReserved(t.val) && t.val != "!":
		return nil, p.lx.errf("syntax error near unexpected token `%s'", t.val)
	case t.kind == tOp && !isRedirOp(t.val):
		return nil, p.lx.errf("syntax error near unexpected token `%s'", t.val)
	default:
		return p.simple()
	}
	if err != nil {
		return nil, err
	}
	rs, err := p.redirList()
	if err != nil {
		return nil, err
	}
	switch x := c.(type) {
	case *groupCmd:
		x.rs = rs
	case *ifCmd:
		x.rs = rs
	case *loopCmd:
		x.rs = rs
	case *forCmd:
		x.rs = rs
	case *condCmd:
		x.rs = rs
	}
	return c, nil
}

func isRedirOp(v string) bool {
	switch v {
	case "<", ">", ">>", "<<", "<<-", "<<<", ">&", "<&", "&>", "&>>", ">|":
		return true
	}
	return false
}

func (p *parser) redirList() ([]*redir, error) {
	var rs []*redir
	for {
		t, err := p.lx.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != tOp || !isRedirOp(t.val) {
			return rs, nil
		}
		r, err := p.redirect()
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
}

func (p *parser) redirect() (*redir, error) {
	t, _ := p.lx.next()
	r := &redir{fd: t.fd, op: t.val}
	w, err := p.lx.next()
	if err != nil {
		return nil, err
	}
	if w.kind != tWord {
		if w.kind == tEOF {
			return nil, p.lx.errf("syntax error near unexpected token `newline'")
		}
		return nil, p.lx.errf("syntax error near unexpected token `%s'", w.val)
	}
	r.word = w.val
	if t.val == "<<" || t.val == "<<-" {
		r.quoted = strings.ContainsAny(w.val, "'\"\\")
		r.delim = strings.NewReplacer("'", "", "\"", "", "\\", "").Replace(w.val)
		p.lx.pending = append(p.lx.pending, r)
	}
	return r, nil
}

func (p *parser) simple() (command, error) {
	c := &simpleCmd{}
	for {
		t, err := p.lx.peek()
		if err != nil {
			return nil, err
		}
		if c.line == 0 {
			c.line = t.line
		}
		if t.kind == tOp && isRedirOp(t.val) {
			r, err := p.redirect()
			if err != nil {
				return nil, err
			}
			c.rs = append(c.rs, r)
			continue
		}
		if t.kind != tWord {
			break
		}
		// Reserved words end a simple command only where a command could start.
		if len(c.words) == 0 && len(c.assigns) == 0 && isReserved(t.val) && t.val != "{" && t.val != "}" && t.val != "!" {
			break
		}
		if len(c.words) == 0 && (t.val == "}") && len(c.assigns) == 0 {
			break
		}
		p.lx.next()
		if len(c.words) == 0 && isAssignment(t.val) {
			c.assigns = append(c.assigns, t.val)
			continue
		}
		c.words = append(c.words, t.val)
		// name() { ...; } defines a function.
		if len(c.words) == 1 && len(c.assigns) == 0 {
			if nt, err := p.lx.peek(); err == nil && nt.kind == tOp && nt.val == "(" {
				p.lx.next()
				if ct, err := p.lx.next(); err != nil || ct.val != ")" {
					return nil, p.lx.errf("syntax error near unexpected token `('")
				}
				if err := p.skipNewlines(); err != nil {
					return nil, err
				}
				body, err := p.command()
				if err != nil {
					return nil, err
				}
				return &funcDef{name: t.val, body: body}, nil
			}
		}
	}
	if len(c.words) == 0 && len(c.assigns) == 0 && len(c.rs) == 0 {
		t, _ := p.lx.peek()
		if t.kind == tEOF {
			return nil, errIncomplete
		}
		return nil, p.lx.errf("syntax error near unexpected token `%s'", t.val)
	}
	return c, nil
}

func isAssignment(w string) bool {
	eq := strings.IndexByte(w, '=')
	if eq <= 0 {
		return false
	}
	name := w[:eq]
	if strings.HasSuffix(name, "+") {
		name = name[:len(name)-1]
	}
	return isName(name)
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

func (p *parser) ifCmd() (command, error) {
	p.lx.next() // if
	c := &ifCmd{}
	for {
		cond, err := p.list([]string{"then"})
		if err != nil {
			return nil, err
		}
		if err := p.expectWord("then"); err != nil {
			return nil, err
		}
		body, err := p.list([]string{"elif", "else", "fi"})
		if err != nil {
			return nil, err
		}
		c.conds, c.bodies = append(c.conds, cond), append(c.bodies, body)
		t, err := p.lx.next()
		if err != nil {
			return nil, err
		}
		switch {
		case t.kind == tEOF:
			return nil, errIncomplete
		case t.val == "elif":
			continue
		case t.val == "else":
			els, err := p.list([]string{"fi"})
			if err != nil {
				return nil, err
			}
			if err := p.expectWord("fi"); err != nil {
				return nil, err
			}
			c.els = els
			return c, nil
		case t.val == "fi":
			return c, nil
		default:
			return nil, p.lx.errf("syntax error near unexpected token `%s'", t.val)
		}
	}
}

func (p *parser) forCmd() (command, error) {
	p.lx.next() // for
	t, err := p.lx.next()
	if err != nil {
		return nil, err
	}
	if t.kind != tWord || !isName(t.val) {
		return nil, p.lx.errf("`%s': not a valid identifier", t.val)
	}
	c := &forCmd{name: t.val}
	if err := p.skipNewlines(); err != nil {
		return nil, err
	}
	t, err = p.lx.peek()
	if err != nil {
		return nil, err
	}
	if t.kind == tWord && t.val == "in" {
		p.lx.next()
		c.in = true
		for {
			t, err := p.lx.next()
			if err != nil {
				return nil, err
			}
			if t.kind == tWord {
				c.words = append(c.words, t.val)
				continue
			}
			if t.kind == tEOF {
				return nil, errIncomplete
			}
			break // ; or newline
		}
	} else if t.kind == tOp && t.val == ";" {
		p.lx.next()
	}
	if err := p.expectWord("do"); err != nil {
		return nil, err
	}
	body, err := p.list([]string{"done"})
	if err != nil {
		return nil, err
	}
	if err := p.expectWord("done"); err != nil {
		return nil, err
	}
	c.body = body
	return c, nil
}

func (p *parser) condCmd() (command, error) {
	t, _ := p.lx.next() // [[
	c := &condCmd{line: t.line}
	p.lx.condMode = true
	defer func() { p.lx.condMode = false }()
	for {
		t, err := p.lx.next()
		if err != nil {
			return nil, err
		}
		switch {
		case t.kind == tEOF:
			return nil, errIncomplete
		case t.kind == tWord && t.val == "]]":
			if len(c.words) == 0 {
				return nil, p.lx.errf("syntax error near `]]'")
			}
			return c, nil
		case t.kind == tWord, t.kind == tOp && (t.val == "&&" || t.val == "||"):
			c.words = append(c.words, t.val)
		case t.kind == tNewline:
		default:
			return nil, p.lx.errf("syntax error in conditional expression: unexpected token `%s'", t.val)
		}
	}
}
