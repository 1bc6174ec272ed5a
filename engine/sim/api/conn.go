package api

import (
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"
)

// ConnLimits bound what idle or numerous clients can hold on the simulator's server.
type ConnLimits struct {
	// MaxConns caps open connections; further clients wait in the listen queue until one
	// closes (netutil.LimitListener), so a flood of connections costs no more than this many.
	MaxConns int
	// IdleTimeout closes keep-alive connections with no request in flight, as the
	// apiserver's 90 s does; long-running requests (watch, exec, logs -f) are not idle.
	IdleTimeout time.Duration
	// ReadHeaderTimeout bounds a client that opens a connection and never finishes its headers.
	ReadHeaderTimeout time.Duration
}

// DefaultConnLimits are the simulator's: ample for the player and a second terminal (HTTP/2
// multiplexes a client's requests onto one connection).
var DefaultConnLimits = ConnLimits{MaxConns: 256, IdleTimeout: 90 * time.Second, ReadHeaderTimeout: 10 * time.Second}

// Apply sets the timeouts on srv and returns ln wrapped to cap connections; serve on the
// returned listener.
func (l ConnLimits) Apply(srv *http.Server, ln net.Listener) net.Listener {
	srv.IdleTimeout = l.IdleTimeout
	srv.ReadHeaderTimeout = l.ReadHeaderTimeout
	srv.MaxHeaderBytes = 1 << 20
	if l.MaxConns > 0 {
		ln = netutil.LimitListener(ln, l.MaxConns)
	}
	return ln
}
