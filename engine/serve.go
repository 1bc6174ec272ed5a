package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigName names the cluster, user and context in kubeconfigs the session writes.
const kubeconfigName = "kubetutor"

// WriteKubeconfig writes a kubeconfig that reaches this session's cluster as this session
// does (server, credentials, namespace), so a second terminal's kubectl sees what the player
// sees. The file holds credentials and is written with mode 0600.
//
// Credentials a rest.Config holds only as file paths or an exec plugin are written as such.
func (s *Session) WriteKubeconfig(path string) error {
	if path == "" {
		return fmt.Errorf("engine: kubeconfig path is empty")
	}
	c := s.cfg
	cluster := clientcmdapi.NewCluster()
	cluster.Server = c.Host
	if c.APIPath != "" && c.APIPath != "/api" && c.APIPath != "/apis" {
		cluster.Server = strings.TrimSuffix(c.Host, "/") + c.APIPath
	}
	cluster.CertificateAuthority = c.CAFile
	cluster.CertificateAuthorityData = c.CAData
	cluster.InsecureSkipTLSVerify = c.Insecure
	cluster.TLSServerName = c.ServerName

	user := clientcmdapi.NewAuthInfo()
	user.Token = c.BearerToken
	user.TokenFile = c.BearerTokenFile
	user.ClientCertificate = c.CertFile
	user.ClientCertificateData = c.CertData
	user.ClientKey = c.KeyFile
	user.ClientKeyData = c.KeyData
	user.Username = c.Username
	user.Password = c.Password
	if c.ExecProvider != nil {
		user.Exec = c.ExecProvider.DeepCopy()
	}

	kctx := clientcmdapi.NewContext()
	kctx.Cluster = kubeconfigName
	kctx.AuthInfo = kubeconfigName
	kctx.Namespace = s.ns

	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[kubeconfigName] = cluster
	cfg.AuthInfos[kubeconfigName] = user
	cfg.Contexts[kubeconfigName] = kctx
	cfg.CurrentContext = kubeconfigName

	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("engine: kubeconfig directory: %w", err)
		}
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("engine: writing kubeconfig: %w", err)
	}
	// WriteToFile uses 0600 for new files; make sure an existing file gets it too.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("engine: kubeconfig permissions: %w", err)
	}
	return nil
}

// KubeconfigExport is the shell line that points a terminal's kubectl at a kubeconfig,
// e.g. `export KUBECONFIG=/tmp/kubetutor/kubeconfig`, quoted for POSIX shells when needed.
func KubeconfigExport(path string) string {
	return "export KUBECONFIG=" + shellQuote(path)
}

// shellQuote quotes s for a POSIX shell unless every byte is plainly safe.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("/._-+:,@%=", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
