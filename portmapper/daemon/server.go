package daemon

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults of Config.
const (
	DefaultIdleTimeout = 60 * time.Second // epmd's packet timeout
	DefaultMaxPending  = 4096
	DefaultMaxNodes    = 4096
)

// Sentinel errors of the daemon.
var (
	// ErrServerClosed is returned by Serve after Close.
	ErrServerClosed = errors.New("port mapper closed")
	// ErrKilled is returned by Serve after a client's KILL request was granted.
	ErrKilled = errors.New("port mapper killed by request")
	// ErrAddrInUse wraps the error of Listen when the port is taken on one of
	// the addresses, typically by another port mapper (gerl's or epmd).
	ErrAddrInUse = errors.New("address already in use")
)

// Config configures a Server.
type Config struct {
	// Port is the TCP port to listen on. 0 picks a free port (tests); the
	// gerl command passes DefaultPort or GERL_PORTMAPPER_PORT.
	Port int
	// Addresses are IP addresses to listen on besides the loopback ones
	// (127.0.0.1 and ::1), which are always included. An unspecified address
	// (0.0.0.0 or ::) replaces the loopback ones, since it covers them.
	Addresses []string
	// Relaxed allows KILL while nodes are registered, and STOP.
	Relaxed bool
	// IdleTimeout is how long a connection that is not a registration may
	// take to deliver its request and read the answer. 0 means
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxPending caps the connections waiting for (or being answered) at
	// once; at the cap the oldest is closed to make room, so a flood of idle
	// clients cannot lock out lookups. Registrations do not count. 0 means
	// DefaultMaxPending.
	MaxPending int
	// MaxNodes caps the live registrations; beyond it ALIVE2 is refused.
	// 0 means DefaultMaxNodes.
	MaxNodes int
	// Logger receives the daemon's log; nil discards it.
	Logger *slog.Logger
}

// Server is the port-mapper daemon. It speaks EPMD's protocol: one request
// per connection, answered and closed, except a granted ALIVE2 whose
// connection then holds the registration until either side closes it.
//
// Goroutines: one accept loop per listener and one per connection, all
// owned by the Server and waited for by Close. Methods are safe for
// concurrent use. Lock order: Server.mu, then registry.mu (never the reverse;
// in practice they are not nested).
type Server struct {
	cfg     Config
	log     *slog.Logger
	reg     *registry
	isLocal func(remote, local net.Addr) bool // a field so tests can play a remote peer

	fullLogged atomic.Bool // a refusal for a full table was logged at Warn since the last registration

	stopping chan struct{} // closed when shutdown starts
	stopOnce sync.Once
	wg       sync.WaitGroup

	mu       sync.Mutex // protects following, and trackedConn.elem
	lns      []net.Listener
	port     int
	serving  bool
	stopErr  error
	pending  *list.List            // of *trackedConn, oldest first
	holding  map[*trackedConn]bool // registration connections
	nextConn uint64
}

// trackedConn is a connection the Server will close on shutdown. elem is
// its place in Server.pending, nil once it holds a registration or is gone.
type trackedConn struct {
	net.Conn
	id   uint64
	elem *list.Element
}

// NewServer returns a Server for cfg. Call Listen, then Serve.
func NewServer(cfg Config) *Server {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.MaxNodes <= 0 {
		cfg.MaxNodes = DefaultMaxNodes
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{
		cfg:      cfg,
		log:      log,
		reg:      newRegistry(cfg.MaxNodes),
		isLocal:  isLocalPeer,
		stopping: make(chan struct{}),
		pending:  list.New(),
		holding:  make(map[*trackedConn]bool),
	}
}

// listenAddrs returns the addresses to bind, in order. The first one acts as
// the lock between two daemons starting at once: whoever binds it wins.
// required tells, per address, whether failing to bind it is fatal; the
// IPv6 loopback is best effort, since a host may have no IPv6.
func listenAddrs(extra []string) (addrs []string, required []bool, err error) {
	var given []string
	wildcard := false
	for _, a := range extra {
		ip := net.ParseIP(a)
		if ip == nil {
			return nil, nil, fmt.Errorf("cannot parse IP address %q", a)
		}
		s := ip.String()
		if ip.IsUnspecified() {
			wildcard = true
		}
		if !slices.Contains(given, s) {
			given = append(given, s)
		}
	}
	if wildcard {
		// A wildcard covers every other address, and binding another one
		// on the same port would collide with it: bind it alone. "::"
		// takes IPv4 too (dual stack), so it wins over 0.0.0.0.
		if slices.Contains(given, "::") {
			return []string{"::"}, []bool{true}, nil
		}
		return []string{"0.0.0.0"}, []bool{true}, nil
	}
	addrs, required = []string{"127.0.0.1", "::1"}, []bool{true, false}
	for _, a := range given {
		if i := slices.Index(addrs, a); i >= 0 {
			required[i] = true
			continue
		}
		addrs, required = append(addrs, a), append(required, true)
	}
	return addrs, required, nil
}

// Listen binds the daemon's addresses. With Port 0 the first address picks
// the port and the others use the same one. An error wraps ErrAddrInUse when
// the port is taken.
func (s *Server) Listen() error {
	addrs, required, err := listenAddrs(s.cfg.Addresses)
	if err != nil {
		return fmt.Errorf("port mapper: %w", err)
	}
	var lc net.ListenConfig
	port := s.cfg.Port
	var lns []net.Listener
	fail := func(err error) error {
		for _, ln := range lns {
			ln.Close()
		}
		return err
	}
	for i, a := range addrs {
		hp := net.JoinHostPort(a, strconv.Itoa(port))
		ln, err := lc.Listen(context.Background(), "tcp", hp)
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return fail(fmt.Errorf("port mapper: listen on %s: %w (%w)", hp, ErrAddrInUse, err))
			}
			if !required[i] {
				s.log.Debug("not listening on optional address", "addr", hp, "err", err)
				continue
			}
			return fail(fmt.Errorf("port mapper: listen on %s: %w", hp, err))
		}
		if port == 0 {
			port = ln.Addr().(*net.TCPAddr).Port
		}
		lns = append(lns, ln)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopErr != nil || s.lns != nil {
		return fail(errors.New("port mapper: Listen after Close or twice"))
	}
	s.lns, s.port = lns, port
	for _, ln := range lns {
		s.log.Info("listening", "addr", ln.Addr().String())
	}
	return nil
}

// Addr returns the first listening address (always on 127.0.0.1 unless a
// wildcard address was configured), or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.lns) == 0 {
		return nil
	}
	return s.lns[0].Addr()
}

// Addrs returns every listening address.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, len(s.lns))
	for i, ln := range s.lns {
		out[i] = ln.Addr()
	}
	return out
}

// Port returns the port the daemon listens on (useful with Config.Port 0).
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// Serve accepts connections until Close or a granted KILL request, and then
// returns ErrServerClosed or ErrKilled. Call it once, after Listen. It
// returns before the connection goroutines have finished: Close waits for
// them.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.stopErr != nil {
		defer s.mu.Unlock()
		return s.stopErr
	}
	if s.lns == nil || s.serving {
		s.mu.Unlock()
		return errors.New("port mapper: Serve without Listen, or twice")
	}
	s.serving = true
	for _, ln := range s.lns {
		s.wg.Add(1)
		go s.acceptLoop(ln)
	}
	s.mu.Unlock()
	<-s.stopping
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopErr
}

// Start is Listen, then Serve on a goroutine of the server's own, for a
// daemon that runs inside another program (tests, benchmarks): it returns
// once the server listens. Close stops it and waits for that goroutine
// too; Done and Err say when and why it stopped.
func Start(cfg Config) (*Server, error) {
	s := NewServer(cfg)
	if err := s.Listen(); err != nil {
		return nil, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.Serve() // its result is Err's
	}()
	return s, nil
}

// Done returns a channel closed when the server starts shutting down
// (Close, or a granted KILL).
func (s *Server) Done() <-chan struct{} { return s.stopping }

// Err returns nil until the server starts shutting down, then why:
// ErrServerClosed after Close, ErrKilled after a granted KILL, or the
// failure of a listener.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopErr
}

// Close stops the daemon: it closes the listeners and every connection,
// which unregisters every node, and waits for every goroutine. It is
// idempotent and safe to call from any goroutine but a connection handler.
func (s *Server) Close() error {
	s.shutdown(ErrServerClosed)
	s.wg.Wait()
	return nil
}

// shutdown closes listeners and connections without waiting, so that a
// connection handler (KILL) can call it.
func (s *Server) shutdown(reason error) {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopErr = reason
		lns := s.lns
		var conns []*trackedConn
		for e := s.pending.Front(); e != nil; e = e.Next() {
			conns = append(conns, e.Value.(*trackedConn))
		}
		for c := range s.holding {
			conns = append(conns, c)
		}
		close(s.stopping)
		s.mu.Unlock()
		for _, ln := range lns {
			ln.Close()
		}
		for _, c := range conns {
			c.Close()
		}
		s.log.Info("stopping", "reason", reason.Error())
	})
}

// acceptLoop accepts on ln until shutdown. Accept errors other than the
// listener closing (EMFILE and the like) are retried with a backoff, as
// net/http does, instead of spinning.
func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			select {
			case <-s.stopping:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				s.shutdown(fmt.Errorf("listener %s closed: %w", ln.Addr(), err))
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; retrying", "addr", ln.Addr().String(), "err", err, "delay", delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-s.stopping:
				t.Stop()
				return
			}
			continue
		}
		delay = 0
		tc := s.track(c)
		if tc == nil {
			c.Close()
			return
		}
		s.wg.Add(1)
		go s.serveConn(tc)
	}
}

// track records a new connection as pending, closing the oldest pending one
// when at the cap. It returns nil when the server is shutting down.
func (s *Server) track(c net.Conn) *trackedConn {
	s.mu.Lock()
	if s.stopErr != nil {
		s.mu.Unlock()
		return nil
	}
	var evicted *trackedConn
	if s.pending.Len() >= s.cfg.MaxPending {
		evicted = s.pending.Remove(s.pending.Front()).(*trackedConn)
		evicted.elem = nil
	}
	s.nextConn++
	tc := &trackedConn{Conn: c, id: s.nextConn}
	tc.elem = s.pending.PushBack(tc)
	s.mu.Unlock()
	if evicted != nil {
		s.log.Debug("too many pending connections; closing the oldest", "conn", evicted.id, "peer", evicted.RemoteAddr())
		evicted.Close()
	}
	return tc
}

// untrack forgets a connection that is about to be closed.
func (s *Server) untrack(tc *trackedConn) {
	s.mu.Lock()
	if tc.elem != nil {
		s.pending.Remove(tc.elem)
		tc.elem = nil
	}
	delete(s.holding, tc)
	s.mu.Unlock()
}

// hold moves a pending connection to the registrations, exempt from the
// idle timeout and the pending cap. It returns false when the connection was
// evicted meanwhile or the server is shutting down.
func (s *Server) hold(tc *trackedConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tc.elem == nil || s.stopErr != nil {
		return false
	}
	s.pending.Remove(tc.elem)
	tc.elem = nil
	s.holding[tc] = true
	return true
}
