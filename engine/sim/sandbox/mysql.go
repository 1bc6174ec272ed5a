package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/engine/sim/sandbox/mysql"
	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
)

// MySQL as the replicated-MySQL tutorial uses it. A pod runs mysqld when it has a main
// container of a mysql image that keeps the image's own command. The server's files live in
// that container's /var/lib/mysql (the PVC), its identity in /etc/mysql/conf.d (written by the
// init-mysql script): server-id.cnf, and primary.cnf (log-bin) or replica.cnf (super-read-only).
//
// Replication: a write on the primary is applied at once to every running replica that
// replicates from it (pushToReplicas), and a replica also pulls the events it is missing
// whenever it is used (a query, a backup), if its primary is running and resolvable by the
// name it replicates from. Together that is what a real replica's IO thread does
// continuously: a replica that was down, or was just cloned, catches up on first use, and one
// whose primary is gone serves what it has.

var mysqlPrograms = map[string]func(p *Proc) int{
	"mysql":      progMysql,
	"mysqladmin": progMysqladmin,
	"ncat":       progNcat,
	"xbstream":   progXbstream,
	"xtrabackup": progXtrabackup,
	"mysqld":     progMysqld,
	// The API server's attach (kubectl run -i) starts the image's ENTRYPOINT with the pod's
	// args, as a container runtime does.
	"docker-entrypoint.sh": progMysqlEntrypoint,
}

// progMysqlEntrypoint is the mysql image's entrypoint: options go to mysqld, mysqld starts
// the server, any other command runs in its place (kubectl run ... -- mysql -h mysql-0.mysql).
func progMysqlEntrypoint(p *Proc) int {
	args := p.Args[1:]
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		args = append([]string{"mysqld"}, args...)
	}
	return execProgram(p, args)
}

const mysqlDataDir = "/var/lib/mysql"

// serverContainer is the pod's mysqld container, if it has one.
func serverContainer(pod *corev1.Pod) *corev1.Container {
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if imageFor(c.Image).kind != "mysql" {
			continue
		}
		switch {
		case len(c.Command) > 0:
			if path.Base(c.Command[0]) == "mysqld" {
				return c
			}
		case len(c.Args) > 0 && !strings.HasPrefix(c.Args[0], "-") && path.Base(c.Args[0]) != "mysqld":
			// kubectl run ... -- mysql -h ...: the entrypoint runs the client instead.
		default:
			return c
		}
	}
	return nil
}

func containerRunning(pod *corev1.Pod, name string) bool {
	if !podRunning(pod) {
		return false
	}
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == name {
			return st.State.Running != nil
		}
	}
	return true // no statuses reported: the phase decides
}

// serverEnv is the running mysqld of pod, as its container sees its files.
func (s *Sandbox) serverEnv(pod *corev1.Pod) (*env, bool) {
	c := serverContainer(pod)
	if c == nil || !containerRunning(pod, c.Name) {
		return nil, false
	}
	e, err := s.envFor(pod, c.Name)
	if err != nil {
		return nil, false
	}
	return e, true
}

// mysqldLocked opens the server's state, initializing an empty data directory as the
// image's entrypoint does on first start. The caller holds the sandbox lock.
func (e *env) mysqldLocked() *mysql.Server {
	v := e.view
	srv := &mysql.Server{View: v, Dir: mysqlDataDir, Host: hostnameOf(e.pod), Now: e.sb.clk.Now()}
	if _, err := v.Stat(mysqlDataDir + "/mysql"); err != nil {
		_ = v.Mkdir(mysqlDataDir, true)
		for _, d := range []string{"mysql", "performance_schema", "sys"} {
			_ = v.Mkdir(path.Join(mysqlDataDir, d), false)
		}
		_ = v.WriteFile(mysqlDataDir+"/mysql/user.frm", []byte("Host\tchar(60)\nUser\tchar(32)\n"), false)
		_ = v.WriteFile(mysqlDataDir+"/mysql/user.ibd", []byte("%\troot\nlocalhost\troot\n"), false)
		_ = v.WriteFile(mysqlDataDir+"/ibdata1", []byte("simulated InnoDB system tablespace\n"), false)
		_ = v.WriteFile(mysqlDataDir+"/auto.cnf", []byte(fmt.Sprintf("[auto]\nserver-uuid=%s\n", e.pod.UID)), false)
	}
	names, _, _ := v.List("/etc/mysql/conf.d")
	for _, n := range names {
		if !strings.HasSuffix(n, ".cnf") {
			continue
		}
		data, _ := v.ReadFile("/etc/mysql/conf.d/" + n)
		for _, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSpace(l)
			k, val, _ := strings.Cut(l, "=")
			k = strings.ReplaceAll(strings.TrimSpace(k), "_", "-")
			switch k {
			case "server-id":
				srv.ID, _ = strconv.Atoi(strings.TrimSpace(val))
			case "log-bin":
				srv.LogBin = true
			case "super-read-only", "read-only":
				srv.ReadOnly = val == "" || strings.TrimSpace(val) == "1" || strings.EqualFold(strings.TrimSpace(val), "ON")
			}
		}
	}
	return srv
}

// primaryHostFor is where a replica of a StatefulSet replicates from: ordinal 0 through the
// governing Service ("mysql-0.mysql"), as the tutorial's sidecar configures it.
func primaryHostFor(pod *corev1.Pod) string {
	h := hostnameOf(pod)
	if i := strings.LastIndexByte(h, '-'); i > 0 && isDigits(h[i+1:]) {
		h = h[:i] + "-0"
	}
	if pod.Spec.Subdomain != "" {
		return h + "." + pod.Spec.Subdomain
	}
	return h
}

var (
	reSlaveInfo  = regexp.MustCompile(`MASTER_LOG_FILE='([^']*)',\s*MASTER_LOG_POS=(\d+)`)
	reBinlogInfo = regexp.MustCompile(`^(\S+)\s+(\d+)`)
)

// autoReplicate does what the tutorial's xtrabackup sidecar does once a clone is in place
// (CHANGE MASTER TO the clone's coordinates, START SLAVE), because the simulator's kubelet
// runs probes and init containers but not long-running main-container commands. It reads the
// coordinates wherever the sidecar may have left them and changes no files of its own beyond
// master.info, so a sidecar that does run still finds what it expects.
func (e *env) autoReplicate(srv *mysql.Server) {
	if srv.LogBin {
		return
	}
	if _, ok := srv.ReadMasterInfo(); ok {
		return
	}
	read := func(n string) string {
		b, _ := srv.View.ReadFile(path.Join(srv.Dir, n))
		return string(b)
	}
	var file string
	var pos int
	if m := reSlaveInfo.FindStringSubmatch(read("xtrabackup_slave_info")); m != nil {
		file, pos = m[1], atoi(m[2])
	} else if m := reBinlogInfo.FindStringSubmatch(read("xtrabackup_binlog_info")); m != nil {
		file, pos = m[1], atoi(m[2])
	} else if m := reSlaveInfo.FindStringSubmatch(read("change_master_to.sql.in") + read("change_master_to.sql.orig")); m != nil {
		file, pos = m[1], atoi(m[2])
	} else {
		return
	}
	srv.WriteMasterInfo(mysql.MasterInfo{Host: primaryHostFor(e.pod), File: file, Pos: pos, Running: true, Auto: true})
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// syncReplica applies the primary's new binlog events to a replica.
func (s *Sandbox) syncReplica(e *env) {
	s.mu.Lock()
	srv := e.mysqldLocked()
	e.autoReplicate(srv)
	mi, ok := srv.ReadMasterInfo()
	s.mu.Unlock()
	if !ok || !mi.Running || mi.Host == "" {
		return
	}
	_, recs, ok := e.lookupA(mi.Host)
	if !ok {
		return
	}
	mp := s.podByIP(recs[0].ip)
	if mp == nil || mp.UID == e.pod.UID {
		return
	}
	me, ok := s.serverEnv(mp)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	primary := me.mysqldLocked()
	if !primary.LogBin {
		return
	}
	srv = e.mysqldLocked()
	mi, _ = srv.ReadMasterInfo()
	for _, ev := range primary.BinlogAfter(mi.Pos) {
		srv.Replay, srv.DB = true, ev.DB
		srv.Exec(ev.Stmt) // a real replica would stop on an error; the simulator carries on
		mi.Pos = ev.End
	}
	mi.File = primary.BinlogName()
	srv.WriteMasterInfo(mi)
}

// --- the mysql client ----------------------------------------------------------------------

type mysqlOpts struct {
	host, db, exec       string
	haveExec             bool
	table, batch, noCols bool
	vertical, force      bool
}

func parseMysqlArgs(args []string) (mysqlOpts, error) {
	var o mysqlOpts
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func(short string) (string, bool) {
			if a == short || a == "--"+strings.TrimPrefix(short, "--") {
				if i+1 < len(args) {
					i++
					return args[i], true
				}
				return "", true
			}
			if strings.HasPrefix(a, short) && len(short) == 2 {
				return a[2:], true
			}
			return "", false
		}
		switch {
		case strings.HasPrefix(a, "--host="):
			o.host = a[7:]
		case strings.HasPrefix(a, "--execute="):
			o.exec, o.haveExec = a[10:], true
		case strings.HasPrefix(a, "--database="):
			o.db = a[11:]
		case strings.HasPrefix(a, "--user="), strings.HasPrefix(a, "--password"), strings.HasPrefix(a, "--port="), strings.HasPrefix(a, "--protocol="):
		case a == "-t" || a == "--table":
			o.table = true
		case a == "-B" || a == "--batch":
			o.batch = true
		case a == "-N" || a == "--skip-column-names" || a == "-ss":
			o.noCols = true
		case a == "-E" || a == "--vertical":
			o.vertical = true
		case a == "-f" || a == "--force":
			o.force = true
		case a == "-s" || a == "--silent" || a == "-v" || a == "-p" || a == "-n" || a == "-A" || a == "-i" || a == "-c":
		case a == "--host":
			if i+1 < len(args) {
				i++
				o.host = args[i]
			}
		case a == "--execute":
			if i+1 < len(args) {
				i++
				o.exec, o.haveExec = args[i], true
			}
		default:
			if v, ok := val("-h"); ok {
				o.host = v
			} else if v, ok := val("-e"); ok {
				o.exec, o.haveExec = v, true
			} else if v, ok := val("-D"); ok {
				o.db = v
			} else if _, ok := val("-u"); ok {
			} else if _, ok := val("-P"); ok {
			} else if strings.HasPrefix(a, "-p") {
			} else if strings.HasPrefix(a, "-") {
				return o, fmt.Errorf("unknown option '%s'", a)
			} else {
				o.db = a
			}
		}
	}
	return o, nil
}

// connect finds the server a client reaches: the pod's own for localhost/127.0.0.1, a
// Service's ready endpoint, or a pod by name.
func connect(p *Proc, host string, port int) (*env, string) {
	socket := host == "" || host == "localhost"
	var target *corev1.Pod
	if socket || host == "127.0.0.1" {
		target = envOf(p).pod
	} else {
		pod, _, cerr := envOf(p).dial(host, port)
		if cerr != nil {
			if cerr.code == 6 {
				return nil, fmt.Sprintf("ERROR 2005 (HY000): Unknown MySQL server host '%s' (-2)", host)
			}
			return nil, fmt.Sprintf("ERROR 2003 (HY000): Can't connect to MySQL server on '%s' (111)", host)
		}
		target = pod
	}
	srvEnv, ok := envOf(p).sb.serverEnv(target)
	if !ok {
		if socket {
			return nil, "ERROR 2002 (HY000): Can't connect to local MySQL server through socket '/var/run/mysqld/mysqld.sock' (2)"
		}
		return nil, fmt.Sprintf("ERROR 2003 (HY000): Can't connect to MySQL server on '%s' (111)", host)
	}
	return srvEnv, ""
}

// session runs statements against one server, keeping the current database.
type session struct {
	e      *env
	db     string
	synced bool
}

func (s *session) run(stmt string) (*mysql.Result, *mysql.Error) {
	if !s.synced && mysql.NeedsData(stmt) {
		s.e.sb.syncReplica(s.e)
		s.synced = true
	}
	unlock := s.e.lock()
	srv := s.e.mysqldLocked()
	srv.DB = s.db
	before := srv.BinlogPos()
	res, err := srv.Exec(stmt)
	s.db = srv.DB
	wrote := srv.LogBin && srv.BinlogPos() != before
	unlock()
	if wrote {
		s.e.sb.pushToReplicas(s.e)
	}
	return res, err
}

// pushToReplicas lets every running replica of a primary apply a write at once, as their
// replication threads would; a replica that is down catches up when next used (syncReplica).
func (s *Sandbox) pushToReplicas(primary *env) {
	objs, _ := s.st.List(podsRes, primary.pod.Namespace, nil, nil)
	for _, o := range objs {
		p := o.(*corev1.Pod)
		if p.UID == primary.pod.UID {
			continue
		}
		if e, ok := s.serverEnv(p); ok {
			s.syncReplica(e)
		}
	}
}

func progMysql(p *Proc) int {
	o, err := parseMysqlArgs(p.Args[1:])
	if err != nil {
		fmt.Fprintf(p.Stderr, "mysql: [ERROR] %v.\n", err)
		return 7
	}
	srvEnv, msg := connect(p, o.host, 3306)
	if srvEnv == nil {
		fmt.Fprintln(p.Stderr, msg)
		return 1
	}
	sess := &session{e: srvEnv}
	if o.db != "" {
		if _, err := sess.run("USE `" + o.db + "`"); err != nil {
			fmt.Fprintln(p.Stderr, err.Error())
			return 1
		}
	}
	if !o.haveExec && p.TTY {
		return mysqlInteractive(p, sess, o)
	}
	var script string
	if o.haveExec {
		script = o.exec
	} else {
		data, _ := io.ReadAll(io.LimitReader(p.Stdin, vfs.MaxFileSize))
		script = string(data)
	}
	tableFmt := o.table || (p.TTY && !o.batch)
	st := 0
	for _, stmt := range splitWithLines(script) {
		if p.Ctx.Err() != nil {
			return 130
		}
		res, serr := sess.run(stmt.text)
		if serr != nil {
			fmt.Fprintf(p.Stderr, "ERROR %d (%s) at line %d: %s\n", serr.Code, serr.State, stmt.line, serr.Msg)
			st = 1
			if !o.force {
				return 1
			}
			continue
		}
		if !res.IsRows || (len(res.Rows) == 0 && !tableFmt && !o.haveExec) {
			continue
		}
		switch {
		case o.vertical:
			printVertical(p.Stdout, res)
		case tableFmt:
			if len(res.Rows) > 0 {
				printTable(p.Stdout, res)
			}
		default:
			printBatch(p.Stdout, res, !o.noCols)
		}
	}
	return st
}

type stmtLine struct {
	text string
	line int
}

// splitWithLines splits a script into statements, remembering the line each starts on.
func splitWithLines(script string) []stmtLine {
	var out []stmtLine
	offset := 0
	for _, s := range mysql.SplitStatements(script) {
		idx := strings.Index(script[offset:], s)
		line := 1
		if idx >= 0 {
			line = strings.Count(script[:offset+idx], "\n") + 1
			offset += idx + len(s)
		}
		out = append(out, stmtLine{text: s, line: line})
	}
	return out
}

func cell(v *string) string {
	if v == nil {
		return "NULL"
	}
	return *v
}

func printTable(w io.Writer, r *mysql.Result) {
	widths := make([]int, len(r.Cols))
	for i, c := range r.Cols {
		widths[i] = len([]rune(c))
	}
	for _, row := range r.Rows {
		for i, v := range row {
			if n := len([]rune(cell(v))); n > widths[i] {
				widths[i] = n
			}
		}
	}
	var b strings.Builder
	sep := func() {
		b.WriteByte('+')
		for _, wd := range widths {
			b.WriteString(strings.Repeat("-", wd+2))
			b.WriteByte('+')
		}
		b.WriteByte('\n')
	}
	line := func(vals []string, right []bool) {
		b.WriteByte('|')
		for i, v := range vals {
			pad := strings.Repeat(" ", widths[i]-len([]rune(v)))
			if right != nil && right[i] {
				b.WriteString(" " + pad + v + " |")
			} else {
				b.WriteString(" " + v + pad + " |")
			}
		}
		b.WriteByte('\n')
	}
	sep()
	line(r.Cols, nil)
	sep()
	for _, row := range r.Rows {
		vals := make([]string, len(row))
		for i, v := range row {
			vals[i] = cell(v)
		}
		line(vals, r.Numeric)
	}
	sep()
	io.WriteString(w, b.String())
}

func printBatch(w io.Writer, r *mysql.Result, header bool) {
	var b strings.Builder
	if header {
		b.WriteString(strings.Join(r.Cols, "\t"))
		b.WriteByte('\n')
	}
	for _, row := range r.Rows {
		for i, v := range row {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(mysql.EscapeField(cell(v)))
		}
		b.WriteByte('\n')
	}
	io.WriteString(w, b.String())
}

func printVertical(w io.Writer, r *mysql.Result) {
	width := 0
	for _, c := range r.Cols {
		width = max(width, len(c))
	}
	for i, row := range r.Rows {
		fmt.Fprintf(w, "*************************** %d. row ***************************\n", i+1)
		for k, v := range row {
			fmt.Fprintf(w, "%*s: %s\n", width, r.Cols[k], cell(v))
		}
	}
}

func mysqlInteractive(p *Proc, sess *session, o mysqlOpts) int {
	w := p.Stdout
	fmt.Fprintf(w, "Welcome to the MySQL monitor.  Commands end with ; or \\g.\nYour MySQL connection id is 2\nServer version: %s MySQL Community Server (GPL)\n\nType 'help;' or '\\h' for help. Type '\\c' to clear the current input statement.\n\n", mysql.Version)
	in := asLineReader(p)
	var buf strings.Builder
	for {
		if buf.Len() == 0 {
			io.WriteString(w, "mysql> ")
		} else {
			io.WriteString(w, "    -> ")
		}
		line, err := in.readLine()
		if err == errInterrupt {
			buf.Reset()
			continue
		}
		if err != nil {
			io.WriteString(w, "Bye\n")
			return 0
		}
		t := strings.TrimSpace(line)
		if buf.Len() == 0 {
			switch strings.TrimSuffix(strings.ToLower(t), ";") {
			case "exit", "quit", `\q`:
				io.WriteString(w, "Bye\n")
				return 0
			case "":
				continue
			}
		}
		if strings.HasSuffix(t, `\c`) {
			buf.Reset()
			continue
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		full := strings.TrimSpace(buf.String())
		vertical := strings.HasSuffix(full, `\G`)
		if !strings.HasSuffix(full, ";") && !vertical && !strings.HasSuffix(full, `\g`) {
			continue
		}
		buf.Reset()
		full = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(full, `\G`), `\g`), ";")
		for _, stmt := range mysql.SplitStatements(full) {
			res, serr := sess.run(stmt)
			if serr != nil {
				fmt.Fprintf(w, "%s\n", serr.Error())
				continue
			}
			switch {
			case res.IsRows && len(res.Rows) == 0:
				io.WriteString(w, "Empty set (0.00 sec)\n\n")
			case res.IsRows:
				if vertical {
					printVertical(w, res)
				} else {
					printTable(w, res)
				}
				n := len(res.Rows)
				if n == 1 {
					io.WriteString(w, "1 row in set (0.00 sec)\n\n")
				} else {
					fmt.Fprintf(w, "%d rows in set (0.00 sec)\n\n", n)
				}
			case strings.HasPrefix(strings.ToUpper(stmt), "USE"):
				io.WriteString(w, "Database changed\n")
			default:
				if res.Affected == 1 {
					io.WriteString(w, "Query OK, 1 row affected (0.01 sec)\n\n")
				} else {
					fmt.Fprintf(w, "Query OK, %d rows affected (0.01 sec)\n\n", res.Affected)
				}
			}
		}
	}
}

func progMysqladmin(p *Proc) int {
	host := ""
	var cmds []string
	args := p.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" && i+1 < len(args):
			host = args[i+1]
			i++
		case strings.HasPrefix(a, "-h"):
			host = a[2:]
		case strings.HasPrefix(a, "--host="):
			host = a[7:]
		case strings.HasPrefix(a, "-"):
		default:
			cmds = append(cmds, a)
		}
	}
	srvEnv, msg := connect(p, host, 3306)
	if srvEnv == nil {
		where := host
		if where == "" {
			where = "localhost"
		}
		fmt.Fprintf(p.Stderr, "mysqladmin: connect to server at '%s' failed\nerror: '%s'\n", where, strings.SplitN(msg, ": ", 2)[1])
		if where == "localhost" {
			fmt.Fprintln(p.Stderr, "Check that mysqld is running and that the socket: '/var/run/mysqld/mysqld.sock' exists!")
		}
		return 1
	}
	for _, c := range cmds {
		switch c {
		case "ping":
			fmt.Fprintln(p.Stdout, "mysqld is alive")
		case "status":
			fmt.Fprintln(p.Stdout, "Uptime: 60  Threads: 2  Questions: 10  Slow queries: 0  Opens: 100  Flush tables: 1  Open tables: 50  Queries per second avg: 0.166")
		case "version":
			fmt.Fprintf(p.Stdout, "mysqladmin  Ver 8.42 Distrib 5.7.44, for Linux on x86_64\nServer version\t\t%s\n", mysql.Version)
		default:
			fmt.Fprintf(p.Stderr, "mysqladmin: Unknown command: '%s' (the simulator knows ping, status and version)\n", c)
			return 1
		}
	}
	return 0
}

// --- xtrabackup clone: ncat, xbstream, xtrabackup ------------------------------------------

const streamMagic = "XBSTREAM-SIM 1\n"

// backupStream is what `xtrabackup --backup --slave-info --stream=xbstream` sends: the data
// directory without replication state, plus the coordinates a clone starts replicating from.
func (s *Sandbox) backupStream(e *env) []byte {
	s.syncReplica(e)
	defer e.lock()()
	srv := e.mysqldLocked()
	var b bytes.Buffer
	b.WriteString(streamMagic)
	add := func(name string, mode fs.FileMode, data []byte) {
		fmt.Fprintf(&b, "%s\t%d\t%o\n", name, len(data), mode.Perm())
		b.Write(data)
	}
	var walk func(rel string)
	walk = func(rel string) {
		names, _, _ := srv.View.List(path.Join(srv.Dir, rel))
		for _, n := range names {
			r := path.Join(rel, n)
			if rel == "" && (n == "master.info" || n == "auto.cnf" || strings.Contains(n, "-bin.") ||
				strings.HasPrefix(n, "xtrabackup_") || strings.HasPrefix(n, "change_master_to.")) {
				continue
			}
			node, err := srv.View.Stat(path.Join(srv.Dir, r))
			if err != nil {
				continue
			}
			if node.IsDir() {
				fmt.Fprintf(&b, "%s/\t0\t%o\n", r, node.Mode.Perm())
				walk(r)
				continue
			}
			add(r, node.Mode, node.Data)
		}
	}
	walk("")
	if srv.LogBin {
		add("xtrabackup_binlog_info", 0o644, []byte(fmt.Sprintf("%s\t%d\n", srv.BinlogName(), srv.BinlogPos())))
	}
	if mi, ok := srv.ReadMasterInfo(); ok {
		add("xtrabackup_slave_info", 0o644, []byte(fmt.Sprintf("CHANGE MASTER TO MASTER_LOG_FILE='%s', MASTER_LOG_POS=%d;\n", mi.File, mi.Pos)))
	}
	add("xtrabackup_checkpoints", 0o644, []byte("backup_type = full-backuped\nfrom_lsn = 0\nto_lsn = 2560000\nlast_lsn = 2560009\ncompact = 0\n"))
	return b.Bytes()
}

// listensOn says whether a container of pod serves port: the xtrabackup sidecar on 3307.
func listensOn(pod *corev1.Pod, port int) bool {
	for _, c := range pod.Spec.Containers {
		if imageFor(c.Image).kind != "xtrabackup" || !containerRunning(pod, c.Name) {
			continue
		}
		for _, cp := range c.Ports {
			if int(cp.ContainerPort) == port {
				return true
			}
		}
		if port == 3307 && len(c.Ports) == 0 {
			return true
		}
	}
	return false
}

func progNcat(p *Proc) int {
	var ops []string
	listen := false
	for _, a := range p.Args[1:] {
		switch {
		case a == "-l" || a == "--listen":
			listen = true
		case a == "-c" || a == "-e" || a == "--sh-exec" || a == "--exec" || a == "--max-conns":
		case strings.HasPrefix(a, "-"):
		default:
			ops = append(ops, a)
		}
	}
	if listen {
		// The sidecar's backup server. Clones are served by the connecting side reading this
		// pod's data directly, so listening only has to last as long as the container.
		<-p.Ctx.Done()
		return 130
	}
	if len(ops) < 2 {
		fmt.Fprintln(p.Stderr, "Ncat: You must specify a host to connect to. QUITTING.")
		return 2
	}
	host := ops[0]
	port, err := strconv.Atoi(ops[1])
	if err != nil {
		fmt.Fprintf(p.Stderr, "Ncat: Invalid port number \"%s\". QUITTING.\n", ops[1])
		return 2
	}
	_, recs, ok := envOf(p).lookupA(host)
	if !ok {
		fmt.Fprintf(p.Stderr, "Ncat: Could not resolve hostname \"%s\": Name or service not known. QUITTING.\n", host)
		return 2
	}
	pod := envOf(p).sb.podByIP(recs[0].ip)
	if pod == nil || !listensOn(pod, port) {
		fmt.Fprintln(p.Stderr, "Ncat: Connection refused.")
		return 1
	}
	srvEnv, ok := envOf(p).sb.serverEnv(pod)
	if !ok {
		// xtrabackup in the donor cannot reach its mysqld: the stream ends at once.
		return 0
	}
	if _, err := p.Stdout.Write(envOf(p).sb.backupStream(srvEnv)); err != nil {
		return 1
	}
	return 0
}

func progXbstream(p *Proc) int {
	dir := p.Cwd
	extract := false
	args := p.Args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-x" || a == "--extract":
			extract = true
		case a == "-C" && i+1 < len(args):
			dir = vfs.Abs(p.Cwd, args[i+1])
			i++
		case strings.HasPrefix(a, "--directory="):
			dir = vfs.Abs(p.Cwd, a[12:])
		}
	}
	if !extract {
		fmt.Fprintln(p.Stderr, "xbstream: the simulator supports only -x (extract)")
		return 1
	}
	data, err := io.ReadAll(io.LimitReader(p.Stdin, 2*vfs.MaxVolumeBytes))
	if err != nil && p.Ctx.Err() != nil {
		return 130
	}
	if len(data) == 0 {
		return 0
	}
	if !bytes.HasPrefix(data, []byte(streamMagic)) {
		fmt.Fprintln(p.Stderr, "xbstream: incorrect chunk magic")
		return 1
	}
	data = data[len(streamMagic):]
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			fmt.Fprintln(p.Stderr, "xbstream: unexpected end of stream")
			return 1
		}
		f := strings.Split(string(data[:nl]), "\t")
		data = data[nl+1:]
		if len(f) != 3 {
			fmt.Fprintln(p.Stderr, "xbstream: corrupt chunk header")
			return 1
		}
		n, _ := strconv.Atoi(f[1])
		mode, _ := strconv.ParseUint(f[2], 8, 32)
		if n > len(data) {
			fmt.Fprintln(p.Stderr, "xbstream: unexpected end of stream")
			return 1
		}
		target := path.Join(dir, path.Clean("/"+strings.TrimSuffix(f[0], "/")))
		if strings.HasSuffix(f[0], "/") {
			if err := p.Sys.Mkdir(target, true); err != nil {
				fmt.Fprintf(p.Stderr, "xbstream: failed to create directory %s: %v\n", target, err)
				return 1
			}
			continue
		}
		if err := p.Sys.Mkdir(path.Dir(target), true); err == nil {
			err = p.Sys.WriteFile(target, data[:n], false)
			if err == nil {
				err = p.Sys.Chmod(target, fs.FileMode(mode))
			}
			if err != nil {
				fmt.Fprintf(p.Stderr, "xbstream: failed to write %s: %v\n", target, err)
				return 1
			}
		}
		data = data[n:]
	}
	return 0
}

func progXtrabackup(p *Proc) int {
	var backup, prepare bool
	target := ""
	for _, a := range p.Args[1:] {
		switch {
		case a == "--backup":
			backup = true
		case a == "--prepare":
			prepare = true
		case strings.HasPrefix(a, "--target-dir="):
			target = vfs.Abs(p.Cwd, a[13:])
		}
	}
	log := func(format string, a ...any) {
		fmt.Fprintf(p.Stderr, "%s xtrabackup: "+format+"\n", append([]any{envOf(p).sb.clk.Now().UTC().Format("060102 15:04:05")}, a...)...)
	}
	switch {
	case prepare:
		if target == "" {
			log("error: --target-dir is required")
			return 1
		}
		if _, err := p.Sys.Stat(path.Join(target, "xtrabackup_checkpoints")); err != nil {
			log("error: cannot open %s/xtrabackup_checkpoints", target)
			log("error: xtrabackup_read_metadata() failed.")
			return 1
		}
		log("This target seems to be not prepared yet.")
		log("recognized server arguments: --datadir=%s", target)
		log("starting shutdown with innodb_fast_shutdown = 1")
		fmt.Fprintf(p.Stderr, "%s completed OK!\n", envOf(p).sb.clk.Now().UTC().Format("060102 15:04:05"))
		return 0
	case backup:
		srvEnv, msg := connect(p, "127.0.0.1", 3306)
		if srvEnv == nil {
			log("Failed to connect to MySQL server: %s", msg)
			return 1
		}
		if _, err := p.Stdout.Write(envOf(p).sb.backupStream(srvEnv)); err != nil {
			return 1
		}
		fmt.Fprintf(p.Stderr, "%s completed OK!\n", envOf(p).sb.clk.Now().UTC().Format("060102 15:04:05"))
		return 0
	}
	fmt.Fprintln(p.Stderr, "xtrabackup: the simulator supports --backup --stream=xbstream and --prepare --target-dir=DIR")
	return 1
}

// progMysqld is the server process: it initializes the data directory and then runs until the
// container stops (the simulator answers queries without it; see connect).
func progMysqld(p *Proc) int {
	for _, a := range p.Args[1:] {
		if a == "--version" || a == "-V" {
			fmt.Fprintln(p.Stdout, "mysqld  Ver 5.7.44 for Linux on x86_64 (MySQL Community Server (GPL))")
			return 0
		}
	}
	func() {
		defer envOf(p).lock()()
		envOf(p).mysqldLocked()
	}()
	<-p.Ctx.Done()
	return 0
}
