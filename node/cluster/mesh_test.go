package cluster

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

func TestTransitiveMesh(t *testing.T) {
	eachTransport(t, 4, nil, func(t *testing.T, ns []*testNode) {
		// every node connects only to the first; the mesh completes itself
		for _, n := range ns[1:] {
			if err := n.ConnectContext(context.Background(), ns[0].Name()); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range ns {
			testkit.Eventually(t, waitTime, string(n.Name())+" sees everyone", func() bool { return len(n.Nodes()) == len(ns)-1 })
		}
		for _, n := range ns {
			for _, m := range ns {
				if n != m && !hasNode(n.Nodes(), m.Name()) {
					t.Fatalf("%s does not list %s: %v", n.Name(), m.Name(), n.Nodes())
				}
			}
		}
	})
}

func TestHiddenNodes(t *testing.T) {
	ns := memNodes(t, 4, func(c *Config) { c.Hidden = c.Name == "d@mem" })
	a, b, c, d := ns[0], ns[1], ns[2], ns[3]
	if err := b.ConnectContext(context.Background(), a.Name()); err != nil {
		t.Fatal(err)
	}
	// the hidden node connects to a: a lists it apart, and it does not
	// connect onwards to b; b is not told about it
	if err := d.ConnectContext(context.Background(), a.Name()); err != nil {
		t.Fatal(err)
	}
	if err := c.ConnectContext(context.Background(), a.Name()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, waitTime, "c meets b", func() bool { return hasNode(c.Nodes(), b.Name()) })
	// The dialer's side is up when ConnectContext returns; the acceptor's
	// once the dialer's COMMIT has arrived.
	testkit.Eventually(t, waitTime, "a lists d", func() bool { return len(a.HiddenNodes()) > 0 })
	if got := a.HiddenNodes(); len(got) != 1 || got[0] != d.Name() {
		t.Fatalf("a's hidden nodes: %v", got)
	}
	if hasNode(a.Nodes(), d.Name()) {
		t.Fatalf("a lists hidden d among visible nodes: %v", a.Nodes())
	}
	// d sees a as a (visible) connection, and nobody else
	if got := d.Nodes(); len(got) != 1 || got[0] != a.Name() {
		t.Fatalf("d's nodes: %v", got)
	}
	// after a full round trip through everybody, still no mesh to d
	for _, n := range []*testNode{a, b, c} {
		for _, m := range []*testNode{a, b, c} {
			if n != m && !n.Ping(context.Background(), m.Name()) {
				t.Fatal("pang")
			}
		}
	}
	if hasNode(b.HiddenNodes(), d.Name()) || hasNode(c.HiddenNodes(), d.Name()) || len(d.Nodes()) != 1 {
		t.Fatalf("the hidden node was made transitive: b %v c %v d %v", b.HiddenNodes(), c.HiddenNodes(), d.Nodes())
	}
	// a hidden node can still talk to anyone explicitly
	pid := echo(t, b.Dist, "")
	p := proc(t, d.Dist)
	p.Send(pid, term.T(p.Self(), "hi"))
	recv(t, p, "hi", func(m any) bool { return m == "hi" })
	if !hasNode(b.HiddenNodes(), d.Name()) {
		t.Fatalf("b: %v", b.HiddenNodes())
	}
}

// gatedDialer is a Transport whose dials to hosts named "silent" wait
// until the gate opens (and then fail), as dials to hosts that do not
// answer wait out the handshake timeout; it counts them.
type gatedDialer struct {
	Transport
	gate          chan struct{}
	dials, inside atomic.Int64
	most          atomic.Int64 // most dials inside at once
}

func (g *gatedDialer) Dial(ctx context.Context, nd term.Atom) (net.Conn, error) {
	if !strings.HasSuffix(string(nd), "@silent") {
		return g.Transport.Dial(ctx, nd)
	}
	g.dials.Add(1)
	n := g.inside.Add(1)
	defer g.inside.Add(-1)
	for m := g.most.Load(); n > m && !g.most.CompareAndSwap(m, n); m = g.most.Load() {
	}
	select {
	case <-g.gate:
		return nil, fmt.Errorf("dial %s: no route to host", nd)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// A peer's NODES list of thousands of names that do not answer: the node
// dials learnDialers of them at once, queues learnQueueCap, ignores the
// rest and says so once, and goes on working: a node that connects to it
// directly gets in, and once the dials are done it learns new nodes again.
func TestLearnManyNodesAtABoundedPace(t *testing.T) {
	g := &gatedDialer{gate: make(chan struct{})}
	ns := memNodes(t, 3, func(c *Config) {
		if c.Name == "b@mem" {
			g.Transport = c.Transport
			c.Transport = g
		}
	})
	a, b, c := ns[0], ns[1], ns[2]
	if err := a.ConnectContext(context.Background(), b.Name()); err != nil {
		t.Fatal(err)
	}
	const listed = learnQueueCap + 1000
	names := make([]term.Atom, listed)
	for i := range names {
		names[i] = term.Atom(fmt.Sprintf("n%d@silent", i))
	}
	goroutines := runtime.NumGoroutine()
	if err := a.mgr.up(b.Name()).send(context.Background(), a.codec.encodeNodes(names), false); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, waitTime, "b dials as many as it may", func() bool { return g.inside.Load() == learnDialers })
	testkit.Eventually(t, waitTime, "b says it ignores the rest", func() bool {
		l := b.logs.String()
		return strings.Contains(l, "the rest are ignored") && strings.Contains(l, fmt.Sprintf("via=a@mem ignored=%d", listed-learnQueueCap))
	})
	// Each dial is a dialer and its attempt, and the node's own come and
	// go: a bound well above that, and far below one per listed name.
	if n := runtime.NumGoroutine(); n > goroutines+4*learnDialers {
		t.Errorf("%d goroutines while dialing, %d before the list came", n, goroutines)
	}
	if err := c.ConnectContext(context.Background(), b.Name()); err != nil {
		t.Fatalf("a node connecting directly while b dials a peer's list: %v", err)
	}
	close(g.gate)
	testkit.Eventually(t, waitTime, "b is done with the queue", func() bool {
		b.learn.mu.Lock()
		defer b.learn.mu.Unlock()
		return len(b.learn.has) == 0 && b.learn.dialers == 0
	})
	if got := g.dials.Load(); got != learnQueueCap {
		t.Errorf("b dialed %d of the listed nodes, want the %d it queued", got, learnQueueCap)
	}
	if got := g.most.Load(); got > learnDialers {
		t.Errorf("%d dials at once, want at most %d", got, learnDialers)
	}
	if n := strings.Count(b.logs.String(), "could not connect to a node a peer knows"); n > 3 {
		t.Errorf("%d log lines for the failed dials, want a few at a bounded rate", n)
	}
	// The queue is free again: b learns a new node from a's list.
	d := startNode(t, Config{Name: "d@mem", Transport: g.Transport, Registrar: NoRegistrar{}, Creation: 4})
	if err := d.ConnectContext(context.Background(), a.Name()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, waitTime, "b learns d from a", func() bool { return hasNode(b.Nodes(), d.Name()) })
}
