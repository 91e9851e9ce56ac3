package global

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Registration. A registrar (the caller's own short-lived process, W)
// takes the name's lock on every node it knows (this one and its peers),
// checks the name and the process with every node's answer, commits the
// change to every node, the process's node last, and unlocks:
//
//  1. trylock on every node at once. If one is busy (another registrar of
//     the same name holds its lock), W unlocks what it got and takes the
//     locks one node at a time, in the order of the nodes' names, waiting
//     in line on each: registrars that wait all take the locks in the same
//     order, so two of them never wait for each other, and the first in
//     line on the first node goes first everywhere.
//  2. With every lock held, no other registration of the name can run on
//     any of those nodes. If one node says the name is taken (or, for a
//     registration, that the process has a name), nothing changes.
//  3. Commit: every other node records the registration, then the owner
//     (the process's node), which checks the process once more, monitors
//     it and tells its peers. A refusal is undone on the others. When
//     RegisterName returns, every node it locked shows the name.
//
// A node that does not answer is left out (it is gone, or runs no name
// server); if it is the process's node, the registration fails.

// grant is one node's answer to a lock request.
type grant struct {
	node         term.Atom
	taken, named bool
	err          error
}

// RegisterName registers pid as name across the cluster, or returns an
// error matching ErrTaken (another process has the name), ErrAlreadyNamed
// (pid has a global name already), ErrNoProc, ErrUnreachable or
// ErrBadName. Two registrations of one name at once, from anywhere in a
// connected cluster, never both succeed. resolve, if not nil, decides the
// conflicts this registration takes part in after a partition (see
// Resolver); nil is RandomExitName. The name goes when pid exits or its
// node goes down.
func (s *Service) RegisterName(name term.Atom, pid term.Pid, resolve Resolver) error {
	what := "register_name " + term.FormatAtom(name)
	if !term.Registrable(name) {
		return fmt.Errorf("global: %s: %w", what, ErrBadName)
	}
	if pid.IsZero() {
		return fmt.Errorf("global: %s: the zero pid: %w", what, ErrNoProc)
	}
	if s.n.IsLocal(pid) && !s.n.Alive(pid) {
		return fmt.Errorf("global: %s: %s: %w", what, pid, ErrNoProc)
	}
	res := term.Atom("")
	if resolve != nil {
		res = s.n.Name()
	}
	err := s.registrar(what, func(w *node.Proc) error {
		grants, err := s.lockAll(w, name, pid)
		defer s.unlockAll(w, name, grants)
		if err != nil {
			return err
		}
		owner := false
		for _, g := range grants {
			switch {
			case g.taken:
				return ErrTaken
			case g.named:
				return ErrAlreadyNamed
			}
			owner = owner || g.node == pid.Node
		}
		if !owner {
			return fmt.Errorf("%s: %w", pid.Node, ErrUnreachable)
		}
		s.setResolver(name, pid, resolve)
		op := term.T(tagRegister, pid, res)
		if err := s.commitAll(w, name, op, grants, pid.Node); err != nil {
			s.forgetResolver(name, pid)
			return err
		}
		return nil
	})
	return err
}

// UnregisterName removes name's registration across the cluster; a name
// that is not registered is not an error, as in Erlang.
func (s *Service) UnregisterName(name term.Atom) error {
	what := "unregister_name " + term.FormatAtom(name)
	if !term.Registrable(name) {
		return fmt.Errorf("global: %s: %w", what, ErrBadName)
	}
	return s.registrar(what, func(w *node.Proc) error {
		grants, err := s.lockAll(w, name, term.Pid{})
		defer s.unlockAll(w, name, grants)
		if err != nil {
			return err
		}
		owner := term.Atom("")
		if pid, ok := s.WhereisName(name); ok {
			owner = pid.Node
		}
		return s.commitAll(w, name, tagUnregister, grants, owner)
	})
}

// registrar runs f in a short-lived process, W, which the name servers
// see as the lock holder; ending W (also if f fails half way) makes them
// release whatever it held.
func (s *Service) registrar(what string, f func(w *node.Proc) error) error {
	if err := s.n.WithProcess("global registrar", f); err != nil {
		return fmt.Errorf("global: %s: %w", what, err)
	}
	return nil
}

// serverOf returns the name server of a node.
func serverOf(nd term.Atom) term.Name { return term.Name{Name: ServerName, Node: nd} }

// lockAll takes name's lock on every node of the lock set (see the top of
// the file) and returns the nodes' answers; nodes that did not answer are
// left out. On error the grants it returns are still held.
func (s *Service) lockAll(w *node.Proc, name term.Atom, pid term.Pid) ([]grant, error) {
	nodes := s.lockSet()
	req := func(tag term.Atom) term.Tuple { return term.T(tag, name, w.Self(), pid) }
	grants := s.parallel(nodes, req(tagTrylock), s.opts.CallTimeout)
	busy := false
	for _, g := range grants {
		if errors.Is(g.err, errBusy) {
			busy = true
		}
	}
	if !busy {
		return answered(grants), nil
	}
	s.unlockAll(w, name, grants)
	var held []grant
	for _, nd := range nodes {
		g := s.ask(nd, req(tagLock), s.opts.LockTimeout)
		if errors.Is(g.err, node.ErrTimeout) {
			return held, fmt.Errorf("waited %v for the lock on %s: %w", s.opts.LockTimeout, nd, g.err)
		}
		if g.err == nil {
			held = append(held, g)
		}
	}
	return held, nil
}

// answered keeps the nodes that granted the lock.
func answered(gs []grant) []grant {
	out := gs[:0:0]
	for _, g := range gs {
		if g.err == nil {
			out = append(out, g)
		}
	}
	return out
}

var errBusy = errors.New("busy")

// ask sends one lock request to nd's name server.
func (s *Service) ask(nd term.Atom, req term.Tuple, timeout time.Duration) grant {
	g := grant{node: nd}
	v, err := s.n.Call(serverOf(nd), req, timeout)
	if err != nil {
		g.err = err
		return g
	}
	if v == atomBusy {
		g.err = errBusy
		return g
	}
	t, ok := v.(term.Tuple)
	if !ok || len(t) != 3 || t.Tag() != atomGranted {
		g.err = fmt.Errorf("%s answered %s", nd, term.Format(v))
		return g
	}
	g.taken, _ = t[1].(bool)
	g.named, _ = t[2].(bool)
	return g
}

// parallel sends req to every node's name server at once.
func (s *Service) parallel(nodes []term.Atom, req term.Tuple, timeout time.Duration) []grant {
	out := make([]grant, len(nodes))
	var wg sync.WaitGroup
	for i, nd := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.ask(nd, req, timeout)
		}()
	}
	wg.Wait()
	return out
}

// unlockAll releases the locks of grants (those granted).
func (s *Service) unlockAll(w *node.Proc, name term.Atom, grants []grant) {
	for _, g := range grants {
		if g.err == nil {
			_ = w.Send(serverOf(g.node), term.T(tagUnlock, name, w.Self()))
		}
	}
}

// commitAll sends the change to every granted node, owner last; an owner
// that refuses a registration makes the others forget it.
func (s *Service) commitAll(w *node.Proc, name term.Atom, op any, grants []grant, owner term.Atom) error {
	req := term.T(tagCommit, name, w.Self(), op)
	var others []term.Atom
	for _, g := range grants {
		if g.node != owner {
			others = append(others, g.node)
		}
	}
	var wg sync.WaitGroup
	for _, nd := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = s.n.Call(serverOf(nd), req, s.opts.CallTimeout)
		}()
	}
	wg.Wait()
	if owner == "" {
		return nil
	}
	v, err := s.n.Call(serverOf(owner), req, s.opts.CallTimeout)
	if err == nil && v == term.OK {
		return nil
	}
	if op != tagUnregister {
		undo := term.T(tagCommit, name, w.Self(), tagUnregister)
		for _, nd := range others {
			_, _ = s.n.Call(serverOf(nd), undo, s.opts.CallTimeout)
		}
	}
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w (%v)", owner, ErrUnreachable, err)
	case v == atomNo:
		// The owner's own check: the process exited, or got a name, since
		// the locks were granted.
		return ErrNoProc
	}
	return fmt.Errorf("%s answered %s", owner, term.Format(v))
}
