package global

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Options configure a node's name server.
type Options struct {
	// Nodes lists the nodes connected when the server starts, whose name
	// servers it syncs with at once; nodes that connect later are found
	// through node monitoring. Nil means none.
	Nodes func() []term.Atom
	// CallTimeout bounds each request of a registration to a name server
	// that is not waiting for a lock (a node that does not answer counts
	// as gone). 0 means 10 s.
	CallTimeout time.Duration
	// LockTimeout bounds how long a registration waits in line for a
	// name's lock, behind registrations of the same name elsewhere. 0
	// means 30 s.
	LockTimeout time.Duration
}

// Service is one node's global name server: the process registered as
// ServerName and what readers need from it. Its methods are safe for
// concurrent use. WhereisName, RegisteredNames and Send read this node's
// copy of the names under a shared lock; RegisterName and UnregisterName
// take the name's lock on every node of the cluster.
type Service struct {
	n    *node.Node
	pid  term.Pid
	opts Options

	mu        sync.RWMutex // guards the fields below
	names     map[term.Atom]term.Pid
	peers     []term.Atom // the connected nodes, sorted: a registration locks them
	synced    []term.Atom // the nodes whose name servers synced, sorted
	resolvers map[term.Atom]resolverEntry
}

type resolverEntry struct {
	pid term.Pid
	fn  Resolver
}

type serviceKey struct{}

// Start starts node n's name server. Every node of a cluster that uses
// global names starts one (gerl does, with distribution); nodes find each
// other's servers by name. Starting it twice is an error.
func Start(n *node.Node, opts Options) (*Service, error) {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 10 * time.Second
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 30 * time.Second
	}
	svc := &Service{n: n, opts: opts, names: map[term.Atom]term.Pid{}, resolvers: map[term.Atom]resolverEntry{}}
	if got := n.Extension(serviceKey{}, func() any { return svc }); got != svc {
		return nil, fmt.Errorf("global: start: already running as %s", got.(*Service).pid)
	}
	ready := make(chan error, 1)
	pid, _, err := n.SpawnOpt(nil, node.SpawnOptions{Func: "global name server"}, func(p *node.Proc) {
		if err := p.Register(ServerName); err != nil {
			ready <- err
			return
		}
		p.MonitorNodes(true)
		srv := newServer(svc, p)
		ready <- nil
		if opts.Nodes != nil {
			for _, nd := range opts.Nodes() {
				srv.setConnected(nd, true)
				srv.send(term.Name{Name: ServerName, Node: nd}, term.T(tagDiscover, p.Self()))
			}
		}
		srv.loop()
	})
	if err == nil {
		err = <-ready
	}
	if err != nil {
		return nil, fmt.Errorf("global: start: %w", err)
	}
	svc.pid = pid
	return svc, nil
}

// Of returns node n's name server, or ErrNotRunning.
func Of(n *node.Node) (*Service, error) {
	if v := n.Extension(serviceKey{}, nil); v != nil {
		return v.(*Service), nil
	}
	return nil, ErrNotRunning
}

// Pid returns the name server's pid.
func (s *Service) Pid() term.Pid { return s.pid }

// Nodes returns the nodes whose name servers this one has synced with,
// sorted.
func (s *Service) Nodes() []term.Atom {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]term.Atom{}, s.synced...)
}

// WhereisName returns the process registered as name, as this node knows
// it: the names of this node's processes are exact (a process that has
// exited has no name, even before the name server hears of it); those of
// other nodes' are as recent as the last message from their node (Sync).
func (s *Service) WhereisName(name term.Atom) (term.Pid, bool) {
	s.mu.RLock()
	pid, ok := s.names[name]
	s.mu.RUnlock()
	if ok && s.n.IsLocal(pid) && !s.n.Alive(pid) {
		return term.Pid{}, false
	}
	return pid, ok
}

// RegisteredNames returns the registered names, sorted (as WhereisName
// sees them).
func (s *Service) RegisteredNames() []term.Atom {
	s.mu.RLock()
	out := make([]term.Atom, 0, len(s.names))
	for n, pid := range s.names {
		if !s.n.IsLocal(pid) || s.n.Alive(pid) {
			out = append(out, n)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Sync waits until this node's copy of the names has everything the name
// servers of the connected nodes had done when Sync was called, those it
// did not know yet included (Erlang's global:sync). It asks each of them,
// then this node's server (see pg's Sync for why that is enough). A node
// that runs no name server, or does not answer, is skipped.
func (s *Service) Sync() error {
	for _, nd := range s.lockSet() {
		if nd != s.n.Name() {
			_, _ = s.n.Call(serverOf(nd), term.T(tagPing, s.pid), s.opts.CallTimeout)
		}
	}
	if _, err := s.n.Call(s.pid, term.T(tagPing, s.pid), s.opts.CallTimeout); err != nil {
		return fmt.Errorf("global: sync: %w", err)
	}
	return nil
}

// Sender sends a message: a process (node.Proc) or a node (no sender).
type Sender interface {
	Send(to any, msg any) error
}

// Send sends msg to the process registered as name, from from (nil: from
// no process), and returns its pid; ErrNotRegistered if there is none.
func (s *Service) Send(from Sender, name term.Atom, msg any) (term.Pid, error) {
	pid, ok := s.WhereisName(name)
	if !ok {
		return term.Pid{}, fmt.Errorf("global: send to %s: %w", term.FormatAtom(name), ErrNotRegistered)
	}
	if from == nil {
		from = s.n
	}
	if err := from.Send(pid, msg); err != nil {
		return term.Pid{}, fmt.Errorf("global: send to %s: %w", term.FormatAtom(name), err)
	}
	return pid, nil
}

// lockSet returns the nodes a registration locks: this one and the
// connected ones, sorted. With Options.Nodes, those are the connections
// of the moment (node monitoring tells the name server a little later).
func (s *Service) lockSet() []term.Atom {
	var out []term.Atom
	if s.opts.Nodes != nil {
		out = append(s.opts.Nodes(), s.n.Name())
	} else {
		s.mu.RLock()
		out = append([]term.Atom{s.n.Name()}, s.peers...)
		s.mu.RUnlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// connectedTo reports whether this node is connected to nd: per
// Options.Nodes when given, else per the name server's view (monitored,
// which the server passes; only the server's goroutine may).
func (s *Service) connectedTo(nd term.Atom, monitored map[term.Atom]bool) bool {
	if s.opts.Nodes == nil {
		return monitored[nd]
	}
	for _, x := range s.opts.Nodes() {
		if x == nd {
			return true
		}
	}
	return false
}

func (s *Service) setResolver(name term.Atom, pid term.Pid, fn Resolver) {
	s.mu.Lock()
	if fn == nil {
		delete(s.resolvers, name)
	} else {
		s.resolvers[name] = resolverEntry{pid: pid, fn: fn}
	}
	s.mu.Unlock()
}

func (s *Service) forgetResolver(name term.Atom, pid term.Pid) {
	s.mu.Lock()
	if r, ok := s.resolvers[name]; ok && r.pid == pid {
		delete(s.resolvers, name)
	}
	s.mu.Unlock()
}

// resolverFor returns the resolver kept for name's registration of pid1
// or pid2, or nil.
func (s *Service) resolverFor(name term.Atom, pid1, pid2 term.Pid) Resolver {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r, ok := s.resolvers[name]; ok && (r.pid == pid1 || r.pid == pid2) {
		return r.fn
	}
	return nil
}
