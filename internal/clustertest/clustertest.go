// Package clustertest starts clusters of real in-process nodes for tests:
// each node a cluster.Dist listening on a loopback TCP port of its own,
// found by the others through a resolver the cluster shares (no port
// mapper), with its log in a buffer the test can read.
package clustertest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// WaitTime bounds every wait of a test on a cluster; it is a deadline for
// failure, never a delay.
const WaitTime = 20 * time.Second

// Options configure a cluster.
type Options struct {
	// Setup runs on each node right after it starts (the services the
	// test needs: global, pg...).
	Setup func(t testing.TB, n *Node)
	// TickTime is the nodes' net tick time; 0 is cluster's default.
	TickTime time.Duration
	// Cookie is the nodes' cookie; empty is "clustertest".
	Cookie string
	// ListenIP is the address the nodes listen on and are named after;
	// empty is 127.0.0.1.
	ListenIP string
}

// Cluster is the nodes of one test. Safe for concurrent use.
type Cluster struct {
	t    testing.TB
	opts Options

	mu    sync.Mutex
	addrs map[term.Atom]string
}

// Node is one started node and its log.
type Node struct {
	*cluster.Dist
	Logs *testkit.Buffer
}

// New returns an empty cluster; nodes stop when the test ends.
func New(t testing.TB, opts Options) *Cluster {
	if opts.Cookie == "" {
		opts.Cookie = "clustertest"
	}
	if opts.ListenIP == "" {
		opts.ListenIP = "127.0.0.1"
	}
	return &Cluster{t: t, opts: opts, addrs: map[term.Atom]string{}}
}

// Resolve implements cluster.Resolver for the cluster's nodes.
func (c *Cluster) Resolve(_ context.Context, name term.Atom) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.addrs[name]; ok {
		return a, nil
	}
	return "", fmt.Errorf("%s: %w", name, cluster.ErrNoNode)
}

// AddNode tells the cluster's resolver where a node it did not start
// listens (a node in another network namespace, another process).
func (c *Cluster) AddNode(name term.Atom, addr string) {
	c.mu.Lock()
	c.addrs[name] = addr
	c.mu.Unlock()
}

// Start starts a node named name@ListenIP (or name, if it has an @), runs
// the cluster's Setup on it, and stops it when the test ends.
func (c *Cluster) Start(name string) *Node {
	t := c.t
	t.Helper()
	full := term.Atom(name)
	if !containsAt(name) {
		full = term.Atom(name + "@" + c.opts.ListenIP)
	}
	logs := &testkit.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := cluster.Start(context.Background(), cluster.Config{
		Name: full, Cookie: c.opts.Cookie, ListenIP: c.opts.ListenIP, Registrar: cluster.NoRegistrar{},
		Resolver: c, Logger: log, Node: node.Config{Logger: log}, TickTime: c.opts.TickTime,
		Creation: uint32(time.Now().UnixNano()),
	})
	if err != nil {
		t.Fatalf("start %s: %v", full, err)
	}
	c.mu.Lock()
	c.addrs[full] = d.Addr().String()
	c.mu.Unlock()
	t.Cleanup(func() {
		if err := d.Node().StopTimeout(WaitTime); err != nil {
			t.Errorf("stop %s: %v", full, err)
		}
	})
	n := &Node{Dist: d, Logs: logs}
	if c.opts.Setup != nil {
		c.opts.Setup(t, n)
	}
	return n
}

// StartN starts nodes named n1, n2... (with the given prefix) and connects
// them into a mesh.
func (c *Cluster) StartN(prefix string, count int) []*Node {
	c.t.Helper()
	out := make([]*Node, count)
	for i := range out {
		out[i] = c.Start(fmt.Sprintf("%s%d", prefix, i+1))
	}
	for _, n := range out[1:] {
		Connect(c.t, out[0], n)
	}
	// The mesh connects the others to each other; wait until it has.
	for _, n := range out {
		n := n
		testkit.Eventually(c.t, WaitTime, fmt.Sprintf("%s connected to all", n.Name()), func() bool {
			return len(n.Nodes()) == count-1
		})
	}
	return out
}

// Connect connects a to b (a ping) or fails the test.
func Connect(t testing.TB, a, b *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), WaitTime)
	defer cancel()
	if err := a.PingErr(ctx, b.Name()); err != nil {
		t.Fatalf("connect %s to %s: %v", a.Name(), b.Name(), err)
	}
}

// Proc returns a process of n driven by the test's goroutine (attached),
// ended when the test ends.
func Proc(t testing.TB, n *Node) *node.Proc {
	t.Helper()
	p, err := n.Node().Attach("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Node().Exit(p.Self(), term.Kill) })
	return p
}

// Recv waits for the first message of p that match accepts, or fails.
func Recv(t testing.TB, p *node.Proc, what string, match func(any) bool) any {
	t.Helper()
	m, ok := p.ReceiveMatch(match, WaitTime)
	if !ok {
		t.Fatalf("no %s within %v; mailbox: %s", what, WaitTime, term.Format(p.Drain()))
	}
	return m
}

// Spawn starts a process on n that waits for any message and then exits
// normally: a member to join and leave.
func Spawn(t testing.TB, n *Node) term.Pid {
	t.Helper()
	pid, err := n.Node().Spawn(func(p *node.Proc) { p.Receive() })
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func containsAt(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			return true
		}
	}
	return false
}
