package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Defaults of Config.
const (
	DefaultTickTime         = 60 * time.Second
	DefaultHandshakeTimeout = 7 * time.Second // Erlang's net_setuptime
	DefaultSendQueueBytes   = 1 << 20         // Erlang's dist_buf_busy_limit
)

// Config configures a distributed node. Name and Cookie are required.
type Config struct {
	// Name is the full node name, foo@host (see NodeName).
	Name term.Atom
	// Cookie authenticates the node to its peers (see LoadCookie).
	Cookie string
	// Hidden makes the node hidden: peers do not list it in Nodes() and
	// connections to it are not transitive (erl -hidden).
	Hidden bool
	// Node is the base configuration of the node Start creates (Logger,
	// OnGoroutine...); Name and Creation are set by Start.
	Node node.Config
	// Logger receives the distribution layer's log; nil uses Node.Logger,
	// and a nil Node.Logger discards.
	Logger *slog.Logger

	// Transport carries connections; nil means TCP (ListenIP, PortMin,
	// PortMax, TLS) with the port mapper as Resolver.
	Transport Transport
	// ListenIP is the address to listen on; empty means all interfaces.
	ListenIP string
	// PortMin and PortMax bound the listen port; both 0 picks a free one.
	PortMin, PortMax int
	// TLS, if set, runs distribution over mutual TLS.
	TLS *TLSConfig
	// Resolver finds other nodes; nil asks the port mapper of the node's
	// host at PortMapperPort.
	Resolver Resolver
	// Registrar registers the node with the local port mapper; nil uses
	// the port mapper at PortMapperPort (PortMapperRegistrar). Use
	// NoRegistrar{} to skip registration (tests, in-memory networks).
	Registrar Registrar
	// PortMapperPort is the port mapper's port; 0 means
	// portmapper.PortFromEnv() (GERL_PORTMAPPER_PORT or 4369).
	PortMapperPort int
	// StartPortMapper, if set, starts a port mapper daemon when none runs
	// (e.g. portmapper.ExecStarter(gerlPath, port)).
	StartPortMapper func() error

	// TickTime is Erlang's net_ticktime: a peer silent that long is down;
	// a tick is sent after a quarter of it without traffic. 0: 60 s.
	TickTime time.Duration
	// HandshakeTimeout bounds connection setup (dial, TLS, handshake).
	HandshakeTimeout time.Duration
	// MaxFrame is the largest frame accepted, and sent: a larger message
	// is refused with ErrFrameTooLarge. 0 means DefaultMaxFrame, which
	// every gerl node uses. The handshake does not exchange it, so nodes
	// given different values refuse each other's largest messages by
	// closing the connection: give every node of a cluster the same.
	MaxFrame int
	// SendQueueBytes is the per-connection queue size above which senders
	// block (backpressure); 0 means DefaultSendQueueBytes.
	SendQueueBytes int
	// Functions resolves function names for remote spawn and rpc, after
	// the functions given to RegisterFunc.
	Functions FuncTable
	// Creation is used when the Registrar gives none (NoRegistrar).
	Creation uint32

	// CookieFrom says where Cookie came from ("-setcookie",
	// "/home/ann/.gerl.cookie"), for the explanation of a cookie mismatch
	// with an Erlang node.
	CookieFrom string
	// ErlangMaxFrame is the largest frame accepted from, and sent to, an
	// Erlang node (which sets no limit of its own); 0 means
	// DefaultMaxFrame. A larger frame from an Erlang node closes the
	// connection, saying so in the log.
	ErlangMaxFrame int
	// Stdout receives the output of processes this node spawns on Erlang
	// nodes (io:format in an rpc), whose group leader is this node, as
	// erl prints the output of its rpcs; nil discards it.
	Stdout io.Writer
}

// Dist is a running distributed node: the node, its listener, its port
// mapper registration and its connections. It implements node.Remote.
// Every method is safe for concurrent use.
//
// Goroutines (all counted in wg, all ended by Close): the accept loop, one
// per incoming handshake, one per dial, two per connection (conn), and
// at most learnDialers dialing the nodes peers list (mesh.go).
type Dist struct {
	cfg   Config
	name  term.Atom
	node  *node.Node
	log   *slog.Logger
	codec *Codec
	tr    Transport
	ln    net.Listener
	reg   Registration
	mgr   connMgr
	funcs funcTable

	nextID    atomic.Uint64
	admission admission // incoming handshakes in progress (admit.go)
	refused   atomic.Uint64
	// Logs of what unauthenticated connections do, at a bounded rate.
	refusedLog, failedLog, tlsLog, authLog limitedLog
	overflowLog, droppedLog                limitedLog // queued for a connection that failed
	learn                                  learner    // listed nodes waiting to be dialed (mesh.go)
	learnLog                               limitedLog // what dialing them gave

	// Erlang's side (erl*.go): the processes Erlang nodes expect, started
	// with the first Erlang connection; the system pid (net_kernel's);
	// the built-in functions of module erlang.
	erlOnce     sync.Once
	sysPid      atomic.Pointer[term.Pid]
	erlBuiltins map[string]any

	guardMu      sync.Mutex // protects following
	replacements map[term.Atom]replaceLog
	wg           sync.WaitGroup
	ctx          context.Context // cancelled by Close
	cancel       context.CancelFunc
	closeOnce    sync.Once
}

// Start starts a distributed node: it listens, registers with the port
// mapper (which gives the node its creation), creates the node and
// installs itself as the node's Remote. Stop the node (Dist.Stop or
// Node.Stop) to close everything.
func Start(ctx context.Context, cfg Config) (*Dist, error) {
	if _, _, err := SplitNodeName(string(cfg.Name)); err != nil {
		return nil, fmt.Errorf("start distribution: %w", err)
	}
	if cfg.Cookie == "" {
		return nil, fmt.Errorf("start distribution: %w: empty cookie", ErrCookie)
	}
	if cfg.TickTime <= 0 {
		cfg.TickTime = DefaultTickTime
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = DefaultMaxFrame
	}
	if cfg.SendQueueBytes <= 0 {
		cfg.SendQueueBytes = DefaultSendQueueBytes
	}
	if cfg.ErlangMaxFrame <= 0 {
		cfg.ErlangMaxFrame = DefaultMaxFrame
	}
	log := cfg.Logger
	if log == nil {
		log = cfg.Node.Logger
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("node", string(cfg.Name))
	pmPort := cfg.PortMapperPort
	if pmPort == 0 && (cfg.Resolver == nil || cfg.Registrar == nil) && cfg.Transport == nil {
		p, err := portMapperPortFromEnv()
		if err != nil {
			return nil, fmt.Errorf("start distribution: %w", err)
		}
		pmPort = p
	}
	tr := cfg.Transport
	if tr == nil {
		res := cfg.Resolver
		if res == nil {
			res = PortMapperResolver{Port: pmPort}
		}
		tr = &TCPTransport{ListenIP: cfg.ListenIP, PortMin: cfg.PortMin, PortMax: cfg.PortMax, Resolver: res, TLS: cfg.TLS}
	}
	ln, err := tr.Listen(cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("start distribution: %w", err)
	}
	port := 0
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		port = a.Port
	}
	registrar := cfg.Registrar
	if registrar == nil {
		registrar = PortMapperRegistrar{Port: pmPort, StartDaemon: cfg.StartPortMapper, Logger: log}
	}
	short, _, _ := SplitNodeName(string(cfg.Name))
	reg, err := registrar.Register(ctx, short, port, cfg.Hidden)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("start distribution: %w", err)
	}
	nc := cfg.Node
	nc.Name = cfg.Name
	nc.Creation = cfg.Creation
	if c := reg.Creation(); c != 0 {
		nc.Creation = c
	}
	d := &Dist{
		cfg: cfg, name: cfg.Name, log: log, codec: NewCodec(), tr: tr, ln: ln, reg: reg,
		replacements: map[term.Atom]replaceLog{},
	}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.funcs.init(cfg.Functions)
	d.erlBuiltins = d.newErlBuiltins()
	d.mgr.init(d)
	d.node = node.New(nc)
	d.node.SetRemote(d)
	d.wg.Add(1)
	go d.acceptLoop()
	log.Info("distribution started", "listen", ln.Addr().String(), "creation", nc.Creation, "hidden", cfg.Hidden)
	return d, nil
}

// Node returns the node.
func (d *Dist) Node() *node.Node { return d.node }

// Name returns the node's name.
func (d *Dist) Name() term.Atom { return d.name }

// Addr returns the address the node listens on.
func (d *Dist) Addr() net.Addr { return d.ln.Addr() }

// Stop stops the node (every process) and the distribution layer.
func (d *Dist) Stop(ctx context.Context) error { return d.node.Stop(ctx) }

// Close shuts the distribution layer down: it stops accepting, closes
// every connection (peers see nodedown), unregisters from the port mapper
// and waits for its goroutines. The node calls it from Stop; it is
// idempotent.
func (d *Dist) Close() {
	d.closeOnce.Do(func() {
		d.cancel()
		d.ln.Close()
		d.mgr.closeAll()
		d.reg.Close()
	})
	d.wg.Wait()
	for _, l := range []*limitedLog{&d.refusedLog, &d.failedLog, &d.tlsLog, &d.authLog, &d.overflowLog, &d.droppedLog, &d.learnLog} {
		l.close()
	}
}

func (d *Dist) acceptLoop() {
	defer d.wg.Done()
	for {
		nc, err := d.ln.Accept()
		if err != nil {
			if d.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			d.log.Warn("accept failed", "err", err)
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-d.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		slot, why := d.admission.admit(nc)
		if slot == nil {
			d.refuse(nc, why)
			continue
		}
		d.wg.Add(1)
		go func() {
			defer d.admission.release(slot)
			d.accept(slot)
		}()
	}
}

// refuse closes an incoming connection that is not admitted, telling it
// why where it can, and counts it.
func (d *Dist) refuse(nc net.Conn, why string) {
	tellBusy(nc, why)
	nc.Close()
	n := d.refused.Add(1)
	d.refusedLog.log(d.log, slog.LevelWarn, "refused a connection before its handshake: "+why,
		"remote", nc.RemoteAddr().String(), "refused_so_far", n)
}

func (d *Dist) hsConfig() hsConfig {
	flags := uint64(defaultFlags)
	if d.cfg.Hidden {
		flags |= FlagHidden
	}
	return hsConfig{name: d.name, creation: d.node.Creation(), flags: flags, cookie: d.cfg.Cookie}
}

// accept runs the acceptor's handshake on an admitted connection. Until
// the peer has proved it knows the cookie, what it claims (its name) is a
// claim, and what goes wrong is logged at a bounded rate.
func (d *Dist) accept(slot *hsSlot) {
	defer d.wg.Done()
	nc := slot.nc
	remote := nc.RemoteAddr().String()
	start := time.Now()
	_ = nc.SetDeadline(start.Add(min(helloTimeout, d.cfg.HandshakeTimeout)))
	stop := context.AfterFunc(d.ctx, func() { nc.Close() })
	dr := newDeadlineReader(nc)
	br := bufio.NewReaderSize(dr, hsBufSize)
	id := d.nextID.Add(1)
	if erlangHello(br) {
		stop()
		d.acceptErlang(slot, br, dr, start, id)
		return
	}
	decided := false
	cfg := d.hsConfig()
	cfg.helloSeen = func() { slot.sawHello(start, d.cfg.HandshakeTimeout) }
	peer, err := acceptHandshake(br, nc, cfg, func(p hsPeer, confirmed bool) (byte, string) {
		if slot.evicted.Load() {
			return RejectBusy, "busy: too many connections being set up; try again"
		}
		code, msg := d.mgr.decideIncoming(p, id, confirmed)
		decided = code == 0
		return code, msg
	})
	if !stop() {
		err = errors.Join(err, ErrClosed)
	}
	if err == nil {
		_ = nc.SetDeadline(time.Time{})
	}
	var c *conn
	if err == nil {
		c = newConn(d, nc, dr, upgradeReader(br, dr), peer, false)
	}
	if decided { // also when err is nil: the handshake asked decide
		if d.mgr.attemptDone(peer.name, id, c, err) {
			d.connUp(c)
			return
		}
	}
	if err != nil && slot.evicted.Load() && !decided {
		tellBusy(nc, "too many connections being set up")
		nc.Close()
		n := d.refused.Add(1)
		d.refusedLog.log(d.log, slog.LevelWarn, "evicted a connection before its handshake: too many connections being set up",
			"remote", remote, "refused_so_far", n)
		return
	}
	nc.Close()
	claimed := string(peer.name)
	switch {
	case err == nil:
	case errors.Is(err, ErrAuth):
		// The name is only claimed: a replayed or forged handshake looks
		// the same as a node started with another cookie.
		d.authLog.log(d.log, slog.LevelWarn, "connection attempt rejected: its proof does not match this node's cookie (a node started with another cookie, or a forged or replayed handshake)",
			"claimed_name", claimed, "remote", remote)
	case errors.Is(err, errSimultaneous):
		d.log.Debug("simultaneous connect resolved", "peer", claimed)
	case errors.Is(err, ErrTLSPeer):
		d.tlsLog.log(d.log, slog.LevelWarn, "a node tried to connect with TLS; this node runs without it (start every node with the same -tls_cert, -tls_key and -tls_ca, or none)", "remote", remote)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		// The dialer gave up: most often a second connection to the same
		// node that lost to the first (mesh and simultaneous connects).
		d.log.Debug("incoming handshake closed by the peer", "peer", claimed, "remote", remote)
	default:
		d.failedLog.log(d.log, slog.LevelWarn, "incoming handshake failed", "claimed_name", claimed, "remote", remote, "err", err)
	}
}

// dial connects to node for the pending entry owned by attempt id, within
// ctx (the handshake timeout; cancel ends it early, see connMgr.get).
func (d *Dist) dial(ctx context.Context, cancel context.CancelFunc, node term.Atom, id uint64) {
	defer d.wg.Done()
	defer cancel()
	c, err := d.dialConn(ctx, node, id)
	if c != nil {
		if err != nil {
			c.close(ReasonClosed) // installed, then COMMIT failed: the reader tears it down
		}
		d.connUp(c)
		return
	}
	if err != nil {
		err = fmt.Errorf("connect to %s: %w", node, err)
	}
	switch {
	case errors.Is(err, errSuperseded):
		d.log.Debug("dial superseded", "peer", string(node), "attempt", id)
		return
	case errors.Is(err, context.Canceled) && d.ctx.Err() == nil:
		d.log.Debug("dial cancelled", "peer", string(node), "attempt", id)
	case errors.Is(err, errSimultaneous):
	case errors.Is(err, ErrAuth):
		d.log.Error("connection refused: authentication failed", "peer", string(node), "err", err)
	default:
		d.log.Info("connect failed", "peer", string(node), "err", err)
	}
	d.mgr.attemptDone(node, id, nil, err)
	if errors.Is(err, errSimultaneous) {
		d.mgr.awaitPeer(ctx, node, id, err)
	}
}

// dialConn dials node and runs the handshake. It returns the connection
// only if it was installed in the table (as attempt id).
func (d *Dist) dialConn(ctx context.Context, node term.Atom, id uint64) (*conn, error) {
	var nc net.Conn
	var err error
	erlang := false
	if pd, ok := d.tr.(peerDialer); ok {
		nc, erlang, err = pd.dialPeer(ctx, node)
	} else {
		nc, err = d.tr.Dial(ctx, node)
	}
	if err != nil {
		return nil, err
	}
	if erlang {
		return d.dialErlang(ctx, nc, node, id)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	dr := newDeadlineReader(nc)
	br := bufio.NewReaderSize(dr, hsBufSize)
	var c *conn
	_, err = dialHandshake(br, nc, d.hsConfig(), node,
		func() bool { return d.mgr.stillOwner(node, id) },
		func(peer hsPeer) bool {
			_ = nc.SetDeadline(time.Time{})
			c = newConn(d, nc, dr, upgradeReader(br, dr), peer, true)
			if !d.mgr.attemptDone(node, id, c, nil) {
				c = nil
				return false
			}
			return true
		})
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if c != nil {
		return c, err
	}
	nc.Close()
	if err == nil {
		err = errSuperseded
	}
	var ne net.Error
	switch {
	case errors.Is(err, ErrAuth), errors.Is(err, errSuperseded):
		return nil, err
	case refusedCertificate(err):
		// With TLS 1.3 the server checks our certificate after our side
		// of the TLS handshake is done: its refusal comes on the first read.
		return nil, fmt.Errorf("TLS: the node refused this node's certificate (every node needs a certificate signed by the CA the others trust, -tls_ca): %w", err)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("handshake: %w (%v)", ctx.Err(), err)
	case errors.As(err, &ne) && ne.Timeout():
		return nil, fmt.Errorf("handshake not done within %v: %w (%v)", d.cfg.HandshakeTimeout, context.DeadlineExceeded, err)
	case d.cfg.TLS == nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)):
		// A node that runs with TLS reads our hello as a broken TLS
		// record and hangs up without a word.
		return nil, fmt.Errorf("%s closed the connection during the handshake without a word (if it runs with TLS, this node must too: -tls_cert, -tls_key and -tls_ca): %w", node, err)
	}
	return nil, err
}

// connUp starts a connection the table has just installed: nodeup first,
// then the reader and writer, then the node list exchange. The nodeup
// waits for the previous connection's nodedown, if that is still being
// delivered.
func (d *Dist) connUp(c *conn) {
	d.mgr.awaitDown(c.peer.name)
	d.log.Info("node up", "peer", string(c.peer.name), "hidden", c.peer.hidden(), "outgoing", c.outgoing, "conn", fmt.Sprintf("%016x", c.peer.id))
	d.node.NodeUp(c.peer.name, c.peer.hidden())
	c.start()
	d.announce(c)
}

// ConnectContext sets up the connection to nd if there is none, and
// returns once it is up. Callers that arrive while a handshake with nd is
// running wait for that one rather than dialing again.
func (d *Dist) ConnectContext(ctx context.Context, nd term.Atom) error {
	_, err := d.connect(ctx, nd)
	return err
}

// connect returns the connection to nd, connecting first if needed; it
// gives up when ctx is done.
func (d *Dist) connect(ctx context.Context, nd term.Atom) (*conn, error) {
	return d.mgr.get(ctx, nd)
}

// Ping connects to nd if needed and checks it answers: pong (true) or pang
// (false), as net_adm:ping. Failures are logged (a cookie mismatch at
// error level, naming the peer).
func (d *Dist) Ping(ctx context.Context, nd term.Atom) bool {
	return d.PingErr(ctx, nd) == nil
}

// PingErr is Ping returning why the node did not answer.
func (d *Dist) PingErr(ctx context.Context, nd term.Atom) error {
	if nd == d.name {
		return nil
	}
	c, err := d.connect(ctx, nd)
	if err != nil {
		return err
	}
	if c.erl() != nil {
		return nil // the handshake was Erlang's ping: pong
	}
	_, err = d.callOn(ctx, c, Fun{Name: pingFunc}, term.Pid{}, nil)
	return err
}

// Nodes returns the visible nodes this node is connected to, sorted.
func (d *Dist) Nodes() []term.Atom { return d.mgr.nodes(false) }

// HiddenNodes returns the hidden nodes this node is connected to.
func (d *Dist) HiddenNodes() []term.Atom { return d.mgr.nodes(true) }

// GerlNodes returns the visible gerl nodes this node is connected to, the
// nodes of Nodes that speak gerl's protocol (gerl's own services, such as
// its global, talk to them only).
func (d *Dist) GerlNodes() []term.Atom {
	var out []term.Atom
	for _, nd := range d.Nodes() {
		if c := d.mgr.up(nd); c != nil && !c.peer.erlang {
			out = append(out, nd)
		}
	}
	return out
}

// Kind returns the protocol a connected node speaks, KindGerl or
// KindErlang, and false when nd is not connected.
func (d *Dist) Kind(nd term.Atom) (string, bool) {
	c := d.mgr.up(nd)
	if c == nil {
		return "", false
	}
	return c.proto.kind(), true
}

// Disconnect closes the connection to nd, if any (nodedown with reason
// disconnect on both sides), and reports whether there was one. It returns
// once nodedown has been delivered here.
func (d *Dist) Disconnect(nd term.Atom) bool {
	c := d.mgr.up(nd)
	if c == nil {
		return false
	}
	c.close(ReasonDisconnect)
	<-c.gone
	return true
}

// BytesSent returns the frame bytes written so far on the connection to
// nd (0 when it is not connected). Benchmarks use it for wire throughput.
func (d *Dist) BytesSent(nd term.Atom) uint64 {
	if c := d.mgr.up(nd); c != nil {
		return c.bytesOut.Load()
	}
	return 0
}
