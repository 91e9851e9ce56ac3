package cluster

import (
	"context"
	"log/slog"
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// The transitive mesh (docs/protocol.md, "Mesh"). When a connection
// between two visible nodes comes up, each side sends the other the list
// of visible nodes it is connected to (NODES), and tells every other
// visible peer about the new node. A node that learns of a node it is not
// connected to connects at once (at a bounded pace: see learner). So when
// K nodes each connect to one of them, all of them end up connected to all
// others without the timers Erlang's global uses. Hidden nodes neither
// send nor act on node lists, and are never listed.

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

// Learning at a bounded pace. A list names nodes this node will dial,
// and a peer's list is trusted only as far as its cookie: a broken or
// hostile peer can list thousands of names, and a dial to a host that
// does not answer holds a goroutine and a socket for the whole handshake
// timeout. So at most learnDialers dials of listed nodes run at once, the
// others wait in a queue of at most learnQueueCap names (each name once),
// and the names beyond it are ignored and counted in the log. A cluster's
// own lists are far shorter: a 32-node mesh lists 31 names.
const (
	learnDialers  = 16
	learnQueueCap = 4096
)

// learner is the queue of listed nodes waiting to be dialed.
type learner struct {
	mu      sync.Mutex  // protects following
	queue   []learnItem // oldest first
	has     map[term.Atom]bool
	dialers int // goroutines dialing from the queue (at most learnDialers)
}

type learnItem struct{ node, via term.Atom }

// connectAll connects to the nodes of a list that this node is not
// connected to; via names who listed them. It does not wait: the dials
// run on at most learnDialers goroutines.
func (d *Dist) connectAll(via term.Atom, nodes []term.Atom) {
	l := &d.learn
	ignored := 0
	l.mu.Lock()
	for _, nd := range nodes {
		if nd == d.name || l.has[nd] || d.mgr.known(nd) {
			continue
		}
		if _, _, err := SplitNodeName(string(nd)); err != nil {
			continue
		}
		if len(l.has) >= learnQueueCap {
			ignored++
			continue
		}
		if l.has == nil {
			l.has = make(map[term.Atom]bool)
		}
		l.has[nd] = true
		l.queue = append(l.queue, learnItem{nd, via})
	}
	for l.dialers < learnDialers && l.dialers < len(l.queue) {
		l.dialers++
		d.wg.Add(1)
		go d.learnFromQueue()
	}
	l.mu.Unlock()
	if ignored > 0 {
		d.learnLog.log(d.log, slog.LevelWarn, "a peer listed more nodes than this node dials at once; the rest are ignored",
			"via", string(via), "ignored", ignored, "waiting", learnQueueCap)
	}
}

// learnFromQueue dials the queue's nodes one after the other until the
// queue is empty or the node stops.
func (d *Dist) learnFromQueue() {
	defer d.wg.Done()
	l := &d.learn
	for {
		l.mu.Lock()
		if len(l.queue) == 0 || d.ctx.Err() != nil {
			l.dialers--
			l.mu.Unlock()
			return
		}
		it := l.queue[0]
		l.queue[0] = learnItem{}
		l.queue = l.queue[1:]
		if len(l.queue) == 0 {
			l.queue = nil // let a long queue's array go
		}
		l.mu.Unlock()
		ctx, cancel := context.WithTimeout(d.ctx, d.cfg.HandshakeTimeout)
		_, err := d.connect(ctx, it.node)
		cancel()
		if err != nil {
			d.learnLog.log(d.log, slog.LevelInfo, "could not connect to a node a peer knows", "peer", string(it.node), "via", string(it.via), "err", err)
		}
		l.mu.Lock()
		delete(l.has, it.node)
		l.mu.Unlock()
	}
}
