package pg

import (
	"log/slog"
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// The scope server's logic, apart from the process that runs it: handle
// takes one message and acts through effects, so the same code runs in a
// real scope server (scope.go) and in the tests' simulated cluster.

// effects are what the scope server does besides changing its state.
type effects interface {
	send(to any, msg any)
	reply(call term.Request, value any)
	monitor(pid term.Pid) term.Ref
	demonitor(ref term.Ref)
	newRef() term.Ref
}

// subscription is one Monitor or MonitorScope.
type subscription struct {
	pid   term.Pid
	group any // nil for the whole scope
}

// server is one node's scope server state.
type server struct {
	scope term.Atom
	self  term.Pid
	fx    effects
	log   *slog.Logger

	mu *sync.RWMutex // held to change m.views, which readers use
	m  *members

	peerRefs  map[term.Pid]term.Ref // the monitor on each peer
	localRefs map[term.Pid]term.Ref // the monitor on each local member
	subs      map[term.Ref]subscription
	byGroup   map[any]map[term.Ref]term.Pid
	scopeSubs map[term.Ref]term.Pid
	// subscribers: the monitor on each subscriber and its subscriptions
	subRefs map[term.Pid]*subscriber
}

type subscriber struct {
	mon  term.Ref
	refs map[term.Ref]bool
}

func newServer(scope term.Atom, self term.Pid, fx effects, log *slog.Logger, mu *sync.RWMutex, m *members) *server {
	return &server{scope: scope, self: self, fx: fx, log: log, mu: mu, m: m,
		peerRefs: map[term.Pid]term.Ref{}, localRefs: map[term.Pid]term.Ref{},
		subs: map[term.Ref]subscription{}, byGroup: map[any]map[term.Ref]term.Pid{},
		scopeSubs: map[term.Ref]term.Pid{}, subRefs: map[term.Pid]*subscriber{}}
}

// discoverAll asks the scope's server on each node to sync with this one.
func (s *server) discoverAll(nodes []term.Atom) {
	for _, n := range nodes {
		if n != s.self.Node {
			s.fx.send(term.Name{Name: s.scope, Node: n}, term.T(tagDiscover, s.self))
		}
	}
}

// handle handles one message.
func (s *server) handle(msg any) {
	switch m := msg.(type) {
	case term.Request:
		s.call(m)
	case term.Down:
		s.down(m)
	case term.NodeUp:
		s.forgetNode(m.Node)
		s.discoverAll([]term.Atom{m.Node})
	case term.NodeDown:
		// The peer's monitor says it, with the peer's pid.
	case term.Tuple:
		s.peerMessage(m)
	default:
		s.dropped("unexpected message", msg)
	}
}

func (s *server) dropped(why string, msg any) {
	s.log.Debug("pg: "+why, "scope", string(s.scope), "message", term.Format(msg))
}

// syncMsg is this server's sync: all its local members, as a gen_server
// cast (see protocol.go).
func (s *server) syncMsg() term.Tuple {
	return term.T(tagCast, term.T(tagSync, s.self, syncList(s.m.localGroups())))
}

// peerMessage handles the messages of other nodes' scope servers.
func (s *server) peerMessage(t term.Tuple) {
	if len(t) == 2 && t.Tag() == tagCast {
		if c, ok := t[1].(term.Tuple); ok && c.Tag() == tagSync {
			t = c
		}
	}
	if len(t) < 2 {
		s.dropped("malformed message", t)
		return
	}
	peer, ok := t[1].(term.Pid)
	if !ok || peer.Node == s.self.Node {
		s.dropped("malformed message", t)
		return
	}
	switch t.Tag() {
	case tagDiscover:
		if len(t) != 2 {
			s.dropped("malformed discover", t)
			return
		}
		if s.addPeer(peer) {
			s.fx.send(peer, term.T(tagDiscover, s.self))
		}
		s.fx.send(peer, s.syncMsg())
	case tagSync:
		if len(t) != 3 {
			s.dropped("malformed sync", t)
			return
		}
		groups, ok := syncGroups(t[2], peer.Node)
		if !ok {
			s.dropped("malformed sync", t)
			return
		}
		if s.addPeer(peer) {
			// Until now nothing this node did reached the peer (a peer
			// forgotten on NodeUp answers the discover that follows):
			// give it the whole state.
			s.fx.send(peer, s.syncMsg())
		}
		s.mu.Lock()
		changes := s.m.setPeer(peer, groups)
		s.mu.Unlock()
		s.notify(changes)
	case tagJoin:
		if len(t) != 4 {
			s.dropped("malformed join", t)
			return
		}
		group, err := Group(t[2])
		pids, ok := pidList(t[3])
		if err != nil || !ok || !onNode(pids, peer.Node) {
			s.dropped("malformed join", t)
			return
		}
		if _, known := s.peerRefs[peer]; !known {
			return // its sync will say it
		}
		s.mu.Lock()
		s.m.peerJoin(peer, group, pids)
		s.mu.Unlock()
		s.notify([]change{{group: group, joined: sortPids(append([]term.Pid(nil), pids...))}})
	case tagLeave:
		if len(t) != 4 {
			s.dropped("malformed leave", t)
			return
		}
		pids, ok1 := pidList(t[2])
		groups, ok2 := groupList(t[3])
		if !ok1 || !ok2 || !onNode(pids, peer.Node) {
			s.dropped("malformed leave", t)
			return
		}
		if _, known := s.peerRefs[peer]; !known {
			return
		}
		var changes []change
		s.mu.Lock()
		for _, g := range groups {
			if left := s.m.peerLeave(peer, g, pids); len(left) > 0 {
				changes = append(changes, change{group: g, left: left})
			}
		}
		s.mu.Unlock()
		s.notify(changes)
	default:
		s.dropped("unexpected message", t)
	}
}

// addPeer starts knowing peer, monitoring it; it reports whether peer was
// new.
func (s *server) addPeer(peer term.Pid) bool {
	if _, ok := s.peerRefs[peer]; ok {
		return false
	}
	s.peerRefs[peer] = s.fx.monitor(peer)
	s.mu.Lock()
	s.m.setPeer(peer, nil)
	s.mu.Unlock()
	return true
}

// down handles a monitor's Down: a local member, a peer or a subscriber
// exited (or its node went down).
func (s *server) down(d term.Down) {
	if ref, ok := s.localRefs[d.Pid]; ok && ref == d.Ref {
		delete(s.localRefs, d.Pid)
		s.mu.Lock()
		left := s.m.localDown(d.Pid)
		s.mu.Unlock()
		changes := make([]change, 0, len(left))
		for _, gc := range left {
			pids := make([]term.Pid, gc.n)
			for i := range pids {
				pids[i] = d.Pid
			}
			changes = append(changes, change{group: gc.group, left: pids})
		}
		// One leave per group, each with the process as many times as it
		// had joined that group.
		for _, c := range changes {
			s.broadcast(term.T(tagLeave, s.self, c.left, []any{c.group}))
		}
		s.notify(changes)
	}
	if ref, ok := s.peerRefs[d.Pid]; ok && ref == d.Ref {
		delete(s.peerRefs, d.Pid)
		s.mu.Lock()
		changes := s.m.peerDown(d.Pid)
		s.mu.Unlock()
		s.notify(changes)
	}
	if sub := s.subRefs[d.Pid]; sub != nil && sub.mon == d.Ref {
		for ref := range sub.refs {
			s.unsubscribe(ref)
		}
	}
}

// forgetNode forgets the peers of a node that has just connected again: a
// connection to it came up, so the previous one went down, and what its
// peers said before may have changed meanwhile. Their monitors go too, so
// a Down of the old connection that has not arrived yet never will (the
// runtime orders that Down and the new connection's messages in no
// particular way). The discover that follows brings their state back.
func (s *server) forgetNode(node term.Atom) {
	for peer, ref := range s.peerRefs {
		if peer.Node != node {
			continue
		}
		s.fx.demonitor(ref)
		delete(s.peerRefs, peer)
		s.mu.Lock()
		changes := s.m.peerDown(peer)
		s.mu.Unlock()
		s.notify(changes)
	}
}

// broadcast sends msg to every peer.
func (s *server) broadcast(msg any) {
	for peer := range s.peerRefs {
		s.fx.send(peer, msg)
	}
}

// notify tells subscribers what changed.
func (s *server) notify(changes []change) {
	for _, c := range changes {
		for _, ev := range [2]struct {
			tag  term.Atom
			pids []term.Pid
		}{{tagJoin, c.joined}, {tagLeave, c.left}} {
			if len(ev.pids) == 0 {
				continue
			}
			for ref, pid := range s.byGroup[c.group] {
				s.fx.send(pid, term.T(ref, ev.tag, c.group, ev.pids))
			}
			for ref, pid := range s.scopeSubs {
				s.fx.send(pid, term.T(ref, ev.tag, c.group, ev.pids))
			}
		}
	}
}

// call answers the requests of this node's processes.
func (s *server) call(c term.Request) {
	t, _ := c.Body.(term.Tuple)
	if a, ok := c.Body.(term.Atom); ok && (a == tagMonitorScope || a == tagPing) {
		t = term.T(a)
	}
	switch {
	case len(t) == 3 && (t.Tag() == tagJoin || t.Tag() == tagLeave):
		group, err := Group(t[1])
		pids, ok := pidList(t[2])
		if err != nil || !ok {
			s.fx.reply(c, term.T(atomError, "bad arguments"))
			return
		}
		for _, p := range pids {
			if p.Node != s.self.Node || p.Creation != s.self.Creation {
				s.fx.reply(c, term.T(atomError, term.T(term.Atom("not_local"), p)))
				return
			}
		}
		if t.Tag() == tagJoin {
			s.join(group, pids)
			s.fx.reply(c, term.OK)
			return
		}
		if _, missing := s.m.notJoined(group, pids); missing {
			s.fx.reply(c, atomNotJoined)
			return
		}
		s.leave(group, pids)
		s.fx.reply(c, term.OK)
	case len(t) == 3 && t.Tag() == tagMonitor:
		group, err := Group(t[1])
		who, ok := t[2].(term.Pid)
		if err != nil || !ok {
			s.fx.reply(c, term.T(atomError, "bad arguments"))
			return
		}
		ref := s.subscribe(who, group)
		s.mu.RLock()
		var pids []term.Pid
		if v := s.m.views[group]; v != nil {
			pids = v.all
		}
		s.mu.RUnlock()
		s.fx.reply(c, term.T(ref, append([]term.Pid{}, pids...)))
	case len(t) == 2 && t.Tag() == tagMonitorScope:
		who, ok := t[1].(term.Pid)
		if !ok {
			s.fx.reply(c, term.T(atomError, "bad arguments"))
			return
		}
		ref := s.subscribe(who, nil)
		all := map[any][]term.Pid{}
		s.mu.RLock()
		for g, v := range s.m.views {
			all[g] = v.all
		}
		s.mu.RUnlock()
		s.fx.reply(c, term.T(ref, syncList(all)))
	case len(t) == 1 && t.Tag() == tagPing:
		s.fx.reply(c, term.OK)
	case len(t) == 2 && t.Tag() == tagPing:
		// Another node's Sync: a peer this server does not know yet gets
		// its discover and sync now, before the answer (see Scope.Sync).
		if peer, ok := t[1].(term.Pid); ok && peer.Node != s.self.Node && s.addPeer(peer) {
			s.fx.send(peer, term.T(tagDiscover, s.self))
			s.fx.send(peer, s.syncMsg())
		}
		s.fx.reply(c, term.OK)
	case len(t) == 2 && t.Tag() == tagDemonitor:
		ref, ok := t[1].(term.Ref)
		_, found := s.subs[ref]
		if ok && found {
			s.unsubscribe(ref)
		}
		s.fx.reply(c, ok && found)
	default:
		s.fx.reply(c, term.T(atomError, term.T(term.Atom("bad_request"), c.Body)))
	}
}

// join adds local processes to group, monitors the new ones and tells the
// peers and subscribers.
func (s *server) join(group any, pids []term.Pid) {
	if len(pids) == 0 {
		return
	}
	s.mu.Lock()
	fresh := s.m.joinLocal(group, pids)
	s.mu.Unlock()
	for _, p := range fresh {
		s.localRefs[p] = s.fx.monitor(p)
	}
	s.broadcast(term.T(tagJoin, s.self, group, pids))
	s.notify([]change{{group: group, joined: sortPids(append([]term.Pid(nil), pids...))}})
}

// leave removes one join of group for each of pids (all joined).
func (s *server) leave(group any, pids []term.Pid) {
	if len(pids) == 0 {
		return
	}
	s.mu.Lock()
	gone := s.m.leaveLocal(group, pids)
	s.mu.Unlock()
	for _, p := range gone {
		s.fx.demonitor(s.localRefs[p])
		delete(s.localRefs, p)
	}
	s.broadcast(term.T(tagLeave, s.self, pids, []any{group}))
	s.notify([]change{{group: group, left: sortPids(append([]term.Pid(nil), pids...))}})
}

// subscribe adds a subscription for who (to group, or the whole scope for
// a nil group) and returns its ref.
func (s *server) subscribe(who term.Pid, group any) term.Ref {
	sub := s.subRefs[who]
	if sub == nil {
		sub = &subscriber{mon: s.fx.monitor(who), refs: map[term.Ref]bool{}}
		s.subRefs[who] = sub
	}
	ref := s.fx.newRef()
	sub.refs[ref] = true
	s.subs[ref] = subscription{pid: who, group: group}
	if group == nil {
		s.scopeSubs[ref] = who
	} else {
		if s.byGroup[group] == nil {
			s.byGroup[group] = map[term.Ref]term.Pid{}
		}
		s.byGroup[group][ref] = who
	}
	return ref
}

// unsubscribe ends a subscription.
func (s *server) unsubscribe(ref term.Ref) {
	sub, ok := s.subs[ref]
	if !ok {
		return
	}
	delete(s.subs, ref)
	if sub.group == nil {
		delete(s.scopeSubs, ref)
	} else if m := s.byGroup[sub.group]; m != nil {
		delete(m, ref)
		if len(m) == 0 {
			delete(s.byGroup, sub.group)
		}
	}
	if who := s.subRefs[sub.pid]; who != nil {
		delete(who.refs, ref)
		if len(who.refs) == 0 {
			s.fx.demonitor(who.mon)
			delete(s.subRefs, sub.pid)
		}
	}
}
