package cluster

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// MemNetwork is an in-memory network of nodes, for tests: each node's
// Transport listens under its name, and Dial hands the listener one end of
// a net.Pipe. No sockets, no port mapper. Safe for concurrent use.
type MemNetwork struct {
	mu        sync.Mutex // protects following
	listeners map[term.Atom]*memListener
}

// NewMemNetwork returns an empty in-memory network.
func NewMemNetwork() *MemNetwork {
	return &MemNetwork{listeners: make(map[term.Atom]*memListener)}
}

// Transport returns a Transport on this network.
func (m *MemNetwork) Transport() Transport { return memTransport{m} }

type memTransport struct{ m *MemNetwork }

func (t memTransport) Listen(name term.Atom) (net.Listener, error) {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	if _, taken := t.m.listeners[name]; taken {
		return nil, fmt.Errorf("listen: a node named %s is already on this network", name)
	}
	l := &memListener{m: t.m, name: name, conns: make(chan net.Conn), closed: make(chan struct{})}
	t.m.listeners[name] = l
	return l, nil
}

func (t memTransport) Dial(ctx context.Context, node term.Atom) (net.Conn, error) {
	t.m.mu.Lock()
	l := t.m.listeners[node]
	t.m.mu.Unlock()
	if l == nil {
		return nil, fmt.Errorf("connect to %s: %w", node, ErrNoNode)
	}
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
	case <-ctx.Done():
	}
	client.Close()
	server.Close()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("connect to %s: %w", node, ctx.Err())
	}
	return nil, fmt.Errorf("connect to %s: %w", node, ErrNoNode)
}

type memListener struct {
	m      *MemNetwork
	name   term.Atom
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() {
		close(l.closed)
		l.m.mu.Lock()
		if l.m.listeners[l.name] == l {
			delete(l.m.listeners, l.name)
		}
		l.m.mu.Unlock()
	})
	return nil
}

func (l *memListener) Addr() net.Addr { return memAddr(l.name) }

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }
