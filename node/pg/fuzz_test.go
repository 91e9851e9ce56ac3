package pg

import (
	"testing"

	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// FuzzPeerMessages feeds a scope server the terms a peer's bytes decode to
// (as the distribution layer would deliver them), alone and in the shape
// of each protocol message: the server must never panic, and must keep
// its own members right.
func FuzzPeerMessages(f *testing.F) {
	c := cluster.NewCodec()
	peer := term.Pid{Node: "n1@sim", ID: 1, Creation: 1}
	p := term.Pid{Node: "n1@sim", ID: 7, Creation: 1}
	for _, seed := range []any{
		term.T(tagDiscover, peer),
		term.T(tagSync, peer, []any{term.T(term.Atom("g"), []term.Pid{p})}),
		term.T(tagJoin, peer, term.Atom("g"), []term.Pid{p, p}),
		term.T(tagLeave, peer, []term.Pid{p}, []any{term.Atom("g"), 3}),
		term.T(tagSync, peer, []any{term.T([]int{1}, 3)}),
		term.T(tagJoin, peer, "g", []any{p, "x"}),
		term.Down{Pid: peer, Reason: term.NoConnection},
		[]any{nil, map[string]any{"a": 1}},
	} {
		b, err := c.AppendTerm(nil, seed)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := c.DecodeTerm(b)
		if err != nil {
			return
		}
		sim := newSim(t, 1, 2)
		for sim.deliverOne() {
		}
		n := sim.nodes[0]
		mine := sim.spawn(0)
		sim.call(0, term.T(tagJoin, term.Atom("own"), []term.Pid{mine}))
		n.joins[mine] = map[any]int{term.Atom("own"): 1}
		msgs := []any{v}
		if t2, ok := v.(term.Tuple); ok {
			for _, tag := range []term.Atom{tagDiscover, tagSync, tagJoin, tagLeave} {
				msgs = append(msgs, append(term.Tuple{tag, peer}, t2...))
			}
		}
		for _, m := range msgs {
			if _, call := m.(term.Request); call {
				// Requests (a join, a leave) are this node's API, which a
				// caller with the cookie may use: they change the truth.
				continue
			}
			n.srv.handle(m)
		}
		for sim.deliverOne() {
		}
		sim.checkLocal("after hostile messages")
	})
}
