package mysql

import (
	"strings"
	"testing"
	"time"

	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newServer(t *testing.T, host string, logBin bool) *Server {
	t.Helper()
	v := &vfs.View{Now: func() time.Time { return t0 }}
	v.AddMount(vfs.Mount{Path: "/", Vol: vfs.NewVolume(t0)})
	if err := v.Mkdir("/var/lib/mysql", true); err != nil {
		t.Fatal(err)
	}
	return &Server{View: v, Dir: "/var/lib/mysql", ID: 100, Host: host, LogBin: logBin, Now: t0}
}

func exec(t *testing.T, s *Server, stmts string) *Result {
	t.Helper()
	var last *Result
	for _, st := range SplitStatements(stmts) {
		r, err := s.Exec(st)
		if err != nil {
			t.Fatalf("%s: %v", st, err)
		}
		last = r
	}
	return last
}

func cells(r *Result) string {
	var rows []string
	for _, row := range r.Rows {
		var c []string
		for _, v := range row {
			if v == nil {
				c = append(c, "NULL")
			} else {
				c = append(c, *v)
			}
		}
		rows = append(rows, strings.Join(c, "|"))
	}
	return strings.Join(rows, ";")
}

func TestTablesLiveInTheDataDirectory(t *testing.T) {
	s := newServer(t, "mysql-0", true)
	exec(t, s, "CREATE DATABASE test; CREATE TABLE test.messages (message VARCHAR(250)); INSERT INTO test.messages VALUES ('hello'), ('it''s');")
	r := exec(t, s, "SELECT * FROM test.messages")
	if !r.IsRows || strings.Join(r.Cols, ",") != "message" || cells(r) != "hello;it's" {
		t.Fatalf("select: %+v %q", r.Cols, cells(r))
	}
	if _, err := s.View.Stat("/var/lib/mysql/test/messages.ibd"); err != nil {
		t.Fatalf("the rows are not a file in the data directory: %v", err)
	}
	// Another server on the same files (a re-created pod) sees the data.
	s2 := &Server{View: s.View, Dir: s.Dir, Host: "mysql-0", Now: t0}
	if r := exec(t, s2, "SELECT COUNT(*) FROM test.messages"); cells(r) != "2" {
		t.Fatalf("count after restart: %q", cells(r))
	}
}

func TestErrorsAsMySQLWordsThem(t *testing.T) {
	s := newServer(t, "mysql-0", false)
	cases := []struct{ stmt, want string }{
		{"SELECT * FROM nodb.t", "ERROR 1146 (42S02)"},
		{"CREATE DATABASE d; CREATE DATABASE d", "ERROR 1007 (HY000)"},
		{"SELEC 1", "ERROR 1064 (42000)"},
	}
	for _, c := range cases {
		var err *Error
		for _, st := range SplitStatements(c.stmt) {
			if _, err = s.Exec(st); err != nil {
				break
			}
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %v want %s", c.stmt, err, c.want)
		}
	}
	s.ReadOnly = true
	if _, err := s.Exec("CREATE DATABASE ro"); err == nil || err.Code != 1290 {
		t.Fatalf("a super-read-only replica took a write: %v", err)
	}
}

func TestBinlogReplaysOnAReplica(t *testing.T) {
	primary := newServer(t, "mysql-0", true)
	start := primary.BinlogPos()
	exec(t, primary, "CREATE DATABASE test; CREATE TABLE test.m (v INT); INSERT INTO test.m VALUES (1), (2)")
	if primary.BinlogPos() <= start || primary.BinlogName() != "mysql-0-bin.000001" {
		t.Fatalf("binlog %s at %d", primary.BinlogName(), primary.BinlogPos())
	}
	replica := newServer(t, "mysql-1", false)
	replica.ReadOnly = true
	for _, ev := range primary.BinlogAfter(start) {
		replica.Replay, replica.DB = true, ev.DB
		if _, err := replica.Exec(ev.Stmt); err != nil {
			t.Fatalf("replaying %q: %v", ev.Stmt, err)
		}
	}
	replica.Replay = false
	if r := exec(t, replica, "SELECT v FROM test.m"); cells(r) != "1;2" {
		t.Fatalf("replica rows %q", cells(r))
	}
	if !NeedsData("SELECT * FROM test.m") || NeedsData("SELECT 1") {
		t.Fatal("NeedsData")
	}
}
