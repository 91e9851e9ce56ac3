package cluster

import (
	"context"
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
