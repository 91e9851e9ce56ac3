package global_test

import (
	"testing"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/global"
	"github.com/gerl-dev/gerl/node/term"
)

// FuzzServerMessages sends a name server the terms a peer's bytes decode
// to, alone and in the shape of each protocol message: it must stay up,
// keep answering, and keep its own process's name.
func FuzzServerMessages(f *testing.F) {
	c := cluster.NewCodec()
	peer := term.Pid{Node: "b@h", ID: 1, Creation: 1}
	p := term.Pid{Node: "b@h", ID: 7, Creation: 1}
	for _, seed := range []any{
		term.T(term.Atom("discover"), peer),
		term.T(term.Atom("sync"), peer, []any{term.T(term.Atom("x"), p, term.Atom(""))}),
		term.T(term.Atom("registered"), term.Atom("mine"), p, term.Atom("")),
		term.T(term.Atom("unregistered"), term.Atom("mine"), p),
		term.T(term.Atom("drop"), term.Atom("mine"), p),
		term.T(term.Atom("unlock"), term.Atom("mine"), p),
		term.T(term.Atom("$resolved"), term.Atom("mine"), p, p, p, true),
		term.T(term.Atom("sync"), peer, []any{term.T("", 3)}),
		term.Request{From: p, Body: term.T(term.Atom("commit"), term.Atom("mine"), p, term.Atom("unregister"))},
		[]any{nil, 1.5},
	} {
		b, err := c.AppendTerm(nil, seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	n := node.New(node.Config{Name: "a@h", Creation: 1})
	defer n.StopTimeout(10 * time.Second)
	g, err := global.Start(n, global.Options{CallTimeout: 5 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	mine, _ := n.Spawn(func(p *node.Proc) { p.Receive() })
	if err := g.RegisterName("mine", mine, nil); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := c.DecodeTerm(b)
		if err != nil {
			return
		}
		msgs := []any{v}
		if t2, ok := v.(term.Tuple); ok {
			for _, tag := range []string{"discover", "sync", "registered", "unregistered", "drop", "unlock", "$resolved"} {
				msgs = append(msgs, append(term.Tuple{term.Atom(tag), peer}, t2...), append(term.Tuple{term.Atom(tag)}, t2...))
			}
		}
		for _, m := range msgs {
			if _, call := m.(term.Request); call {
				continue // requests are the node's API (a registrar's)
			}
			_ = n.Send(g.Pid(), m)
		}
		if err := g.Sync(); err != nil {
			t.Fatalf("the name server does not answer: %v", err)
		}
		if pid, ok := g.WhereisName("mine"); !ok || pid != mine {
			t.Fatalf("the name server lost this node's name: %v %v", pid, ok)
		}
	})
}
