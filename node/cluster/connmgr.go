package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// ErrClosed is returned once the distribution layer has been closed.
var ErrClosed = errors.New("distribution is closed")

// connMgr is the one owner of the connection table, as Erlang's
// net_kernel: per peer name an entry that is pending (a handshake is
// running) or up (conn set). Every transition goes through it, and the
// simultaneous-connect rule lives in one place (decideIncoming).
//
// A pending entry holds what senders queued for the connection while it is
// set up (pending.go), as ERTS queues signals on a dist entry whose
// connection is pending: nobody who sends waits for a handshake. When the
// handshake succeeds, the queue moves into the connection's send queue, in
// order, before anything sent later; when it fails, queued messages are
// dropped and queued links and monitors fire with noconnection. Callers
// that need the connection itself (rpc, spawn, ping, connect) wait on done,
// each with its own context; when the last of them gives up and nothing is
// queued, the dial is cancelled.
//
// A pending entry is owned by one handshake attempt (owner). Attempts that
// lose ownership (their entry was taken over or removed) discard their
// connection when they finish. owner 0 means the entry waits for the peer's
// own dial, after our dial lost a simultaneous connect.
//
// Lock order: connMgr.mu, then a connection's sendQueue.mu (the flush).
// connMgr.mu is never held while calling the node, a connection's other
// methods, or the network.
type connMgr struct {
	d *Dist

	mu      sync.RWMutex // protects following
	entries map[term.Atom]*entry
	downs   map[term.Atom]chan struct{} // nodedowns being delivered, closed when done (connDown)
	closed  bool
}

type entry struct {
	owner    uint64 // attempt that owns a pending entry
	outgoing bool   // the owner is our dial (false: the peer's)
	lost     uint64 // our dial that lost a simultaneous connect, while owner is 0
	c        *conn  // set when up
	closing  bool   // c is down; its nodedown is being delivered (connDown)
	rewant   bool   // Connect was called while closing: dial again after
	done     chan struct{}
	err      error // why the pending entry failed; set before done is closed

	// While pending:
	queue   pendingQueue       // what senders queued for the connection
	waiters int                // callers waiting in get
	wanted  bool               // Connect asked for it: only failure ends the dial
	cancel  context.CancelFunc // ends our dial; nil for the peer's
}

func (m *connMgr) init(d *Dist) {
	m.d = d
	m.entries = make(map[term.Atom]*entry)
}

// up returns the connection to node if it is up.
func (m *connMgr) up(node term.Atom) *conn {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if e := m.entries[node]; e != nil {
		return e.c // written under mu (attemptDone)
	}
	return nil
}

// startLocked returns node's entry, creating a pending one and starting a
// dial if there is none.
func (m *connMgr) startLocked(node term.Atom) (*entry, error) {
	if m.closed {
		return nil, ErrClosed
	}
	if e := m.entries[node]; e != nil {
		return e, nil
	}
	if node == m.d.name {
		return nil, fmt.Errorf("connect to %s: that is this node", node)
	}
	if _, _, err := SplitNodeName(string(node)); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	ctx, cancel := context.WithTimeout(m.d.ctx, m.d.cfg.HandshakeTimeout)
	e := &entry{owner: m.d.nextID.Add(1), outgoing: true, done: make(chan struct{}), cancel: cancel}
	m.entries[node] = e
	m.d.log.Debug("dialing", "peer", node, "attempt", e.owner)
	m.d.wg.Add(1)
	go m.d.dial(ctx, cancel, node, e.owner)
	return e, nil
}

// get returns the connection to node, connecting first if needed: the
// first caller starts a dial, later callers wait for the same handshake.
// A caller whose ctx ends stops waiting; if it was the last one interested
// in the attempt (no other waiter, nothing queued, no Connect), the dial
// is cancelled and the entry removed, so nothing is left behind.
func (m *connMgr) get(ctx context.Context, node term.Atom) (*conn, error) {
	if c := m.up(node); c != nil {
		return c, nil
	}
	m.mu.Lock()
	e, err := m.startLocked(node)
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	if e.c != nil {
		m.mu.Unlock()
		return e.c, nil
	}
	e.waiters++
	m.mu.Unlock()
	select {
	case <-e.done:
	case <-ctx.Done():
		m.mu.Lock()
		e.waiters--
		if e.waiters == 0 && !e.wanted && e.queue.empty() && e.c == nil && e.outgoing &&
			e.cancel != nil && m.entries[node] == e {
			e.cancel()
			m.failLocked(node, e, fmt.Errorf("connect to %s: given up: %w", node, ctx.Err()))
			m.d.log.Debug("dial cancelled: nobody waits for it", "peer", node)
		}
		m.mu.Unlock()
		return nil, fmt.Errorf("connect to %s: %w", node, ctx.Err())
	}
	if e.err != nil {
		return nil, e.err
	}
	return e.c, nil
}

// want starts connecting to node unless it is up or being connected, and
// marks the attempt as wanted (Remote.Connect): it runs to its end.
func (m *connMgr) want(node term.Atom) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.startLocked(node)
	switch {
	case err != nil:
	case e.closing:
		e.rewant = true // the connection is going: connDown dials again
	case e.c == nil:
		e.wanted = true
	}
	return err
}

// failLocked ends a pending entry with err, waking its waiters, and
// returns what was queued on it; the caller hands that to
// Dist.pendingFailed once mu is released.
func (m *connMgr) failLocked(node term.Atom, e *entry, err error) pendingQueue {
	if m.entries[node] == e {
		delete(m.entries, node)
	}
	e.err = err
	q := e.queue
	e.queue = pendingQueue{}
	close(e.done)
	return q
}

// attemptDone is called by the goroutine that ran handshake attempt id,
// with its connection or its error. It reports whether the connection was
// installed (the caller then starts it); otherwise the caller discards it.
// Installing moves the entry's queue into the connection's send queue
// before anyone else can send on it.
func (m *connMgr) attemptDone(node term.Atom, id uint64, c *conn, err error) bool {
	m.mu.Lock()
	e := m.entries[node]
	if e == nil || e.owner != id || e.c != nil || m.closed {
		m.mu.Unlock()
		m.d.log.Debug("attempt superseded", "peer", node, "attempt", id, "err", err)
		return false // superseded: the peer's connection won, or we closed
	}
	if err != nil {
		if errors.Is(err, errSimultaneous) {
			e.owner, e.lost = 0, id // wait for the peer's own dial (see awaitPeer)
			m.mu.Unlock()
			return false
		}
		q := m.failLocked(node, e, err)
		m.mu.Unlock()
		m.d.pendingFailed(node, q, err)
		return false
	}
	e.c = c
	q := e.queue
	e.queue = pendingQueue{}
	var failed map[int]error
	if p := c.erl(); p != nil {
		failed = p.transcodeQueue(&q)
	}
	unsent := c.q.pushQueued(&q, c.peer.flags)
	c.traffic.framesOut.Add(uint64(len(q.items) - len(unsent) - len(failed)))
	close(e.done)
	m.mu.Unlock()
	m.d.queueFlushed(node, q, unsent, failed)
	return true
}

// awaitPeer waits, after our dial lost a simultaneous connect, for the
// peer's connection to replace the pending entry; if it does not come, the
// entry fails with err.
func (m *connMgr) awaitPeer(ctx context.Context, node term.Atom, id uint64, err error) {
	m.mu.RLock()
	e := m.entries[node]
	waiting := e != nil && e.owner == 0 && e.c == nil && e.lost == id
	m.mu.RUnlock()
	if !waiting {
		return // the peer's connection already took the entry
	}
	select {
	case <-e.done:
		return
	case <-ctx.Done():
	}
	m.mu.Lock()
	if m.entries[node] == e && e.owner == 0 && e.c == nil && e.lost == id {
		ferr := fmt.Errorf("connect to %s: both nodes dialed at once and its connection did not arrive: %w", node, err)
		q := m.failLocked(node, e, ferr)
		m.mu.Unlock()
		m.d.pendingFailed(node, q, ferr)
		return
	}
	m.mu.Unlock()
}

// decideIncoming is the acceptor's decision, once the dialer peer has
// proved it knows the cookie. It returns 0 to accept (attempt id then owns
// the entry, with whatever is queued on it) or a reject code and message.
// When an old connection to the peer is still up, the peer has evidently
// lost it: it is taken down (and nodedown delivered) before the new one is
// accepted.
//
// When an old connection is up, the dialer is asked first (decideAsk): it
// confirms only if its dial is still the one it wants, so a dial that lost
// a simultaneous connect on its own side never replaces the survivor.
func (m *connMgr) decideIncoming(peer hsPeer, id uint64, confirmed bool) (byte, string) {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return RejectRefused, fmt.Sprintf("%s is shutting down", m.d.name)
		}
		e := m.entries[peer.name]
		switch {
		case e == nil:
			m.entries[peer.name] = &entry{owner: id, done: make(chan struct{})}
		case e.c != nil:
			if !confirmed {
				m.mu.Unlock()
				return decideAsk, ""
			}
			old := e.c
			m.mu.Unlock()
			m.d.replaced(peer, old)
			old.close(ReasonClosed)
			<-old.gone
			continue
		case e.owner == 0:
			e.owner, e.outgoing = id, false
		case !e.outgoing:
			m.mu.Unlock()
			return RejectRefused, fmt.Sprintf("another connection from %s is being set up", peer.name)
		case m.d.name < peer.name:
			// Simultaneous connect: the dial of the node with the greater
			// name survives. Ours loses; the peer rejects it. The entry,
			// and what is queued on it, now wait for the peer's connection.
			e.owner, e.outgoing = id, false
		default:
			m.mu.Unlock()
			return RejectSimultaneous, fmt.Sprintf("simultaneous connect: %s is dialing %s, and the connection of the greater name wins", m.d.name, peer.name)
		}
		m.mu.Unlock()
		m.d.log.Debug("accepting", "peer", peer.name, "attempt", id, "conn", fmt.Sprintf("%016x", peer.id))
		return 0, ""
	}
}

// connDown reports nodedown for c and removes it from the table, if it is
// still the connection of its peer. The entry stays, closing, while the
// node layer takes the connection's links and monitors: what is sent to
// the node meanwhile is lost with the connection (a link or monitor fires
// with noconnection) rather than starting a new connection whose failure
// would be reported first. Then the entry goes, and the nodedown is
// delivered: a process that hears it and sends to the node at once starts
// a new connection. That connection's nodeup waits for the delivery to
// end (awaitDown), so no one hears of the new connection before the old
// one's loss.
func (m *connMgr) connDown(c *conn, reason term.Atom) {
	m.mu.Lock()
	e := m.entries[c.peer.name]
	installed := e != nil && e.c == c
	if installed {
		e.closing = true
	}
	m.mu.Unlock()
	if !installed {
		return
	}
	m.d.log.Info("node down", "peer", c.peer.name, "reason", string(reason))
	deliver := m.d.node.NodeDown(c.peer.name, reason, c.peer.hidden())
	delivered := make(chan struct{})
	m.mu.Lock()
	if m.entries[c.peer.name] == e {
		delete(m.entries, c.peer.name)
		if m.downs == nil {
			m.downs = map[term.Atom]chan struct{}{}
		}
		m.downs[c.peer.name] = delivered
		if e.rewant {
			if ne, err := m.startLocked(c.peer.name); err == nil {
				ne.wanted = true
			}
		}
	}
	m.mu.Unlock()
	deliver()
	m.mu.Lock()
	if m.downs[c.peer.name] == delivered {
		delete(m.downs, c.peer.name)
	}
	m.mu.Unlock()
	close(delivered)
}

// awaitDown waits until the nodedown of node's previous connection, if one
// is being delivered, has been.
func (m *connMgr) awaitDown(node term.Atom) {
	m.mu.RLock()
	ch := m.downs[node]
	m.mu.RUnlock()
	if ch != nil {
		<-ch
	}
}

// closeAll fails pending entries and closes every connection; later calls
// to get fail with ErrClosed.
func (m *connMgr) closeAll() {
	m.mu.Lock()
	m.closed = true
	var conns []*conn
	failed := map[term.Atom]pendingQueue{}
	for node, e := range m.entries {
		if e.c != nil {
			conns = append(conns, e.c)
		} else {
			failed[node] = m.failLocked(node, e, ErrClosed)
		}
	}
	m.mu.Unlock()
	for node, q := range failed {
		m.d.pendingFailed(node, q, ErrClosed)
	}
	for _, c := range conns {
		c.close(ReasonShutdown)
	}
}

// nodes returns the peers that are up, hidden or visible, sorted.
func (m *connMgr) nodes(hidden bool) []term.Atom {
	m.mu.RLock()
	var out []term.Atom
	for node, e := range m.entries {
		if e.c != nil && !e.closing && e.c.peer.hidden() == hidden {
			out = append(out, node)
		}
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// conns returns the connections that are up.
func (m *connMgr) conns() []*conn {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]*conn, 0, len(m.entries))
	for _, e := range m.entries {
		if e.c != nil && !e.closing {
			out = append(out, e.c)
		}
	}
	return out
}

// known reports whether node is up or being connected.
func (m *connMgr) known(node term.Atom) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.entries[node] != nil
}

// stillOwner reports whether dial attempt id still owns node's pending
// entry: the answer to an acceptor's ALIVE.
func (m *connMgr) stillOwner(node term.Atom, id uint64) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := m.entries[node]
	return e != nil && e.owner == id && e.c == nil
}
