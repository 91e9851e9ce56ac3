package cluster

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// Reasons a connection went down, as node monitors see them in
// term.NodeDown.Reason.
const (
	ReasonClosed      term.Atom = "connection_closed"
	ReasonTickTimeout term.Atom = "net_tick_timeout"
	ReasonDisconnect  term.Atom = "disconnect"
	ReasonProtocol    term.Atom = "protocol_error"
	ReasonShutdown    term.Atom = "shutdown"
)

// ErrFrameTooLarge is matched when a message is larger than a frame may
// be (Config.MaxFrame, 64 MiB by default).
var ErrFrameTooLarge = errors.New("message too large")

// ErrNodeDown is matched when the connection to a node went down while a
// call, rpc or spawn was waiting for its answer.
var ErrNodeDown = errors.New("node down")

// conn is one authenticated connection to a peer.
//
// Goroutines: a reader and a writer, both started by start and both
// counted in Dist.wg. The reader owns the teardown: whoever wants the
// connection closed calls close(reason), which closes the socket; the
// reader's read then fails and the reader tears down (stops the writer,
// fails pending calls, releases held spawns, removes the connection from
// the table and reports nodedown), then closes gone.
//
// Senders encode frames on their own goroutine and push them on q, which
// copies them into its buffer; the writer writes the whole buffer at once.
// A message sent while the connection is idle is written by its sender
// instead (see send).
type conn struct {
	d        *Dist
	nc       net.Conn
	br       *bufio.Reader // over dr; the handshake read through it too
	dr       *deadlineReader
	peer     hsPeer
	outgoing bool
	proto    protocol // gerl's or Erlang's (protocol.go)
	maxFrame int      // the largest frame taken and sent: Config.MaxFrame, or ErlangMaxFrame

	q       sendQueue
	gone    chan struct{} // closed when the teardown is complete
	writerD chan struct{} // closed when the writer returned

	closeOnce sync.Once
	reason    atomic.Pointer[term.Atom]

	bytesOut atomic.Uint64 // frame bytes handed to the socket (stats)
	traffic  traffic       // frames and bytes each way (stats.go)
	wrote    atomic.Bool   // something was written since the last tick check
	wset     atomic.Int64  // when the write deadline was last moved, on dr.clock (time.Duration)
	isTLS    bool

	pmu     sync.Mutex // protects following
	pending map[uint64]chan message
	held    map[uint64]chan bool
	down    bool
}

func newConn(d *Dist, nc net.Conn, dr *deadlineReader, br *bufio.Reader, peer hsPeer, outgoing bool) *conn {
	c := &conn{
		d: d, nc: nc, dr: dr, br: br, peer: peer, outgoing: outgoing,
		gone:    make(chan struct{}),
		writerD: make(chan struct{}),
		pending: make(map[uint64]chan message),
		held:    make(map[uint64]chan bool),
	}
	_, c.isTLS = nc.(*tls.Conn)
	c.wset.Store(int64(never))
	c.q.init(d.cfg.SendQueueBytes, dr.clock)
	if peer.erlang {
		c.maxFrame = d.cfg.ErlangMaxFrame
		c.proto = newErlProto(c, peer.eflags, c.maxFrame)
	} else {
		c.maxFrame = d.cfg.MaxFrame
		c.proto = gerlProto{c}
	}
	return c
}

// start runs the reader and the writer.
func (c *conn) start() {
	c.d.wg.Add(2)
	go c.writer()
	go c.reader()
}

// close asks for the connection to go down with reason (the first reason
// given wins). It does not wait; <-c.gone does.
func (c *conn) close(reason term.Atom) {
	c.closeOnce.Do(func() {
		c.reason.Store(&reason)
		c.nc.Close()
	})
}

// send queues a frame. With block, the caller waits while the queue holds
// more than its byte limit (backpressure on a slow peer), or until ctx is
// done (the frame is then not sent); signals and replies pass without
// blocking so that a reader never waits on a writer.
//
// A message sent while the connection is idle (nothing queued, nobody
// writing, no direct write in the last directGap) is written to the socket
// by the sender itself: one goroutine switch less for request/response
// traffic. A sender that streams finds the queue busy and leaves the
// batching to the writer.
func (c *conn) send(ctx context.Context, frame []byte, block bool) error {
	if n := len(frame) - 4; n > c.maxFrame {
		// A peer with the same MaxFrame (see Config) would close the
		// connection on it, taking every link and monitor across it down:
		// refuse it here instead.
		c.d.codec.recycle(frame)
		return fmt.Errorf("send to %s: %w: %d bytes, the limit is %d", c.peer.name, ErrFrameTooLarge, n, c.maxFrame)
	}
	direct, err := c.q.push(ctx, frame, block)
	if err == nil {
		c.traffic.framesOut.Add(1)
	}
	if err != nil {
		c.d.codec.recycle(frame)
		if errors.Is(err, errPeerNotReading) {
			c.d.log.Error("closing connection: signals and replies to it piled up past the limit", "peer", c.peer.name,
				"limit", overflowFactor*c.d.cfg.SendQueueBytes)
			c.close(ReasonClosed)
		}
		return fmt.Errorf("send to %s: %w", c.peer.name, err)
	}
	if direct {
		err := c.write(frame)
		c.bytesOut.Add(uint64(len(frame)))
		c.wrote.Store(true)
		c.q.directDone()
		if err != nil {
			c.writeFailed(err)
		}
	}
	// push copied a queued frame; a direct one is written: either way the
	// frame's buffer is free again.
	c.d.codec.recycle(frame)
	return nil
}

// directGap is how long after a direct write the next message goes through
// the writer instead, so that a streaming sender gets batched writes.
const directGap = 10 * time.Microsecond

// reader reads, validates and dispatches frames until the connection
// fails, then tears it down.
func (c *conn) reader() {
	defer c.d.wg.Done()
	reason := ReasonClosed
	var buf []byte
	r := c.br
	c.dr.timeout.Store(int64(c.d.cfg.TickTime))
loop:
	for {
		frame, err := readFrame(r, buf, c.maxFrame)
		if err != nil {
			c.d.log.Debug("connection reader stopped", "peer", c.peer.name, "conn", fmt.Sprintf("%016x", c.peer.id), "err", err)
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				reason = ReasonTickTimeout
				c.d.log.Warn("connection timed out: nothing received within the net tick time",
					"peer", c.peer.name, "ticktime", c.d.cfg.TickTime)
			case errors.Is(err, ErrMalformed) && c.peer.erlang:
				reason = ReasonProtocol
				c.d.log.Error("closing connection to an Erlang node: bad frame (a message over the limit for Erlang peers is refused this way; see -erl_max_frame)",
					"peer", c.peer.name, "err", err)
			case errors.Is(err, ErrMalformed):
				reason = ReasonProtocol
				c.d.log.Error("closing connection: bad frame", "peer", c.peer.name, "err", err)
			}
			break loop
		}
		c.traffic.received(len(frame))
		if len(frame) == 0 {
			continue // tick
		}
		buf = frame[:0]
		if cap(buf) > 1<<20 {
			buf = nil // do not keep a huge buffer for the connection's life
		}
		if err := c.proto.receive(frame); err != nil {
			reason = ReasonProtocol
			c.d.log.Error("closing connection: bad control message", "peer", c.peer.name, "err", err)
			break loop
		}
		if r.Buffered() == 0 {
			// Nothing more read yet: let the process this message woke
			// run (and perhaps answer) before this goroutine goes back to
			// the socket, which would most likely find it empty.
			runtime.Gosched()
		}
	}
	c.close(reason)
	c.teardown()
}

// monoClock reads the monotonic clock as the time since it was made, at
// half the cost of time.Now (which reads the wall clock too): the
// deadlines below are checked at every read and write of a message.
type monoClock struct{ start time.Time }

func newMonoClock() monoClock { return monoClock{start: time.Now()} }

// now is the time since the clock was made.
func (m monoClock) now() time.Duration { return time.Since(m.start) }

// at is the time at d on the clock.
func (m monoClock) at(d time.Duration) time.Time { return m.start.Add(d) }

// never is a time on a monoClock long past: a deadline moved at never is
// moved again at the next check.
const never = time.Duration(math.MinInt64 / 2)

// deadlineReader bounds every read by timeout, once the handshake is over
// (the handshake sets its own deadline; timeout is 0 until then): a peer
// silent for the tick time (not even ticks) is declared down.
type deadlineReader struct {
	nc      net.Conn
	timeout atomic.Int64 // time.Duration; 0: leave the deadline alone
	clock   monoClock
	set     time.Duration // when the deadline was last moved, on clock (reader only)
}

func newDeadlineReader(nc net.Conn) *deadlineReader {
	return &deadlineReader{nc: nc, clock: newMonoClock(), set: never}
}

// Read reads with a deadline of timeout from now. Moving a deadline costs
// a timer update, so it is moved only once a sixteenth of the timeout has
// passed since the last move.
//
// When the deadline passes, the peer gets one more sixteenth of the
// timeout before its silence counts: after this process was paused or
// starved of CPU (a loaded machine, a long GC), the deadline's timer can
// fire before the peer's tick is read, though the tick has arrived and
// waits in the socket's buffer (Go reports an expired deadline without
// reading). So a silent peer is declared down between the timeout and an
// eighth more, and a healthy one not for a pause of this node's own.
func (r *deadlineReader) Read(p []byte) (int, error) {
	t := time.Duration(r.timeout.Load())
	if t <= 0 {
		return r.nc.Read(p)
	}
	if now := r.clock.now(); now-r.set > t/16 {
		_ = r.nc.SetReadDeadline(r.clock.at(now + t))
		r.set = now
	}
	n, err := r.nc.Read(p)
	if n == 0 && err != nil && isTimeout(err) {
		_ = r.nc.SetReadDeadline(time.Now().Add(t / 16))
		r.set = never // the next read moves the deadline back to t
		n, err = r.nc.Read(p)
	}
	return n, err
}

// teardown runs on the reader once the socket is closed.
func (c *conn) teardown() {
	c.q.close()
	<-c.writerD
	c.pmu.Lock()
	c.down = true
	pending, held := c.pending, c.held
	c.pending, c.held = nil, nil
	c.pmu.Unlock()
	for _, ch := range pending {
		close(ch)
	}
	for _, gate := range held {
		gate <- false
	}
	c.proto.down()
	reason := *c.reason.Load()
	c.d.mgr.connDown(c, reason)
	close(c.gone)
}

// writer drains the send queue into the socket, flushing when the queue is
// empty, and sends a tick when nothing was sent for a quarter of the tick
// time.
func (c *conn) writer() {
	defer c.d.wg.Done()
	defer close(c.writerD)
	tick := time.NewTicker(c.d.cfg.TickTime / 4)
	defer tick.Stop()
	for {
		batch, closed := c.q.take()
		if closed {
			return
		}
		if len(batch) > 0 {
			// The queue holds whole frames back to back: one write each
			// time the writer comes round, however many messages.
			err := c.write(batch)
			c.bytesOut.Add(uint64(len(batch)))
			c.q.release(batch)
			if err != nil {
				c.writeFailed(err)
				return
			}
			c.wrote.Store(true)
			continue
		}
		c.q.idle()
		select {
		case <-c.q.signal:
		case <-tick.C:
			if !c.wrote.Swap(false) && c.q.busy() {
				err := c.write(make([]byte, 4)) // a tick: an empty frame
				c.q.idle()
				if err != nil {
					c.writeFailed(err)
					return
				}
			}
		}
	}
}

// writeChunk is the most written to the socket under one deadline.
const writeChunk = 64 << 10

// write writes b to the socket. Every write has a deadline of the tick
// time, as nats-server puts one on every flush: a peer that takes no bytes
// for that long (stopped, or too slow to keep up) is cut as a slow
// consumer instead of holding a writer (the writer goroutine, or a process
// writing its message directly) forever; see writeFailed. A large batch
// goes in chunks of writeChunk, each under its own deadline, so that a
// slow peer that does take bytes is not cut. The deadline is moved at most
// every sixteenth of the tick time, as the read deadline is. Writes are
// never concurrent (the send queue lets one writer at a time).
func (c *conn) write(b []byte) error {
	t := c.d.cfg.TickTime
	for len(b) > 0 {
		n := min(len(b), writeChunk)
		if now := c.dr.clock.now(); now-time.Duration(c.wset.Load()) > t/16 {
			_ = c.nc.SetWriteDeadline(c.dr.clock.at(now + t))
			c.wset.Store(int64(now))
		}
		w, err := c.nc.Write(b[:n])
		if err != nil && !c.isTLS && isTimeout(err) {
			// One more sixteenth of the tick time, as deadlineReader
			// gives a silent peer: a pause of this node's own can expire
			// the deadline before the socket is tried again. (Not through
			// TLS: its state is lost after a write that timed out.)
			_ = c.nc.SetWriteDeadline(time.Now().Add(t / 16))
			c.wset.Store(int64(never))
			var more int
			more, err = c.nc.Write(b[w:n])
			w += more
		}
		if err != nil {
			return err
		}
		b = b[w:]
	}
	return nil
}

// isTimeout reports whether err is a deadline passing. (Called only with
// an error: the net.Error it looks for escapes to the heap.)
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// writeFailed closes the connection after a failed write: with reason
// net_tick_timeout when the peer took nothing for the tick time.
func (c *conn) writeFailed(err error) {
	if isTimeout(err) {
		c.d.log.Warn("connection timed out: the peer took nothing we sent within the net tick time (a slow consumer)",
			"peer", c.peer.name, "ticktime", c.d.cfg.TickTime)
		c.close(ReasonTickTimeout)
		return
	}
	c.d.log.Debug("write failed", "peer", c.peer.name, "err", err)
	c.close(ReasonClosed)
}

// newCall registers a pending call (spawn or rpc) and returns its id and
// the channel its reply arrives on; the channel is closed if the
// connection goes down first.
func (c *conn) newCall() (uint64, chan message, error) {
	id := c.d.nextID.Add(1)
	ch := make(chan message, 1)
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if c.down {
		return 0, nil, fmt.Errorf("%s: %w", c.peer.name, ErrNodeDown)
	}
	c.pending[id] = ch
	return id, ch, nil
}

func (c *conn) cancelCall(id uint64) {
	c.pmu.Lock()
	delete(c.pending, id)
	c.pmu.Unlock()
}

func (c *conn) completeCall(m message) {
	c.pmu.Lock()
	ch := c.pending[m.id]
	delete(c.pending, m.id)
	c.pmu.Unlock()
	if ch != nil {
		ch <- m
	}
}

// dispatch applies one control message from the peer. It runs on the
// reader and never blocks on the network.
func (c *conn) dispatch(m message) error {
	n := c.d.node
	fromPeer := func() error {
		if m.from.Node != c.peer.name {
			return fmt.Errorf("%w: control message %d from %s names a process of %s", ErrMalformed, m.op, c.peer.name, m.from.Node)
		}
		return nil
	}
	switch m.op {
	case opSend:
		n.DeliverSend(m.from, m.to, m.payload)
	case opRegSend:
		n.DeliverSendName(m.from, m.name, m.payload)
	case opLink:
		if err := fromPeer(); err != nil {
			return err
		}
		n.DeliverLink(m.from, m.to)
	case opUnlink:
		if err := fromPeer(); err != nil {
			return err
		}
		n.DeliverUnlink(m.from, m.to)
	case opLinkExit:
		if err := fromPeer(); err != nil {
			return err
		}
		if n.IsLocal(m.to) {
			n.DeliverLinkExit(m.from, m.to, m.payload)
		}
	case opExit:
		// An explicit exit signal may also come from outside any process
		// (the zero pid).
		if !m.from.IsZero() {
			if err := fromPeer(); err != nil {
				return err
			}
		}
		if n.IsLocal(m.to) {
			n.DeliverExit(m.from, m.to, m.payload)
		}
	case opMonitor:
		if err := fromPeer(); err != nil {
			return err
		}
		n.DeliverMonitor(m.from, m.to, "", m.ref)
	case opMonitorName:
		if err := fromPeer(); err != nil {
			return err
		}
		n.DeliverMonitor(m.from, term.Pid{}, m.name, m.ref)
	case opDemonitor:
		if err := fromPeer(); err != nil {
			return err
		}
		n.DeliverDemonitor(m.from, m.ref)
	case opDown:
		if n.IsLocal(m.to) {
			n.DeliverDown(m.to, m.ref, m.from, m.payload)
		}
	case opNodes:
		c.d.learnNodes(c, m.nodes)
	case opSpawnReq, opSpawnFun:
		return c.d.serveSpawn(c, m)
	case opSpawnReply, opRPCReply:
		c.completeCall(m)
	case opSpawnGo:
		c.pmu.Lock()
		gate := c.held[m.id]
		delete(c.held, m.id)
		c.pmu.Unlock()
		if gate != nil {
			gate <- m.run
		}
	case opRPCReq, opRPCFun:
		c.d.serveRPC(c, m)
	}
	return nil
}
