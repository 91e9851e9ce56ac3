package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/gerl-dev/gerl/node/term"
)

// Transport carries the connections between nodes: it listens for the
// local node and dials others. The distribution layer runs its handshake
// and frames over whatever connections a Transport gives it, so protocol
// logic is tested over TCP and over MemNetwork alike.
//
// Contract: Listen is called once, by Start; Dial may be called from many
// goroutines at once and must honor ctx. A Transport does no
// authentication of its own beyond what it documents (TCPTransport's
// optional mutual TLS); the cookie handshake runs over every connection.
type Transport interface {
	// Listen starts accepting connections for the local node name. Closing
	// the listener stops accepting; Accept then returns an error.
	Listen(name term.Atom) (net.Listener, error)
	// Dial connects to the node named node (finding where it listens).
	Dial(ctx context.Context, node term.Atom) (net.Conn, error)
}

// Resolver finds where a node listens.
type Resolver interface {
	// Resolve returns the host:port where node accepts distribution
	// connections. It is called from many goroutines at once.
	Resolve(ctx context.Context, node term.Atom) (string, error)
}

// ErrNoNode is matched when no node of the given name is registered on
// its host.
var ErrNoNode = errors.New("no such node")

// TCPTransport is the TCP carrier: it listens on ListenIP (all interfaces
// when empty) on a port in [PortMin, PortMax] (an ephemeral port when both
// are 0), and dials the address its Resolver gives. With TLS set, every
// connection runs mutual TLS first; the cookie handshake then runs inside.
type TCPTransport struct {
	ListenIP         string
	PortMin, PortMax int
	Resolver         Resolver
	TLS              *TLSConfig
}

// Listen implements Transport.
func (t *TCPTransport) Listen(name term.Atom) (net.Listener, error) {
	lo, hi := t.PortMin, t.PortMax
	if hi < lo {
		hi = lo
	}
	var lastErr error
	for port := lo; port <= hi; port++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(t.ListenIP, strconv.Itoa(port)))
		if err == nil {
			if t.TLS != nil {
				cfg, err := t.TLS.serverConfig()
				if err != nil {
					ln.Close()
					return nil, err
				}
				return &tlsListener{Listener: ln, cfg: cfg}, nil
			}
			return ln, nil
		}
		lastErr = err
	}
	return nil, fmt.Errorf("listen for %s on ports %d..%d: %w", name, lo, hi, lastErr)
}

// Dial implements Transport.
func (t *TCPTransport) Dial(ctx context.Context, node term.Atom) (net.Conn, error) {
	c, _, err := t.dialPeer(ctx, node)
	return c, err
}

// peerDialer is a Transport that also tells which protocol the node it
// dialed speaks (TCPTransport, with a PeerResolver).
type peerDialer interface {
	dialPeer(ctx context.Context, node term.Atom) (c net.Conn, erlang bool, err error)
}

// dialPeer dials node and reports whether it is an Erlang node. An Erlang
// node is dialed in the clear: its TLS distribution (inet_tls_dist) is not
// gerl's, so a node that runs with TLS refuses to.
func (t *TCPTransport) dialPeer(ctx context.Context, node term.Atom) (net.Conn, bool, error) {
	if t.Resolver == nil {
		return nil, false, fmt.Errorf("connect to %s: no resolver", node)
	}
	var addr string
	var erlang bool
	var err error
	if pr, ok := t.Resolver.(PeerResolver); ok {
		addr, erlang, err = pr.ResolvePeer(ctx, node)
	} else {
		addr, err = t.Resolver.Resolve(ctx, node)
	}
	if err != nil {
		return nil, false, err
	}
	if erlang && t.TLS != nil {
		return nil, false, fmt.Errorf("connect to %s: it is an Erlang node, and this node runs its distribution over TLS, which gerl speaks with gerl nodes only: %w", node, ErrRefused)
	}
	c, err := t.dial(ctx, node, addr)
	return c, erlang, err
}

func (t *TCPTransport) dial(ctx context.Context, node term.Atom, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s at %s: %w", node, addr, err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true) // frames are batched by the writer; do not delay them further
	}
	if t.TLS == nil {
		return c, nil
	}
	_, host, _ := SplitNodeName(string(node))
	cfg, err := t.TLS.clientConfig(host)
	if err != nil {
		c.Close()
		return nil, err
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		switch {
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("TLS handshake with %s at %s: the node closed the connection (does it run without TLS? start every node with -tls_cert, -tls_key and -tls_ca, or none): %w", node, addr, err)
		case refusedCertificate(err):
			return nil, fmt.Errorf("TLS handshake with %s at %s: the node refused this node's certificate (every node needs a certificate signed by the CA the others trust, -tls_ca): %w", node, addr, err)
		}
		return nil, fmt.Errorf("TLS handshake with %s at %s: %w", node, addr, err)
	}
	return tc, nil
}

// tlsListener wraps accepted connections in TLS; the TLS handshake runs on
// first use, within the distribution handshake's time limit.
type tlsListener struct {
	net.Listener
	cfg *tls.Config
}

func (l *tlsListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return tls.Server(c, l.cfg), nil
}

// refusedCertificate reports whether a TLS handshake failed because the
// server did not accept our certificate. The server says so with an alert
// (certificate required, when Go's client found no certificate of a CA the
// server named, so sent none; bad or unknown certificate otherwise), which
// crypto/tls surfaces only as a "remote error" of an unexported type.
func refusedCertificate(err error) bool {
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "remote error" {
		return false
	}
	s := op.Err.Error()
	return strings.Contains(s, "certificate required") || strings.Contains(s, "bad certificate") ||
		strings.Contains(s, "unknown certificate authority")
}
