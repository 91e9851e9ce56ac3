package cluster

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/node/erldist"
	"github.com/gerl-dev/gerl/node/term"
)

// Setting up a connection with an Erlang node: the handshake is Erlang's
// (package erldist), on the same listener and through the same connection
// table as gerl's. Dialing, the port mapper tells the two kinds of node
// apart (a gerl node registers Extra "gerl/1", an Erlang node nothing); an
// incoming connection shows its kind in its first bytes: Erlang's
// handshake opens with a 2-byte length and 'N' (or 'n', the old version,
// which erldist refuses with a clear error), gerl's with a 4-byte length
// and "GERL".
//
// Erlang's acceptor answers the dialer's name before checking its cookie:
// ok, ok_simultaneous or nok when both nodes dial each other (the greater
// name wins, gerl's rule too), alive when a connection is up already.
// That answer is read from the connection table without changing it
// (erlStatus); the table takes the connection only once the dialer has
// proved it knows the cookie (decideIncoming), before this node proves it
// in turn, so a dialer that fails the cookie changes nothing here.

// readWriter joins the buffered reader a handshake reads through and the
// connection it writes to.
type readWriter struct {
	io.Reader
	io.Writer
}

// erlangHello reports whether the connection br reads opens with Erlang's
// handshake: a 2-byte length, then 'N' (version 6) or 'n' (version 5).
func erlangHello(br *bufio.Reader) bool {
	b, err := br.Peek(3)
	if err != nil {
		return false
	}
	l := int(binary.BigEndian.Uint16(b))
	return (b[2] == 'N' || b[2] == 'n') && l > 2 && l < 2048
}

// erlConfig is what this node brings to an Erlang handshake.
func (d *Dist) erlConfig() erldist.Config {
	_, host, _ := SplitNodeName(string(d.name))
	from := d.cfg.CookieFrom
	if from == "" {
		from = "its configuration"
	}
	return erldist.Config{
		Name: d.name, LongNames: strings.Contains(host, "."), Cookie: d.cfg.Cookie, CookieFrom: from,
		Creation: d.node.Creation(), Hidden: d.cfg.Hidden,
	}
}

// erlPeer is the connection table's view of an Erlang peer: gerl's
// capability flags as far as Erlang's protocol offers them.
func erlPeer(p erldist.Peer) hsPeer {
	var flags uint64
	if p.Hidden() {
		flags |= FlagHidden
	}
	if p.Flags&erldist.FlagSpawn != 0 {
		flags |= FlagSpawn | FlagRPC
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	return hsPeer{name: p.Name, creation: p.Creation, flags: flags, id: binary.BigEndian.Uint64(id[:]), erlang: true, eflags: p.Flags}
}

// erlStatus is the acceptor's answer to an Erlang dialer's name, read from
// the connection table without changing it (decideIncoming changes it,
// once the dialer has proved itself).
func (m *connMgr) erlStatus(peer term.Atom) erldist.Status {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := m.entries[peer]
	switch {
	case m.closed:
		return erldist.StatusNotAllowed
	case e == nil, e.owner == 0 && e.c == nil:
		return erldist.StatusOK
	case e.c != nil:
		return erldist.StatusAlive
	case !e.outgoing:
		return erldist.StatusNotAllowed // another connection from it is being set up
	case m.d.name < peer:
		return erldist.StatusOKSimultaneous // both dial: the greater name wins
	}
	return erldist.StatusNok
}

// acceptErlang runs the acceptor's side of an Erlang handshake on an
// admitted connection whose first bytes br has peeked.
func (d *Dist) acceptErlang(slot *hsSlot, br *bufio.Reader, dr *deadlineReader, start time.Time, id uint64) {
	nc := slot.nc
	remote := nc.RemoteAddr().String()
	if d.cfg.TLS != nil {
		d.tlsLog.log(d.log, slog.LevelWarn, "an Erlang node connected in the clear to a node that runs with TLS; refused", "remote", remote)
		nc.Close()
		return
	}
	decided := false
	var hp hsPeer
	peer, err := erldist.AcceptThen(readWriter{br, nc}, d.erlConfig(),
		func(p erldist.Peer) erldist.Status {
			slot.sawHello(start, d.cfg.HandshakeTimeout)
			if slot.evicted.Load() {
				return erldist.StatusNotAllowed
			}
			return d.mgr.erlStatus(p.Name)
		},
		func(p erldist.Peer) error {
			hp = erlPeer(p)
			code, msg := d.mgr.decideIncoming(hp, id, true)
			if code != 0 {
				return fmt.Errorf("%w: %s", ErrRefused, msg)
			}
			decided = true
			return nil
		})
	var c *conn
	if err == nil {
		_ = nc.SetDeadline(time.Time{})
		d.erlServices()
		c = newConn(d, nc, dr, upgradeReader(br, dr), hp, false)
	}
	if decided {
		if d.mgr.attemptDone(hp.name, id, c, err) {
			d.connUp(c)
			return
		}
	}
	nc.Close()
	claimed := string(peer.Name)
	switch {
	case err == nil:
	case errors.Is(err, erldist.ErrCookie):
		d.authLog.log(d.log, slog.LevelError, "an Erlang node's connection was refused: "+err.Error(), "claimed_name", claimed, "remote", remote)
	case errors.Is(err, erldist.ErrSimultaneous):
		d.log.Debug("simultaneous connect resolved", "peer", claimed)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		d.log.Debug("incoming Erlang handshake closed by the peer", "peer", claimed, "remote", remote)
	default:
		d.failedLog.log(d.log, slog.LevelWarn, "incoming handshake from an Erlang node failed", "claimed_name", claimed, "remote", remote, "err", err)
	}
}

// dialErlang runs the dialer's side of an Erlang handshake with node, on
// the connection nc, for dial attempt id. It returns the connection only
// if it was installed in the table.
func (d *Dist) dialErlang(ctx context.Context, nc net.Conn, node term.Atom, id uint64) (*conn, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	dr := newDeadlineReader(nc)
	br := bufio.NewReaderSize(dr, hsBufSize)
	peer, err := erldist.Dial(readWriter{br, nc}, d.erlConfig(), node, func() bool { return d.mgr.stillOwner(node, id) })
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		nc.Close()
		// erldist's errors say "connect to node: ...", as dial's wrapping
		// does: say it once.
		err = &trimmedError{err: err, text: strings.TrimPrefix(err.Error(), "connect to "+string(node)+": ")}
		switch {
		case errors.Is(err, erldist.ErrCookie):
			return nil, &erlAuthError{err}
		case errors.Is(err, erldist.ErrSimultaneous):
			return nil, fmt.Errorf("%w: %w", errSimultaneous, err)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("handshake with Erlang node %s: %w (%v)", node, ctx.Err(), err)
		}
		return nil, err
	}
	_ = nc.SetDeadline(time.Time{})
	d.erlServices()
	c := newConn(d, nc, dr, upgradeReader(br, dr), erlPeer(peer), true)
	if !d.mgr.attemptDone(node, id, c, nil) {
		nc.Close()
		return nil, errSuperseded
	}
	return c, nil
}

// trimmedError is err with another text.
type trimmedError struct {
	err  error
	text string
}

func (e *trimmedError) Error() string { return e.text }
func (e *trimmedError) Unwrap() error { return e.err }

// erlAuthError is a cookie mismatch with an Erlang node: erldist's own
// explanation, matching ErrAuth as gerl's does.
type erlAuthError struct{ err error }

func (e *erlAuthError) Error() string { return e.err.Error() }
func (e *erlAuthError) Unwrap() []error {
	return []error{e.err, ErrAuth}
}
