package sandbox

import (
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
)

// The cluster DNS the simulated pods use (kubeadm's defaults).
const (
	dnsServerIP   = "10.96.0.10"
	dnsServerName = "kube-dns.kube-system.svc.cluster.local"
	clusterDomain = "cluster.local"
	nginxVersion  = "nginx/1.27.3"
)

var netPrograms = map[string]func(p *Proc) int{
	"nslookup": progNslookup,
	"dig":      progDig,
	"curl":     progCurl,
	"wget":     progWget,
	"nginx":    progNginx,
	"node":     progNode,
}

// record is one A record and the name its address maps back to (PTR).
type record struct {
	ip  string
	ptr string
}

// srvRecord is one SRV answer of a headless Service.
type srvRecord struct {
	port   int32
	target string
	ip     string
}

// candidates lists the absolute names resolv.conf's search path (ndots:5) tries.
func (e *env) candidates(name string) []string {
	if strings.HasSuffix(name, ".") {
		return []string{strings.TrimSuffix(name, ".")}
	}
	var out []string
	if strings.Count(name, ".") < 5 {
		for _, s := range []string{e.pod.Namespace + ".svc." + clusterDomain, "svc." + clusterDomain, clusterDomain} {
			out = append(out, name+"."+s)
		}
	}
	return append(out, name)
}

// lookupA answers an A query the way CoreDNS's kubernetes plugin would, from the store.
// It returns the absolute name that answered.
func (e *env) lookupA(name string) (string, []record, bool) {
	name = strings.ToLower(name)
	switch name {
	case "localhost", "localhost.":
		return "localhost", []record{{ip: "127.0.0.1", ptr: "localhost"}}, true
	}
	if ip := net.ParseIP(name); ip != nil {
		return name, []record{{ip: name, ptr: e.ptr(name)}}, true
	}
	// /etc/hosts: the pod's own names.
	host := hostnameOf(e.pod)
	if name == host || (fqdnOf(e.pod) != "" && name == fqdnOf(e.pod)) {
		ptr := fqdnOf(e.pod)
		if ptr == "" {
			ptr = host
		}
		return name, []record{{ip: e.pod.Status.PodIP, ptr: ptr}}, e.pod.Status.PodIP != ""
	}
	for _, c := range e.candidates(name) {
		if recs := e.zoneA(c); len(recs) > 0 {
			return c, recs, true
		}
	}
	return "", nil, false
}

// zoneA answers names inside cluster.local.
func (e *env) zoneA(fqdn string) []record {
	rest, ok := strings.CutSuffix(fqdn, "."+clusterDomain)
	if !ok {
		return nil
	}
	parts := strings.Split(rest, ".")
	switch {
	case len(parts) == 3 && parts[2] == "svc":
		svc, ok := e.service(parts[1], parts[0])
		if !ok {
			// Services every cluster has, which the simulator does not store.
			switch rest {
			case "kubernetes.default.svc":
				return []record{{ip: "10.96.0.1", ptr: "kubernetes.default.svc." + clusterDomain}}
			case "kube-dns.kube-system.svc":
				return []record{{ip: dnsServerIP, ptr: dnsServerName}}
			}
			return nil
		}
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			var out []record
			for _, a := range e.readyAddresses(svc) {
				out = append(out, record{ip: a.IP, ptr: e.ptr(a.IP)})
			}
			return out
		}
		ip := clusterIP(svc)
		return []record{{ip: ip, ptr: fmt.Sprintf("%s.%s.svc.%s", svc.Name, svc.Namespace, clusterDomain)}}
	case len(parts) == 4 && parts[3] == "svc":
		svc, ok := e.service(parts[2], parts[1])
		if !ok || svc.Spec.ClusterIP != corev1.ClusterIPNone {
			return nil
		}
		for _, a := range e.readyAddresses(svc) {
			if a.Hostname == parts[0] || dashedIP(a.IP) == parts[0] {
				return []record{{ip: a.IP, ptr: e.ptr(a.IP)}}
			}
		}
	case len(parts) == 3 && parts[2] == "pod":
		// 10-244-1-5.default.pod.cluster.local
		ip := strings.ReplaceAll(parts[0], "-", ".")
		if net.ParseIP(ip) != nil {
			return []record{{ip: ip}}
		}
	}
	return nil
}

func dashedIP(ip string) string { return strings.ReplaceAll(ip, ".", "-") }

func (e *env) service(ns, name string) (*corev1.Service, bool) {
	obj, err := e.sb.st.Get(svcRes, ns, name)
	if err != nil {
		return nil, false
	}
	return obj.(*corev1.Service), true
}

// clusterIP is the Service's address; the simulator does not allocate them, so an unset one
// is derived from the name, stable for the Service's life.
func clusterIP(svc *corev1.Service) string {
	if svc.Spec.ClusterIP != "" && svc.Spec.ClusterIP != corev1.ClusterIPNone {
		return svc.Spec.ClusterIP
	}
	h := fnv.New32a()
	h.Write([]byte(svc.Namespace + "/" + svc.Name + "/" + string(svc.UID)))
	v := h.Sum32()
	return fmt.Sprintf("10.96.%d.%d", (v>>8)%254+1, v%254+1)
}

// readyAddresses are the addresses DNS publishes: the Endpoints' ready addresses, which the
// endpoints controller fills from Ready pods (or all pods with publishNotReadyAddresses).
func (e *env) readyAddresses(svc *corev1.Service) []corev1.EndpointAddress {
	obj, err := e.sb.st.Get(epRes, svc.Namespace, svc.Name)
	if err != nil {
		return nil
	}
	var out []corev1.EndpointAddress
	for _, s := range obj.(*corev1.Endpoints).Subsets {
		out = append(out, s.Addresses...)
	}
	return out
}

func (e *env) endpointPorts(svc *corev1.Service) []corev1.EndpointPort {
	obj, err := e.sb.st.Get(epRes, svc.Namespace, svc.Name)
	if err != nil {
		return nil
	}
	var out []corev1.EndpointPort
	for _, s := range obj.(*corev1.Endpoints).Subsets {
		out = append(out, s.Ports...)
	}
	return out
}

// ptr is the name an address maps back to: a headless Service member's hostname record.
func (e *env) ptr(ip string) string {
	if ip == dnsServerIP {
		return dnsServerName
	}
	p := e.sb.podByIP(ip)
	if p == nil {
		return ""
	}
	if f := fqdnOf(p); f != "" {
		if svc, ok := e.service(p.Namespace, p.Spec.Subdomain); ok && svc.Spec.ClusterIP == corev1.ClusterIPNone {
			return f
		}
	}
	return ""
}

// podByIP finds the live pod holding ip.
func (s *Sandbox) podByIP(ip string) *corev1.Pod {
	objs, _ := s.st.List(podsRes, "", nil, nil)
	var best *corev1.Pod
	for _, o := range objs {
		p := o.(*corev1.Pod)
		if p.Status.PodIP != ip || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if best == nil || p.DeletionTimestamp == nil {
			best = p
		}
	}
	return best
}

// lookupSRV answers SRV queries for a Service: one record per ready address and port.
func (e *env) lookupSRV(name string) (string, []srvRecord, bool) {
	for _, c := range e.candidates(strings.ToLower(name)) {
		rest, ok := strings.CutSuffix(c, "."+clusterDomain)
		if !ok {
			continue
		}
		parts := strings.Split(rest, ".")
		portName := ""
		if len(parts) == 5 && strings.HasPrefix(parts[0], "_") && strings.HasPrefix(parts[1], "_") {
			portName = parts[0][1:]
			parts = parts[2:]
		}
		if len(parts) != 3 || parts[2] != "svc" {
			continue
		}
		svc, ok := e.service(parts[1], parts[0])
		if !ok {
			continue
		}
		var out []srvRecord
		ports := e.endpointPorts(svc)
		for _, a := range e.readyAddresses(svc) {
			for _, pt := range ports {
				if portName != "" && pt.Name != portName {
					continue
				}
				target := fmt.Sprintf("%s.%s.%s.svc.%s", dashedIP(a.IP), svc.Name, svc.Namespace, clusterDomain)
				if a.Hostname != "" {
					target = fmt.Sprintf("%s.%s.%s.svc.%s", a.Hostname, svc.Name, svc.Namespace, clusterDomain)
				}
				if svc.Spec.ClusterIP != corev1.ClusterIPNone {
					target = fmt.Sprintf("%s.%s.svc.%s", svc.Name, svc.Namespace, clusterDomain)
				}
				out = append(out, srvRecord{port: pt.Port, target: target, ip: a.IP})
			}
			if svc.Spec.ClusterIP != corev1.ClusterIPNone && len(out) > 0 {
				break
			}
		}
		if svc.Spec.ClusterIP != corev1.ClusterIPNone {
			for i := range out {
				out[i].ip = clusterIP(svc)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].target < out[j].target })
		return c, out, len(out) > 0
	}
	return "", nil, false
}

// --- nslookup ------------------------------------------------------------------------------

func progNslookup(p *Proc) int {
	var names []string
	qtype := "a"
	for _, a := range p.Args[1:] {
		switch {
		case strings.HasPrefix(a, "-type=") || strings.HasPrefix(a, "-query=") || strings.HasPrefix(a, "-q="):
			_, qtype, _ = strings.Cut(a, "=")
			qtype = strings.ToLower(qtype)
		case strings.HasPrefix(a, "-"):
		default:
			names = append(names, a)
		}
	}
	if len(names) == 0 {
		fmt.Fprintln(p.Stderr, "nslookup: interactive mode is not available in the simulator; give a name: nslookup web-0.nginx")
		return 1
	}
	name := names[0]
	if envOf(p).image.kind == "busybox" {
		if qtype != "a" {
			fmt.Fprintln(p.Stderr, "nslookup: unrecognized option '-type' (busybox 1.28's nslookup has no record types; use dig from tutum/dnsutils)")
			return 1
		}
		fmt.Fprintf(p.Stdout, "Server:    %s\nAddress 1: %s %s\n\n", dnsServerIP, dnsServerIP, dnsServerName)
		_, recs, ok := envOf(p).lookupA(name)
		if !ok {
			fmt.Fprintf(p.Stderr, "nslookup: can't resolve '%s'\n", name)
			return 1
		}
		fmt.Fprintf(p.Stdout, "Name:      %s\n", name)
		for i, r := range recs {
			if r.ptr != "" {
				fmt.Fprintf(p.Stdout, "Address %d: %s %s\n", i+1, r.ip, r.ptr)
			} else {
				fmt.Fprintf(p.Stdout, "Address %d: %s\n", i+1, r.ip)
			}
		}
		return 0
	}
	// BIND's nslookup (dnsutils and most Debian-based images).
	fmt.Fprintf(p.Stdout, "Server:\t\t%s\nAddress:\t%s#53\n\n", dnsServerIP, dnsServerIP)
	switch qtype {
	case "srv":
		fq, recs, ok := envOf(p).lookupSRV(name)
		if !ok {
			fmt.Fprintf(p.Stdout, "** server can't find %s: NXDOMAIN\n\n", name)
			return 1
		}
		for _, r := range recs {
			fmt.Fprintf(p.Stdout, "%s\tservice = 0 %d %d %s.\n", fq, 100/len(recs), r.port, r.target)
		}
		fmt.Fprintln(p.Stdout)
		return 0
	case "a", "any":
		fq, recs, ok := envOf(p).lookupA(name)
		if !ok {
			fmt.Fprintf(p.Stdout, "** server can't find %s: NXDOMAIN\n\n", name)
			return 1
		}
		for _, r := range recs {
			fmt.Fprintf(p.Stdout, "Name:\t%s\nAddress: %s\n", fq, r.ip)
		}
		fmt.Fprintln(p.Stdout)
		return 0
	}
	fmt.Fprintf(p.Stdout, "*** Can't find %s: No answer\n\n", name)
	return 0
}

// --- dig -----------------------------------------------------------------------------------

func progDig(p *Proc) int {
	qtype, name, short := "A", "", false
	args := p.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "+short":
			short = true
		case strings.HasPrefix(a, "+"), strings.HasPrefix(a, "@"):
		case a == "-t" && i+1 < len(args):
			qtype = strings.ToUpper(args[i+1])
			i++
		case strings.EqualFold(a, "SRV") || strings.EqualFold(a, "A") || strings.EqualFold(a, "ANY") || strings.EqualFold(a, "AAAA") || strings.EqualFold(a, "PTR"):
			qtype = strings.ToUpper(a)
		default:
			name = a
		}
	}
	if name == "" {
		name = "."
	}
	var answer, additional []string
	fq := strings.TrimSuffix(name, ".")
	status := "NXDOMAIN"
	switch qtype {
	case "SRV":
		if f, recs, ok := envOf(p).lookupSRV(name); ok {
			fq, status = f, "NOERROR"
			for _, r := range recs {
				answer = append(answer, fmt.Sprintf("%s.\t30\tIN\tSRV\t0 %d %d %s.", fq, 100/len(recs), r.port, r.target))
				additional = append(additional, fmt.Sprintf("%s.\t30\tIN\tA\t%s", r.target, r.ip))
			}
		}
	case "A", "ANY":
		if f, recs, ok := envOf(p).lookupA(name); ok {
			fq, status = f, "NOERROR"
			for _, r := range recs {
				answer = append(answer, fmt.Sprintf("%s.\t30\tIN\tA\t%s", fq, r.ip))
			}
		}
	default:
		status = "NOERROR"
	}
	if short {
		for _, a := range answer {
			f := strings.Split(a, "\t")
			fmt.Fprintln(p.Stdout, f[len(f)-1])
		}
		return 0
	}
	w := p.Stdout
	fmt.Fprintf(w, "\n; <<>> DiG 9.9.5-3ubuntu0.2-Ubuntu <<>> %s\n;; global options: +cmd\n;; Got answer:\n", strings.Join(p.Args[1:], " "))
	fmt.Fprintf(w, ";; ->>HEADER<<- opcode: QUERY, status: %s, id: %d\n", status, 1000+len(fq)*7)
	fmt.Fprintf(w, ";; flags: qr aa rd; QUERY: 1, ANSWER: %d, AUTHORITY: 0, ADDITIONAL: %d\n\n", len(answer), len(additional))
	fmt.Fprintf(w, ";; QUESTION SECTION:\n;%s.\t\t\tIN\t%s\n\n", fq, qtype)
	if len(answer) > 0 {
		fmt.Fprintf(w, ";; ANSWER SECTION:\n%s\n\n", strings.Join(answer, "\n"))
	}
	if len(additional) > 0 {
		fmt.Fprintf(w, ";; ADDITIONAL SECTION:\n%s\n\n", strings.Join(additional, "\n"))
	}
	fmt.Fprintf(w, ";; Query time: 0 msec\n;; SERVER: %s#53(%s)\n;; WHEN: %s\n;; MSG SIZE  rcvd: %d\n\n",
		dnsServerIP, dnsServerIP, envOf(p).sb.clk.Now().UTC().Format("Mon Jan 02 15:04:05 UTC 2006"), 60+40*len(answer)+30*len(additional))
	return 0
}

// --- HTTP: curl, wget against nginx --------------------------------------------------------

type httpResp struct {
	code   int
	status string
	body   string
	loc    string
	ctype  string
	mtime  time.Time
}

type connErr struct {
	code int // curl's exit code
	msg  string
}

// dial finds what serves host:port from this pod: the pod itself for localhost, a pod by IP or
// name, or one Ready endpoint of a Service.
func (e *env) dial(host string, port int) (*corev1.Pod, int, *connErr) {
	_, recs, ok := e.lookupA(host)
	if !ok {
		return nil, 0, &connErr{6, fmt.Sprintf("Could not resolve host: %s", host)}
	}
	ip := recs[0].ip
	if ip == "127.0.0.1" || ip == e.pod.Status.PodIP {
		return e.pod, port, nil
	}
	if p := e.sb.podByIP(ip); p != nil {
		return p, port, nil
	}
	// A Service's cluster IP: one of its ready endpoints, on the target port.
	objs, _ := e.sb.st.List(svcRes, "", nil, nil)
	for _, o := range objs {
		svc := o.(*corev1.Service)
		if svc.Spec.ClusterIP == corev1.ClusterIPNone || clusterIP(svc) != ip {
			continue
		}
		target := -1
		for _, sp := range svc.Spec.Ports {
			if int(sp.Port) == port {
				target = port
				if sp.TargetPort.IntValue() > 0 {
					target = sp.TargetPort.IntValue()
				}
			}
		}
		addrs := e.readyAddresses(svc)
		if target < 0 || len(addrs) == 0 {
			break
		}
		a := e.sb.pick(svc, addrs)
		if p := e.sb.podByIP(a.IP); p != nil {
			return p, target, nil
		}
	}
	return nil, 0, &connErr{7, fmt.Sprintf("Failed to connect to %s port %d after 0 ms: Couldn't connect to server", host, port)}
}

// pick chooses a Service endpoint at random (seeded), as kube-proxy does.
func (s *Sandbox) pick(svc *corev1.Service, addrs []corev1.EndpointAddress) corev1.EndpointAddress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return addrs[s.rand.Intn(len(addrs))]
}

func podRunning(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil
}

// serveHTTP answers a request to pod:port when a simulated server listens there: nginx on 80,
// the Kubernetes in Action kubia apps on 8080.
func (s *Sandbox) serveHTTP(p *corev1.Pod, port int, method, reqPath string, body []byte) (*httpResp, bool) {
	if !podRunning(p) {
		return nil, false
	}
	for _, c := range p.Spec.Containers {
		kind := imageFor(c.Image).kind
		if !containerRunning(p, c.Name) {
			continue
		}
		switch {
		case kind == "nginx" && port == 80:
			e, err := s.envFor(p, c.Name)
			if err != nil {
				return nil, false
			}
			return e.nginx(method, reqPath), true
		case kind == "agnhost":
			if ports, ok := listeners(&c); ok && ports[port] {
				return s.agnhostWebserver(p, &c, reqPath), true
			}
		case (kind == "kubia" || kind == "kubia-peers") && port == 8080:
			e, err := s.envFor(p, c.Name)
			if err != nil {
				return nil, false
			}
			return e.kubia(method, reqPath, body, kind == "kubia-peers"), true
		}
	}
	return nil, false
}

// HTTPResponse is what a simulated server in a pod answered.
type HTTPResponse struct {
	Status      int
	ContentType string
	Body        []byte
}

// ProxyHTTP answers an HTTP request sent to a pod's port, as the API server's pods/proxy
// (kubectl proxy, then curl .../pods/kubia-0/proxy/) forwards it. ok is false when nothing
// listens there.
func (s *Sandbox) ProxyHTTP(pod *corev1.Pod, port int, method, reqPath string, body []byte) (HTTPResponse, bool) {
	r, ok := s.serveHTTP(pod, port, method, reqPath, body)
	if !ok {
		return HTTPResponse{}, false
	}
	ct := r.ctype
	if ct == "" {
		ct = "text/html"
	}
	return HTTPResponse{Status: r.code, ContentType: ct, Body: []byte(r.body)}, true
}

const kubiaDataFile = "/var/data/kubia.txt"

// kubia is luksa/kubia-pet (and -peers) from Kubernetes in Action chapter 10: POST stores the
// body in /var/data/kubia.txt, GET shows it; the peers variant gathers every peer's data
// through the SRV records of kubia.default.svc.cluster.local.
func (e *env) kubia(method, reqPath string, body []byte, peers bool) *httpResp {
	host := hostnameOf(e.pod)
	ok := func(s string) *httpResp { return &httpResp{code: 200, status: "OK", body: s, ctype: "text/plain"} }
	if method == "POST" {
		if err := e.WriteFile(kubiaDataFile, body, false); err != nil {
			return &httpResp{code: 500, status: "Internal Server Error", body: err.Error() + "\n", ctype: "text/plain"}
		}
		return ok("Data stored on pod " + host + "\n")
	}
	data := "No data posted yet"
	if b, err := e.ReadFile(kubiaDataFile); err == nil {
		data = string(b)
	}
	if !peers {
		return ok("You've hit " + host + "\nData stored on this pod: " + data + "\n")
	}
	if reqPath == "/data" {
		return ok(data)
	}
	var b strings.Builder
	b.WriteString("You've hit " + host + "\nData stored in the cluster:\n")
	_, recs, found := e.lookupSRV("kubia.default.svc.cluster.local")
	if !found {
		b.WriteString("No peers discovered.")
		return ok(b.String())
	}
	for _, r := range recs {
		peer := e.sb.podByIP(r.ip)
		reply := "Error: connect ECONNREFUSED"
		if peer != nil {
			if resp, ok := e.sb.serveHTTP(peer, 8080, "GET", "/data", nil); ok {
				reply = resp.body
			}
		}
		fmt.Fprintf(&b, "- %s: %s\n", r.target, reply)
	}
	return ok(b.String())
}

func nginxError(code int, status string) *httpResp {
	body := fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>%s</center>\r\n</body>\r\n</html>\r\n",
		code, status, code, status, nginxVersion)
	return &httpResp{code: code, status: status, body: body}
}

// nginx serves /usr/share/nginx/html as the default server does: index.html for directories
// (403 when there is none, since autoindex is off), 404 for missing files, and 403 when the
// worker (not root) may not read the file or enter a directory.
func (e *env) nginx(method, reqPath string) *httpResp {
	if method != "GET" && method != "HEAD" {
		return nginxError(405, "Not Allowed")
	}
	root := "/usr/share/nginx/html"
	clean := path.Clean("/" + reqPath)
	full := path.Join(root, clean)
	// Every directory on the way needs o+x for the nginx user.
	dir := "/"
	for _, c := range vfs.SplitPath(path.Dir(full)) {
		dir = path.Join(dir, c)
		if in, err := e.Stat(dir); err == nil && in.Mode.IsDir() && in.Mode&0o001 == 0 {
			return nginxError(403, "Forbidden")
		}
	}
	in, err := e.Stat(full)
	if err != nil {
		return nginxError(404, "Not Found")
	}
	if in.Mode.IsDir() {
		if !strings.HasSuffix(reqPath, "/") {
			r := nginxError(301, "Moved Permanently")
			r.loc = clean + "/"
			return r
		}
		if in.Mode&0o001 == 0 {
			return nginxError(403, "Forbidden")
		}
		full = path.Join(full, "index.html")
		in, err = e.Stat(full)
		if err != nil {
			return nginxError(403, "Forbidden")
		}
	}
	if in.Mode&0o004 == 0 {
		return nginxError(403, "Forbidden")
	}
	data, err := e.ReadFile(full)
	if err != nil {
		return nginxError(403, "Forbidden")
	}
	return &httpResp{code: 200, status: "OK", body: string(data), mtime: in.MTime}
}

func (e *env) fetch(rawURL, method string, body []byte) (*httpResp, string, int, *connErr) {
	u := rawURL
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Hostname() == "" {
		return nil, "", 0, &connErr{3, "URL using bad/illegal format or missing URL"}
	}
	if pu.Scheme != "http" {
		return nil, "", 0, &connErr{1, fmt.Sprintf("Protocol \"%s\" not supported (the simulator serves plain http)", pu.Scheme)}
	}
	port := 80
	if pu.Port() != "" {
		port, _ = strconv.Atoi(pu.Port())
	}
	pod, tport, cerr := e.dial(pu.Hostname(), port)
	if cerr != nil {
		return nil, pu.Hostname(), port, cerr
	}
	reqPath := pu.EscapedPath()
	if reqPath == "" {
		reqPath = "/"
	}
	resp, ok := e.sb.serveHTTP(pod, tport, method, reqPath, body)
	if !ok {
		return nil, pu.Hostname(), port, &connErr{7, fmt.Sprintf("Failed to connect to %s port %d after 0 ms: Couldn't connect to server", pu.Hostname(), port)}
	}
	return resp, pu.Hostname(), port, nil
}

func (r *httpResp) headers(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nServer: %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n",
		r.code, r.status, nginxVersion, now.UTC().Format(time.RFC1123), r.contentType(), len(r.body))
	if r.code == 200 {
		fmt.Fprintf(&b, "Last-Modified: %s\r\n", r.mtime.UTC().Format(time.RFC1123))
	}
	if r.loc != "" {
		fmt.Fprintf(&b, "Location: %s\r\n", r.loc)
	}
	b.WriteString("Connection: keep-alive\r\n")
	if r.code == 200 {
		b.WriteString("Accept-Ranges: bytes\r\n")
	}
	b.WriteString("\r\n")
	return strings.ReplaceAll(b.String(), "GMT", "GMT")
}

func (r *httpResp) contentType() string {
	if r.ctype != "" {
		return r.ctype
	}
	return "text/html"
}

func progCurl(p *Proc) int {
	args := p.Args[1:]
	var target, outFile string
	var data []byte
	method := ""
	silent, showErr, include, head, fail, verbose := false, false, false, false, false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		takes := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch a {
		case "-s", "--silent":
			silent = true
		case "-S", "--show-error":
			showErr = true
		case "-sS", "-Ss":
			silent, showErr = true, true
		case "-i", "--include":
			include = true
		case "-I", "--head":
			head = true
		case "-f", "--fail":
			fail = true
		case "-v", "--verbose":
			verbose = true
		case "-L", "--location", "-k", "--insecure":
		case "-o", "--output":
			outFile = takes()
		case "-X", "--request":
			method = strings.ToUpper(takes())
		case "-d", "--data", "--data-raw", "--data-binary", "-F":
			d := takes()
			if strings.HasPrefix(d, "@") && a != "--data-raw" {
				b, err := p.Sys.ReadFile(vfs.Abs(p.Cwd, d[1:]))
				if err != nil {
					fmt.Fprintf(p.Stderr, "Warning: Couldn't read data from file \"%s\", this makes an empty POST.\n", d[1:])
				}
				d = string(b)
			}
			data = append(data, d...)
			if method == "" {
				method = "POST"
			}
		case "-H", "--header", "-m", "--max-time", "--connect-timeout", "-w", "-A", "-u", "--retry":
			takes()
		default:
			if strings.HasPrefix(a, "-") {
				continue
			}
			target = a
		}
	}
	if target == "" {
		fmt.Fprintln(p.Stderr, "curl: try 'curl --help' or 'curl --manual' for more information")
		return 2
	}
	if method == "" {
		method = "GET"
		if head {
			method = "HEAD"
		}
	}
	resp, host, port, cerr := envOf(p).fetch(target, method, data)
	if verbose && host != "" {
		fmt.Fprintf(p.Stderr, "*   Trying %s:%d...\n", host, port)
	}
	if cerr != nil {
		if !silent || showErr {
			fmt.Fprintf(p.Stderr, "curl: (%d) %s\n", cerr.code, cerr.msg)
		}
		return cerr.code
	}
	if fail && resp.code >= 400 {
		if !silent || showErr {
			fmt.Fprintf(p.Stderr, "curl: (22) The requested URL returned error: %d\n", resp.code)
		}
		return 22
	}
	var out strings.Builder
	if include || head {
		out.WriteString(resp.headers(envOf(p).sb.clk.Now()))
	}
	if !head {
		out.WriteString(resp.body)
	}
	if outFile != "" && outFile != "-" {
		if err := p.Sys.WriteFile(vfs.Abs(p.Cwd, outFile), []byte(out.String()), false); err != nil {
			fmt.Fprintf(p.Stderr, "curl: (23) Failure writing output to destination: %v\n", err)
			return 23
		}
		return 0
	}
	io.WriteString(p.Stdout, out.String())
	return 0
}

func progWget(p *Proc) int {
	var target, outFile string
	quiet := false
	args := p.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-q":
			quiet = true
		case a == "-qO-" || a == "-qO" && i+1 < len(args) && args[i+1] == "-":
			quiet, outFile = true, "-"
			if a == "-qO" {
				i++
			}
		case a == "-O" && i+1 < len(args):
			outFile = args[i+1]
			i++
		case strings.HasPrefix(a, "-O"):
			outFile = a[2:]
		case strings.HasPrefix(a, "-"):
		default:
			target = a
		}
	}
	if target == "" {
		fmt.Fprintln(p.Stderr, "wget: missing URL")
		return 1
	}
	if !quiet {
		fmt.Fprintf(p.Stderr, "Connecting to %s\n", strings.TrimPrefix(target, "http://"))
	}
	resp, _, _, cerr := envOf(p).fetch(target, "GET", nil)
	if cerr != nil {
		if cerr.code == 6 {
			fmt.Fprintf(p.Stderr, "wget: bad address '%s'\n", strings.TrimPrefix(target, "http://"))
		} else {
			fmt.Fprintln(p.Stderr, "wget: can't connect to remote host: Connection refused")
		}
		return 1
	}
	if resp.code >= 400 {
		fmt.Fprintf(p.Stderr, "wget: server returned error: HTTP/1.1 %d %s\n", resp.code, resp.status)
		return 1
	}
	if outFile == "-" {
		io.WriteString(p.Stdout, resp.body)
		return 0
	}
	if outFile == "" {
		outFile = "index.html"
	}
	if err := p.Sys.WriteFile(vfs.Abs(p.Cwd, outFile), []byte(resp.body), false); err != nil {
		fmt.Fprintf(p.Stderr, "wget: can't open '%s': %v\n", outFile, err)
		return 1
	}
	if !quiet {
		fmt.Fprintf(p.Stderr, "saving to '%s'\n'%s' saved\n", outFile, outFile)
	}
	return 0
}

// progNginx is the web server process: it serves (through serveHTTP) until the container stops.
func progNginx(p *Proc) int {
	for _, a := range p.Args[1:] {
		switch a {
		case "-v", "-V":
			fmt.Fprintln(p.Stderr, "nginx version: "+nginxVersion)
			return 0
		case "-t":
			fmt.Fprintln(p.Stderr, "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful")
			return 0
		case "-s":
			fmt.Fprintln(p.Stderr, "nginx: signals are not available in the simulator")
			return 1
		}
	}
	<-p.Ctx.Done()
	return 0
}

// progNode runs only the kubia app, as a process that serves until its container stops.
func progNode(p *Proc) int {
	if len(p.Args) > 1 && strings.HasSuffix(p.Args[1], "app.js") && strings.HasPrefix(envOf(p).image.kind, "kubia") {
		<-p.Ctx.Done()
		return 0
	}
	if len(p.Args) > 1 && (p.Args[1] == "-v" || p.Args[1] == "--version") {
		fmt.Fprintln(p.Stdout, "v7.10.1")
		return 0
	}
	fmt.Fprintln(p.Stderr, "node: only the image's own app runs in the simulator")
	return 1
}
