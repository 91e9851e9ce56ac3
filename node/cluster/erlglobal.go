package cluster

import (
	"reflect"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Erlang's global (lib/kernel/src/global.erl, protocol version 8 as of OTP
// 25, and 7 before it) syncs every pair of visible nodes when they
// connect, and global:sync() on an Erlang node waits until it has synced
// with every node it is connected to. A node that does not answer keeps
// it waiting forever, and with it the tools that call it. So a gerl node
// takes part, as a node that has no global names of its own (gerl's
// global, gerl_global, is a separate service): it runs the sync protocol
// with every Erlang node it connects to, as one partition of one node:
//
//	G: init_connect(Tag, Locker = G's server) ->      <- init_connect(Tag', Locker')
//	   init_connect_ack                       ->      <- init_connect_ack      (vsn 8)
//	                                                  <- set_lock (a call)  -> true
//	                                                  <- lock_set(true)
//	   lock_set(true), exchange([])          ->       <- exchange(Names)
//	   resolved([], Known = [])               ->       <- resolved(Ops, Known)
//	   in_sync -> each node of Known                   <- del_lock (a call)  -> true
//
// The Erlang node is always the one that takes the locks (its locker);
// gerl's server grants them (set_lock and del_lock, with the rules of
// global's lock table) and answers. It keeps no names: it says yes to
// register and ok to unregister, which Erlang's global:register_name asks
// every known node, and sends an empty name list in exchange. It does not
// bridge partitions: it reports no known nodes, so two Erlang clusters
// connected only through a gerl node stay apart in global's eyes (gerl's
// own mesh connects gerl nodes to all of them; see erlmesh.go). Messages
// of global's "prevent overlapping partitions" fix (lost_connection,
// remove_connection) are ignored.

const globalVsn = 8 // the protocol version gerl speaks (OTP 25-28)

// globalSession is one sync in progress with an Erlang node.
type globalSession struct {
	myTag     int
	hisTag    any
	hisVsn    int
	hisLocker term.Pid
	started   bool // his init_connect arrived
	locked    bool // we answered his lock_set with true
	exchanged bool // his exchange arrived
}

// globalLock is one resource locked on this node (global's lock table).
type globalLock struct {
	resource, requester any
	holders             map[term.Pid]term.Ref // pid -> its monitor
}

type globalServer struct {
	d        *Dist
	p        *node.Proc
	self     term.Pid
	known    map[term.Atom]bool // global's known nodes: synced with, or told of by one (resolved, new_nodes)
	sessions map[term.Atom]*globalSession
	locks    []*globalLock
	nextTag  int
}

// globalServer is the global_name_server process.
func (d *Dist) globalServer(p *node.Proc) {
	p.MonitorNodes(true)
	s := &globalServer{d: d, p: p, self: p.Self(), known: map[term.Atom]bool{}, sessions: map[term.Atom]*globalSession{}}
	if !d.cfg.Hidden {
		for _, c := range d.mgr.conns() {
			if c.erl() != nil && !c.peer.hidden() {
				s.nodeUp(c.peer.name)
			}
		}
	}
	for {
		s.handle(p.Receive())
	}
}

func (s *globalServer) send(nd term.Atom, msg any) {
	_ = s.p.Send(term.Name{Name: "global_name_server", Node: nd}, msg)
}

func (s *globalServer) cast(nd term.Atom, msg any) {
	s.send(nd, term.T(term.Atom("$gen_cast"), msg))
}

// erlangVisible reports whether nd is a visible Erlang peer, with which
// Erlang's global syncs.
func (s *globalServer) erlangVisible(nd term.Atom) bool {
	if s.d.cfg.Hidden {
		return false
	}
	c := s.d.mgr.up(nd)
	return c != nil && c.erl() != nil && !c.peer.hidden()
}

func (s *globalServer) handle(msg any) {
	switch m := msg.(type) {
	case term.NodeUp:
		s.nodeUp(m.Node)
	case term.NodeDown:
		delete(s.sessions, m.Node)
		delete(s.known, m.Node)
	case term.Down:
		s.lockHolderDown(m)
	case term.Request:
		s.call(m)
	case term.Tuple:
		if len(m) == 2 && m.Tag() == "$gen_cast" {
			if c, ok := m[1].(term.Tuple); ok {
				s.castMsg(c)
			}
			return
		}
		s.info(m)
	}
}

// nodeUp starts a sync with a new Erlang node.
func (s *globalServer) nodeUp(nd term.Atom) {
	if s.sessions[nd] != nil || s.known[nd] || !s.erlangVisible(nd) {
		return
	}
	s.startSession(nd)
}

func (s *globalServer) startSession(nd term.Atom) *globalSession {
	s.nextTag++
	ss := &globalSession{myTag: s.nextTag}
	s.sessions[nd] = ss
	locker := term.T(term.Atom("locker"), term.Atom("no_longer_a_pid"), map[any]any{}, s.self)
	s.cast(nd, term.T(term.Atom("init_connect"), term.T(globalVsn, ss.myTag), s.d.name, locker))
	return ss
}

// castMsg handles gen_server:cast's of the other nodes' servers.
func (s *globalServer) castMsg(c term.Tuple) {
	switch {
	case c.Tag() == "init_connect" && len(c) == 4:
		s.initConnect(c)
	case c.Tag() == "lock_set" && (len(c) == 5 || len(c) == 4):
		s.lockSet(c)
	case c.Tag() == "exchange" && len(c) == 5:
		nd, _ := c[1].(term.Atom)
		ss := s.sessions[nd]
		if ss == nil || c[4] != any(ss.myTag) {
			return
		}
		ss.exchanged = true
		s.maybeResolve(nd, ss)
	case c.Tag() == "resolved" && len(c) == 7:
		nd, _ := c[1].(term.Atom)
		ss := s.sessions[nd]
		if ss == nil || c[6] != any(ss.myTag) {
			return
		}
		delete(s.sessions, nd)
		s.known[nd] = true
		s.syncOthers(c[3])
	case c.Tag() == "new_nodes" && len(c) == 6:
		s.syncOthers(c[4])
	case c.Tag() == "in_sync" && len(c) == 3:
		// The peer synced with this node through a third (its global
		// learned of this one from that node): any sync of our own with
		// it is over. The peer becomes known only through resolved or
		// new_nodes, which tell this node to send in_sync back.
		if nd, ok := c[1].(term.Atom); ok {
			delete(s.sessions, nd)
		}
	}
}

// initConnect handles the peer's {init_connect, {Vsn, Tag}, Node,
// {locker, _, _, Locker}}.
func (s *globalServer) initConnect(c term.Tuple) {
	nd, ok1 := c[2].(term.Atom)
	vsn, ok2 := c[1].(term.Tuple)
	init, ok3 := c[3].(term.Tuple)
	if !ok1 || !ok2 || !ok3 || len(vsn) < 2 || len(init) != 4 || !s.erlangVisible(nd) {
		return
	}
	hisVsn, _ := vsn[0].(int)
	locker, ok := init[3].(term.Pid)
	if !ok {
		return
	}
	ss := s.sessions[nd]
	if ss == nil || ss.started {
		// A sync we did not start, or a second one: ours starts (again)
		// now, as global's restart_connect does.
		ss = s.startSession(nd)
	}
	ss.started, ss.hisTag, ss.hisVsn, ss.hisLocker = true, vsn[1], hisVsn, locker
	if hisVsn >= 8 {
		s.send(nd, term.T(term.Atom("init_connect_ack"), s.d.name, ss.hisTag, ss.myTag))
	}
}

// lockSet handles the peer's locker telling it has locked its partition
// (and this node): this node's partition is itself, locked by the peer's
// set_lock, so it answers true when the lock is there.
func (s *globalServer) lockSet(c term.Tuple) {
	pid, ok := c[1].(term.Pid)
	if !ok || c[2] != any(true) {
		return
	}
	ss := s.sessions[pid.Node]
	if ss == nil || !ss.started || (len(c) == 5 && c[4] != any(ss.myTag)) {
		return
	}
	set := s.lockedFor(pid)
	reply := term.T(term.Atom("lock_set"), s.self, set, []any{})
	if ss.hisVsn >= 8 {
		reply = append(reply, ss.hisTag)
	}
	s.cast(pid.Node, reply)
	if !set {
		return
	}
	ss.locked = true
	s.cast(pid.Node, term.T(term.Atom("exchange"), s.d.name, []any{}, []any{}, ss.hisTag))
	s.maybeResolve(pid.Node, ss)
}

// lockedFor reports whether global's lock is held here by the peer's
// locker in a sync with this node (its requester id lists both lockers).
func (s *globalServer) lockedFor(locker term.Pid) bool {
	for _, l := range s.locks {
		if l.resource != any(term.Atom("global")) {
			continue
		}
		ids, _ := l.requester.([]any)
		var his, mine bool
		for _, x := range ids {
			his = his || x == any(locker)
			mine = mine || x == any(s.self)
		}
		return his && mine
	}
	return false
}

// maybeResolve sends resolved once both the lock and the exchange are in.
func (s *globalServer) maybeResolve(nd term.Atom, ss *globalSession) {
	if !ss.locked || !ss.exchanged {
		return
	}
	s.cast(nd, term.T(term.Atom("resolved"), s.d.name, []any{}, []any{}, term.Atom("unused"), []any{}, ss.hisTag))
}

// syncOthers tells the nodes of a list (atoms, or {Node, Vsn}) this node
// did not know that it is in sync with them, as global's sync_other does
// (their global learned of this node from the node it synced with).
func (s *globalServer) syncOthers(list any) {
	l, _ := list.([]any)
	for _, x := range l {
		nd, ok := x.(term.Atom)
		if t, isT := x.(term.Tuple); isT && len(t) == 2 {
			nd, ok = t[0].(term.Atom)
		}
		if !ok || nd == s.d.name || s.known[nd] {
			continue
		}
		s.known[nd] = true
		s.cast(nd, term.T(term.Atom("in_sync"), s.d.name, true))
	}
}

// info handles plain messages of global's protocol.
func (s *globalServer) info(m term.Tuple) {
	switch {
	case m.Tag() == "init_connect_ack" && len(m) == 4:
		nd, _ := m[1].(term.Atom)
		ss := s.sessions[nd]
		if ss == nil || (m[2] == any(ss.myTag) && reflect.DeepEqual(m[3], ss.hisTag)) {
			return
		}
		// Out of sync: cancel and start over, as global does.
		s.send(nd, term.T(term.Atom("cancel_connect"), s.d.name, m[3]))
		delete(s.sessions, nd)
		s.startSession(nd)
	case m.Tag() == "cancel_connect" && len(m) == 3:
		nd, _ := m[1].(term.Atom)
		if ss := s.sessions[nd]; ss != nil && m[2] == any(ss.myTag) {
			delete(s.sessions, nd)
			s.startSession(nd)
		}
	}
}

// call answers the calls of the other nodes' global (gen_server:call and
// multi_call).
func (s *globalServer) call(c term.Request) {
	req, _ := c.Body.(term.Tuple)
	var reply any
	switch {
	case len(req) == 2 && req.Tag() == "set_lock":
		reply = s.setLock(c.From, req[1])
	case len(req) == 2 && req.Tag() == "del_lock":
		reply = s.delLock(c.From, req[1])
	case len(req) == 4 && req.Tag() == "register", len(req) == 6 && req.Tag() == "register_ext":
		reply = term.Atom("yes")
	case len(req) == 2 && req.Tag() == "unregister":
		reply = term.OK
	case c.Body == any(term.Atom("get_known")), c.Body == any(term.Atom("get_synced")):
		reply = []any{}
	case c.Body == any(term.Atom("get_protocol_version")):
		reply = globalVsn
	default:
		return // as global, which logs and does not answer
	}
	_ = s.p.Reply(c, reply)
}

// setLock takes lock id {ResourceId, RequesterId} for pid, with global's
// rule: a resource is held by one requester id at a time, by any number
// of its processes.
func (s *globalServer) setLock(pid term.Pid, id any) bool {
	t, ok := id.(term.Tuple)
	if !ok || len(t) != 2 {
		return false
	}
	for _, l := range s.locks {
		if !reflect.DeepEqual(l.resource, t[0]) {
			continue
		}
		if !reflect.DeepEqual(l.requester, t[1]) {
			return false
		}
		if _, holds := l.holders[pid]; !holds {
			l.holders[pid] = s.p.Monitor(pid)
		}
		return true
	}
	s.locks = append(s.locks, &globalLock{resource: t[0], requester: t[1], holders: map[term.Pid]term.Ref{pid: s.p.Monitor(pid)}})
	return true
}

func (s *globalServer) delLock(pid term.Pid, id any) bool {
	t, ok := id.(term.Tuple)
	if !ok || len(t) != 2 {
		return true
	}
	for i, l := range s.locks {
		if !reflect.DeepEqual(l.resource, t[0]) || !reflect.DeepEqual(l.requester, t[1]) {
			continue
		}
		if ref, holds := l.holders[pid]; holds {
			s.p.Demonitor(ref, true)
			delete(l.holders, pid)
		}
		if len(l.holders) == 0 {
			s.locks = append(s.locks[:i], s.locks[i+1:]...)
		}
		break
	}
	return true
}

// lockHolderDown releases the locks of a holder that exited.
func (s *globalServer) lockHolderDown(d term.Down) {
	for i := 0; i < len(s.locks); i++ {
		l := s.locks[i]
		if ref, ok := l.holders[d.Pid]; ok && ref == d.Ref {
			delete(l.holders, d.Pid)
			if len(l.holders) == 0 {
				s.locks = append(s.locks[:i], s.locks[i+1:]...)
				i--
			}
		}
	}
}
