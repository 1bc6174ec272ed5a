package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// stubContext names the only context of the stub kubeconfig the in-process kubectl loads.
const stubContext = "kubetutor-session"

// kubectlStubConfig returns the path of a kubeconfig holding only the session's server
// address and namespace, no credentials. The in-process kubectl is pointed at it (never at
// KUBECONFIG or ~/.kube/config), and its WrapConfigFn then replaces whatever the loader built
// with the session's own rest.Config: kubectl connects only where, and as whom, the session
// does.
func (s *Session) kubectlStubConfig() (string, error) {
	p := filepath.Join(s.dir, "kubectl-stub.kubeconfig")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	cfg := clientcmdapi.NewConfig()
	cluster := clientcmdapi.NewCluster()
	cluster.Server = s.cfg.Host
	kctx := clientcmdapi.NewContext()
	kctx.Cluster, kctx.AuthInfo, kctx.Namespace = stubContext, stubContext, s.ns
	cfg.Clusters[stubContext] = cluster
	// A placeholder credential: never sent (WrapConfigFn replaces the whole config), but
	// without one kubectl's loader would prompt for a username and password.
	user := clientcmdapi.NewAuthInfo()
	user.Token = "unused-kubetutor-session-config"
	cfg.AuthInfos[stubContext] = user
	cfg.Contexts[stubContext] = kctx
	cfg.CurrentContext = stubContext
	// Runs of one session may start at once: each writes its own temporary file and renames
	// it into place, so a reader sees one whole file or the other.
	f, err := os.CreateTemp(s.dir, "kubectl-stub-*.tmp")
	if err != nil {
		return "", fmt.Errorf("engine: writing kubectl's kubeconfig: %w", err)
	}
	tmp := f.Name()
	_ = f.Close()
	if err := clientcmd.WriteToFile(*cfg, tmp); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("engine: writing kubectl's kubeconfig: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("engine: writing kubectl's kubeconfig: %w", err)
	}
	return p, nil
}

// sessionRESTConfig is a copy of the configuration the session's clients use (the lesson
// ServiceAccount's, once RBAC is set up), for one kubectl run; a run started by
// RunKubectlAsLearner gets the learner's own instead.
func (s *Session) sessionRESTConfig(ctx context.Context) *rest.Config {
	if ctx != nil && ctx.Value(asLearnerKey{}) != nil {
		s.real.mu.Lock()
		learner := s.real.learnerCfg
		s.real.mu.Unlock()
		if learner != nil {
			return rest.CopyConfig(learner)
		}
	}
	return rest.CopyConfig(s.cfg)
}

// asLearnerKey marks a run's context: this one command runs with the learner's credentials.
type asLearnerKey struct{}
