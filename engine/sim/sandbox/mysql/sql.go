// Package mysql is the sandbox's MySQL 5.7 engine: SQL statements over tables kept as files in a
// server's data directory (so the data lives in the pod's volume and survives re-creation and
// xtrabackup clones), a binlog for replication, and master.info. The mysql, mysqladmin,
// mysqld and xtrabackup commands that drive it live in package sandbox. Callers lock.
package mysql

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
)

// A tiny SQL engine over files in a server's data directory:
//   DATADIR/DB/           a database (db.opt inside)
//   DATADIR/DB/T.frm      the table's columns, one "name<TAB>type" per line
//   DATADIR/DB/T.ibd      its rows, one per line, tab-separated, \N for NULL
// Keeping the data in the volume makes it survive pod re-creation and travel with clones.

type Error struct {
	Code  int
	State string
	Msg   string
}

func (e *Error) Error() string { return fmt.Sprintf("ERROR %d (%s): %s", e.Code, e.State, e.Msg) }

func errSyntax(near string) *Error {
	if len(near) > 80 {
		near = near[:80]
	}
	return &Error{1064, "42000", fmt.Sprintf("You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '%s' at line 1", near)}
}

// result is what a statement returns: rows to print, or rows affected.
type Result struct {
	Cols     []string
	Numeric  []bool
	Rows     [][]*string
	Affected int
	IsRows   bool
}

// Server is a running mysqld as the engine sees it. The caller holds the sandbox lock.
type Server struct {
	View     *vfs.View
	Dir      string
	ID       int
	Host     string
	ReadOnly bool // super-read-only (replica.cnf)
	LogBin   bool // log-bin (primary.cnf)
	Now      time.Time
	DB       string // current database (USE)
	Replay   bool   // applying the primary's binlog: read-only does not apply, nothing is logged
}

// --- tokens --------------------------------------------------------------------------------

type stok struct {
	kind byte // 'i' identifier/keyword, 'q' backquoted identifier, 's' string, 'n' number, 'p' punctuation, 'v' @@variable
	s    string
	Pos  int
}

func sqlTokens(src string) ([]stok, error) {
	var out []stok
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || (c == '-' && strings.HasPrefix(src[i:], "-- ")):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, errSyntax(src[i:])
			}
			i += j + 4
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, errSyntax(src[i:])
				}
				if src[j] == '\\' && j+1 < len(src) {
					switch src[j+1] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case '0':
						b.WriteByte(0)
					default:
						b.WriteByte(src[j+1])
					}
					j += 2
					continue
				}
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			out = append(out, stok{'s', b.String(), i})
			i = j + 1
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j < 0 {
				return nil, errSyntax(src[i:])
			}
			out = append(out, stok{'q', src[i+1 : i+1+j], i})
			i += j + 2
		case c == '@':
			j := i + 1
			if j < len(src) && src[j] == '@' {
				j++
			}
			for j < len(src) && (isIdentByte(src[j]) || src[j] == '.') {
				j++
			}
			out = append(out, stok{'v', src[i:j], i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			out = append(out, stok{'n', src[i:j], i})
			i = j
		case isIdentByte(c):
			j := i
			for j < len(src) && isIdentByte(src[j]) {
				j++
			}
			out = append(out, stok{'i', src[i:j], i})
			i = j
		default:
			if strings.HasPrefix(src[i:], "!=") || strings.HasPrefix(src[i:], "<>") || strings.HasPrefix(src[i:], "<=") || strings.HasPrefix(src[i:], ">=") {
				out = append(out, stok{'p', src[i : i+2], i})
				i += 2
				continue
			}
			out = append(out, stok{'p', string(c), i})
			i++
		}
	}
	return out, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
}

// SplitStatements cuts a script at semicolons outside quotes and comments.
func SplitStatements(src string) []string {
	var out []string
	start := 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\'', '"', '`':
			for j := i + 1; j < len(src); j++ {
				if src[j] == '\\' && c != '`' {
					j++
					continue
				}
				if src[j] == c {
					i = j
					break
				}
				if j == len(src)-1 {
					i = j
				}
			}
		case '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case '-':
			if strings.HasPrefix(src[i:], "-- ") {
				for i < len(src) && src[i] != '\n' {
					i++
				}
			}
		case ';':
			out = append(out, src[start:i])
			start = i + 1
		}
	}
	out = append(out, src[start:])
	var trimmed []string
	for _, s := range out {
		if strings.TrimSpace(stripComments(s)) != "" {
			trimmed = append(trimmed, strings.TrimSpace(s))
		}
	}
	return trimmed
}

func stripComments(s string) string {
	toks, err := sqlTokens(s)
	if err != nil || len(toks) == 0 {
		if err != nil {
			return s
		}
		return ""
	}
	return s
}

// --- parser helpers ------------------------------------------------------------------------

type sp struct {
	src  string
	toks []stok
	i    int
}

func (p *sp) peek() stok {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return stok{}
}

func (p *sp) next() stok {
	t := p.peek()
	p.i++
	return t
}

func (p *sp) kw(words ...string) bool {
	save := p.i
	for _, w := range words {
		t := p.peek()
		if t.kind != 'i' || !strings.EqualFold(t.s, w) {
			p.i = save
			return false
		}
		p.i++
	}
	return true
}

func (p *sp) punct(s string) bool {
	if t := p.peek(); t.kind == 'p' && t.s == s {
		p.i++
		return true
	}
	return false
}

func (p *sp) rest() string {
	if p.i < len(p.toks) {
		return p.src[p.toks[p.i].Pos:]
	}
	return ""
}

func (p *sp) done() bool { return p.i >= len(p.toks) }

func (p *sp) ident() (string, bool) {
	t := p.peek()
	if t.kind == 'i' || t.kind == 'q' {
		p.i++
		return t.s, true
	}
	return "", false
}

// tableRef reads [db.]table.
func (p *sp) tableRef(cur string) (string, string, bool) {
	a, ok := p.ident()
	if !ok {
		return "", "", false
	}
	if p.punct(".") {
		b, ok := p.ident()
		if !ok {
			return "", "", false
		}
		return a, b, true
	}
	return cur, a, true
}

func (p *sp) literal() (*string, bool) {
	t := p.peek()
	switch {
	case t.kind == 's' || t.kind == 'n':
		p.i++
		s := t.s
		return &s, true
	case t.kind == 'p' && t.s == "-":
		p.i++
		if n := p.peek(); n.kind == 'n' {
			p.i++
			s := "-" + n.s
			return &s, true
		}
	case t.kind == 'i' && strings.EqualFold(t.s, "NULL"):
		p.i++
		return nil, true
	case t.kind == 'i' && (strings.EqualFold(t.s, "TRUE") || strings.EqualFold(t.s, "FALSE")):
		p.i++
		s := "1"
		if strings.EqualFold(t.s, "FALSE") {
			s = "0"
		}
		return &s, true
	}
	return nil, false
}

// --- storage -------------------------------------------------------------------------------

var systemDBs = map[string]bool{"mysql": true, "performance_schema": true, "sys": true}

func (s *Server) dbDir(db string) string { return path.Join(s.Dir, db) }

func (s *Server) dbExists(db string) bool {
	if strings.EqualFold(db, "information_schema") {
		return true
	}
	n, err := s.View.Stat(s.dbDir(db))
	return err == nil && n.IsDir()
}

type table struct {
	cols  []string
	types []string
	rows  [][]*string
}

func (s *Server) loadTable(db, name string) (*table, *Error) {
	if db == "" {
		return nil, &Error{1046, "3D000", "No database selected"}
	}
	frm, err := s.View.ReadFile(path.Join(s.dbDir(db), name+".frm"))
	if err != nil {
		return nil, &Error{1146, "42S02", fmt.Sprintf("Table '%s.%s' doesn't exist", db, name)}
	}
	t := &table{}
	for _, l := range strings.Split(strings.TrimRight(string(frm), "\n"), "\n") {
		n, typ, _ := strings.Cut(l, "\t")
		t.cols = append(t.cols, n)
		t.types = append(t.types, typ)
	}
	data, _ := s.View.ReadFile(path.Join(s.dbDir(db), name+".ibd"))
	for _, l := range strings.Split(string(data), "\n") {
		if l == "" {
			continue
		}
		var row []*string
		for _, f := range strings.Split(l, "\t") {
			if f == `\N` {
				row = append(row, nil)
				continue
			}
			v := unescapeField(f)
			row = append(row, &v)
		}
		for len(row) < len(t.cols) {
			row = append(row, nil)
		}
		t.rows = append(t.rows, row)
	}
	return t, nil
}

func (s *Server) saveRows(db, name string, rows [][]*string) *Error {
	var b strings.Builder
	for _, r := range rows {
		for i, f := range r {
			if i > 0 {
				b.WriteByte('\t')
			}
			if f == nil {
				b.WriteString(`\N`)
			} else {
				b.WriteString(EscapeField(*f))
			}
		}
		b.WriteByte('\n')
	}
	if err := s.View.WriteFile(path.Join(s.dbDir(db), name+".ibd"), []byte(b.String()), false); err != nil {
		return &Error{1114, "HY000", fmt.Sprintf("The table '%s' is full (%v)", name, err)}
	}
	return nil
}

func EscapeField(s string) string {
	return strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`).Replace(s)
}

func unescapeField(s string) string {
	return strings.NewReplacer(`\\`, "\\", `\t`, "\t", `\n`, "\n").Replace(s)
}

// --- statements ----------------------------------------------------------------------------

func (s *Server) isWrite(p *sp) bool {
	t := p.peek()
	if t.kind != 'i' {
		return false
	}
	switch strings.ToUpper(t.s) {
	case "CREATE", "DROP", "INSERT", "DELETE", "UPDATE", "ALTER", "TRUNCATE", "REPLACE", "RENAME":
		return true
	}
	return false
}

// Exec runs one statement.
func (s *Server) Exec(stmt string) (*Result, *Error) {
	toks, err := sqlTokens(stmt)
	if err != nil {
		return nil, err.(*Error)
	}
	p := &sp{src: stmt, toks: toks}
	if p.done() {
		return nil, &Error{1065, "42000", "Query was empty"}
	}
	write := s.isWrite(p)
	if write && s.ReadOnly && !s.Replay {
		return nil, &Error{1290, "HY000", "The MySQL server is running with the --super-read-only option so it cannot execute this statement"}
	}
	res, serr := s.dispatch(p)
	if serr != nil {
		return nil, serr
	}
	if write && s.LogBin && !s.Replay {
		s.appendBinlog(stmt)
	}
	return res, nil
}

func (s *Server) dispatch(p *sp) (*Result, *Error) {
	switch {
	case p.kw("SELECT"):
		return s.selectStmt(p)
	case p.kw("CREATE", "DATABASE"), p.kw("CREATE", "SCHEMA"):
		ifNot := p.kw("IF", "NOT", "EXISTS")
		name, ok := p.ident()
		if !ok {
			return nil, errSyntax(p.rest())
		}
		if s.dbExists(name) {
			if ifNot {
				return &Result{Affected: 1}, nil
			}
			return nil, &Error{1007, "HY000", fmt.Sprintf("Can't create database '%s'; database exists", name)}
		}
		if err := s.View.Mkdir(s.dbDir(name), false); err != nil {
			return nil, &Error{1006, "HY000", fmt.Sprintf("Can't create database '%s' (%v)", name, err)}
		}
		s.View.WriteFile(path.Join(s.dbDir(name), "db.opt"), []byte("default-character-set=latin1\ndefault-collation=latin1_swedish_ci\n"), false)
		return &Result{Affected: 1}, nil
	case p.kw("CREATE", "TABLE"):
		return s.createTable(p)
	case p.kw("DROP", "DATABASE"), p.kw("DROP", "SCHEMA"):
		ifEx := p.kw("IF", "EXISTS")
		name, ok := p.ident()
		if !ok {
			return nil, errSyntax(p.rest())
		}
		if !s.dbExists(name) || systemDBs[name] {
			if ifEx {
				return &Result{}, nil
			}
			return nil, &Error{1008, "HY000", fmt.Sprintf("Can't drop database '%s'; database doesn't exist", name)}
		}
		ents, _, _ := s.View.List(s.dbDir(name))
		s.View.Remove(s.dbDir(name), true)
		return &Result{Affected: max(0, (len(ents)-1)/2)}, nil
	case p.kw("DROP", "TABLE"):
		ifEx := p.kw("IF", "EXISTS")
		db, name, ok := p.tableRef(s.DB)
		if !ok {
			return nil, errSyntax(p.rest())
		}
		if _, err := s.loadTable(db, name); err != nil {
			if ifEx && err.Code == 1146 {
				return &Result{}, nil
			}
			if err.Code == 1146 {
				return nil, &Error{1051, "42S02", fmt.Sprintf("Unknown table '%s.%s'", db, name)}
			}
			return nil, err
		}
		s.View.Remove(path.Join(s.dbDir(db), name+".frm"), false)
		s.View.Remove(path.Join(s.dbDir(db), name+".ibd"), false)
		return &Result{}, nil
	case p.kw("INSERT"), p.kw("REPLACE"):
		return s.insert(p)
	case p.kw("DELETE", "FROM"):
		return s.deleteStmt(p)
	case p.kw("UPDATE"):
		return s.update(p)
	case p.kw("TRUNCATE"):
		p.kw("TABLE")
		db, name, ok := p.tableRef(s.DB)
		if !ok {
			return nil, errSyntax(p.rest())
		}
		if _, err := s.loadTable(db, name); err != nil {
			return nil, err
		}
		return &Result{}, s.saveRows(db, name, nil)
	case p.kw("USE"):
		name, ok := p.ident()
		if !ok {
			return nil, errSyntax(p.rest())
		}
		if !s.dbExists(name) {
			return nil, &Error{1049, "42000", fmt.Sprintf("Unknown database '%s'", name)}
		}
		s.DB = name
		return &Result{}, nil
	case p.kw("SHOW", "DATABASES"), p.kw("SHOW", "SCHEMAS"):
		names := []string{"information_schema"}
		ents, _, _ := s.View.List(s.Dir)
		for _, e := range ents {
			if n, err := s.View.Stat(path.Join(s.Dir, e)); err == nil && n.IsDir() {
				names = append(names, e)
			}
		}
		sort.Strings(names[1:])
		return rowsOf([]string{"Database"}, names), nil
	case p.kw("SHOW", "TABLES"):
		db := s.DB
		if p.kw("FROM") || p.kw("IN") {
			db, _ = p.ident()
		}
		if db == "" {
			return nil, &Error{1046, "3D000", "No database selected"}
		}
		if !s.dbExists(db) {
			return nil, &Error{1049, "42000", fmt.Sprintf("Unknown database '%s'", db)}
		}
		ents, _, _ := s.View.List(s.dbDir(db))
		var names []string
		for _, e := range ents {
			if strings.HasSuffix(e, ".frm") {
				names = append(names, strings.TrimSuffix(e, ".frm"))
			}
		}
		return rowsOf([]string{"Tables_in_" + db}, names), nil
	case p.kw("DESCRIBE"), p.kw("DESC"), p.kw("SHOW", "COLUMNS", "FROM"):
		db, name, ok := p.tableRef(s.DB)
		if !ok {
			return nil, errSyntax(p.rest())
		}
		t, err := s.loadTable(db, name)
		if err != nil {
			return nil, err
		}
		r := &Result{IsRows: true, Cols: []string{"Field", "Type", "Null", "Key", "Default", "Extra"}, Numeric: make([]bool, 6)}
		for i, c := range t.cols {
			typ, yes, empty := strings.ToLower(t.types[i]), "YES", ""
			r.Rows = append(r.Rows, []*string{&c, &typ, &yes, &empty, nil, &empty})
		}
		return r, nil
	case p.kw("SHOW", "MASTER", "STATUS"):
		if !s.LogBin {
			return &Result{IsRows: true, Cols: []string{"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set"}, Numeric: make([]bool, 5)}, nil
		}
		pos := strconv.Itoa(s.BinlogPos())
		file, empty := s.BinlogName(), ""
		return &Result{IsRows: true, Cols: []string{"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set"},
			Numeric: []bool{false, true, false, false, false}, Rows: [][]*string{{&file, &pos, &empty, &empty, &empty}}}, nil
	case p.kw("SHOW", "SLAVE", "STATUS"), p.kw("SHOW", "REPLICA", "STATUS"):
		mi, ok := s.ReadMasterInfo()
		if !ok {
			return &Result{IsRows: true, Cols: []string{"Slave_IO_State"}, Numeric: []bool{false}}, nil
		}
		yes := "No"
		state := ""
		if mi.Running {
			yes, state = "Yes", "Waiting for master to send event"
		}
		pos := strconv.Itoa(mi.Pos)
		user, port, zero := "root", "3306", "0"
		return &Result{IsRows: true,
			Cols:    []string{"Slave_IO_State", "Master_Host", "Master_User", "Master_Port", "Master_Log_File", "Read_Master_Log_Pos", "Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master"},
			Numeric: []bool{false, false, false, true, false, true, false, false, true},
			Rows:    [][]*string{{&state, &mi.Host, &user, &port, &mi.File, &pos, &yes, &yes, &zero}}}, nil
	case p.kw("SHOW", "VARIABLES"), p.kw("SHOW", "GLOBAL", "VARIABLES"), p.kw("SHOW", "SESSION", "VARIABLES"):
		like := ""
		if p.kw("LIKE") {
			if l, ok := p.literal(); ok && l != nil {
				like = *l
			}
		}
		vars := map[string]string{"server_id": strconv.Itoa(s.ID), "hostname": s.Host, "read_only": onOff(s.ReadOnly),
			"super_read_only": onOff(s.ReadOnly), "log_bin": onOff(s.LogBin), "version": Version, "datadir": s.Dir + "/", "port": "3306"}
		var names []string
		for k := range vars {
			if like == "" || sqlLike(like, k) {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		r := &Result{IsRows: true, Cols: []string{"Variable_name", "Value"}, Numeric: []bool{false, false}}
		for _, n := range names {
			n, v := n, vars[n]
			r.Rows = append(r.Rows, []*string{&n, &v})
		}
		return r, nil
	case p.kw("CHANGE", "MASTER", "TO"), p.kw("CHANGE", "REPLICATION", "SOURCE", "TO"):
		return s.changeMaster(p)
	case p.kw("START", "SLAVE"), p.kw("START", "REPLICA"):
		mi, ok := s.ReadMasterInfo()
		if !ok {
			return nil, &Error{1200, "HY000", "The server is not configured as slave; fix in config file or with CHANGE MASTER TO"}
		}
		mi.Running = true
		s.WriteMasterInfo(mi)
		return &Result{}, nil
	case p.kw("STOP", "SLAVE"), p.kw("STOP", "REPLICA"):
		if mi, ok := s.ReadMasterInfo(); ok {
			mi.Running = false
			s.WriteMasterInfo(mi)
		}
		return &Result{}, nil
	case p.kw("RESET", "SLAVE"):
		s.View.Remove(path.Join(s.Dir, "master.info"), false)
		return &Result{}, nil
	case p.kw("SET"), p.kw("FLUSH"), p.kw("GRANT"), p.kw("COMMIT"), p.kw("BEGIN"), p.kw("START", "TRANSACTION"), p.kw("ROLLBACK"):
		return &Result{}, nil
	}
	return nil, errSyntax(p.rest())
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

func sqlLike(pat, s string) bool {
	var b strings.Builder
	for _, c := range pat {
		switch c {
		case '%':
			b.WriteString("*")
		case '_':
			b.WriteString("?")
		default:
			b.WriteRune(c)
		}
	}
	ok, _ := path.Match(strings.ToLower(b.String()), strings.ToLower(s))
	return ok
}

func rowsOf(cols []string, vals []string) *Result {
	r := &Result{IsRows: true, Cols: cols, Numeric: make([]bool, len(cols))}
	for _, v := range vals {
		v := v
		r.Rows = append(r.Rows, []*string{&v})
	}
	return r
}

func (s *Server) createTable(p *sp) (*Result, *Error) {
	ifNot := p.kw("IF", "NOT", "EXISTS")
	db, name, ok := p.tableRef(s.DB)
	if !ok {
		return nil, errSyntax(p.rest())
	}
	if db == "" {
		return nil, &Error{1046, "3D000", "No database selected"}
	}
	if !s.dbExists(db) {
		return nil, &Error{1049, "42000", fmt.Sprintf("Unknown database '%s'", db)}
	}
	if _, err := s.loadTable(db, name); err == nil {
		if ifNot {
			return &Result{}, nil
		}
		return nil, &Error{1050, "42S01", fmt.Sprintf("Table '%s' already exists", name)}
	}
	if !p.punct("(") {
		return nil, errSyntax(p.rest())
	}
	var frm strings.Builder
	ncols := 0
	for {
		t := p.peek()
		if t.kind == 'i' && (strings.EqualFold(t.s, "PRIMARY") || strings.EqualFold(t.s, "KEY") || strings.EqualFold(t.s, "INDEX") ||
			strings.EqualFold(t.s, "UNIQUE") || strings.EqualFold(t.s, "CONSTRAINT") || strings.EqualFold(t.s, "FOREIGN")) {
			p.skipDef()
		} else {
			col, ok := p.ident()
			if !ok {
				return nil, errSyntax(p.rest())
			}
			typStart := p.i
			p.skipDef()
			typ := ""
			if typStart < p.i {
				end := len(p.src)
				if p.i < len(p.toks) {
					end = p.toks[p.i].Pos
				}
				typ = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(p.src[p.toks[typStart].Pos:end]), ",)"))
			}
			fmt.Fprintf(&frm, "%s\t%s\n", col, typ)
			ncols++
		}
		if p.punct(",") {
			continue
		}
		if p.punct(")") {
			break
		}
		return nil, errSyntax(p.rest())
	}
	if ncols == 0 {
		return nil, &Error{1113, "42000", "A table must have at least 1 column"}
	}
	if err := s.View.WriteFile(path.Join(s.dbDir(db), name+".frm"), []byte(frm.String()), false); err != nil {
		return nil, &Error{1005, "HY000", fmt.Sprintf("Can't create table '%s.%s' (%v)", db, name, err)}
	}
	s.View.WriteFile(path.Join(s.dbDir(db), name+".ibd"), nil, false)
	return &Result{}, nil
}

// skipDef skips to the next top-level "," or ")".
func (p *sp) skipDef() {
	depth := 0
	for !p.done() {
		t := p.peek()
		if t.kind == 'p' {
			switch t.s {
			case "(":
				depth++
			case ")":
				if depth == 0 {
					return
				}
				depth--
			case ",":
				if depth == 0 {
					return
				}
			}
		}
		p.i++
	}
}

func (s *Server) insert(p *sp) (*Result, *Error) {
	p.kw("IGNORE")
	p.kw("INTO")
	db, name, ok := p.tableRef(s.DB)
	if !ok {
		return nil, errSyntax(p.rest())
	}
	t, err := s.loadTable(db, name)
	if err != nil {
		return nil, err
	}
	idx := make([]int, len(t.cols))
	for i := range idx {
		idx[i] = i
	}
	if p.punct("(") {
		idx = idx[:0]
		for {
			c, ok := p.ident()
			if !ok {
				return nil, errSyntax(p.rest())
			}
			k := colIndex(t.cols, c)
			if k < 0 {
				return nil, &Error{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", c)}
			}
			idx = append(idx, k)
			if p.punct(")") {
				break
			}
			if !p.punct(",") {
				return nil, errSyntax(p.rest())
			}
		}
	}
	if !p.kw("VALUES") && !p.kw("VALUE") {
		return nil, errSyntax(p.rest())
	}
	n := 0
	for {
		if !p.punct("(") {
			return nil, errSyntax(p.rest())
		}
		row := make([]*string, len(t.cols))
		k := 0
		for {
			v, ok := s.valueExpr(p)
			if !ok {
				return nil, errSyntax(p.rest())
			}
			if k >= len(idx) {
				return nil, &Error{1136, "21S01", fmt.Sprintf("Column count doesn't match value count at row %d", n+1)}
			}
			row[idx[k]] = v
			k++
			if p.punct(")") {
				break
			}
			if !p.punct(",") {
				return nil, errSyntax(p.rest())
			}
		}
		if k != len(idx) {
			return nil, &Error{1136, "21S01", fmt.Sprintf("Column count doesn't match value count at row %d", n+1)}
		}
		t.rows = append(t.rows, row)
		n++
		if !p.punct(",") {
			break
		}
	}
	if len(t.rows) > 100000 {
		return nil, &Error{1114, "HY000", fmt.Sprintf("The table '%s' is full (the simulator keeps at most 100000 rows)", name)}
	}
	if err := s.saveRows(db, name, t.rows); err != nil {
		return nil, err
	}
	return &Result{Affected: n}, nil
}

// valueExpr reads a literal or NOW()/a simple function as a value.
func (s *Server) valueExpr(p *sp) (*string, bool) {
	if v, ok := p.literal(); ok {
		return v, true
	}
	t := p.peek()
	if t.kind == 'i' {
		switch strings.ToUpper(t.s) {
		case "NOW", "CURRENT_TIMESTAMP", "SYSDATE":
			p.i++
			if p.punct("(") {
				p.punct(")")
			}
			v := s.Now.UTC().Format("2006-01-02 15:04:05")
			return &v, true
		}
	}
	return nil, false
}

func colIndex(cols []string, c string) int {
	for i, x := range cols {
		if strings.EqualFold(x, c) {
			return i
		}
	}
	return -1
}

// where parses "col op literal [AND ...]" into a row filter.
func (s *Server) where(p *sp, t *table) (func([]*string) bool, *Error) {
	if !p.kw("WHERE") {
		return func([]*string) bool { return true }, nil
	}
	var conds []func([]*string) bool
	for {
		c, ok := p.ident()
		if !ok {
			return nil, errSyntax(p.rest())
		}
		k := colIndex(t.cols, c)
		if k < 0 {
			return nil, &Error{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'where clause'", c)}
		}
		if p.kw("IS", "NULL") {
			conds = append(conds, func(r []*string) bool { return r[k] == nil })
		} else if p.kw("IS", "NOT", "NULL") {
			conds = append(conds, func(r []*string) bool { return r[k] != nil })
		} else {
			op := p.next()
			if op.kind != 'p' && !(op.kind == 'i' && strings.EqualFold(op.s, "LIKE")) {
				return nil, errSyntax(p.rest())
			}
			v, ok := s.valueExpr(p)
			if !ok || v == nil {
				return nil, errSyntax(p.rest())
			}
			want, opS := *v, op.s
			conds = append(conds, func(r []*string) bool {
				if r[k] == nil {
					return false
				}
				return compare(*r[k], opS, want)
			})
		}
		if !p.kw("AND") {
			break
		}
	}
	return func(r []*string) bool {
		for _, c := range conds {
			if !c(r) {
				return false
			}
		}
		return true
	}, nil
}

func compare(a, op, b string) bool {
	af, aErr := strconv.ParseFloat(a, 64)
	bf, bErr := strconv.ParseFloat(b, 64)
	c := strings.Compare(strings.ToLower(a), strings.ToLower(b))
	if aErr == nil && bErr == nil {
		switch {
		case af < bf:
			c = -1
		case af > bf:
			c = 1
		default:
			c = 0
		}
	}
	switch strings.ToUpper(op) {
	case "=":
		return c == 0
	case "!=", "<>":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "LIKE":
		return sqlLike(b, a)
	}
	return false
}

func (s *Server) deleteStmt(p *sp) (*Result, *Error) {
	db, name, ok := p.tableRef(s.DB)
	if !ok {
		return nil, errSyntax(p.rest())
	}
	t, err := s.loadTable(db, name)
	if err != nil {
		return nil, err
	}
	keep, err := s.where(p, t)
	if err != nil {
		return nil, err
	}
	var rows [][]*string
	for _, r := range t.rows {
		if !keep(r) {
			rows = append(rows, r)
		}
	}
	if err := s.saveRows(db, name, rows); err != nil {
		return nil, err
	}
	return &Result{Affected: len(t.rows) - len(rows)}, nil
}

func (s *Server) update(p *sp) (*Result, *Error) {
	db, name, ok := p.tableRef(s.DB)
	if !ok {
		return nil, errSyntax(p.rest())
	}
	t, err := s.loadTable(db, name)
	if err != nil {
		return nil, err
	}
	if !p.kw("SET") {
		return nil, errSyntax(p.rest())
	}
	sets := map[int]*string{}
	for {
		c, ok := p.ident()
		if !ok || !p.punct("=") {
			return nil, errSyntax(p.rest())
		}
		k := colIndex(t.cols, c)
		if k < 0 {
			return nil, &Error{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", c)}
		}
		v, ok := s.valueExpr(p)
		if !ok {
			return nil, errSyntax(p.rest())
		}
		sets[k] = v
		if !p.punct(",") {
			break
		}
	}
	match, err := s.where(p, t)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, r := range t.rows {
		if match(r) {
			for k, v := range sets {
				r[k] = v
			}
			n++
		}
	}
	if err := s.saveRows(db, name, t.rows); err != nil {
		return nil, err
	}
	return &Result{Affected: n}, nil
}

const Version = "5.7.44-log"

// selectItem is one output column: a column of the table, or a value.
type selectItem struct {
	name   string
	col    int // -1 for a value
	val    *string
	num    bool
	count  bool
	star   bool
	hasVal bool
}

func (s *Server) selectStmt(p *sp) (*Result, *Error) {
	var items []selectItem
	for {
		start := p.i
		it, err := s.selectExpr(p)
		if err != nil {
			return nil, err
		}
		end := len(p.src)
		if p.i < len(p.toks) {
			end = p.toks[p.i].Pos
		}
		if !it.star {
			it.name = strings.TrimSpace(p.src[p.toks[start].Pos:end])
		}
		if p.kw("AS") {
			a := p.next()
			it.name = a.s
		} else if t := p.peek(); (t.kind == 'i' || t.kind == 'q') && !isSelectKeyword(t.s) {
			it.name = t.s
			p.i++
		}
		items = append(items, it)
		if !p.punct(",") {
			break
		}
	}
	var t *table
	if p.kw("FROM") {
		db, name, ok := p.tableRef(s.DB)
		if !ok {
			return nil, errSyntax(p.rest())
		}
		if strings.EqualFold(db, "information_schema") {
			return nil, &Error{1109, "42S02", fmt.Sprintf("Unknown table '%s' in information_schema (not simulated)", name)}
		}
		var err *Error
		if t, err = s.loadTable(db, name); err != nil {
			return nil, err
		}
	}
	r := &Result{IsRows: true}
	// Resolve column references against the table.
	var expanded []selectItem
	for _, it := range items {
		if it.star {
			if t == nil {
				return nil, &Error{1096, "HY000", "No tables used"}
			}
			for i, c := range t.cols {
				expanded = append(expanded, selectItem{name: c, col: i, num: isNumericType(t.types[i])})
			}
			continue
		}
		if !it.hasVal && !it.count {
			if t == nil {
				return nil, &Error{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", it.name)}
			}
			k := colIndex(t.cols, it.colName())
			if k < 0 {
				return nil, &Error{1054, "42S22", fmt.Sprintf("Unknown column '%s' in 'field list'", it.colName())}
			}
			it.col = k
			it.num = isNumericType(t.types[k])
		}
		expanded = append(expanded, it)
	}
	for _, it := range expanded {
		r.Cols = append(r.Cols, it.name)
		r.Numeric = append(r.Numeric, it.num || it.count)
	}
	rows := [][]*string{nil}
	if t != nil {
		match, err := s.where(p, t)
		if err != nil {
			return nil, err
		}
		rows = nil
		for _, row := range t.rows {
			if match(row) {
				rows = append(rows, row)
			}
		}
		if p.kw("ORDER", "BY") {
			c, _ := p.ident()
			k := colIndex(t.cols, c)
			desc := p.kw("DESC")
			p.kw("ASC")
			if k >= 0 {
				sort.SliceStable(rows, func(i, j int) bool {
					a, b := "", ""
					if rows[i][k] != nil {
						a = *rows[i][k]
					}
					if rows[j][k] != nil {
						b = *rows[j][k]
					}
					if desc {
						return compare(a, ">", b)
					}
					return compare(a, "<", b)
				})
			}
		}
	}
	if p.kw("LIMIT") {
		if n, err := strconv.Atoi(p.next().s); err == nil && n < len(rows) {
			rows = rows[:n]
		}
	}
	if !p.done() {
		return nil, errSyntax(p.rest())
	}
	counting := false
	for _, it := range expanded {
		counting = counting || it.count
	}
	if counting {
		n := strconv.Itoa(len(rows))
		if t == nil {
			n = "1"
		}
		var out []*string
		for _, it := range expanded {
			switch {
			case it.count:
				out = append(out, &n)
			case it.hasVal:
				out = append(out, it.val)
			case len(rows) > 0:
				out = append(out, rows[0][it.col])
			default:
				out = append(out, nil)
			}
		}
		r.Rows = [][]*string{out}
		return r, nil
	}
	for _, row := range rows {
		var out []*string
		for _, it := range expanded {
			if it.hasVal {
				out = append(out, it.val)
			} else {
				out = append(out, row[it.col])
			}
		}
		r.Rows = append(r.Rows, out)
	}
	return r, nil
}

func (it selectItem) colName() string {
	if i := strings.LastIndexByte(it.name, '.'); i >= 0 {
		return strings.Trim(it.name[i+1:], "`")
	}
	return strings.Trim(it.name, "`")
}

func isSelectKeyword(s string) bool {
	switch strings.ToUpper(s) {
	case "FROM", "WHERE", "ORDER", "LIMIT", "GROUP", "HAVING", "AS", "UNION":
		return true
	}
	return false
}

func isNumericType(t string) bool {
	t = strings.ToUpper(t)
	for _, p := range []string{"INT", "TINYINT", "SMALLINT", "MEDIUMINT", "BIGINT", "DECIMAL", "FLOAT", "DOUBLE", "NUMERIC"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

func (s *Server) selectExpr(p *sp) (selectItem, *Error) {
	t := p.peek()
	switch {
	case t.kind == 'p' && t.s == "*":
		p.i++
		return selectItem{star: true}, nil
	case t.kind == 'v':
		p.i++
		name := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(t.s, "@@"), "global."), "session."))
		var v string
		num := false
		switch name {
		case "server_id":
			v, num = strconv.Itoa(s.ID), true
		case "hostname":
			v = s.Host
		case "read_only", "super_read_only":
			v, num = "0", true
			if s.ReadOnly {
				v = "1"
			}
		case "version":
			v = Version
		case "port":
			v, num = "3306", true
		case "log_bin":
			v, num = "0", true
			if s.LogBin {
				v = "1"
			}
		default:
			if strings.HasPrefix(t.s, "@@") {
				return selectItem{}, &Error{1193, "HY000", fmt.Sprintf("Unknown system variable '%s'", strings.TrimPrefix(t.s, "@@"))}
			}
			return selectItem{hasVal: true, col: -1}, nil // user variables are NULL
		}
		return selectItem{hasVal: true, val: &v, num: num, col: -1}, nil
	case t.kind == 'n':
		p.i++
		v := t.s
		return selectItem{hasVal: true, val: &v, num: true, col: -1}, nil
	case t.kind == 's':
		p.i++
		v := t.s
		return selectItem{hasVal: true, val: &v, col: -1}, nil
	case t.kind == 'i':
		up := strings.ToUpper(t.s)
		if next := p.peekAt(1); next.kind == 'p' && next.s == "(" {
			p.i += 2
			var v string
			num := false
			switch up {
			case "NOW", "SYSDATE", "CURRENT_TIMESTAMP":
				v = s.Now.UTC().Format("2006-01-02 15:04:05")
			case "VERSION":
				v = Version
			case "DATABASE", "SCHEMA":
				if s.DB == "" {
					if !p.punct(")") {
						return selectItem{}, errSyntax(p.rest())
					}
					return selectItem{hasVal: true, col: -1}, nil
				}
				v = s.DB
			case "USER", "CURRENT_USER":
				v = "root@localhost"
			case "CONNECTION_ID":
				v, num = "1", true
			case "COUNT":
				for !p.done() && !p.punct(")") {
					p.i++
				}
				return selectItem{count: true, col: -1}, nil
			case "SLEEP":
				p.i++
				v, num = "0", true
			default:
				return selectItem{}, &Error{1305, "42000", fmt.Sprintf("FUNCTION %s does not exist", t.s)}
			}
			if !p.punct(")") {
				return selectItem{}, errSyntax(p.rest())
			}
			return selectItem{hasVal: true, val: &v, num: num, col: -1}, nil
		}
		if up == "NULL" {
			p.i++
			return selectItem{hasVal: true, col: -1}, nil
		}
		fallthrough
	case t.kind == 'q':
		p.i++
		if p.punct(".") {
			if _, ok := p.ident(); !ok {
				return selectItem{}, errSyntax(p.rest())
			}
		}
		return selectItem{col: -1}, nil
	}
	return selectItem{}, errSyntax(p.rest())
}

func (p *sp) peekAt(k int) stok {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return stok{}
}

// --- binlog and replication state ----------------------------------------------------------

const binlogStart = 154 // where a 5.7 binlog's first event starts

func (s *Server) BinlogName() string { return s.Host + "-bin.000001" }

func (s *Server) BinlogPos() int {
	data, _ := s.View.ReadFile(path.Join(s.Dir, s.BinlogName()))
	return binlogStart + len(data)
}

// appendBinlog logs a write as "db<TAB>statement" (escaped), one event per line.
func (s *Server) appendBinlog(stmt string) {
	line := EscapeField(s.DB) + "\t" + EscapeField(stmt) + "\n"
	s.View.WriteFile(path.Join(s.Dir, s.BinlogName()), []byte(line), true)
}

type BinlogEvent struct {
	DB, Stmt string
	End      int // position after this event
}

func (s *Server) BinlogAfter(pos int) []BinlogEvent {
	data, _ := s.View.ReadFile(path.Join(s.Dir, s.BinlogName()))
	var out []BinlogEvent
	off := binlogStart
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l == "" {
			continue
		}
		off += len(l)
		if off <= pos {
			continue
		}
		db, stmt, _ := strings.Cut(strings.TrimSuffix(l, "\n"), "\t")
		out = append(out, BinlogEvent{DB: unescapeField(db), Stmt: unescapeField(stmt), End: off})
	}
	return out
}

type MasterInfo struct {
	Host, File string
	Pos        int
	Running    bool
	Auto       bool // set up by the simulator in the sidecar's stead; CHANGE MASTER may redo it
}

func (s *Server) ReadMasterInfo() (MasterInfo, bool) {
	data, err := s.View.ReadFile(path.Join(s.Dir, "master.info"))
	if err != nil {
		return MasterInfo{}, false
	}
	f := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(f) < 4 {
		return MasterInfo{}, false
	}
	pos, _ := strconv.Atoi(f[2])
	return MasterInfo{Host: f[0], File: f[1], Pos: pos, Running: f[3] == "1", Auto: len(f) > 4 && f[4] == "auto"}, true
}

func (s *Server) WriteMasterInfo(mi MasterInfo) {
	run := "0"
	if mi.Running {
		run = "1"
	}
	auto := ""
	if mi.Auto {
		auto = "auto\n"
	}
	s.View.WriteFile(path.Join(s.Dir, "master.info"), []byte(fmt.Sprintf("%s\n%s\n%d\n%s\n%s", mi.Host, mi.File, mi.Pos, run, auto)), false)
}

func (s *Server) changeMaster(p *sp) (*Result, *Error) {
	mi, _ := s.ReadMasterInfo()
	old := mi
	if mi.Running && !mi.Auto {
		return nil, &Error{1198, "HY000", "This operation cannot be performed with a running slave; run STOP SLAVE first"}
	}
	for {
		k, ok := p.ident()
		if !ok || !p.punct("=") {
			return nil, errSyntax(p.rest())
		}
		v, ok := p.literal()
		if !ok {
			return nil, errSyntax(p.rest())
		}
		val := ""
		if v != nil {
			val = *v
		}
		switch strings.ToUpper(k) {
		case "MASTER_HOST", "SOURCE_HOST":
			mi.Host = val
		case "MASTER_LOG_FILE", "SOURCE_LOG_FILE":
			mi.File = val
		case "MASTER_LOG_POS", "SOURCE_LOG_POS":
			mi.Pos, _ = strconv.Atoi(val)
		}
		if !p.punct(",") {
			break
		}
	}
	if !p.done() {
		return nil, errSyntax(p.rest())
	}
	if old.Auto && mi.File == old.File && mi.Pos < old.Pos {
		mi.Pos = old.Pos // the simulator already applied these events in the sidecar's stead
	}
	mi.Auto = false
	s.WriteMasterInfo(mi)
	return &Result{}, nil
}

// NeedsData says whether a statement reads or writes tables, so a replica must catch up
// first; the probes' SELECT 1 does not.
func NeedsData(stmt string) bool {
	toks, err := sqlTokens(stmt)
	if err != nil || len(toks) == 0 {
		return false
	}
	if !strings.EqualFold(toks[0].s, "SELECT") {
		return true
	}
	for _, t := range toks {
		if t.kind == 'i' && strings.EqualFold(t.s, "FROM") {
			return true
		}
	}
	return false
}
