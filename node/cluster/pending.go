package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gerl-dev/gerl/node/term"
)

// Sending towards a node (Remote's methods, casts) never waits for a
// handshake. post finds the node's entry in the connection table: a frame
// for a connection that is up goes to its send queue; one for a connection
// being set up is queued on the entry (pendingQueue), starting the dial if
// none runs, and the sender goes on at once. The entry's queue moves into
// the connection's send queue when the handshake succeeds (attemptDone), in
// order and before anything sent later, so per pair of processes the order
// of sends is kept. When the handshake fails (or the layer closes), queued
// messages are dropped, as Erlang drops messages to a node it cannot
// reach, with a warning that says how many and why; queued links and
// monitors fire with reason noconnection (pendingFailed).
//
// The queue is bounded like a connection's send queue: a message that
// finds more than the limit (Config.SendQueueBytes) queued waits until the
// handshake ends (backpressure, logged once per attempt); signals never
// wait, and past overflowFactor times the limit they fail as if the
// connection had.

// outgoing is one frame on its way to a node, with what is needed to
// report it undeliverable: the link or monitor it sets up.
type outgoing struct {
	frame []byte
	op    int
	from  term.Pid // LINK: the local process; MONITOR, MONITOR_NAME: the watcher
	to    term.Pid // LINK: the remote process; MONITOR: the target
	ref   term.Ref // MONITOR, MONITOR_NAME
	needs uint64   // capability flags the peer must announce (a cast: FlagRPC)
	// native: frame is in its connection's protocol already; otherwise
	// it is in gerl's, and a connection to an Erlang node re-encodes it.
	native bool
}

// message reports whether o is a message (which may wait for room), not a
// signal.
func (o *outgoing) message() bool {
	return o.op == opSend || o.op == opRegSend || o.op == opRPCReq || o.op == opRPCFun
}

// pendingQueue is what was queued on a pending entry, in order. Guarded
// by connMgr.mu.
type pendingQueue struct {
	items  []outgoing
	bytes  int
	warned bool // the full-queue warning was logged for this attempt
}

func (q *pendingQueue) empty() bool { return len(q.items) == 0 }

// postResult is what enqueue did with a frame.
type postResult int

const (
	postQueued    postResult = iota // queued on the pending entry
	postUp                          // the connection is up: send on it
	postWait                        // the pending queue is full: wait, then post again
	postWaitFirst                   // the same, for the first time in this attempt
	postDropped                     // no connection and none wanted: nothing to do
	postFull                        // signals past the overflow: undeliverable
)

// enqueue queues o on node's pending entry, creating it (and starting a
// dial) when connect is set and there is none.
func (m *connMgr) enqueue(node term.Atom, o *outgoing, connect bool) (postResult, *conn, <-chan struct{}, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[node]
	if e == nil {
		if !connect {
			return postDropped, nil, nil, nil
		}
		var err error
		if e, err = m.startLocked(node); err != nil {
			return 0, nil, nil, err
		}
	}
	if e.c != nil {
		return postUp, e.c, nil, nil
	}
	limit := m.d.cfg.SendQueueBytes
	q := &e.queue
	if o.message() {
		if q.bytes >= limit {
			if !q.warned {
				q.warned = true
				return postWaitFirst, nil, e.done, nil
			}
			return postWait, nil, e.done, nil
		}
	} else if q.bytes > 0 && q.bytes+len(o.frame) > overflowFactor*limit {
		return postFull, nil, nil, nil
	}
	q.items = append(q.items, *o)
	q.bytes += len(o.frame)
	return postQueued, nil, nil, nil
}

// post sends o to node: on its connection when it is up, queued while the
// connection is set up (dialing first if connect and there is no entry),
// dropped when there is no connection and connect is false (a signal about
// a link or monitor that went with the connection). A message may wait for
// room (see above), until ctx is done. post returns an error only for a
// node that can never be reached, a frame over the size limit, a peer that
// does not serve what o needs, or ctx done while waiting (o is then not
// sent); a connection that fails or is lost reports o as pendingFailed
// does, never as an error.
func (d *Dist) post(ctx context.Context, node term.Atom, o *outgoing, connect bool) error {
	if n := len(o.frame) - 4; n > d.cfg.MaxFrame {
		// A peer with the same MaxFrame (see Config) would close the
		// connection on it, taking every link and monitor across it down:
		// refuse it here instead.
		d.codec.recycle(o.frame)
		return fmt.Errorf("send to %s: %w: %d bytes, the limit is %d", node, ErrFrameTooLarge, n, d.cfg.MaxFrame)
	}
	for {
		if c := d.mgr.up(node); c != nil {
			return d.sendOn(ctx, c, o)
		}
		res, c, wait, err := d.mgr.enqueue(node, o, connect)
		switch res {
		case postUp:
			return d.sendOn(ctx, c, o)
		case postWait, postWaitFirst:
			if res == postWaitFirst {
				d.log.Warn("senders wait: more than the send queue's limit is queued for a node whose connection is being set up",
					"peer", node, "limit", d.cfg.SendQueueBytes)
			}
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				d.codec.recycle(o.frame)
				return fmt.Errorf("send to %s: %w", node, ctx.Err())
			}
		case postFull:
			d.overflowLog.log(d.log, slog.LevelError, "signals for a node whose connection is being set up piled up past the limit; failing them",
				"peer", node, "limit", overflowFactor*d.cfg.SendQueueBytes)
			d.codec.recycle(o.frame)
			d.undeliverable(o)
		case postDropped:
			d.codec.recycle(o.frame)
		}
		return err
	}
}

// sendOn sends o on c. A connection that is closed or closing loses o
// with everything else in flight: a message is dropped, a link or monitor
// fires with noconnection.
func (d *Dist) sendOn(ctx context.Context, c *conn, o *outgoing) error {
	if c.peer.flags&o.needs != o.needs {
		d.codec.recycle(o.frame)
		return fmt.Errorf("%s: %w: the node does not serve what this needs", c.peer.name, ErrRefused)
	}
	if p := c.erl(); p != nil && !o.native {
		frame, err := p.transcode(o.frame)
		d.codec.recycle(o.frame)
		if err != nil || frame == nil {
			return err
		}
		o.frame, o.native = frame, true
	}
	err := c.send(ctx, o.frame, o.message())
	if err == nil || errors.Is(err, ErrFrameTooLarge) || ctx.Err() != nil {
		return err
	}
	d.undeliverable(o)
	return nil
}

// undeliverable reports a frame that will never reach its node: the link
// or monitor it set up fires with noconnection, as it would have if the
// connection had failed after carrying it. Delivery consumes the link or
// monitor, so reporting one that already fired (NodeDown) does nothing.
func (d *Dist) undeliverable(o *outgoing) {
	switch o.op {
	case opLink:
		d.node.DeliverLinkExit(o.to, o.from, term.NoConnection)
	case opMonitor, opMonitorName:
		d.node.DeliverDown(o.from, o.ref, o.to, term.NoConnection)
	}
}

// pendingFailed handles what was queued for node when its connection could
// not be set up: messages are dropped (a warning says how many and why),
// links and monitors fire with noconnection, and monitor_node subscribers
// get nodedown.
func (d *Dist) pendingFailed(node term.Atom, q pendingQueue, why error) {
	dropped := 0
	for i := range q.items {
		o := &q.items[i]
		if o.message() {
			dropped++
		}
		d.codec.recycle(o.frame)
		d.undeliverable(o)
	}
	if dropped > 0 {
		d.droppedLog.log(d.log, slog.LevelWarn, "messages dropped: the connection could not be set up",
			"peer", string(node), "messages", dropped, "err", why)
	}
	d.node.ConnectFailed(node, term.NoConnection)
}

// queueFlushed gives back the buffers of a queue moved into a connection,
// and reports what the peer cannot take (see pushQueued, transcodeQueue).
func (d *Dist) queueFlushed(node term.Atom, q pendingQueue, unsent []int, failed map[int]error) {
	for _, i := range unsent {
		o := &q.items[i]
		d.log.Warn("dropped a request the node does not serve", "peer", string(node), "op", o.op)
		d.undeliverable(o)
	}
	for i, err := range failed {
		d.log.Warn("dropped what was queued for an Erlang node that cannot take it", "peer", string(node), "op", q.items[i].op, "err", err)
		d.undeliverable(&q.items[i])
	}
	for i := range q.items {
		d.codec.recycle(q.items[i].frame)
	}
}

// transcodeQueue re-encodes what was queued for a connection that turned
// out to speak Erlang's protocol (see postMsg), in place; it returns what
// cannot be sent to an Erlang node, by index, with why. A frame that
// needs no sending (a demonitor of a monitor that fired already) becomes
// nil, which pushQueued skips.
func (p *erlProto) transcodeQueue(q *pendingQueue) map[int]error {
	var failed map[int]error
	for i := range q.items {
		o := &q.items[i]
		frame, err := p.transcode(o.frame)
		p.d.codec.recycle(o.frame)
		o.frame = frame
		if err != nil {
			if failed == nil {
				failed = map[int]error{}
			}
			failed[i] = err
		}
	}
	return failed
}

// pushQueued appends the frames of a pending queue to a connection's
// queue that no writer drains yet (the connection is being installed), in
// order and whatever the limit: they were admitted against the pending
// queue's. A frame that needs a capability the peer does not announce is
// left out; its index is returned. A nil frame is skipped.
func (q *sendQueue) pushQueued(p *pendingQueue, peerFlags uint64) (unsent []int) {
	if p.empty() {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.buf == nil {
		q.buf = make([]byte, 0, max(minQueueBuf, p.bytes))
	}
	for i := range p.items {
		o := &p.items[i]
		if peerFlags&o.needs != o.needs {
			unsent = append(unsent, i)
			continue
		}
		q.buf = append(q.buf, o.frame...)
	}
	return unsent
}
