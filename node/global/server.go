package global

import (
	"log/slog"
	"sort"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The name server of one node: its copy of every owner's names, the locks
// registrars take on it, and the conversation with the other nodes' name
// servers (protocol.go). It runs as one process; the Service publishes
// what readers need (the names, the peers) under its lock.

type peer struct {
	pid term.Pid // the peer's name server
	ref term.Ref // our monitor on it
}

// lock is one name's lock on this node.
type lock struct {
	holder term.Pid
	ref    term.Ref       // the monitor on the holder
	queue  []term.Request // {lock, ...} requests waiting, in order
}

type server struct {
	svc  *Service
	p    *node.Proc
	self term.Pid
	log  *slog.Logger

	peers     map[term.Atom]peer
	connected map[term.Atom]bool                // visible nodes connected, as node monitoring says
	entries   map[term.Atom]map[term.Atom]entry // name -> owner node -> entry
	byPid     map[term.Pid]map[term.Atom]bool   // pid -> its names
	owned     map[term.Atom]term.Ref            // names this node owns -> monitor on the process
	locks     map[term.Atom]*lock
	resolving map[term.Atom]bool
	lost      map[term.Pid]term.Atom // registrations that lost a conflict decided here, until their owner drops them
}

func newServer(svc *Service, p *node.Proc) *server {
	return &server{svc: svc, p: p, self: p.Self(), log: p.Node().Logger(),
		peers: map[term.Atom]peer{}, connected: map[term.Atom]bool{}, entries: map[term.Atom]map[term.Atom]entry{},
		byPid: map[term.Pid]map[term.Atom]bool{}, owned: map[term.Atom]term.Ref{},
		locks: map[term.Atom]*lock{}, resolving: map[term.Atom]bool{}, lost: map[term.Pid]term.Atom{}}
}

func (s *server) loop() {
	for {
		s.handle(s.p.Receive())
	}
}

func (s *server) dropped(why string, msg any) {
	s.log.Debug("global: "+why, "message", term.Format(msg))
}

func (s *server) handle(msg any) {
	switch m := msg.(type) {
	case term.Request:
		s.call(m)
	case term.Down:
		s.down(m)
	case term.NodeUp:
		s.setConnected(m.Node, true)
		s.forgetNode(m.Node)
		s.send(term.Name{Name: ServerName, Node: m.Node}, term.T(tagDiscover, s.self))
	case term.NodeDown:
		// Its names go: also those of an owner that had not synced yet
		// (whose registrations a commit brought).
		s.setConnected(m.Node, false)
		s.removePeer(m.Node)
	case term.Tuple:
		s.info(m)
	default:
		s.dropped("unexpected message", msg)
	}
}

func (s *server) send(to any, msg any) { _ = s.p.Send(to, msg) }

// --- the names ---

// put records owner's registration of name.
func (s *server) put(name, owner term.Atom, e entry) {
	if s.lost[e.pid] == name {
		if pr, ok := s.peers[owner]; ok {
			s.send(pr.pid, term.T(tagDrop, name, e.pid))
		}
		return
	}
	byOwner := s.entries[name]
	if byOwner == nil {
		byOwner = map[term.Atom]entry{}
		s.entries[name] = byOwner
	}
	if old, ok := byOwner[owner]; ok {
		s.unindex(old.pid, name)
	}
	byOwner[owner] = e
	if s.byPid[e.pid] == nil {
		s.byPid[e.pid] = map[term.Atom]bool{}
	}
	s.byPid[e.pid][name] = true
	s.publish(name)
	s.checkConflict(name)
}

// del forgets owner's registration of name, if it is of pid (any pid when
// pid is zero); it reports whether it did.
func (s *server) del(name, owner term.Atom, pid term.Pid) bool {
	e, ok := s.entries[name][owner]
	if !ok || (!pid.IsZero() && e.pid != pid) {
		return false
	}
	delete(s.entries[name], owner)
	if len(s.entries[name]) == 0 {
		delete(s.entries, name)
	}
	s.unindex(e.pid, name)
	s.svc.forgetResolver(name, e.pid)
	s.publish(name)
	s.checkConflict(name)
	return true
}

func (s *server) unindex(pid term.Pid, name term.Atom) {
	if names := s.byPid[pid]; names != nil {
		delete(names, name)
		if len(names) == 0 {
			delete(s.byPid, pid)
		}
	}
}

// chosen returns the registration readers see: the only one, or during a
// conflict, the one of the owner whose name sorts first (the same on
// every node).
func (s *server) chosen(name term.Atom) (term.Pid, bool) {
	var best term.Atom
	var pid term.Pid
	found := false
	for owner, e := range s.entries[name] {
		if !found || owner < best {
			best, pid, found = owner, e.pid, true
		}
	}
	return pid, found
}

func (s *server) publish(name term.Atom) {
	pid, ok := s.chosen(name)
	s.svc.mu.Lock()
	if ok {
		s.svc.names[name] = pid
	} else {
		delete(s.svc.names, name)
	}
	s.svc.mu.Unlock()
}

// ownedList returns the names this node owns, as a sync carries them.
func (s *server) ownedList() []any {
	names := make([]term.Atom, 0, len(s.owned))
	for n := range s.owned {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	out := make([]any, 0, len(names))
	for _, n := range names {
		e := s.entries[n][s.self.Node]
		out = append(out, term.T(n, e.pid, e.res))
	}
	return out
}

// own registers name for a process of this node: it monitors the process
// and tells the peers.
func (s *server) own(name term.Atom, e entry) {
	s.put(name, s.self.Node, e)
	s.owned[name] = s.p.Monitor(e.pid)
	s.broadcast(term.T(tagRegistered, name, e.pid, e.res))
}

// disown unregisters a name this node owns, if it is pid's (any pid when
// pid is zero), and tells the peers.
func (s *server) disown(name term.Atom, pid term.Pid) {
	e, ok := s.entries[name][s.self.Node]
	if !ok || (!pid.IsZero() && e.pid != pid) {
		return
	}
	if ref, ok := s.owned[name]; ok {
		s.p.Demonitor(ref, true)
		delete(s.owned, name)
	}
	s.del(name, s.self.Node, e.pid)
	s.broadcast(term.T(tagUnregistered, name, e.pid))
}

// broadcast sends the news of a name this node owns to the name server of
// every connected node, synced or not: a node that got the name from a
// registrar's commit before the two servers synced must hear when it
// goes. Each node hears an owner's news in the order the owner sent it.
func (s *server) broadcast(msg any) {
	var nodes []term.Atom
	if s.svc.opts.Nodes != nil {
		nodes = s.svc.opts.Nodes()
	} else {
		for nd := range s.connected {
			nodes = append(nodes, nd)
		}
	}
	for _, nd := range nodes {
		if pr, ok := s.peers[nd]; ok {
			s.send(pr.pid, msg)
		} else {
			s.send(serverOf(nd), msg)
		}
	}
}

// --- peers ---

// addPeer starts knowing a peer name server; it reports whether it was new.
func (s *server) addPeer(pid term.Pid) bool {
	if pr, ok := s.peers[pid.Node]; ok {
		if pr.pid == pid {
			return false
		}
		s.removePeer(pid.Node) // a new incarnation of the node
	}
	s.peers[pid.Node] = peer{pid: pid, ref: s.p.Monitor(pid)}
	s.publishSynced()
	return true
}

// removePeer forgets a node's peer, if any, and the names the node owns.
func (s *server) removePeer(node term.Atom) {
	if pr, ok := s.peers[node]; ok {
		s.p.Demonitor(pr.ref, true)
		delete(s.peers, node)
		s.publishSynced()
	}
	for name, byOwner := range s.entries {
		if _, ok := byOwner[node]; ok {
			s.del(name, node, term.Pid{})
		}
	}
	for pid := range s.lost {
		if pid.Node == node {
			delete(s.lost, pid)
		}
	}
}

// forgetNode forgets the peer of a node that has just connected again
// (see pg's forgetNode: the old connection's Down may come after the new
// connection's messages).
func (s *server) forgetNode(node term.Atom) { s.removePeer(node) }

func (s *server) publishSynced() {
	nodes := make([]term.Atom, 0, len(s.peers))
	for n := range s.peers {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i] < nodes[j] })
	s.svc.mu.Lock()
	s.svc.synced = nodes
	s.svc.mu.Unlock()
}

// setConnected records a node that connected or went down. A
// registration locks every connected node (a node's answer counts as soon
// as it is connected, even before the two name servers have synced: the
// owner of a name is the authority on it); the nodes that run no name
// server do not answer and are left out.
func (s *server) setConnected(node term.Atom, up bool) {
	if up {
		s.connected[node] = true
	} else {
		delete(s.connected, node)
	}
	nodes := make([]term.Atom, 0, len(s.connected))
	for n := range s.connected {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i] < nodes[j] })
	s.svc.mu.Lock()
	s.svc.peers = nodes
	s.svc.mu.Unlock()
}

// --- messages from peers and workers ---

func (s *server) info(t term.Tuple) {
	switch t.Tag() {
	case tagDiscover:
		pid, ok := tupleArg[term.Pid](t, 1, 2)
		if !ok || pid.Node == s.self.Node {
			s.dropped("malformed discover", t)
			return
		}
		if s.addPeer(pid) {
			s.send(pid, term.T(tagDiscover, s.self))
		}
		s.send(pid, term.T(tagSync, s.self, s.ownedList()))
	case tagSync:
		pid, ok := tupleArg[term.Pid](t, 1, 3)
		if !ok || pid.Node == s.self.Node {
			s.dropped("malformed sync", t)
			return
		}
		names, ok := readEntries(t[2], pid.Node)
		if !ok {
			s.dropped("malformed sync", t)
			return
		}
		if s.addPeer(pid) {
			s.send(pid, term.T(tagSync, s.self, s.ownedList()))
		}
		s.addOwned(pid.Node, names)
	case tagRegistered:
		name, pid, res, ok := registeredArgs(t)
		if !ok {
			s.dropped("malformed registered", t)
			return
		}
		if s.svc.connectedTo(pid.Node, s.connected) && pid.Node != s.self.Node {
			s.put(name, pid.Node, entry{pid: pid, res: res})
		}
	case tagUnregistered:
		name, ok1 := tupleArg[term.Atom](t, 1, 3)
		pid, ok2 := tupleArg[term.Pid](t, 2, 3)
		if !ok1 || !ok2 || pid.Node == s.self.Node {
			s.dropped("malformed unregistered", t)
			return
		}
		s.del(name, pid.Node, pid)
		if s.lost[pid] == name {
			delete(s.lost, pid)
		}
	case tagDrop:
		name, ok1 := tupleArg[term.Atom](t, 1, 3)
		pid, ok2 := tupleArg[term.Pid](t, 2, 3)
		if !ok1 || !ok2 {
			s.dropped("malformed drop", t)
			return
		}
		if len(s.entries[name]) < 2 {
			// A drop settles a conflict; without one it is stale (or
			// hostile), and this node's name stays.
			s.dropped("drop without a conflict", t)
			return
		}
		s.disown(name, pid)
	case tagUnlock:
		name, ok1 := tupleArg[term.Atom](t, 1, 3)
		w, ok2 := tupleArg[term.Pid](t, 2, 3)
		if !ok1 || !ok2 {
			s.dropped("malformed unlock", t)
			return
		}
		if l := s.locks[name]; l != nil && l.holder == w {
			s.release(name)
		}
	case tagResolved:
		s.resolved(t)
	default:
		s.dropped("unexpected message", t)
	}
}

// addOwned records what a sync says owner owns. A sync adds and never
// removes: this node forgot all of owner's names when the connection to it
// came up (forgetNode), and since then owner's news (registered,
// unregistered) and its syncs arrive in the order it sent them; a sync
// that left a name out because the name came after it (a registrar's
// commit reaches this node before the owner's) must not remove it.
func (s *server) addOwned(owner term.Atom, names map[term.Atom]entry) {
	for name, e := range names {
		if old, ok := s.entries[name][owner]; !ok || old != e {
			s.put(name, owner, e)
		}
	}
}

func registeredArgs(t term.Tuple) (term.Atom, term.Pid, term.Atom, bool) {
	name, ok1 := tupleArg[term.Atom](t, 1, 4)
	pid, ok2 := tupleArg[term.Pid](t, 2, 4)
	res, ok3 := tupleArg[term.Atom](t, 3, 4)
	return name, pid, res, ok1 && ok2 && ok3 && term.Registrable(name)
}

// tupleArg returns t[i] as a T, if t has n elements and t[i] is a T.
func tupleArg[T any](t term.Tuple, i, n int) (T, bool) {
	var zero T
	if len(t) != n {
		return zero, false
	}
	v, ok := t[i].(T)
	return v, ok
}

// down handles the Down of a lock holder, of a process with a name this
// node owns, or of a peer.
func (s *server) down(d term.Down) {
	for name, l := range s.locks {
		if l.ref == d.Ref && l.holder == d.Pid {
			s.release(name)
			return
		}
	}
	for name, ref := range s.owned {
		if ref == d.Ref {
			delete(s.owned, name)
			s.disown(name, d.Pid)
			return
		}
	}
	if pr, ok := s.peers[d.Pid.Node]; ok && pr.ref == d.Ref {
		s.removePeer(d.Pid.Node)
	}
}

// --- requests ---

func (s *server) call(c term.Request) {
	t, _ := c.Body.(term.Tuple)
	switch t.Tag() {
	case tagTrylock, tagLock:
		name, ok1 := tupleArg[term.Atom](t, 1, 4)
		w, ok2 := tupleArg[term.Pid](t, 2, 4)
		_, ok3 := tupleArg[term.Pid](t, 3, 4)
		if !ok1 || !ok2 || !ok3 || w.IsZero() {
			s.badRequest(c)
			return
		}
		l := s.locks[name]
		switch {
		case l == nil:
			l = &lock{}
			s.locks[name] = l
			s.grant(name, l, c)
		case t.Tag() == tagTrylock:
			_ = s.p.Reply(c, atomBusy)
		default:
			l.queue = append(l.queue, c)
		}
	case tagCommit:
		s.commit(c, t)
	case tagResolve:
		s.resolveRequest(c, t)
	case tagPing:
		// Sync, from this node or another: a peer this server does not
		// know yet gets its discover and sync first (see Service.Sync).
		if peer, ok := tupleArg[term.Pid](t, 1, 2); ok && peer.Node != s.self.Node && s.addPeer(peer) {
			s.send(peer, term.T(tagDiscover, s.self))
			s.send(peer, term.T(tagSync, s.self, s.ownedList()))
		}
		_ = s.p.Reply(c, term.OK)
	default:
		s.badRequest(c)
	}
}

func (s *server) badRequest(c term.Request) {
	_ = s.p.Reply(c, term.T(term.Atom("error"), term.T(term.Atom("bad_request"), c.Body)))
}

// grant gives name's lock to the request c: its registrar holds it until
// it unlocks or exits.
func (s *server) grant(name term.Atom, l *lock, c term.Request) {
	t := c.Body.(term.Tuple)
	w, pid := t[2].(term.Pid), t[3].(term.Pid)
	l.holder = w
	l.ref = s.p.Monitor(w)
	taken := len(s.entries[name]) > 0
	named := !pid.IsZero() && len(s.byPid[pid]) > 0
	_ = s.p.Reply(c, term.T(atomGranted, taken, named))
}

// release frees name's lock and gives it to the next in line.
func (s *server) release(name term.Atom) {
	l := s.locks[name]
	if l == nil {
		return
	}
	s.p.Demonitor(l.ref, true)
	if len(l.queue) == 0 {
		delete(s.locks, name)
		return
	}
	next := l.queue[0]
	l.queue = l.queue[1:]
	s.grant(name, l, next)
}

// commit applies a registrar's change, if the registrar holds the lock.
func (s *server) commit(c term.Request, t term.Tuple) {
	name, ok1 := tupleArg[term.Atom](t, 1, 4)
	w, ok2 := tupleArg[term.Pid](t, 2, 4)
	if !ok1 || !ok2 {
		s.badRequest(c)
		return
	}
	if l := s.locks[name]; l == nil || l.holder != w {
		_ = s.p.Reply(c, term.T(term.Atom("error"), term.Atom("not_locked")))
		return
	}
	if op, ok := t[3].(term.Atom); ok && op == tagUnregister {
		for owner := range s.entries[name] {
			if owner == s.self.Node {
				s.disown(name, term.Pid{})
			} else {
				s.del(name, owner, term.Pid{})
			}
		}
		_ = s.p.Reply(c, term.OK)
		return
	}
	op, _ := t[3].(term.Tuple)
	pid, ok1 := tupleArg[term.Pid](op, 1, 3)
	res, ok2 := tupleArg[term.Atom](op, 2, 3)
	if op.Tag() != tagRegister || !ok1 || !ok2 {
		s.badRequest(c)
		return
	}
	owner := pid.Node
	switch {
	case owner == s.self.Node:
		// The owner decides, last: the process must live and have no name.
		if !s.svc.n.Alive(pid) || len(s.byPid[pid]) > 0 || len(s.entries[name]) > 0 {
			_ = s.p.Reply(c, atomNo)
			return
		}
		s.own(name, entry{pid: pid, res: res})
	case !s.svc.connectedTo(owner, s.connected):
		// Not connected to the owner: its registrations reach this node
		// with its sync when it connects.
	default:
		s.put(name, owner, entry{pid: pid, res: res})
	}
	_ = s.p.Reply(c, term.OK)
}
