package portmapper

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds a client call whose context has no deadline, so
// that a daemon that accepts and never answers cannot hang its caller.
const DefaultTimeout = 10 * time.Second

// maxListingLen bounds a NAMES or DUMP answer read from a daemon: more than
// the 4096 names gerl's daemon holds at most, of the longest kind.
const maxListingLen = 8 << 20

// Sentinel errors of the client; test them with errors.Is.
var (
	// ErrNoDaemon: nothing accepts connections at the address.
	ErrNoDaemon = errors.New("no port mapper answers")
	// ErrNotRegistered: the daemon knows no node by that name.
	ErrNotRegistered = errors.New("name not registered")
	// ErrNameTaken: another live node holds the name.
	ErrNameTaken = errors.New("name already registered")
	// ErrTableFull: gerl's daemon holds as many registrations as it
	// allows. It is not a name clash: the daemon answers ErrNameTaken for
	// a taken name even when full.
	ErrTableFull = errors.New("the port mapper's table of nodes is full")
	// ErrRefused: the daemon closed the connection without answering, as it
	// does for a request it does not allow (a register, kill, stop or dump
	// from another host, a stop without -relaxed_command_check).
	ErrRefused = errors.New("request refused by the port mapper")
	// ErrRegistrationClosed is the Err of a Registration ended by Close.
	ErrRegistrationClosed = errors.New("registration closed")
	// ErrStopped is the Err of a Registration that gerl's daemon ended for
	// a STOP request (gerl portmapper -stop NAME).
	ErrStopped = errors.New("unregistered by the port mapper's stop request")
)

// LoopbackAddr returns the address of the port mapper on this host at port.
func LoopbackAddr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// NameEntry is one line of a NAMES answer.
type NameEntry struct {
	Name string
	Port int
}

// dial connects to the daemon and bounds the exchange by ctx (or
// DefaultTimeout). The returned finish func must be called when the exchange
// is over; it reports ctx's error if ctx ended meanwhile.
func dial(ctx context.Context, addr string) (net.Conn, func() error, error) {
	var d net.Dialer
	if _, ok := ctx.Deadline(); !ok {
		d.Timeout = DefaultTimeout
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		// A dial that ran out of time says nothing of the daemon. The
		// dialer reads ctx's deadline itself (a socket deadline, or "i/o
		// timeout" at once when it has passed), which can be before ctx's
		// timer has fired, so ctx.Err() alone may still be nil: a loaded
		// machine made KillWhenIdle take such a timeout for "no daemon"
		// and report a daemon with nodes registered gone.
		if ctx.Err() != nil || IsTimeout(err) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w at %s: %w", ErrNoDaemon, addr, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	c.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	finish := func() error {
		if !stop() && ctx.Err() != nil {
			return ctx.Err()
		}
		return nil
	}
	return c, finish, nil
}

// IsTimeout reports whether err, from a client call, is a deadline's: a
// socket's, or the dialer's or the context's once its deadline passed.
// Nothing answered in time: a stuck daemon, or a program on the port that
// is not a port mapper and says nothing.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// exchange sends req and reads the whole answer, up to limit bytes, until
// the daemon closes the connection.
func exchange(ctx context.Context, addr string, req Request, limit int64) ([]byte, error) {
	c, finish, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Write(req.AppendFrame(nil)); err != nil {
		return nil, errors.Join(finish(), err)
	}
	b, err := io.ReadAll(io.LimitReader(c, limit+1))
	if ferr := finish(); ferr != nil {
		return nil, ferr
	}
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: answer longer than %d bytes", ErrMalformed, limit)
	}
	return b, nil
}

// Lookup asks the daemon at addr which port the node name listens on
// (PORT_PLEASE2). name is the part before '@'. The error wraps
// ErrNotRegistered when the daemon does not know the name.
func Lookup(ctx context.Context, addr, name string) (NodeInfo, error) {
	if err := ValidateName(name); err != nil {
		return NodeInfo{}, fmt.Errorf("lookup %q: %w", name, err)
	}
	info, err := lookup(ctx, addr, name)
	if err != nil {
		return NodeInfo{}, fmt.Errorf("lookup %s on %s: %w", name, addr, err)
	}
	return info, nil
}

func lookup(ctx context.Context, addr, name string) (NodeInfo, error) {
	c, finish, err := dial(ctx, addr)
	if err != nil {
		return NodeInfo{}, err
	}
	defer c.Close()
	if _, err := c.Write(Request{Op: OpPortPlease2, Name: name}.AppendFrame(nil)); err != nil {
		return NodeInfo{}, errors.Join(finish(), err)
	}
	info, ok, err := readPort2Resp(bufio.NewReaderSize(c, 512))
	if ferr := finish(); ferr != nil {
		return NodeInfo{}, ferr
	}
	switch {
	case errors.Is(err, io.EOF):
		return NodeInfo{}, fmt.Errorf("%w (closed without an answer)", ErrRefused)
	case err != nil:
		return NodeInfo{}, err
	case !ok:
		return NodeInfo{}, ErrNotRegistered
	}
	return info, nil
}

// Names asks the daemon at addr for its port and the registered names
// (NAMES), newest first for gerl's daemon and epmd alike.
func Names(ctx context.Context, addr string) (daemonPort int, names []NameEntry, err error) {
	b, err := exchange(ctx, addr, Request{Op: OpNames}, maxListingLen)
	if err != nil {
		return 0, nil, fmt.Errorf("names on %s: %w", addr, err)
	}
	switch {
	case len(b) == 0: // a port mapper answers NAMES to anyone
		return 0, nil, fmt.Errorf("names on %s: %w: the connection closed without an answer", addr, ErrMalformed)
	case len(b) < 4:
		return 0, nil, fmt.Errorf("names on %s: %w: answer of %d bytes", addr, ErrMalformed, len(b))
	}
	port := int(binary.BigEndian.Uint32(b))
	names, err = parseNames(b[4:])
	if err != nil {
		return 0, nil, fmt.Errorf("names on %s: %w", addr, err)
	}
	return port, names, nil
}

// parseNames parses "name N at port P\n" lines.
func parseNames(b []byte) ([]NameEntry, error) {
	var out []NameEntry
	for len(b) > 0 {
		line, rest, found := bytes.Cut(b, []byte("\n"))
		if !found {
			return nil, fmt.Errorf("%w: unterminated line %q", ErrMalformed, line)
		}
		b = rest
		s, ok := bytes.CutPrefix(line, []byte("name "))
		i := bytes.LastIndex(s, []byte(" at port "))
		if !ok || i < 0 {
			return nil, fmt.Errorf("%w: line %q", ErrMalformed, line)
		}
		port, err := strconv.Atoi(string(s[i+len(" at port "):]))
		if err != nil || port < 0 || port > 0xffff {
			return nil, fmt.Errorf("%w: port in line %q", ErrMalformed, line)
		}
		out = append(out, NameEntry{Name: string(s[:i]), Port: port})
	}
	return out, nil
}

// Dump asks the daemon for its DUMP listing (local clients only): one line
// per registration, as the daemon formats it, NULs removed.
func Dump(ctx context.Context, addr string) (daemonPort int, lines []string, err error) {
	b, err := exchange(ctx, addr, Request{Op: OpDump}, maxListingLen)
	if err != nil {
		return 0, nil, fmt.Errorf("dump on %s: %w", addr, err)
	}
	if len(b) == 0 {
		return 0, nil, fmt.Errorf("dump on %s: %w", addr, ErrRefused)
	}
	if len(b) < 4 {
		return 0, nil, fmt.Errorf("dump on %s: %w: answer of %d bytes", addr, ErrMalformed, len(b))
	}
	for _, l := range bytes.Split(b[4:], []byte("\n\x00")) {
		if len(l) > 0 {
			lines = append(lines, string(l))
		}
	}
	return int(binary.BigEndian.Uint32(b)), lines, nil
}

// Kill asks the daemon to exit (local clients only). It returns true when
// the daemon agreed ("OK") and false when it refused because nodes are
// registered ("NO"); the error wraps ErrRefused when it did not answer.
func Kill(ctx context.Context, addr string) (bool, error) {
	b, err := exchange(ctx, addr, Request{Op: OpKill}, 16)
	if err != nil {
		return false, fmt.Errorf("kill on %s: %w", addr, err)
	}
	switch string(b) {
	case "OK":
		return true, nil
	case "NO":
		return false, nil
	case "":
		return false, fmt.Errorf("kill on %s: %w", addr, ErrRefused)
	}
	return false, fmt.Errorf("kill on %s: %w: answer %q", addr, ErrMalformed, b)
}

// ErrStillRegistered: the daemon refused KILL until the caller's context
// ended, because nodes were registered.
var ErrStillRegistered = errors.New("nodes are still registered with the port mapper")

// KillWhenIdle asks the daemon at addr to stop, and asks again every 20
// ms while it refuses because nodes are registered: a node that has just
// exited may not be unregistered yet, and nothing announces when it is.
// It returns nil once the daemon granted KILL or when no daemon answers at
// addr; an error wrapping ErrStillRegistered if nodes were still
// registered when ctx ended; the error of any other answer.
func KillWhenIdle(ctx context.Context, addr string) error {
	for {
		ok, err := Kill(ctx, addr)
		switch {
		case ok, errors.Is(err, ErrNoDaemon):
			return nil
		case err != nil && ctx.Err() == nil && !IsTimeout(err):
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kill on %s: %w (%w)", addr, ErrStillRegistered, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop asks the daemon to unregister name, closing that node's registration
// (local clients, daemons started relaxed). It returns true for "STOPPED",
// false for "NOEXIST"; the error wraps ErrRefused when the daemon did not
// answer (not relaxed).
func Stop(ctx context.Context, addr, name string) (bool, error) {
	if err := ValidateName(name); err != nil {
		return false, fmt.Errorf("stop %q: %w", name, err)
	}
	b, err := exchange(ctx, addr, Request{Op: OpStop, Name: name}, 16)
	if err != nil {
		return false, fmt.Errorf("stop %s on %s: %w", name, addr, err)
	}
	// epmd answers an unknown name with "NOEXIST" and then, by a slip in
	// epmd_srv.c, "STOPPED" too; its own client reads only 7 bytes.
	switch {
	case string(b) == "STOPPED":
		return true, nil
	case bytes.HasPrefix(b, []byte("NOEXIST")):
		return false, nil
	case len(b) == 0:
		return false, fmt.Errorf("stop %s on %s: %w", name, addr, ErrRefused)
	}
	return false, fmt.Errorf("stop %s on %s: %w: answer %q", name, addr, ErrMalformed, b)
}

// Registration is a live ALIVE2 registration: the TCP connection that keeps
// the name registered for exactly as long as it stays open. Its methods are
// safe for concurrent use. One goroutine per Registration watches the
// connection; Close waits for it.
type Registration struct {
	info     NodeInfo
	creation uint32
	conn     net.Conn
	done     chan struct{}
	closing  atomic.Bool
	once     sync.Once
	err      error // written before done is closed
}

// Register registers info with the daemon at addr (ALIVE2) and returns the
// live registration. A duplicate name gives an error wrapping ErrNameTaken,
// a full daemon one wrapping ErrTableFull.
// ctx bounds the exchange only; the registration lasts until Close or until
// the daemon goes away.
func Register(ctx context.Context, addr string, info NodeInfo) (*Registration, error) {
	if err := info.Validate(); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	r, err := register(ctx, addr, info)
	if err != nil {
		return nil, fmt.Errorf("register %s on %s: %w", info.Name, addr, err)
	}
	return r, nil
}

func register(ctx context.Context, addr string, info NodeInfo) (*Registration, error) {
	c, finish, err := dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write(Request{Op: OpAlive2, Node: info}.AppendFrame(nil)); err != nil {
		c.Close()
		return nil, errors.Join(finish(), err)
	}
	// The daemon writes the answer and nothing more: read it unbuffered so
	// that no byte meant for the watcher is swallowed.
	result, creation, err := readAlive2Resp(c)
	if ferr := finish(); ferr != nil {
		c.Close()
		return nil, ferr
	}
	if err == nil && result != Alive2OK {
		err = refusal(result)
	}
	switch {
	case errors.Is(err, io.EOF):
		c.Close()
		return nil, fmt.Errorf("%w (closed without an answer: is this host local to the daemon?)", ErrRefused)
	case err != nil:
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	info.Extra = bytes.Clone(info.Extra)
	r := &Registration{info: info, creation: creation, conn: c, done: make(chan struct{})}
	go r.watch()
	return r, nil
}

// refusal is the error of an ALIVE2 answer with a result other than
// Alive2OK.
func refusal(result byte) error {
	switch result {
	case Alive2NameTaken:
		return ErrNameTaken
	case Alive2TableFull:
		return ErrTableFull
	}
	return fmt.Errorf("the port mapper refused the registration with result %d, which gerl does not know", result)
}

// watch waits for the daemon's side to end. A daemon sends nothing on a
// registration, except gerl's daemon, which sends StopNotice to a gerl node
// before closing it for a STOP request.
func (r *Registration) watch() {
	b, err := io.ReadAll(io.LimitReader(r.conn, 16))
	switch {
	case r.closing.Load():
		err = ErrRegistrationClosed
	case err != nil:
		err = fmt.Errorf("registration connection lost: %w", err)
	case string(b) == StopNotice:
		err = ErrStopped
	case len(b) > 0:
		err = fmt.Errorf("%w: the port mapper sent %q on a registration", ErrMalformed, b)
	default:
		err = errors.New("the port mapper closed the registration")
	}
	r.err = err
	r.conn.Close()
	close(r.done)
}

// Info returns the registered fields.
func (r *Registration) Info() NodeInfo { return r.info }

// Creation returns the creation number the daemon gave this registration.
func (r *Registration) Creation() uint32 { return r.creation }

// Done returns a channel closed when the registration has ended: the daemon
// closed it (exit, STOP) or Close was called.
func (r *Registration) Done() <-chan struct{} { return r.done }

// Err returns nil while the registration lives, then why it ended:
// ErrRegistrationClosed after Close, another error when the daemon's side
// went away.
func (r *Registration) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

// Close unregisters the name by closing the connection, and waits for the
// watching goroutine. It is idempotent.
func (r *Registration) Close() error {
	r.once.Do(func() {
		r.closing.Store(true)
		r.conn.Close()
	})
	<-r.done
	return nil
}
