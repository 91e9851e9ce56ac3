package pg

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// A simulated cluster for property tests: the scope servers' real logic
// (server.go), with the runtime replaced by queues the test delivers in a
// random order. Each ordered pair of nodes has a FIFO channel, as a
// distribution connection has; runtime events (a Down, a NodeUp) wait in
// queues of their own and are delivered in any order relative to the
// channels, which is what the real runtime allows. Cutting a link loses
// the messages in flight both ways and fires the monitors across it with
// noconnection; healing it delivers NodeUp on both sides. Crashing a node
// cuts all its links and starts it again with a new creation: its
// processes and its memberships are gone.

type simMsg struct {
	to  term.Pid
	msg any
}

type simMonitor struct {
	watcher int // node of the watching scope server
	target  term.Pid
}

type simNode struct {
	name    term.Atom
	gen     uint32
	srv     *server
	mu      sync.RWMutex
	m       *members
	nextID  uint64
	procs   map[term.Pid]bool        // live local processes
	joins   map[term.Pid]map[any]int // the truth: live processes' joins
	replies []any
}

type simCluster struct {
	t      *testing.T
	rng    *rand.Rand
	nodes  []*simNode
	up     [][]bool      // link state
	chans  [][][]simMsg  // chans[i][j]: from node i to node j
	events [][]any       // runtime events per node, FIFO (NodeUp)
	downs  [][]term.Down // Downs per node, delivered in any order
	mons   map[term.Ref]simMonitor
	refs   uint64
	log    *slog.Logger
}

type simFx struct {
	c *simCluster
	i int
}

func (f simFx) send(to any, msg any) {
	c := f.c
	var pid term.Pid
	switch x := to.(type) {
	case term.Pid:
		pid = x
	case term.Name:
		j := c.index(x.Node)
		if j < 0 {
			return
		}
		pid = c.nodes[j].srv.self
	default:
		c.t.Fatalf("send to %v", to)
	}
	j := c.index(pid.Node)
	if j < 0 || j == f.i {
		return // a subscriber, or nowhere
	}
	if !c.up[f.i][j] {
		return
	}
	c.chans[f.i][j] = append(c.chans[f.i][j], simMsg{pid, msg})
}

func (f simFx) reply(_ term.Request, v any) {
	n := f.c.nodes[f.i]
	n.replies = append(n.replies, v)
}

func (f simFx) newRef() term.Ref {
	f.c.refs++
	return term.Ref{Node: f.c.nodes[f.i].name, ID: f.c.refs}
}

func (f simFx) monitor(pid term.Pid) term.Ref {
	c := f.c
	ref := f.newRef()
	j := c.index(pid.Node)
	switch {
	case j < 0:
		c.downs[f.i] = append(c.downs[f.i], term.Down{Ref: ref, Pid: pid, Reason: term.NoConnection})
	case j != f.i && !c.up[f.i][j]:
		c.downs[f.i] = append(c.downs[f.i], term.Down{Ref: ref, Pid: pid, Reason: term.NoConnection})
	case !c.alive(pid):
		c.downs[f.i] = append(c.downs[f.i], term.Down{Ref: ref, Pid: pid, Reason: term.NoProc})
	default:
		c.mons[ref] = simMonitor{watcher: f.i, target: pid}
	}
	return ref
}

// demonitor removes the monitor and a Down of it not yet delivered, as
// Demonitor with flush does.
func (f simFx) demonitor(ref term.Ref) {
	c := f.c
	delete(c.mons, ref)
	ds := c.downs[f.i][:0]
	for _, d := range c.downs[f.i] {
		if d.Ref != ref {
			ds = append(ds, d)
		}
	}
	c.downs[f.i] = ds
}

func newSim(t *testing.T, seed uint64, n int) *simCluster {
	c := &simCluster{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), mons: map[term.Ref]simMonitor{},
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c.up = make([][]bool, n)
	c.chans = make([][][]simMsg, n)
	c.events = make([][]any, n)
	c.downs = make([][]term.Down, n)
	for i := 0; i < n; i++ {
		c.up[i] = make([]bool, n)
		c.chans[i] = make([][]simMsg, n)
		c.nodes = append(c.nodes, &simNode{name: term.Atom(fmt.Sprintf("n%d@sim", i))})
	}
	for i := 0; i < n; i++ {
		c.start(i)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j {
				c.up[i][j] = true
			}
		}
	}
	for i := 0; i < n; i++ {
		var others []term.Atom
		for j := 0; j < n; j++ {
			others = append(others, c.nodes[j].name)
		}
		c.nodes[i].srv.discoverAll(others)
	}
	return c
}

// start starts node i (again): a new creation, no process.
func (c *simCluster) start(i int) {
	n := c.nodes[i]
	n.gen++
	n.nextID = 1
	n.m = newMembers()
	n.procs = map[term.Pid]bool{}
	n.joins = map[term.Pid]map[any]int{}
	self := term.Pid{Node: n.name, ID: 1, Creation: n.gen}
	n.procs[self] = true
	n.srv = newServer("pg", self, simFx{c, i}, c.log, &n.mu, n.m)
}

func (c *simCluster) index(node term.Atom) int {
	for i, n := range c.nodes {
		if n.name == node {
			return i
		}
	}
	return -1
}

func (c *simCluster) alive(pid term.Pid) bool {
	j := c.index(pid.Node)
	return j >= 0 && c.nodes[j].gen == pid.Creation && c.nodes[j].procs[pid]
}

// spawn starts a process on node i.
func (c *simCluster) spawn(i int) term.Pid {
	n := c.nodes[i]
	n.nextID++
	pid := term.Pid{Node: n.name, ID: n.nextID, Creation: n.gen}
	n.procs[pid] = true
	return pid
}

// kill ends a process: the monitors on it fire.
func (c *simCluster) kill(pid term.Pid) {
	n := c.nodes[c.index(pid.Node)]
	delete(n.procs, pid)
	delete(n.joins, pid)
	for ref, m := range c.mons {
		if m.target == pid {
			delete(c.mons, ref)
			c.downs[m.watcher] = append(c.downs[m.watcher], term.Down{Ref: ref, Pid: pid, Reason: term.Killed})
		}
	}
}

func (c *simCluster) cut(i, j int) {
	if !c.up[i][j] {
		return
	}
	c.up[i][j], c.up[j][i] = false, false
	c.chans[i][j], c.chans[j][i] = nil, nil
	for ref, m := range c.mons {
		a, b := m.watcher, c.index(m.target.Node)
		if (a == i && b == j) || (a == j && b == i) {
			delete(c.mons, ref)
			c.downs[a] = append(c.downs[a], term.Down{Ref: ref, Pid: m.target, Reason: term.NoConnection})
		}
	}
}

func (c *simCluster) heal(i, j int) {
	if c.up[i][j] || i == j {
		return
	}
	c.up[i][j], c.up[j][i] = true, true
	c.events[i] = append(c.events[i], term.NodeUp{Node: c.nodes[j].name})
	c.events[j] = append(c.events[j], term.NodeUp{Node: c.nodes[i].name})
}

// crash stops node i (links cut, every process gone) and starts it again.
func (c *simCluster) crash(i int) {
	for j := range c.nodes {
		c.cut(i, j)
	}
	for ref, m := range c.mons {
		if m.watcher == i || c.index(m.target.Node) == i {
			delete(c.mons, ref)
		}
	}
	c.downs[i], c.events[i] = nil, nil
	c.start(i)
}

func (c *simCluster) call(i int, req any) any {
	n := c.nodes[i]
	n.replies = nil
	n.srv.handle(term.Request{From: term.Pid{Node: n.name, ID: 999999, Creation: n.gen}, Body: req})
	if len(n.replies) != 1 {
		c.t.Fatalf("request %s: %d replies", term.Format(req), len(n.replies))
	}
	return n.replies[0]
}

// deliverOne delivers one pending message or event, chosen at random;
// it reports false when nothing is pending.
func (c *simCluster) deliverOne() bool {
	type slot struct{ kind, i, j int }
	var slots []slot
	for i := range c.nodes {
		for j := range c.nodes {
			if len(c.chans[i][j]) > 0 {
				slots = append(slots, slot{0, i, j})
			}
		}
		if len(c.events[i]) > 0 {
			slots = append(slots, slot{1, i, 0})
		}
		if len(c.downs[i]) > 0 {
			slots = append(slots, slot{2, i, 0})
		}
	}
	if len(slots) == 0 {
		return false
	}
	s := slots[c.rng.IntN(len(slots))]
	switch s.kind {
	case 0:
		m := c.chans[s.i][s.j][0]
		c.chans[s.i][s.j] = c.chans[s.i][s.j][1:]
		if n := c.nodes[s.j]; m.to == n.srv.self {
			n.srv.handle(m.msg)
		}
	case 1:
		ev := c.events[s.i][0]
		c.events[s.i] = c.events[s.i][1:]
		c.nodes[s.i].srv.handle(ev)
	case 2:
		k := c.rng.IntN(len(c.downs[s.i]))
		d := c.downs[s.i][k]
		c.downs[s.i] = append(c.downs[s.i][:k], c.downs[s.i][k+1:]...)
		c.nodes[s.i].srv.handle(d)
	}
	return true
}

var simGroups = []any{term.Atom("a"), term.Atom("b"), 7}

// step does one random thing to the cluster.
func (c *simCluster) step() {
	r := c.rng.IntN(100)
	i := c.rng.IntN(len(c.nodes))
	n := c.nodes[i]
	switch {
	case r < 30:
		if c.deliverOne() {
			return
		}
		fallthrough
	case r < 50: // join, sometimes twice, sometimes several pids
		var pids []term.Pid
		for k := 0; k < 1+c.rng.IntN(2); k++ {
			pids = append(pids, c.somePid(i))
		}
		g := simGroups[c.rng.IntN(len(simGroups))]
		if r := c.call(i, term.T(tagJoin, g, pids)); r != term.OK {
			c.t.Fatalf("join: %s", term.Format(r))
		}
		for _, p := range pids {
			if c.alive(p) {
				if n.joins[p] == nil {
					n.joins[p] = map[any]int{}
				}
				n.joins[p][g]++
			}
		}
	case r < 65: // leave a group a process is in
		for p, gs := range n.joins {
			for g := range gs {
				if r := c.call(i, term.T(tagLeave, g, []term.Pid{p})); r != term.OK {
					c.t.Fatalf("leave %s %s: %s", p, term.Format(g), term.Format(r))
				}
				if gs[g]--; gs[g] == 0 {
					delete(gs, g)
				}
				return
			}
		}
	case r < 68: // leave a group a process is not in
		p := c.spawn(i)
		if r := c.call(i, term.T(tagLeave, term.Atom("a"), []term.Pid{p})); r != atomNotJoined {
			c.t.Fatalf("leave not joined: %s", term.Format(r))
		}
	case r < 80: // a member exits
		for p := range n.joins {
			c.kill(p)
			return
		}
	case r < 88:
		c.cut(i, c.rng.IntN(len(c.nodes)))
	case r < 96:
		c.heal(i, c.rng.IntN(len(c.nodes)))
	default:
		c.crash(i)
	}
}

// somePid returns a live process of node i, often one that is a member
// already, or now and then one that just exited.
func (c *simCluster) somePid(i int) term.Pid {
	n := c.nodes[i]
	if c.rng.IntN(3) == 0 {
		for p := range n.joins {
			return p
		}
	}
	p := c.spawn(i)
	if c.rng.IntN(20) == 0 {
		c.kill(p)
	}
	return p
}

// settle heals every link and delivers everything.
func (c *simCluster) settle() {
	for i := range c.nodes {
		for j := range c.nodes {
			c.heal(i, j)
		}
	}
	for k := 0; c.deliverOne(); k++ {
		if k > 1_000_000 {
			c.t.Fatal("the cluster does not settle")
		}
	}
}

// truth returns every group's members, from the processes' joins.
func (c *simCluster) truth(only int) map[any][]term.Pid {
	out := map[any][]term.Pid{}
	for i, n := range c.nodes {
		if only >= 0 && i != only {
			continue
		}
		for p, gs := range n.joins {
			for g, k := range gs {
				for ; k > 0; k-- {
					out[g] = append(out[g], p)
				}
			}
		}
	}
	for g := range out {
		sortPids(out[g])
	}
	return out
}

func viewMap(n *simNode, local bool) map[any][]term.Pid {
	out := map[any][]term.Pid{}
	for g, v := range n.m.views {
		s := v.all
		if local {
			s = v.local
		}
		if len(s) > 0 {
			out[g] = s
		}
	}
	return out
}

// checkLocal: a node's live local members are its processes' joins, at
// once (a process that exited leaves when its Down is handled).
func (c *simCluster) checkLocal(at string) {
	for i, n := range c.nodes {
		got := map[any][]term.Pid{}
		for g, pids := range viewMap(n, true) {
			for _, p := range pids {
				if c.alive(p) {
					got[g] = append(got[g], p)
				}
			}
		}
		if want := c.truth(i); !reflect.DeepEqual(got, want) {
			c.t.Fatalf("%s: node %d local members:\n got %v\nwant %v", at, i, fmtGroups(got), fmtGroups(want))
		}
	}
}

func fmtGroups(m map[any][]term.Pid) string {
	keys := make([]any, 0, len(m))
	for g := range m {
		keys = append(keys, g)
	}
	sortGroups(keys)
	s := ""
	for _, g := range keys {
		s += fmt.Sprintf("%s:%v ", term.Format(g), m[g])
	}
	return s
}

// TestSimulatedConvergence is the property: whatever the joins, leaves,
// exits, lost links and crashed nodes, once every link is up and every
// message delivered, every node sees exactly the joins of the live
// processes, and each node's own members are right at every step.
func TestSimulatedConvergence(t *testing.T) {
	seeds, steps := 200, 300
	if testing.Short() {
		seeds = 60
	}
	for seed := 0; seed < seeds; seed++ {
		c := newSim(t, uint64(seed), 2+seed%4)
		for k := 0; k < steps; k++ {
			c.step()
			c.checkLocal(fmt.Sprintf("seed %d step %d", seed, k))
		}
		c.settle()
		want := c.truth(-1)
		for i, n := range c.nodes {
			if got := viewMap(n, false); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d: after settling, node %d sees\n%s\nwant\n%s", seed, i, fmtGroups(got), fmtGroups(want))
			}
			if len(n.srv.peerRefs) != len(c.nodes)-1 {
				t.Fatalf("seed %d: node %d knows %d peers, want %d", seed, i, len(n.srv.peerRefs), len(c.nodes)-1)
			}
		}
	}
}

// TestLateDownAfterReconnect: the Down of a lost connection may reach the
// scope server after the new connection's messages (the runtime orders
// neither): it must not make the server forget a peer it synced with
// since.
func TestLateDownAfterReconnect(t *testing.T) {
	c := newSim(t, 1, 2)
	for c.deliverOne() {
	}
	p := c.spawn(1)
	c.call(1, term.T(tagJoin, term.Atom("g"), []term.Pid{p}))
	c.nodes[1].joins[p] = map[any]int{term.Atom("g"): 1}
	for c.deliverOne() {
	}
	c.cut(0, 1)
	late := c.downs[0]
	c.downs[0] = nil
	c.heal(0, 1)
	for c.deliverOne() {
	}
	c.downs[0] = late
	for c.deliverOne() {
	}
	if got := viewMap(c.nodes[0], false); !reflect.DeepEqual(got, c.truth(-1)) {
		t.Fatalf("node 0 sees %s, want %s", fmtGroups(got), fmtGroups(c.truth(-1)))
	}
}
