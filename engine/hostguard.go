package engine

import (
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubetutor/kubetutor/manifests"
)

// The in-process kubectl talks only to the session's cluster, as the session's user, and
// touches no file of this computer except the lesson's manifests. These checks hold in every
// mode (simulator, real cluster, demo, solve, lint, the command bar); they decide from
// kubectl's own parse of the line (ParseKubectl), so every spelling of a flag
// (--kubeconfig=x, --kubeconfig x, -s x, -sx, combined short flags) is the same flag.

// allowedGlobalFlags are kubectl's global flags a line may set: they change how kubectl
// prints or waits, never where it connects, as whom, or which local files it uses.
var allowedGlobalFlags = map[string]bool{
	"namespace": true, "request-timeout": true, "match-server-version": true,
	"warnings-as-errors": true, "disable-compression": true, "help": true,
	"v": true, "vmodule": true, "log-flush-frequency": true,
}

// connectionFlags pick another cluster, user or identity.
var connectionFlags = map[string]bool{
	"kubeconfig": true, "context": true, "cluster": true, "user": true, "server": true,
	"token": true, "as": true, "as-group": true, "as-uid": true, "as-user-extra": true,
	"certificate-authority": true, "client-certificate": true, "client-key": true,
	"insecure-skip-tls-verify": true, "tls-server-name": true, "kuberc": true,
	"username": true, "password": true, "proxy-url": true,
}

// refusedCommands are kubectl commands that never run inside kubetutor, with the reason.
var refusedCommands = map[string]string{
	"config": "kubectl config reads and changes kubeconfig files; kubetutor's kubectl talks only to the lesson's cluster",
	"plugin": "kubectl plugin looks for programs on this computer; kubetutor runs only kubectl itself",
	"kuberc": "kubectl kuberc changes your kubectl preferences file; kubetutor does not use it",
	"cp":     "kubectl cp copies files between this computer and a pod; run it in your own terminal (see `kubetutor serve`)",
}

// pathFlags take a local path (or, for filename, a URL) as their value. TestPathFlagsCover
// holds this list against every flag of kubectl whose help mentions a file or directory.
var pathFlags = map[string]bool{
	"filename": true, "kustomize": true, "from-file": true, "from-env-file": true,
	"patch-file": true, "cert": true, "key": true, "custom": true, "env-file": true,
	"template":  true, // a path when -o is go-template-file and friends
	"cache-dir": true, "profile-output": true, "output-directory": true, "www": true, "mount": true, "kubeconfig": true, "kuberc": true,
	"certificate-authority": true, "client-certificate": true, "client-key": true,
}

// fileOutputFormats read their template from a local file.
var fileOutputFormats = []string{"go-template-file", "jsonpath-file", "custom-columns-file", "templatefile"}

func refusef(format string, a ...any) error {
	return &GuardError{Reason: fmt.Sprintf(format, a...)}
}

// CheckLocal refuses a parsed kubectl line that would reach another cluster or user, run a
// program or read or write a file of this computer other than an embedded manifest. It
// holds in every mode; a lesson that fails it is refused by lint and by the loader.
func CheckLocal(l *KubectlLine) error {
	return checkLocal(l, false)
}

func checkLocal(l *KubectlLine, terminal bool) error {
	sub := l.Sub()
	if why, ok := refusedCommands[sub]; ok {
		return refusef("%s", why)
	}
	if l.Path == "alpha kuberc" || strings.HasPrefix(l.Path, "alpha kuberc ") {
		return refusef("%s", refusedCommands["kuberc"])
	}
	names := make([]string, 0, len(l.Set))
	for name := range l.Set {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !l.Global[name] || allowedGlobalFlags[name] {
			continue
		}
		if connectionFlags[name] {
			return refusef("--%s is not allowed here: kubetutor's kubectl talks only to the lesson's cluster, as the lesson's user", name)
		}
		if pathFlags[name] || name == "profile" {
			return refusef("--%s is not allowed here: it would write files on this computer", name)
		}
		return refusef("--%s is not allowed here", name)
	}
	if _, ok := l.Set["edit"]; ok && !terminal && sub != "edit" {
		return refusef("--edit opens a text editor, which cannot run inside the player; run it in your own terminal")
	}
	if sub == "port-forward" {
		for _, a := range l.Values("address") {
			if a != "localhost" && a != "127.0.0.1" && a != "::1" {
				return refusef("port-forward --address %s would open the port to other computers; use localhost", a)
			}
		}
	}
	if out, ok := l.Set["output"]; ok {
		for _, f := range fileOutputFormats {
			if strings.HasPrefix(out, f) {
				return refusef("-o %s reads a template file on this computer; use -o jsonpath=… or -o go-template=… with the template on the line", f)
			}
		}
	}
	for _, name := range names {
		if !pathFlags[name] || l.Global[name] {
			continue
		}
		if name == "template" {
			continue // a file only with a *-file output, refused above
		}
		for _, v := range l.Values(name) {
			if name == "from-file" {
				if _, p, ok := strings.Cut(v, "="); ok {
					v = p
				}
			}
			if err := checkLocalPath(name, v); err != nil {
				return err
			}
		}
	}
	if sub == "kustomize" {
		for _, a := range l.Args {
			if err := checkLocalPath("kustomize", a); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLocalPath allows only what kubetutor can serve itself: an embedded manifest (by
// bare name, ./name, or a URL ending in its name) and, for -f, standard input.
func checkLocalPath(flag, v string) error {
	if flag == "filename" {
		if v == "-" {
			return nil
		}
		if _, ok := embeddedManifestName(v); ok {
			return nil
		}
		if u, err := url.Parse(v); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			return refusef("-f %s: kubetutor reads only its own manifests (%s), not files from the network", v, manifestList())
		}
	}
	what := "a file"
	switch {
	case filepath.IsAbs(v) || strings.HasPrefix(v, "~"):
		what = "a file outside the lesson"
	case !filepath.IsLocal(v):
		what = "a path that leaves the lesson's folder"
	}
	return refusef("--%s %s: %s on this computer; kubetutor reads only its own manifests (%s). Run commands with your own files in your own terminal (see `kubetutor serve`)",
		flag, v, what, manifestList())
}

func manifestList() string {
	return strings.Join(manifests.Names(), ", ")
}

// checkResolvedFiles holds after the runner has pointed -f names at the session's copies of
// the embedded manifests: kubectl must read nothing else. A spelling the runner did not
// rewrite (a value hidden in combined short flags) would make kubectl read the working
// directory; it is refused instead.
func (s *Session) checkResolvedFiles(args []string) error {
	l, err := ParseKubectl(args)
	if err != nil {
		return nil // kubectl reports its own parse errors
	}
	for _, v := range l.Values("filename") {
		if v == "-" || (s.dir != "" && strings.HasPrefix(v, s.dir+string(filepath.Separator))) {
			continue
		}
		return refusef("-f %s: write -f and the file name as separate words (kubectl -f web.yaml)", v)
	}
	return nil
}
