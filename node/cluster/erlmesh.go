package cluster

import (
	"context"

	"github.com/gerl-dev/gerl/node/erldist"
	"github.com/gerl-dev/gerl/node/term"
)

// The mesh with Erlang nodes. Erlang's nodes make a cluster transitive
// through global: when two nodes sync, each tells its partition about the
// other, which then connects to it. gerl takes part in global
// (erlglobal.go), so an Erlang cluster that a gerl node joins connects to
// it that way, and the nodes that join the Erlang cluster later (global's
// new_nodes) reach it too. gerl does not wait for that: when a connection
// to an Erlang node comes up, it asks that node for its nodes
// (erlang:nodes/0) and connects to those it does not know, asks it to
// connect to the Erlang nodes this node is connected to that it does not
// know (net_kernel:connect_node/1: the two Erlang nodes then sync their
// global names between themselves, as Erlang nodes do), and it tells its
// gerl peers about the Erlang node (NODES), so they connect to it as
// well. So each side gets the mesh it expects: Erlang nodes connected to
// all the Erlang nodes, gerl nodes to everyone. (Erlang nodes started
// with -connect_all false are connected all the same.)

// erlMesh runs when the connection c to a visible Erlang node comes up.
func (d *Dist) erlMesh(c *conn) {
	for _, o := range d.mgr.conns() {
		if o != c && !o.peer.hidden() && !o.peer.erlang && o.peer.flags&FlagMesh != 0 {
			_ = o.send(context.Background(), d.codec.encodeNodes([]term.Atom{c.peer.name}), false)
		}
	}
	if c.peer.eflags&erldist.FlagSpawn == 0 {
		return // a C node: no erpc to ask with
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		ctx, cancel := context.WithTimeout(d.ctx, d.cfg.HandshakeTimeout)
		defer cancel()
		v, err := d.erlApply(ctx, c, "erlang:nodes", nil)
		if err != nil {
			d.log.Debug("could not ask an Erlang node for its nodes", "peer", string(c.peer.name), "err", err)
			return
		}
		l, _ := v.([]any)
		var nodes []term.Atom
		has := map[term.Atom]bool{c.peer.name: true}
		for _, x := range l {
			if nd, ok := x.(term.Atom); ok {
				nodes = append(nodes, nd)
				has[nd] = true
			}
		}
		d.connectAll(c.peer.name, nodes)
		for _, o := range d.mgr.conns() {
			if !o.peer.erlang || o.peer.hidden() || has[o.peer.name] {
				continue
			}
			if _, err := d.erlApply(ctx, c, "net_kernel:connect_node", []any{o.peer.name}); err != nil {
				d.log.Debug("could not ask an Erlang node to connect to another", "peer", string(c.peer.name), "other", string(o.peer.name), "err", err)
			}
		}
	}()
}
