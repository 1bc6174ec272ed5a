package api_test

import (
	"context"
	"encoding/pem"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

const testToken = "test-token"

type env struct {
	st    *store.Store
	clock *clocktesting.FakeClock
	srv   *httptest.Server
	cs    kubernetes.Interface
	cfg   *rest.Config
}

func newEnv(t *testing.T, so store.Options) *env { return newEnvTLS(t, so, false) }

// newEnvTLS serves over TLS when tls is set: kubectl (clientcmd) sends credentials only over
// TLS, so tests that drive the kubectl binary need it.
func newEnvTLS(t *testing.T, so store.Options, tls bool) *env {
	t.Helper()
	return newEnvOpts(t, so, tls, api.Options{})
}

// newEnvOpts is newEnvTLS with handler options (Runner, Logs); token, clock and log are set here.
func newEnvOpts(t *testing.T, so store.Options, tls bool, o api.Options) *env {
	t.Helper()
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	so.Clock = clk
	so.Hooks = api.Hooks()
	if so.Seed == 0 {
		so.Seed = 1
	}
	st := store.New(so)
	// Hijacked exec sessions may log their end after the test is over; httptest's Close
	// does not wait for them, so logging stops at cleanup.
	var logMu sync.Mutex
	logDone := false
	t.Cleanup(func() { logMu.Lock(); logDone = true; logMu.Unlock() })
	o.Token, o.Clock = testToken, clk
	o.Logf = func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !logDone {
			t.Logf(format, args...)
		}
	}
	h := api.New(st, o)
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	cfg := &rest.Config{Host: srv.URL, BearerToken: testToken}
	if tls {
		cfg.TLSClientConfig.CAData = pemCert(srv)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, clock: clk, srv: srv, cs: cs, cfg: cfg}
}

func pemCert(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}

var (
	podsRes = store.MustLookup("pods")
	stsRes  = store.MustLookup("statefulsets")
)

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
