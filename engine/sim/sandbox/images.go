package sandbox

import (
	"path"
	"strings"
	"sync"
	"time"

	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
)

// image is what the sandbox knows of a container image: its programs and a few files.
type image struct {
	kind  string
	shell string // the shell `sh` is: "bash" or "ash" (busybox)
	bins  map[string]string
	files map[string]string
	cmd   []string // default command when the pod gives none
}

var coreutilNames = []string{"cat", "ls", "cp", "mv", "rm", "mkdir", "rmdir", "touch", "chmod", "echo",
	"printf", "pwd", "sleep", "true", "false", "env", "test", "[", "head", "tail", "wc", "date",
	"sort", "uniq", "tee", "basename", "dirname", "seq", "uname", "id", "whoami", "yes", "ln", "stat",
	"df", "du", "expr", "tr", "cut"}

// notSimulated are programs real images have that the simulator does not run; asking for one
// says so instead of pretending.
var notSimulated = map[string]bool{
	"apt-get": true, "apt": true, "apk": true, "yum": true, "microdnf": true, "ps": true, "top": true,
	"kill": true, "vi": true, "vim": true, "nano": true, "less": true, "more": true, "mount": true,
	"awk": true, "find": true, "xargs": true, "tar": true, "gzip": true, "ping": true, "ip": true,
	"ifconfig": true, "netstat": true, "ss": true, "nc": true, "telnet": true, "mysqldump": true, "perl": true, "python": true, "python3": true,
	"host": true, "su": true, "sudo": true, "chown": true, "dd": true, "free": true,
}

func binDir(name string) string {
	switch name {
	case "sh", "bash", "cat", "ls", "cp", "mv", "rm", "mkdir", "rmdir", "touch", "chmod", "echo",
		"pwd", "sleep", "true", "false", "hostname", "date", "uname", "ln", "df", "sed", "grep":
		return "/bin"
	case "docker-entrypoint.sh":
		return "/usr/local/bin"
	}
	return "/usr/bin"
}

var imageCache sync.Map // image reference → *image; images are read-only once built

func imageFor(ref string) *image {
	if im, ok := imageCache.Load(ref); ok {
		return im.(*image)
	}
	im := buildImage(ref)
	imageCache.Store(ref, im)
	return im
}

func buildImage(ref string) *image {
	name := ref
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexAny(name, ":@"); i >= 0 {
		name = name[:i]
	}
	im := &image{bins: map[string]string{}, files: map[string]string{}, shell: "bash"}
	add := func(names ...string) {
		for _, n := range names {
			im.bins[path.Join(binDir(n), n)] = n
		}
	}
	add(coreutilNames...)
	add("sh", "bash", "hostname", "sed", "grep")
	switch {
	case strings.Contains(name, "busybox"):
		im.kind, im.shell, im.cmd = "busybox", "ash", []string{"sh"}
		delete(im.bins, "/bin/bash")
		add("nslookup", "wget")
		// busybox keeps every applet in /bin.
		for p, n := range im.bins {
			delete(im.bins, p)
			im.bins["/bin/"+n] = n
		}
	case strings.Contains(name, "nginx"):
		im.kind, im.cmd = "nginx", []string{"nginx", "-g", "daemon off;"}
		add("curl", "nginx")
		im.files["/usr/share/nginx/html/index.html"] = nginxWelcome
		im.files["/usr/share/nginx/html/50x.html"] = "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n</head>\n<body>\n<h1>An error occurred.</h1>\n</body>\n</html>\n"
		im.files["/etc/nginx/nginx.conf"] = "user  nginx;\nworker_processes  auto;\n\nevents {\n    worker_connections  1024;\n}\n\nhttp {\n    include /etc/nginx/conf.d/*.conf;\n}\n"
		im.files["/etc/nginx/conf.d/default.conf"] = "server {\n    listen       80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n}\n"
	case strings.Contains(name, "xtrabackup"):
		im.kind, im.cmd = "xtrabackup", []string{"bash"}
		add("xtrabackup", "xbstream", "ncat", "mysql", "mysqladmin")
	case strings.Contains(name, "mysql"):
		im.kind, im.cmd = "mysql", []string{"mysqld"}
		add("mysql", "mysqladmin", "mysqld", "docker-entrypoint.sh")
		im.files["/etc/mysql/my.cnf"] = "[mysqld]\nskip-host-cache\nskip-name-resolve\ndatadir=/var/lib/mysql\n!includedir /etc/mysql/conf.d/\n"
	case strings.Contains(name, "kubia"):
		// luksa/kubia-pet(-peers): a node.js app on node:7 (Debian), listening on 8080.
		im.kind, im.cmd = "kubia", []string{"node", "app.js"}
		if strings.Contains(name, "peers") {
			im.kind = "kubia-peers"
		}
		add("curl", "node")
		im.files["/app.js"] = "// the simulator answers for this app on port 8080\n"
	case name == "agnhost":
		// Kubernetes' e2e test image: Alpine (busybox sh, bash, curl, bind-tools) with the
		// /agnhost multi-tool as entrypoint, default command `pause`, and porter's TLS pair.
		im.kind, im.shell, im.cmd = "agnhost", "ash", []string{"/agnhost", "pause"}
		add("curl", "nslookup", "dig")
		im.bins["/agnhost"] = "agnhost"
		im.files["/localhost.crt"] = e2eLocalhostCert
		im.files["/localhost.key"] = e2eLocalhostKey
		im.files["/uploads/.keep"] = ""
	case name == "pause":
		// The pause image holds one static binary and nothing else: no shell to exec into.
		im.kind, im.cmd = "pause", []string{"/pause"}
		im.bins = map[string]string{"/pause": "pause"}
	case strings.Contains(name, "dnsutils"):
		im.kind, im.cmd = "dnsutils", []string{"sleep", "infinity"}
		add("dig", "nslookup", "curl")
	default:
		im.kind, im.cmd = "generic", []string{"sh"}
		add("curl")
	}
	return im
}

// rootfs builds a container's root filesystem from its image.
func (im *image) rootfs(t time.Time) *vfs.Volume {
	vol := vfs.NewVolume(t)
	v := &vfs.View{Mounts: []vfs.Mount{{Path: "/", Vol: vol}}, Now: func() time.Time { return t }}
	for _, d := range []string{"/bin", "/usr/bin", "/usr/local/bin", "/sbin", "/usr/sbin", "/etc", "/tmp",
		"/root", "/var/log", "/var/run", "/proc", "/dev", "/dev/fd"} {
		_ = v.Mkdir(d, true)
	}
	if n, err := v.Stat("/tmp"); err == nil {
		n.Mode = n.Mode&^0o777 | 0o777
	}
	for p, prog := range im.bins {
		_ = v.Mkdir(path.Dir(p), true)
		_ = v.WriteFile(p, nil, false)
		if n, err := v.Stat(p); err == nil {
			n.Mode, n.Prog = 0o755, prog
		}
	}
	for p, body := range im.files {
		_ = v.Mkdir(path.Dir(p), true)
		_ = v.WriteFile(p, []byte(body), false)
	}
	return vol
}

const nginxWelcome = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>
</body>
</html>
`
