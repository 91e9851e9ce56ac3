package cluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Admission of incoming handshakes. Before the cookie is checked a
// connection proves nothing, yet costs a goroutine, a socket and a small
// buffer. A flood of such connections (idle, or sending garbage) must not
// lock a node's real peers out, which a plain cap did: newcomers were
// refused once the slots were full, and one host holding 130 idle
// connections made every ping of a new node answer pang. So:
//
//   - At most maxHandshakes handshakes run at once. When they are all
//     taken, a newcomer is admitted and an older one is evicted instead:
//     first one whose peer has said nothing yet (no valid HELLO), then one
//     under way; in each group the oldest of the address that holds the
//     most (per-address fairness: one flooding address does not evict the
//     others' handshakes). A real dialer sends HELLO the moment it
//     connects, so it leaves the silent group at once.
//   - One remote address may hold at most maxHandshakesPerHost (loopback
//     excepted: local clusters connect all at once); a newcomer from an
//     address at its cap evicts that address's oldest silent connection,
//     or is refused if all of them are under way.
//   - A connection has helloTimeout, shorter than the handshake's, to send
//     its HELLO.
//   - An evicted or refused connection is told why (REJECT code busy)
//     where the protocol allows it (not through TLS), so a real dialer
//     reports "busy" instead of a connection closed without a word.
//   - Refusals, evictions and failed handshakes are counted and logged at
//     a bounded rate (limitedLog), not once each.
const (
	maxHandshakes        = 1024 // handshakes in progress at once
	maxHandshakesPerHost = 64   // of them from one address (loopback excepted)
	helloTimeout         = 2 * time.Second
	hsBufSize            = 4 << 10  // a connection's read buffer during the handshake
	connBufSize          = 64 << 10 // and once it is up
)

// hsSlot is one incoming handshake in progress.
type hsSlot struct {
	nc      net.Conn
	key     string // the remote address, without port
	capped  bool   // key is subject to maxHandshakesPerHost (not loopback)
	hello   atomic.Bool
	evicted atomic.Bool
}

// admission tracks the incoming handshakes in progress.
type admission struct {
	mu     sync.Mutex // protects following
	slots  []*hsSlot  // in arrival order; evicted ones until their goroutine ends
	live   int        // slots not evicted
	byHost map[string]int
	// The caps; 0 means maxHandshakes and maxHandshakesPerHost (tests
	// set smaller ones).
	max, perHost int
}

func (a *admission) caps() (max, perHost int) {
	max, perHost = a.max, a.perHost
	if max == 0 {
		max = maxHandshakes
	}
	if perHost == 0 {
		perHost = maxHandshakesPerHost
	}
	return max, perHost
}

// admit takes a slot for nc, evicting another if needed (see above). It
// returns nil if nc must be refused, with the reason.
func (a *admission) admit(nc net.Conn) (*hsSlot, string) {
	remote := nc.RemoteAddr().String()
	key, _, err := net.SplitHostPort(remote)
	if err != nil {
		key = remote
	}
	ip := net.ParseIP(key)
	s := &hsSlot{nc: nc, key: key, capped: ip == nil || !ip.IsLoopback()}
	a.mu.Lock()
	if a.byHost == nil {
		a.byHost = map[string]int{}
	}
	limit, perHost := a.caps()
	if len(a.slots) >= 2*limit {
		a.mu.Unlock() // evicted ones have not ended yet: the flood outruns them
		return nil, "too many connections being set up"
	}
	var victim *hsSlot
	switch {
	case s.capped && a.byHost[key] >= perHost:
		victim = a.oldest(func(o *hsSlot) bool { return o.key == key && !o.hello.Load() })
		if victim == nil {
			a.mu.Unlock()
			return nil, "too many connections from one address being set up"
		}
	case a.live >= limit:
		victim = a.victim()
	}
	if victim != nil {
		victim.evicted.Store(true)
		a.live--
		a.byHost[victim.key]--
	}
	a.slots = append(a.slots, s)
	a.live++
	a.byHost[key]++
	a.mu.Unlock()
	if victim != nil {
		// Its read fails at once; its goroutine sees evicted and says so.
		_ = victim.nc.SetReadDeadline(time.Now())
	}
	return s, ""
}

// oldest returns the oldest live slot that match accepts.
func (a *admission) oldest(match func(*hsSlot) bool) *hsSlot {
	for _, o := range a.slots {
		if !o.evicted.Load() && match(o) {
			return o
		}
	}
	return nil
}

// victim picks the slot to evict when all are taken: silent ones first,
// then ones under way; within a group, the oldest of the address holding
// the most.
func (a *admission) victim() *hsSlot {
	for _, hello := range []bool{false, true} {
		var best *hsSlot
		for _, o := range a.slots {
			if o.evicted.Load() || o.hello.Load() != hello {
				continue
			}
			if best == nil || a.byHost[o.key] > a.byHost[best.key] {
				best = o
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// release gives s's slot back once its handshake has ended.
func (a *admission) release(s *hsSlot) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, o := range a.slots {
		if o == s {
			a.slots = append(a.slots[:i], a.slots[i+1:]...)
			break
		}
	}
	if !s.evicted.Load() {
		a.live--
		if a.byHost[s.key]--; a.byHost[s.key] <= 0 {
			delete(a.byHost, s.key)
		}
	}
}

// sawHello marks s as a peer that speaks gerl, and gives it the rest of
// the handshake time (from start) unless it was evicted meanwhile.
func (s *hsSlot) sawHello(start time.Time, timeout time.Duration) {
	s.hello.Store(true)
	_ = s.nc.SetDeadline(start.Add(timeout))
	if s.evicted.Load() {
		_ = s.nc.SetReadDeadline(time.Now()) // evict won the race: keep it evicted
	}
}

// tellBusy sends a connection that will not be served a REJECT saying so,
// where that can be done without waiting: not through TLS (whose own
// handshake would have to run first).
func tellBusy(nc net.Conn, why string) {
	if _, isTLS := nc.(*tls.Conn); isTLS {
		return
	}
	_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_ = writeReject(nc, RejectBusy, "busy: "+why+"; try again")
}

// upgradeReader returns a reader with the large buffer a connection reads
// its frames through, holding what the handshake's small reader had
// already buffered.
func upgradeReader(br *bufio.Reader, r io.Reader) *bufio.Reader {
	if n := br.Buffered(); n > 0 {
		rest, _ := br.Peek(n)
		r = io.MultiReader(bytes.NewReader(bytes.Clone(rest)), r)
	}
	return bufio.NewReaderSize(r, connBufSize)
}

// limitedLog logs the events of one kind at most once per window: the
// first event of a window with its details, and, when the window ends,
// how many more there were. A flood of bad connections costs a few lines
// of log, not one each, and nothing is hidden.
type limitedLog struct {
	window time.Duration // 0: logWindow

	mu     sync.Mutex // protects following
	until  time.Time  // end of the current window
	more   int        // events after the first in this window
	timer  *time.Timer
	closed bool
}

const logWindow = 10 * time.Second

// log logs msg with args at level, or counts it (see limitedLog).
func (l *limitedLog) log(log *slog.Logger, level slog.Level, msg string, args ...any) {
	window := l.window
	if window == 0 {
		window = logWindow
	}
	now := time.Now()
	l.mu.Lock()
	if now.After(l.until) {
		l.until = now.Add(window)
		l.mu.Unlock()
		log.Log(context.Background(), level, msg, args...)
		return
	}
	l.more++
	if l.timer == nil && !l.closed {
		l.timer = time.AfterFunc(l.until.Sub(now), func() {
			l.mu.Lock()
			n := l.more
			l.more, l.timer = 0, nil
			l.mu.Unlock()
			if n > 0 {
				log.Log(context.Background(), level, msg+" (and more like it)", "more", n, "within", window)
			}
		})
	}
	l.mu.Unlock()
}

// close stops a pending summary (the layer is closing).
func (l *limitedLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
}
