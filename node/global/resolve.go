package global

import (
	"fmt"
	"math/rand/v2"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Name conflicts. Two processes can hold one name only when nodes that
// could not see each other each registered it (a partition); once they
// connect again and sync, every node knows both registrations. One node
// decides: the node, of the two owners (the nodes of the two processes),
// whose name sorts first. It asks the resolver of the name, if one was
// given (on the node that registered it, possibly another), or else
// applies RandomExitName; then the losing registration is unregistered by
// its owner. The other nodes keep both registrations meanwhile and show
// the one of the owner that sorts first. If the deciding node goes down,
// its process's registration goes with it and there is no conflict left.

// tagResolved is what a resolution worker tells its name server.
const tagResolved = term.Atom("$resolved")

// Resolver decides a name conflict between pid1 and pid2: it returns the
// pid that keeps the name, or the zero Pid for neither, and does what it
// wants with the others (RandomExitName ends the loser). It runs in a
// process of its own on the node that keeps it, n; a resolver that panics
// or returns another pid counts as choosing neither.
type Resolver func(n *node.Node, name term.Atom, pid1, pid2 term.Pid) term.Pid

// ConflictReason is the exit reason RandomExitName gives the loser, and
// the message the notifying resolvers send: {global_name_conflict, Name}.
func ConflictReason(name term.Atom) term.Tuple { return term.T(atomConflict, name) }

// RandomExitName is Erlang's random_exit_name: it keeps one of the two at
// random and ends the other with the exit reason {global_name_conflict,
// Name} (a process that traps exits gets it as a message instead, and
// lives on without the name). It is the rule when a registration has no
// resolver; the name server then ends the loser itself, once it has
// checked that the conflict is still there.
func RandomExitName(n *node.Node, name term.Atom, pid1, pid2 term.Pid) term.Pid {
	keep, lose := randomPair(pid1, pid2)
	_ = n.Exit(lose, ConflictReason(name))
	return keep
}

func randomPair(pid1, pid2 term.Pid) (keep, lose term.Pid) {
	if rand.IntN(2) == 1 {
		return pid2, pid1
	}
	return pid1, pid2
}

// RandomNotifyName is Erlang's random_notify_name: it keeps one of the two
// at random and sends the other {global_name_conflict, Name}.
func RandomNotifyName(n *node.Node, name term.Atom, pid1, pid2 term.Pid) term.Pid {
	keep, lose := randomPair(pid1, pid2)
	_ = n.Send(lose, ConflictReason(name))
	return keep
}

// NotifyAllName is Erlang's notify_all_name: neither keeps the name; each
// is sent {global_name_conflict, Name, OtherPid}.
func NotifyAllName(n *node.Node, name term.Atom, pid1, pid2 term.Pid) term.Pid {
	_ = n.Send(pid1, term.T(atomConflict, name, pid2))
	_ = n.Send(pid2, term.T(atomConflict, name, pid1))
	return term.Pid{}
}

// checkConflict starts deciding a conflict on name if there is one and
// this node decides it.
func (s *server) checkConflict(name term.Atom) {
	byOwner := s.entries[name]
	if len(byOwner) < 2 || s.resolving[name] {
		return
	}
	mine, ok := byOwner[s.self.Node]
	if !ok {
		return
	}
	var other term.Atom
	for owner := range byOwner {
		if owner < s.self.Node {
			return // that owner decides
		}
		if owner != s.self.Node && (other == "" || owner < other) {
			other = owner
		}
	}
	theirs := byOwner[other]
	res := mine.res
	if res == "" {
		res = theirs.res
	}
	s.resolving[name] = true
	p1, p2 := mine.pid, theirs.pid
	svc, server := s.svc, s.self
	if _, err := svc.n.Spawn(func(w *node.Proc) {
		keep, byDefault := svc.decide(name, res, p1, p2)
		_ = w.Send(server, term.T(tagResolved, name, p1, p2, keep, byDefault))
	}); err != nil {
		delete(s.resolving, name) // the node is stopping
	}
}

// resolved applies a decision, if the conflict it decided is still there.
func (s *server) resolved(t term.Tuple) {
	name, ok1 := tupleArg[term.Atom](t, 1, 6)
	p1, ok2 := tupleArg[term.Pid](t, 2, 6)
	p2, ok3 := tupleArg[term.Pid](t, 3, 6)
	keep, ok4 := tupleArg[term.Pid](t, 4, 6)
	byDefault, ok5 := tupleArg[bool](t, 5, 6)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !s.resolving[name] {
		s.dropped("malformed resolution", t)
		return
	}
	delete(s.resolving, name)
	e1, in1 := s.entries[name][p1.Node]
	e2, in2 := s.entries[name][p2.Node]
	if !in1 || !in2 || e1.pid != p1 || e2.pid != p2 {
		s.checkConflict(name) // things changed meanwhile: look again
		return
	}
	if keep != p1 && keep != p2 {
		keep = term.Pid{}
	}
	for _, lose := range []term.Pid{p1, p2} {
		if lose == keep {
			continue
		}
		s.log.Warn("global name conflict", "name", term.FormatAtom(name), "kept", term.Format(keep), "unregistered", lose.String())
		if byDefault {
			_ = s.p.Exit(lose, ConflictReason(name))
		}
		if lose.Node == s.self.Node {
			s.disown(name, lose)
			continue
		}
		// Until its owner says it is gone, a sync that still carries the
		// loser's registration must not bring the conflict back.
		s.lost[lose] = name
		s.del(name, lose.Node, lose)
		if pr, ok := s.peers[lose.Node]; ok {
			s.send(pr.pid, term.T(tagDrop, name, lose))
		}
	}
	s.checkConflict(name)
}

// resolveRequest runs the resolver this node keeps for a name, for the
// node deciding a conflict.
func (s *server) resolveRequest(c term.Request, t term.Tuple) {
	name, ok1 := tupleArg[term.Atom](t, 1, 4)
	p1, ok2 := tupleArg[term.Pid](t, 2, 4)
	p2, ok3 := tupleArg[term.Pid](t, 3, 4)
	if !ok1 || !ok2 || !ok3 {
		s.badRequest(c)
		return
	}
	svc := s.svc
	if _, err := svc.n.Spawn(func(w *node.Proc) {
		var keep any = term.Undefined
		if pid := svc.runResolver(svc.resolverFor(name, p1, p2), name, p1, p2); !pid.IsZero() {
			keep = pid
		}
		_ = w.Reply(c, keep)
	}); err != nil {
		_ = s.p.Reply(c, term.Undefined)
	}
}

// decide returns the pid that keeps name: the one the resolver kept by
// node res decides, or (byDefault) one chosen at random, whose loser the
// name server ends once it has checked the conflict is still there.
func (svc *Service) decide(name, res term.Atom, p1, p2 term.Pid) (keep term.Pid, byDefault bool) {
	switch res {
	case "":
	case svc.n.Name():
		if fn := svc.resolverFor(name, p1, p2); fn != nil {
			return svc.runResolver(fn, name, p1, p2), false
		}
	default:
		v, err := svc.n.Call(term.Name{Name: ServerName, Node: res}, term.T(tagResolve, name, p1, p2), svc.opts.CallTimeout)
		if err == nil {
			pid, _ := v.(term.Pid)
			return pid, false
		}
		svc.n.Logger().Warn("global: the resolver's node did not answer; the default rule decides",
			"name", term.FormatAtom(name), "node", string(res), "error", err.Error())
	}
	keep, _ = randomPair(p1, p2)
	return keep, true
}

// runResolver calls fn (RandomExitName when nil), turning a panic or an
// answer that is neither pid into the zero Pid.
func (svc *Service) runResolver(fn Resolver, name term.Atom, p1, p2 term.Pid) (keep term.Pid) {
	if fn == nil {
		fn = RandomExitName
	}
	defer func() {
		if r := recover(); r != nil {
			svc.n.Logger().Error("global: a name resolver panicked; neither keeps the name",
				"name", term.FormatAtom(name), "panic", fmt.Sprint(r))
			keep = term.Pid{}
		}
	}()
	keep = fn(svc.n, name, p1, p2)
	if keep != p1 && keep != p2 {
		keep = term.Pid{}
	}
	return keep
}
