package node

import (
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// When the connection to a node is lost, every link and monitor that spans
// it must fire with reason noconnection. remoteLinks remembers them per
// remote node so NodeDown finds them without scanning every process.
// Lock order: remoteLinks.mu is taken alone or after a Proc.mu, never
// before one.
type remoteLinks struct {
	mu     sync.Mutex
	byNode map[term.Atom]*nodeLinkSet
}

type nodeLinkSet struct {
	links       map[[2]term.Pid]struct{} // {local, remote}
	monitorsOut map[term.Ref]term.Pid    // a local watcher monitors a remote target
	monitorsIn  map[term.Ref]term.Pid    // a remote watcher monitors a local target
}

func (r *remoteLinks) set(node term.Atom) *nodeLinkSet {
	s := r.byNode[node]
	if s == nil {
		s = &nodeLinkSet{
			links:       make(map[[2]term.Pid]struct{}),
			monitorsOut: make(map[term.Ref]term.Pid),
			monitorsIn:  make(map[term.Ref]term.Pid),
		}
		r.byNode[node] = s
	}
	return s
}

func (r *remoteLinks) addLink(local, remote term.Pid) {
	r.mu.Lock()
	r.set(remote.Node).links[[2]term.Pid{local, remote}] = struct{}{}
	r.mu.Unlock()
}

func (r *remoteLinks) removeLink(local, remote term.Pid) {
	r.mu.Lock()
	if s := r.byNode[remote.Node]; s != nil {
		delete(s.links, [2]term.Pid{local, remote})
	}
	r.mu.Unlock()
}

func (r *remoteLinks) addMonitorOut(node term.Atom, ref term.Ref, watcher term.Pid) {
	r.mu.Lock()
	r.set(node).monitorsOut[ref] = watcher
	r.mu.Unlock()
}

func (r *remoteLinks) removeMonitorOut(node term.Atom, ref term.Ref) {
	r.mu.Lock()
	if s := r.byNode[node]; s != nil {
		delete(s.monitorsOut, ref)
	}
	r.mu.Unlock()
}

func (r *remoteLinks) addMonitorIn(node term.Atom, ref term.Ref, target term.Pid) {
	r.mu.Lock()
	r.set(node).monitorsIn[ref] = target
	r.mu.Unlock()
}

func (r *remoteLinks) removeMonitorIn(node term.Atom, ref term.Ref) (term.Pid, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.byNode[node]
	if s == nil {
		return term.Pid{}, false
	}
	target, ok := s.monitorsIn[ref]
	delete(s.monitorsIn, ref)
	return target, ok
}

func (r *remoteLinks) take(node term.Atom) *nodeLinkSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.byNode[node]
	delete(r.byNode, node)
	return s
}

// NodeDown is called by the distribution layer when the connection to node
// is lost (closed, tick timeout, or disconnect). It runs in two steps.
// NodeDown itself takes the links and monitors that went through the
// connection: those made after it returns belong to the next connection.
// The deliver function it returns reports the loss: links across the
// connection deliver exit signals with reason noconnection, monitors on
// its processes deliver Down with reason noconnection, monitors its
// processes held here are dropped, and node monitors receive
// term.NodeDown{node, reason}: MonitorNode(node) subscribers always,
// MonitorNodes subscribers only for a visible node, as in Erlang. Between
// the two steps the layer forgets the connection, so a process that hears
// of the loss and sends to node at once starts a new connection instead
// of writing to the dead one. deliver must be called exactly once.
func (n *Node) NodeDown(node term.Atom, reason any, hidden bool) (deliver func()) {
	var sigs []signal
	if s := n.links.take(node); s != nil {
		for pair := range s.links {
			sigs = append(sigs, signal{kind: sigLinkExit, from: pair[1], to: pair[0], reason: term.NoConnection})
		}
		for ref, watcher := range s.monitorsOut {
			sigs = append(sigs, signal{kind: sigDown, to: watcher, ref: ref, reason: term.NoConnection})
		}
		for ref, target := range s.monitorsIn {
			if p := n.lookup(target); p != nil {
				p.removeMonitor(ref)
			}
		}
	}
	return func() {
		n.propagate(sigs)
		n.monNode.deliver(n, node, term.NodeDown{Node: node, Reason: reason}, true, hidden)
	}
}

// ConnectFailed is called by the distribution layer when a connection to
// node could not be set up: MonitorNode(node) subscribers receive
// term.NodeDown{node, reason} and their subscriptions end, as Erlang's
// monitor_node reports an unreachable node; MonitorNodes subscribers, who
// never saw the node up, hear nothing. Links and monitors that waited for
// the connection are fired by the layer itself (DeliverLinkExit,
// DeliverDown).
func (n *Node) ConnectFailed(node term.Atom, reason any) {
	n.monNode.deliver(n, node, term.NodeDown{Node: node, Reason: reason}, true, true)
}

// NodeUp is called by the distribution layer when a connection to node
// comes up; processes that monitor all nodes receive term.NodeUp{node},
// unless node is hidden.
func (n *Node) NodeUp(node term.Atom, hidden bool) {
	n.monNode.deliver(n, node, term.NodeUp{Node: node}, false, hidden)
}

// nodeMonitors holds monitor_node and monitor_nodes subscriptions.
type nodeMonitors struct {
	mu     sync.Mutex
	byNode map[term.Atom]map[term.Pid]int // monitor_node(Node, true), counted
	all    map[term.Pid]struct{}          // monitor_nodes(true)
}

// deliver sends ev to the subscribers of node (only for nodedown, which
// also ends those one-shot subscriptions) and, for a visible node, to every
// all-nodes subscriber.
func (m *nodeMonitors) deliver(n *Node, node term.Atom, ev any, down, hidden bool) {
	m.mu.Lock()
	var to []term.Pid
	if down {
		for pid, count := range m.byNode[node] {
			for i := 0; i < count; i++ {
				to = append(to, pid)
			}
		}
		delete(m.byNode, node)
	}
	if !hidden {
		for pid := range m.all {
			to = append(to, pid)
		}
	}
	m.mu.Unlock()
	for _, pid := range to {
		n.DeliverSend(term.Pid{}, pid, ev)
	}
}

func (m *nodeMonitors) removeProc(pid term.Pid) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.all == nil && m.byNode == nil {
		return
	}
	delete(m.all, pid)
	for node, subs := range m.byNode {
		delete(subs, pid)
		if len(subs) == 0 {
			delete(m.byNode, node)
		}
	}
}

// MonitorNode makes p receive term.NodeDown{node} when the connection to
// node goes down (on, as Erlang's monitor_node(Node, true)), or removes one
// such subscription (off). As in Erlang, monitoring a node that is not
// connected starts connecting to it without waiting; if that fails the
// NodeDown arrives (reason noconnection), at once when the node can never
// be reached (a bad name, no distribution).
func (p *Proc) MonitorNode(node term.Atom, on bool) {
	p.checkAlive()
	n := p.node
	self := p.Self()
	m := &n.monNode
	m.mu.Lock()
	if !on {
		if subs := m.byNode[node]; subs != nil {
			if subs[self]--; subs[self] <= 0 {
				delete(subs, self)
			}
		}
		m.mu.Unlock()
		return
	}
	if m.byNode == nil {
		m.byNode = make(map[term.Atom]map[term.Pid]int)
	}
	if m.byNode[node] == nil {
		m.byNode[node] = make(map[term.Pid]int)
	}
	m.byNode[node][self]++
	m.mu.Unlock()
	if node == n.name {
		return
	}
	if err := n.remoteFor().Connect(node); err != nil {
		m.mu.Lock()
		if subs := m.byNode[node]; subs != nil {
			if subs[self]--; subs[self] <= 0 {
				delete(subs, self)
			}
		}
		m.mu.Unlock()
		p.enqueue(term.NodeDown{Node: node, Reason: term.NoConnection})
	}
}

// MonitorNodes subscribes p to every NodeUp and NodeDown (on), or ends the
// subscription (off), as Erlang's net_kernel:monitor_nodes.
func (p *Proc) MonitorNodes(on bool) {
	p.checkAlive()
	m := &p.node.monNode
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.all == nil {
		m.all = make(map[term.Pid]struct{})
	}
	if on {
		m.all[p.Self()] = struct{}{}
	} else {
		delete(m.all, p.Self())
	}
}
