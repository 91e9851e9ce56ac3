package cluster

import (
	"context"
	"errors"
	"sync"
	"time"
)

// sendQueue is a connection's outgoing queue: a mutex, the queued frames
// copied back to back into one buffer, and a one-slot signal channel that
// wakes the writer. Its byte count includes the batch the writer is still
// writing; a blocking push waits while the count is at or above the limit.
type sendQueue struct {
	mu      sync.Mutex // protects following
	cond    sync.Cond
	buf     []byte // queued frames
	spare   []byte // the other buffer, while the writer writes one
	writing int    // bytes of the batch being written
	limit   int
	closed  bool
	blocked int // senders waiting for room (tests look at it)
	// Who writes to the socket: the writer goroutine (writerBusy, from
	// taking a batch until it has written it) or one sender writing its
	// frame directly (direct). Never both, so frames are never interleaved
	// or reordered.
	writerBusy bool
	direct     bool
	lastDirect time.Duration // on clock
	clock      monoClock     // the connection's (see conn.write)

	signal chan struct{}
}

// A queue's buffers start at minQueueBuf bytes; one grown past twice the
// queue's limit plus minQueueBuf (a huge frame) is dropped after its
// batch, not kept.
const minQueueBuf = 64 << 10

func (q *sendQueue) init(limit int, clock monoClock) {
	q.cond.L = &q.mu
	q.writerBusy = true // until the writer starts: the handshake may still be writing
	q.limit = limit
	q.signal = make(chan struct{}, 1)
	q.clock, q.lastDirect = clock, never
}

var errConnClosed = errors.New("connection closed")

// errPeerNotReading is returned by a signal's push when the queue holds
// more than overflowFactor times its limit: signals and replies do not
// wait, so a peer that asks for them and never reads would otherwise grow
// the queue without end. The connection is closed.
var errPeerNotReading = errors.New("the peer does not read what it is sent")

const overflowFactor = 16

// push queues a copy of frame, or reports (direct true) that the caller
// should write it to the socket itself and then call directDone: when
// nothing is queued or being written and the last direct write is older
// than directGap. Only blocking pushes (messages) write directly: signals
// must never wait on the socket.
func (q *sendQueue) push(ctx context.Context, frame []byte, block bool) (bool, error) {
	q.mu.Lock()
	if block && len(q.buf)+q.writing >= q.limit {
		var stop func() bool
		for len(q.buf)+q.writing >= q.limit && !q.closed {
			if err := ctx.Err(); err != nil {
				q.mu.Unlock()
				if stop != nil {
					stop()
				}
				return false, err
			}
			if stop == nil && ctx.Done() != nil {
				stop = context.AfterFunc(ctx, func() {
					q.mu.Lock()
					q.cond.Broadcast()
					q.mu.Unlock()
				})
			}
			q.blocked++
			q.cond.Wait()
			q.blocked--
		}
		if stop != nil {
			stop() // does not wait for the func, which takes q.mu
		}
	}
	if q.closed {
		q.mu.Unlock()
		return false, errConnClosed
	}
	if queued := len(q.buf) + q.writing; !block && queued > 0 && queued+len(frame) > overflowFactor*q.limit {
		q.mu.Unlock()
		return false, errPeerNotReading
	}
	if block && len(q.buf) == 0 && !q.writerBusy && !q.direct {
		if now := q.clock.now(); now-q.lastDirect > directGap {
			q.direct, q.lastDirect = true, now
			q.mu.Unlock()
			return true, nil
		}
	}
	wake := len(q.buf) == 0
	if q.buf == nil {
		q.buf = make([]byte, 0, max(minQueueBuf, len(frame)))
	}
	q.buf = append(q.buf, frame...)
	q.mu.Unlock()
	if wake {
		q.wake()
	}
	return false, nil
}

func (q *sendQueue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// directDone ends a direct write and wakes the writer for what was queued
// meanwhile.
func (q *sendQueue) directDone() {
	q.mu.Lock()
	q.direct = false
	pending := len(q.buf) > 0
	q.mu.Unlock()
	if pending {
		q.wake()
	}
}

// idle marks the writer idle (its last batch is written).
func (q *sendQueue) idle() {
	q.mu.Lock()
	q.writerBusy = false
	q.mu.Unlock()
}

// busy makes the writer the socket's writer if no direct write runs.
func (q *sendQueue) busy() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.direct {
		return false
	}
	q.writerBusy = true
	return true
}

// take returns the queued frames as one batch.
func (q *sendQueue) take() ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, true
	}
	if q.direct || len(q.buf) == 0 {
		return nil, false // a direct writer wakes us when it is done
	}
	q.writerBusy = true
	batch := q.buf
	q.writing = len(batch)
	q.buf, q.spare = q.spare[:0], nil
	return batch, false
}

// release accounts the written batch and keeps its buffer for the next.
func (q *sendQueue) release(batch []byte) {
	q.mu.Lock()
	q.writing = 0
	if q.spare == nil && cap(batch) <= 2*q.limit+minQueueBuf {
		q.spare = batch[:0]
	}
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *sendQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.buf = nil
	q.mu.Unlock()
	q.cond.Broadcast()
	q.wake()
}

// stats returns the queued bytes and the number of senders waiting: for
// room in the queue, or in a direct write the socket does not take.
func (q *sendQueue) stats() (bytes, blocked int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	blocked = q.blocked
	if q.direct {
		blocked++
	}
	return len(q.buf) + q.writing, blocked
}
