package sandbox

import (
	"fmt"
	"html"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The kubelet's httpGet and tcpSocket probes (container.Prober) reach the same simulated
// servers curl does. A pod counts as known when every running container's image is one whose
// listening ports the sandbox knows; otherwise a probe that finds no server passes, as before
// the sandbox simulated any.

// ProbeHTTP implements container.Prober.
func (s *Sandbox) ProbeHTTP(p *corev1.Pod, port int, reqPath string) (status int, refused, known bool) {
	if r, ok := s.serveHTTP(p, port, "GET", reqPath, nil); ok {
		return r.code, false, true
	}
	return 0, true, s.knowsListeners(p)
}

// ProbeTCP implements container.Prober.
func (s *Sandbox) ProbeTCP(p *corev1.Pod, port int) (listening, known bool) {
	if !podRunning(p) {
		return false, true
	}
	for _, c := range p.Spec.Containers {
		if !containerRunning(p, c.Name) {
			continue
		}
		if ports, ok := listeners(&c); ok && ports[port] {
			return true, true
		}
	}
	return false, s.knowsListeners(p)
}

func (s *Sandbox) knowsListeners(p *corev1.Pod) bool {
	for _, c := range p.Spec.Containers {
		if !containerRunning(p, c.Name) {
			continue
		}
		if _, ok := listeners(&c); !ok {
			return false
		}
	}
	return true
}

// listeners is what a container of a known image listens on; ok is false when the sandbox
// cannot tell (an image it does not know, or a command it does not model).
func listeners(c *corev1.Container) (ports map[int]bool, ok bool) {
	switch imageFor(c.Image).kind {
	case "nginx":
		return map[int]bool{80: true}, len(c.Command) == 0
	case "kubia", "kubia-peers":
		return map[int]bool{8080: true}, len(c.Command) == 0
	case "pause":
		return nil, true
	case "agnhost":
		sub, flags, ok := agnhostCommand(c)
		switch {
		case !ok:
			return nil, false
		case sub == "pause":
			return nil, true
		case sub == "test-webserver":
			return map[int]bool{agnhostPort(flags, "port", 80): true}, true
		}
	}
	return nil, false
}

// agnhostCommand splits what an agnhost container runs into its subcommand and flags: the
// image's entrypoint is /agnhost and its default command `pause`.
func agnhostCommand(c *corev1.Container) (sub string, flags []string, ok bool) {
	argv := append(append([]string(nil), c.Command...), c.Args...)
	if len(c.Command) > 0 {
		if b := path.Base(c.Command[0]); b != "agnhost" && b != "agnhost-2" {
			return "", nil, false
		}
		argv = argv[1:]
	}
	if len(argv) == 0 {
		return "pause", nil, true
	}
	return argv[0], argv[1:], true
}

// agnhostPort reads --name=N or --name N from flags.
func agnhostPort(flags []string, name string, def int) int {
	for i, f := range flags {
		v, found := "", false
		switch {
		case strings.HasPrefix(f, "--"+name+"="):
			v, found = strings.TrimPrefix(f, "--"+name+"="), true
		case f == "--"+name && i+1 < len(flags):
			v, found = flags[i+1], true
		}
		if n, err := strconv.Atoi(v); found && err == nil {
			return n
		}
	}
	return def
}

// agnhostWebserver is `agnhost test-webserver`: Go's http.FileServer over the container's
// root, so GET /localhost.crt answers while the file is there (the e2e StatefulSet specs break
// and restore readiness by moving it).
func (s *Sandbox) agnhostWebserver(p *corev1.Pod, c *corev1.Container, reqPath string) *httpResp {
	e, err := s.envFor(p, c.Name)
	if err != nil {
		return &httpResp{code: 500, status: "Internal Server Error", body: err.Error() + "\n", ctype: "text/plain; charset=utf-8"}
	}
	notFound := &httpResp{code: 404, status: "Not Found", body: "404 page not found\n", ctype: "text/plain; charset=utf-8"}
	clean := path.Clean("/" + reqPath)
	in, err := e.Stat(clean)
	if err != nil {
		return notFound
	}
	if in.Mode.IsDir() {
		if !strings.HasSuffix(reqPath, "/") {
			return &httpResp{code: 301, status: "Moved Permanently", loc: path.Base(clean) + "/"}
		}
		if idx, err := e.Stat(path.Join(clean, "index.html")); err == nil && !idx.Mode.IsDir() {
			data, err := e.ReadFile(path.Join(clean, "index.html"))
			if err != nil {
				return &httpResp{code: 403, status: "Forbidden", body: "403 Forbidden\n", ctype: "text/plain; charset=utf-8"}
			}
			return &httpResp{code: 200, status: "OK", body: string(data), mtime: idx.MTime, ctype: "text/html; charset=utf-8"}
		}
		entries, _, err := e.ReadDir(clean)
		if err != nil {
			return &httpResp{code: 500, status: "Internal Server Error", body: "Error reading directory\n", ctype: "text/plain; charset=utf-8"}
		}
		var b strings.Builder
		b.WriteString("<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n")
		for _, en := range entries {
			name := en.Name
			if en.Mode.IsDir() {
				name += "/"
			}
			fmt.Fprintf(&b, "<a href=\"%s\">%s</a>\n", html.EscapeString(name), html.EscapeString(name))
		}
		b.WriteString("</pre>\n")
		return &httpResp{code: 200, status: "OK", body: b.String(), ctype: "text/html; charset=utf-8"}
	}
	data, err := e.ReadFile(clean)
	if err != nil {
		return &httpResp{code: 403, status: "Forbidden", body: "403 Forbidden\n", ctype: "text/plain; charset=utf-8"}
	}
	return &httpResp{code: 200, status: "OK", body: string(data), mtime: in.MTime}
}
