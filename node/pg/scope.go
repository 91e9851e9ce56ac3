package pg

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// DefaultScope is the scope of the package-level functions of the shell's
// pg (pg.Join, pg.GetMembers...), and the one Erlang's pg module uses.
const DefaultScope = term.Atom("pg")

// callTimeout bounds a request to the local scope server, which answers
// at once unless the node is stopping.
const callTimeout = 30 * time.Second

// Options configure a scope.
type Options struct {
	// Nodes lists the nodes connected when the scope starts, whose scope
	// servers it asks for their members at once; nodes that connect later
	// are found through node monitoring. Nil means none (a node that
	// starts its scopes before it connects anywhere).
	Nodes func() []term.Atom
	// SyncNodes lists the nodes whose scope servers Sync asks (with a
	// request only gerl's answer: Erlang's pg server would crash on it);
	// nil means Nodes.
	SyncNodes func() []term.Atom
}

// Scope is one scope on one node: a scope server process registered under
// the scope's name, which keeps this node's view of the scope's groups and
// exchanges it with the same scope's servers on the other nodes. Its
// methods may be called from any goroutine. Reading members (Members,
// LocalMembers, WhichGroups, the Send methods) does not involve the
// server: it reads this node's view under a lock. Joining, leaving and
// subscribing are requests the server answers.
type Scope struct {
	n     *node.Node
	name  term.Atom
	pid   term.Pid
	nodes func() []term.Atom // Options.SyncNodes, or Nodes

	mu sync.RWMutex // guards m.views
	m  *members
}

// scopes is the node's extension: its running scopes by name.
type scopes struct {
	mu sync.Mutex
	by map[term.Atom]*Scope
}

type scopesKey struct{}

func scopeTable(n *node.Node) *scopes {
	return n.Extension(scopesKey{}, func() any { return &scopes{by: map[term.Atom]*Scope{}} }).(*scopes)
}

// Start starts the server of scope on node n, registered under the
// scope's name, and returns it. Every node of a cluster that uses the
// scope starts it; nodes find each other's servers by that name. Starting
// a scope that runs is an error.
func Start(n *node.Node, scope term.Atom, opts Options) (*Scope, error) {
	if !term.Registrable(scope) {
		return nil, fmt.Errorf("pg: start scope %q: a scope is a registrable name (1-255 bytes, no NUL, not undefined)", string(scope))
	}
	tab := scopeTable(n)
	tab.mu.Lock()
	defer tab.mu.Unlock()
	if s := tab.by[scope]; s != nil {
		return nil, fmt.Errorf("pg: start scope %s: already running as %s", term.FormatAtom(scope), s.pid)
	}
	syncNodes := opts.SyncNodes
	if syncNodes == nil {
		syncNodes = opts.Nodes
	}
	s := &Scope{n: n, name: scope, m: newMembers(), nodes: syncNodes}
	ready := make(chan error, 1)
	pid, _, err := n.SpawnOpt(nil, node.SpawnOptions{Func: "pg scope " + string(scope)}, func(p *node.Proc) {
		s.run(p, opts, ready, tab)
	})
	if err != nil {
		return nil, fmt.Errorf("pg: start scope %s: %w", term.FormatAtom(scope), err)
	}
	if err := <-ready; err != nil {
		return nil, fmt.Errorf("pg: start scope %s: %w", term.FormatAtom(scope), err)
	}
	s.pid = pid
	tab.by[scope] = s
	return s, nil
}

// Of returns the scope named scope running on node n, or ErrNoScope.
func Of(n *node.Node, scope term.Atom) (*Scope, error) {
	tab := scopeTable(n)
	tab.mu.Lock()
	defer tab.mu.Unlock()
	if s := tab.by[scope]; s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("pg: scope %s: %w", term.FormatAtom(scope), ErrNoScope)
}

// procEffects acts as the scope server process.
type procEffects struct{ p *node.Proc }

func (e procEffects) send(to any, msg any) { _ = e.p.Send(to, msg) }
func (e procEffects) reply(c term.Request, v any) {
	_ = e.p.Reply(c, v)
}
func (e procEffects) monitor(pid term.Pid) term.Ref { return e.p.Monitor(pid) }
func (e procEffects) demonitor(ref term.Ref)        { e.p.Demonitor(ref, true) }
func (e procEffects) newRef() term.Ref              { return e.p.Node().MakeRef() }

// run is the scope server process.
func (s *Scope) run(p *node.Proc, opts Options, ready chan<- error, tab *scopes) {
	if err := p.Register(s.name); err != nil {
		ready <- err
		return
	}
	defer func() {
		tab.mu.Lock()
		if tab.by[s.name] == s {
			delete(tab.by, s.name)
		}
		tab.mu.Unlock()
	}()
	p.MonitorNodes(true)
	srv := newServer(s.name, p.Self(), procEffects{p}, p.Node().Logger(), &s.mu, s.m)
	ready <- nil
	if opts.Nodes != nil {
		srv.discoverAll(opts.Nodes())
	}
	for {
		srv.handle(p.Receive())
	}
}

// Name returns the scope's name.
func (s *Scope) Name() term.Atom { return s.name }

// Pid returns the scope server's pid.
func (s *Scope) Pid() term.Pid { return s.pid }

// request asks the scope server and returns its answer.
func (s *Scope) request(what string, req any) (any, error) {
	r, err := s.n.Call(s.pid, req, callTimeout)
	if err != nil {
		return nil, fmt.Errorf("pg: %s: %w", what, err)
	}
	if t, ok := r.(term.Tuple); ok && t.Tag() == atomError && len(t) == 2 {
		if nl, ok := t[1].(term.Tuple); ok && nl.Tag() == "not_local" {
			return nil, fmt.Errorf("pg: %s: %s: %w", what, term.Format(nl[1]), ErrNotLocal)
		}
		return nil, fmt.Errorf("pg: %s: %s", what, term.Format(t[1]))
	}
	return r, nil
}

// Join adds processes of this node to group: each pid joins once more (a
// process may be in a group several times, and leaves as many times). The
// scope server monitors them: a member that exits leaves all its groups.
func (s *Scope) Join(group any, pids ...term.Pid) error {
	g, err := Group(group)
	if err != nil {
		return fmt.Errorf("pg: join: %w", err)
	}
	if err := s.local("join", pids); err != nil {
		return err
	}
	_, err = s.request("join "+term.Format(g), term.T(tagJoin, g, pids))
	return err
}

// Leave removes one join of group for each pid; if one of them is not in
// the group (that many times) nothing changes and the error matches
// ErrNotJoined.
func (s *Scope) Leave(group any, pids ...term.Pid) error {
	g, err := Group(group)
	if err != nil {
		return fmt.Errorf("pg: leave: %w", err)
	}
	if err := s.local("leave", pids); err != nil {
		return err
	}
	r, err := s.request("leave "+term.Format(g), term.T(tagLeave, g, pids))
	if err != nil {
		return err
	}
	if r == atomNotJoined {
		return fmt.Errorf("pg: leave %s: %w", term.Format(g), ErrNotJoined)
	}
	return nil
}

func (s *Scope) local(what string, pids []term.Pid) error {
	for _, p := range pids {
		if !s.n.IsLocal(p) {
			return fmt.Errorf("pg: %s: %s: %w", what, p, ErrNotLocal)
		}
	}
	return nil
}

// view returns group's view (nil if it has no member); its slices are
// never changed.
func (s *Scope) view(group any) *groupView {
	g, err := Group(group)
	if err != nil {
		return nil
	}
	s.mu.RLock()
	v := s.m.views[g]
	s.mu.RUnlock()
	return v
}

// Members returns the members of group on every node, sorted (by node,
// then pid), a process that joined twice appearing twice: this node's
// view, which the other nodes' joins and leaves reach as fast as their
// messages (pg is eventually consistent). A group nobody joined has none.
func (s *Scope) Members(group any) []term.Pid {
	if v := s.view(group); v != nil {
		return append([]term.Pid{}, v.all...)
	}
	return []term.Pid{}
}

// LocalMembers returns the members of group that run on this node.
func (s *Scope) LocalMembers(group any) []term.Pid {
	if v := s.view(group); v != nil {
		return append([]term.Pid{}, v.local...)
	}
	return []term.Pid{}
}

// WhichGroups returns the groups with at least one member, sorted.
func (s *Scope) WhichGroups() []any { return s.groups(false) }

// WhichLocalGroups returns the groups with at least one member on this
// node, sorted.
func (s *Scope) WhichLocalGroups() []any { return s.groups(true) }

func (s *Scope) groups(local bool) []any {
	s.mu.RLock()
	out := make([]any, 0, len(s.m.views))
	for g, v := range s.m.views {
		if !local || len(v.local) > 0 {
			out = append(out, g)
		}
	}
	s.mu.RUnlock()
	return sortGroups(out)
}

// Monitor subscribes the local process who to group's changes and returns
// the subscription's ref and the members now. who then receives
// {Ref, join, Group, [Pid]} when processes join and {Ref, leave, Group,
// [Pid]} when they leave (or exit, or their node goes down), in the order
// this node's scope server learns of them. The subscription ends with
// Demonitor or when who exits.
func (s *Scope) Monitor(who term.Pid, group any) (term.Ref, []term.Pid, error) {
	g, err := Group(group)
	if err != nil {
		return term.Ref{}, nil, fmt.Errorf("pg: monitor: %w", err)
	}
	if !s.n.IsLocal(who) {
		return term.Ref{}, nil, fmt.Errorf("pg: monitor: %s: %w", who, ErrNotLocal)
	}
	r, err := s.request("monitor "+term.Format(g), term.T(tagMonitor, g, who))
	if err != nil {
		return term.Ref{}, nil, err
	}
	t, ok := r.(term.Tuple)
	if !ok || len(t) != 2 {
		return term.Ref{}, nil, fmt.Errorf("pg: monitor: unexpected reply %s", term.Format(r))
	}
	ref, ok1 := t[0].(term.Ref)
	pids, ok2 := pidList(t[1])
	if !ok1 || !ok2 {
		return term.Ref{}, nil, fmt.Errorf("pg: monitor: unexpected reply %s", term.Format(r))
	}
	return ref, pids, nil
}

// MonitorScope is Monitor for every group of the scope: it returns the
// members of every group now, and who receives the join and leave
// messages of all groups.
func (s *Scope) MonitorScope(who term.Pid) (term.Ref, map[any][]term.Pid, error) {
	if !s.n.IsLocal(who) {
		return term.Ref{}, nil, fmt.Errorf("pg: monitor_scope: %s: %w", who, ErrNotLocal)
	}
	r, err := s.request("monitor_scope", term.T(tagMonitorScope, who))
	if err != nil {
		return term.Ref{}, nil, err
	}
	t, ok := r.(term.Tuple)
	if !ok || len(t) != 2 {
		return term.Ref{}, nil, fmt.Errorf("pg: monitor_scope: unexpected reply %s", term.Format(r))
	}
	ref, ok1 := t[0].(term.Ref)
	groups, ok2 := syncGroups(t[1], "")
	if !ok1 || !ok2 {
		return term.Ref{}, nil, fmt.Errorf("pg: monitor_scope: unexpected reply %s", term.Format(r))
	}
	return ref, groups, nil
}

// Demonitor ends a subscription; it reports whether there was one. A
// message already sent for it may still arrive.
func (s *Scope) Demonitor(ref term.Ref) (bool, error) {
	r, err := s.request("demonitor", term.T(tagDemonitor, ref))
	if err != nil {
		return false, err
	}
	b, _ := r.(bool)
	return b, nil
}

// Nodes returns the nodes whose servers of the scope this one knows (has
// synced with), sorted.
func (s *Scope) Nodes() []term.Atom {
	s.mu.RLock()
	out := make([]term.Atom, 0, len(s.m.peers))
	for p := range s.m.peers {
		out = append(out, p.Node)
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Sync waits until this node's view has everything the scope's servers on
// the connected nodes had done when Sync was called, those it did not know
// yet included. pg is eventually consistent; Sync is for reading another
// node's joins right after they happened (tests, examples, a copy that
// starts and looks for the others). It asks the scope's server on each
// connected node (Options.SyncNodes, or Nodes; without them, the nodes it knows), which
// answers after it has sent this node's server whatever it had to, then
// this node's server, whose mailbox has those messages before Sync's
// request. A node without the scope, or one that does not answer, is
// skipped; so are Erlang nodes (Options.SyncNodes), whose pg has no such
// request.
func (s *Scope) Sync() error {
	var nodes []term.Atom
	if s.nodes != nil {
		nodes = s.nodes()
	} else {
		nodes = s.Nodes()
	}
	for _, nd := range nodes {
		_, _ = s.n.Call(term.Name{Name: s.name, Node: nd}, term.T(tagPing, s.pid), callTimeout)
	}
	_, err := s.request("sync", tagPing)
	return err
}

// Sender is what sends for the Send methods: a process (so the messages
// are sent by it, as its own sends) or nil, for a send from no process.
type Sender interface {
	Send(to any, msg any) error
}

func (s *Scope) sender(from Sender) Sender {
	if from == nil {
		return s.n
	}
	return from
}

// SendAll sends msg to every member of group, once per process even if it
// joined several times, and returns how many it sent to. The first error
// (a message that cannot be sent) stops it.
func (s *Scope) SendAll(from Sender, group any, msg any) (int, error) {
	v := s.view(group)
	if v == nil {
		return 0, nil
	}
	snd := s.sender(from)
	sent := 0
	for i, pid := range v.all {
		if i > 0 && v.all[i-1] == pid {
			continue
		}
		if err := snd.Send(pid, msg); err != nil {
			return sent, fmt.Errorf("pg: send to %s: %w", term.Format(group), err)
		}
		sent++
	}
	return sent, nil
}

// SendRandom sends msg to one member of group chosen at random and
// returns it; ErrEmpty if the group has no member.
func (s *Scope) SendRandom(from Sender, group any, msg any) (term.Pid, error) {
	v := s.view(group)
	if v == nil || len(v.all) == 0 {
		return term.Pid{}, fmt.Errorf("pg: send to a random member of %s: %w", term.Format(group), ErrEmpty)
	}
	return s.sendOne(from, v.all, group, msg)
}

// SendNearest sends msg to a member of group on this node, chosen at
// random, or if it has none to any member chosen at random; it returns
// the member. ErrEmpty if the group has no member.
func (s *Scope) SendNearest(from Sender, group any, msg any) (term.Pid, error) {
	v := s.view(group)
	if v == nil || len(v.all) == 0 {
		return term.Pid{}, fmt.Errorf("pg: send to the nearest member of %s: %w", term.Format(group), ErrEmpty)
	}
	if len(v.local) > 0 {
		return s.sendOne(from, v.local, group, msg)
	}
	return s.sendOne(from, v.all, group, msg)
}

func (s *Scope) sendOne(from Sender, pids []term.Pid, group any, msg any) (term.Pid, error) {
	pid := pids[rand.IntN(len(pids))]
	if err := s.sender(from).Send(pid, msg); err != nil {
		return term.Pid{}, fmt.Errorf("pg: send to %s: %w", term.Format(group), err)
	}
	return pid, nil
}
