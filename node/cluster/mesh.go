package cluster

import (
	"context"

	"github.com/gerl-dev/gerl/node/term"
)

// The transitive mesh (docs/protocol.md, "Mesh"). When a connection
// between two visible nodes comes up, each side sends the other the list
// of visible nodes it is connected to (NODES), and tells every other
// visible peer about the new node. A node that learns of a node it is not
// connected to connects at once. So when K nodes each connect to one of
// them, all of them end up connected to all others without the timers
// Erlang's global uses. Hidden nodes neither send nor act on node lists,
// and are never listed.

// announce runs when c comes up.
func (d *Dist) announce(c *conn) {
	if d.cfg.Hidden || c.peer.hidden() {
		return
	}
	if c.peer.erlang {
		d.erlMesh(c)
		return
	}
	if c.peer.flags&FlagMesh == 0 {
		return
	}
	var others []term.Atom
	for _, o := range d.mgr.conns() {
		if o == c || o.peer.hidden() {
			continue
		}
		others = append(others, o.peer.name)
		if o.peer.flags&FlagMesh != 0 {
			_ = o.send(context.Background(), d.codec.encodeNodes([]term.Atom{c.peer.name}), false)
		}
	}
	_ = c.send(context.Background(), d.codec.encodeNodes(others), false)
}

// learnNodes connects to the nodes in a peer's NODES list that this node
// is not connected to.
func (d *Dist) learnNodes(from *conn, nodes []term.Atom) {
	if d.cfg.Hidden || from.peer.hidden() {
		return
	}
	d.connectAll(from.peer.name, nodes)
}

// connectAll connects to the nodes of a list that this node is not
// connected to, each on a goroutine of its own; via names who listed them.
func (d *Dist) connectAll(via term.Atom, nodes []term.Atom) {
	for _, nd := range nodes {
		if nd == d.name || d.mgr.known(nd) {
			continue
		}
		if _, _, err := SplitNodeName(string(nd)); err != nil {
			continue
		}
		d.wg.Add(1)
		go func(nd term.Atom) {
			defer d.wg.Done()
			ctx, cancel := context.WithTimeout(d.ctx, d.cfg.HandshakeTimeout)
			defer cancel()
			if _, err := d.connect(ctx, nd); err != nil {
				d.log.Info("could not connect to a node a peer knows", "peer", string(nd), "via", string(via), "err", err)
			}
		}(nd)
	}
}
