package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/portmapper"
)

// This file holds what the daemon does with one connection: read a
// request, check who may make it, answer, and for a granted ALIVE2 hold the
// registration while the connection lives. server.go owns the listeners and
// the set of connections.

// isLocalPeer reports whether a connection comes from this host: a loopback
// source, or a source equal to the address it reached (epmd's rule).
func isLocalPeer(remote, local net.Addr) bool {
	ra, ok := remote.(*net.TCPAddr)
	if !ok {
		return false
	}
	if ra.IP.IsLoopback() {
		return true
	}
	la, ok := local.(*net.TCPAddr)
	return ok && ra.IP.Equal(la.IP)
}

// serveConn reads one request and answers it. The whole exchange must fit in
// the idle timeout; a granted ALIVE2 turns the connection into a
// registration, handled by holdRegistration.
func (s *Server) serveConn(tc *trackedConn) {
	defer s.wg.Done()
	registered := false
	defer func() {
		if !registered {
			s.untrack(tc)
			tc.Close()
		}
	}()
	peer := tc.RemoteAddr() // formatted only if logged
	tc.SetDeadline(time.Now().Add(s.cfg.IdleTimeout))
	// A small buffer reads the usual request in one system call.
	br := bufio.NewReaderSize(tc, 64)
	body, err := portmapper.ReadRequest(br)
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.log.Debug("closing connection without a request", "conn", tc.id, "peer", peer, "err", err)
		}
		return
	}
	if n := br.Buffered(); n > 0 {
		// Bytes after the request: epmd drops such a client unanswered
		// (and a registration must not hide them from holdRegistration).
		s.log.Debug("closing connection: bytes after the request", "conn", tc.id, "peer", peer, "extra", n)
		return
	}
	req, err := portmapper.ParseRequest(body)
	if err != nil {
		s.log.Debug("closing connection after a malformed request", "conn", tc.id, "peer", peer, "err", err)
		return
	}
	local := s.isLocal(tc.RemoteAddr(), tc.LocalAddr())
	switch req.Op {
	case portmapper.OpAlive2:
		if !local {
			s.log.Warn("ALIVE2 from a non-local peer refused", "peer", peer, "name", req.Node.Name)
			return
		}
		registered = s.register(tc, req.Node)
	case portmapper.OpPortPlease2:
		if answer := s.port2Answer(req.Name); answer != nil {
			s.reply(tc, answer)
		}
	case portmapper.OpNames:
		s.reply(tc, s.namesAnswer())
	case portmapper.OpDump:
		if !local {
			s.log.Warn("DUMP from a non-local peer refused", "peer", peer)
			return
		}
		s.reply(tc, s.dumpAnswer())
	case portmapper.OpKill:
		if !local {
			s.log.Warn("KILL from a non-local peer refused", "peer", peer)
			return
		}
		s.kill(tc)
	case portmapper.OpStop:
		if !local || !s.cfg.Relaxed {
			s.log.Warn("STOP refused", "peer", peer, "name", req.Name, "local", local, "relaxed", s.cfg.Relaxed)
			return
		}
		s.stop(tc, req.Name)
	}
}

// reply writes an answer, within the connection's deadline.
func (s *Server) reply(tc *trackedConn, b []byte) bool {
	if _, err := tc.Write(b); err != nil {
		s.log.Debug("answer not delivered", "conn", tc.id, "peer", tc.RemoteAddr(), "err", err)
		return false
	}
	return true
}

func (s *Server) port2Answer(name string) []byte {
	if err := portmapper.ValidateName(name); err != nil {
		s.log.Debug("PORT_PLEASE2 for an invalid name", "err", err)
		return nil // closed without an answer, as epmd does
	}
	info, ok := s.reg.lookup(name)
	if !ok {
		s.log.Debug("PORT_PLEASE2: unknown name", "name", name)
		return portmapper.AppendPort2Resp(nil, nil)
	}
	s.log.Debug("PORT_PLEASE2", "name", name, "port", info.Port)
	return portmapper.AppendPort2Resp(nil, &info)
}

func (s *Server) namesAnswer() []byte {
	b := s.portPrefix()
	for _, r := range s.reg.snapshot() {
		b = fmt.Appendf(b, "name %s at port %d\n", r.info.Name, r.info.Port)
	}
	return b
}

func (s *Server) dumpAnswer() []byte {
	b := s.portPrefix()
	for _, r := range s.reg.snapshot() {
		b = fmt.Appendf(b, "active name     <%s> at port %d, fd = %d\n\x00", r.info.Name, r.info.Port, r.id)
	}
	return b
}

// portPrefix starts NAMES and DUMP answers: the daemon's port, 32 bits.
func (s *Server) portPrefix() []byte {
	s.mu.Lock()
	p := s.port
	s.mu.Unlock()
	return []byte{byte(p >> 24), byte(p >> 16), byte(p >> 8), byte(p)}
}

// kill answers KILL: "NO" while nodes are registered (unless relaxed), or
// "OK" and then the daemon shuts down.
func (s *Server) kill(tc *trackedConn) {
	if !s.cfg.Relaxed && s.reg.count() > 0 {
		s.log.Info("KILL refused: nodes are registered")
		s.reply(tc, []byte("NO"))
		return
	}
	s.reply(tc, []byte("OK"))
	s.log.Info("KILL granted")
	s.shutdown(ErrKilled)
}

// stop answers STOP (relaxed mode): it unregisters name and closes the
// registering connection.
func (s *Server) stop(tc *trackedConn, name string) {
	r := s.reg.remove(name)
	if r == nil {
		s.reply(tc, []byte("NOEXIST"))
		return
	}
	<-r.answered
	if r.info.IsGerl() {
		r.conn.SetWriteDeadline(time.Now().Add(time.Second))
		r.conn.Write([]byte(portmapper.StopNotice))
	}
	r.conn.Close()
	s.log.Info("unregistered by STOP", "name", name)
	s.reply(tc, []byte("STOPPED"))
}

// register handles ALIVE2 from a local peer. It reports whether the
// connection held a registration, in which case holdRegistration has
// already untracked and closed it when register returns.
func (s *Server) register(tc *trackedConn, info portmapper.NodeInfo) bool {
	if err := info.Validate(); err != nil {
		s.log.Warn("ALIVE2 refused", "err", err)
		s.reply(tc, portmapper.AppendAlive2Resp(nil, info.Highest, portmapper.Alive2NameTaken, 0))
		return false
	}
	r := &registration{info: info, id: tc.id, conn: tc, answered: make(chan struct{})}
	answered := sync.OnceFunc(func() { close(r.answered) })
	defer answered()
	creation, err := s.reg.register(r)
	switch {
	case errors.Is(err, portmapper.ErrTableFull):
		// Said once per spell of fullness: a flood of registrations
		// against a full table must not flood the log.
		level := slog.LevelDebug
		if !s.fullLogged.Swap(true) {
			level = slog.LevelWarn
		}
		s.log.Log(context.Background(), level, "ALIVE2 refused: the table of nodes is full",
			"name", info.Name, "nodes", s.reg.count(), "max_nodes", s.cfg.MaxNodes)
		s.reply(tc, portmapper.AppendAlive2Resp(nil, info.Highest, portmapper.Alive2TableFull, 0))
		return false
	case err != nil:
		s.log.Warn("ALIVE2 refused: the name is taken", "name", info.Name)
		s.reply(tc, portmapper.AppendAlive2Resp(nil, info.Highest, portmapper.Alive2NameTaken, 0))
		return false
	}
	s.fullLogged.Store(false)
	if !s.hold(tc) {
		s.reg.unregister(r)
		return false
	}
	if !s.reply(tc, portmapper.AppendAlive2Resp(nil, info.Highest, portmapper.Alive2OK, creation)) {
		s.reg.unregister(r)
		return false
	}
	s.log.Info("registered", "name", info.Name, "port", info.Port, "creation", creation,
		"type", info.Type, "highest", info.Highest, "lowest", info.Lowest, "gerl", info.IsGerl())
	tc.SetDeadline(time.Time{})
	answered()
	s.holdRegistration(tc, r)
	return true
}

// holdRegistration waits until the registering connection ends: EOF, an
// error, any byte from the node (a protocol violation, as for epmd), STOP,
// or shutdown. Then it unregisters the name.
func (s *Server) holdRegistration(tc *trackedConn, r *registration) {
	var buf [16]byte
	_, err := tc.Read(buf[:])
	if err == nil {
		err = errors.New("unexpected data on a registration connection")
	}
	if s.reg.unregister(r) {
		s.log.Info("unregistered", "name", r.info.Name, "reason", err.Error())
	}
	s.untrack(tc)
	tc.Close()
}
