package pg_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/internal/clustertest"
	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/pg"
	"github.com/gerl-dev/gerl/node/term"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// withPG starts the default scope on every node of the cluster.
func withPG(t testing.TB, n *clustertest.Node) {
	if _, err := pg.Start(n.Node(), pg.DefaultScope, pg.Options{Nodes: n.Nodes}); err != nil {
		t.Fatal(err)
	}
}

func scope(t testing.TB, n *clustertest.Node) *pg.Scope {
	t.Helper()
	s, err := pg.Of(n.Node(), pg.DefaultScope)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// converged waits until every node sees members as group's members.
func converged(t testing.TB, nodes []*clustertest.Node, group any, want ...term.Pid) {
	t.Helper()
	if want == nil {
		want = []term.Pid{}
	}
	for _, n := range nodes {
		s := scope(t, n)
		testkit.Eventually(t, clustertest.WaitTime, "members of "+term.Format(group)+" on "+string(n.Name()), func() bool {
			return reflect.DeepEqual(s.Members(group), want)
		})
	}
}

func sorted(pids ...term.Pid) []term.Pid {
	out := append([]term.Pid{}, pids...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			a, b := out[i], out[j]
			if b.Node < a.Node || (b.Node == a.Node && (b.Creation < a.Creation || (b.Creation == a.Creation && b.ID < a.ID))) {
				out[i], out[j] = b, a
			}
		}
	}
	return out
}

func TestJoinLeaveAcrossNodes(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withPG})
	nodes := c.StartN("pg", 3)
	a, b := nodes[0], nodes[1]
	pa, pb := clustertest.Spawn(t, a), clustertest.Spawn(t, b)
	if err := scope(t, a).Join("room", pa); err != nil {
		t.Fatal(err)
	}
	if err := scope(t, b).Join(term.Atom("room"), pb, pb); err != nil {
		t.Fatal(err)
	}
	converged(t, nodes, "room", sorted(pa, pb, pb)...)
	if got := scope(t, b).LocalMembers("room"); !reflect.DeepEqual(got, []term.Pid{pb, pb}) {
		t.Errorf("local members on b: %v", got)
	}
	if got := scope(t, nodes[2]).LocalMembers("room"); len(got) != 0 {
		t.Errorf("local members on c: %v", got)
	}
	if got := scope(t, nodes[2]).WhichGroups(); !reflect.DeepEqual(got, []any{term.Atom("room")}) {
		t.Errorf("which groups on c: %v", got)
	}
	if got := scope(t, nodes[2]).WhichLocalGroups(); len(got) != 0 {
		t.Errorf("which local groups on c: %v", got)
	}
	// Joined twice, leaves once: still in, once.
	if err := scope(t, b).Leave("room", pb); err != nil {
		t.Fatal(err)
	}
	converged(t, nodes, "room", sorted(pa, pb)...)
	if err := scope(t, b).Leave("room", pb, pb); !errors.Is(err, pg.ErrNotJoined) {
		t.Errorf("leave twice after one join: %v, want ErrNotJoined", err)
	}
	converged(t, nodes, "room", sorted(pa, pb)...)
	if err := scope(t, a).Join("room", pb); !errors.Is(err, pg.ErrNotLocal) {
		t.Errorf("join of another node's process: %v, want ErrNotLocal", err)
	}
	if err := scope(t, a).Join([]int{1}, pa); !errors.Is(err, pg.ErrBadGroup) {
		t.Errorf("join of a slice group: %v, want ErrBadGroup", err)
	}
	// A member that exits leaves everywhere.
	a.Node().Exit(pa, term.Kill)
	converged(t, nodes, "room", pb)
	if got := scope(t, a).WhichGroups(); !reflect.DeepEqual(got, []any{term.Atom("room")}) {
		t.Errorf("which groups on a: %v", got)
	}
}

func TestNodeDownAndLateJoiner(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withPG})
	nodes := c.StartN("nd", 3)
	a, b := nodes[0], nodes[1]
	pa, pb := clustertest.Spawn(t, a), clustertest.Spawn(t, b)
	scope(t, a).Join("g", pa)
	scope(t, b).Join("g", pb)
	converged(t, nodes, "g", sorted(pa, pb)...)
	// b stops: its members leave on the others.
	if err := b.Node().StopTimeout(clustertest.WaitTime); err != nil {
		t.Fatal(err)
	}
	rest := []*clustertest.Node{a, nodes[2]}
	converged(t, rest, "g", pa)
	// A node that joins later learns the members, and the others its own.
	d := c.Start("nd4")
	pd := clustertest.Spawn(t, d)
	scope(t, d).Join("g", pd)
	clustertest.Connect(t, d, a)
	all := []*clustertest.Node{a, nodes[2], d}
	for _, n := range all {
		testkit.Eventually(t, clustertest.WaitTime, "mesh", func() bool { return len(n.Nodes()) == 2 })
	}
	converged(t, all, "g", sorted(pa, pd)...)
}

func TestMonitor(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withPG})
	nodes := c.StartN("mon", 2)
	a, b := nodes[0], nodes[1]
	me := clustertest.Proc(t, a)
	pa := clustertest.Spawn(t, a)
	scope(t, a).Join("t", pa)
	ref, now, err := scope(t, a).Monitor(me.Self(), "t")
	if err != nil || !reflect.DeepEqual(now, []term.Pid{pa}) {
		t.Fatalf("monitor: %v %v", now, err)
	}
	sref, all, err := scope(t, a).MonitorScope(me.Self())
	if err != nil || !reflect.DeepEqual(all, map[any][]term.Pid{term.Atom("t"): {pa}}) {
		t.Fatalf("monitor_scope: %v %v", all, err)
	}
	event := func(r term.Ref, tag term.Atom, pids ...term.Pid) {
		t.Helper()
		clustertest.Recv(t, me, term.Format(term.T(r, tag, "t", pids)), func(m any) bool {
			x, ok := m.(term.Tuple)
			return ok && len(x) == 4 && x[0] == r && x[1] == tag && x[2] == term.Atom("t") && reflect.DeepEqual(x[3], pids)
		})
	}
	pb := clustertest.Spawn(t, b)
	scope(t, b).Join("t", pb)
	event(ref, "join", pb)
	event(sref, "join", pb)
	b.Node().Exit(pb, term.Kill)
	event(ref, "leave", pb)
	event(sref, "leave", pb)
	if ok, err := scope(t, a).Demonitor(ref); !ok || err != nil {
		t.Fatalf("demonitor: %v %v", ok, err)
	}
	if ok, _ := scope(t, a).Demonitor(ref); ok {
		t.Fatal("demonitor twice: true")
	}
	scope(t, a).Leave("t", pa)
	event(sref, "leave", pa)
	if m, ok := me.ReceiveMatch(func(m any) bool { x, ok := m.(term.Tuple); return ok && x[0] == ref }, 0); ok {
		t.Fatalf("an event after demonitor: %s", term.Format(m))
	}
}

func TestSend(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withPG})
	nodes := c.StartN("snd", 2)
	a, b := nodes[0], nodes[1]
	got := make(chan term.Tuple, 16)
	member := func(n *clustertest.Node) term.Pid {
		pid, err := n.Node().Spawn(func(p *node.Proc) {
			for {
				got <- term.T(p.Self(), p.Receive())
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	pa, pb := member(a), member(b)
	scope(t, a).Join("news", pa, pa)
	scope(t, b).Join("news", pb)
	converged(t, nodes, "news", sorted(pa, pa, pb)...)
	n, err := scope(t, a).SendAll(nil, "news", "hello")
	if err != nil || n != 2 {
		t.Fatalf("send all: %d %v", n, err)
	}
	seen := map[term.Pid]int{}
	for i := 0; i < 2; i++ {
		m := <-got
		seen[m[0].(term.Pid)]++
	}
	if seen[pa] != 1 || seen[pb] != 1 {
		t.Fatalf("send all reached %v", seen)
	}
	// Nearest on b is b's member, on a a's.
	for _, tc := range []struct {
		n    *clustertest.Node
		want term.Pid
	}{{a, pa}, {b, pb}} {
		pid, err := scope(t, tc.n).SendNearest(nil, "news", "near")
		if err != nil || pid != tc.want {
			t.Fatalf("nearest on %s: %v %v", tc.n.Name(), pid, err)
		}
		if m := <-got; m[0] != tc.want {
			t.Fatalf("nearest reached %v", m)
		}
	}
	pid, err := scope(t, b).SendRandom(nil, "news", "any")
	if err != nil || (pid != pa && pid != pb) {
		t.Fatalf("random: %v %v", pid, err)
	}
	<-got
	if _, err := scope(t, a).SendRandom(nil, "nobody", "x"); !errors.Is(err, pg.ErrEmpty) {
		t.Fatalf("random to an empty group: %v", err)
	}
	if _, err := scope(t, a).SendAll(nil, "news", make(chan int)); err == nil {
		t.Fatal("send all of a channel: no error")
	}
}

func TestScopes(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withPG})
	nodes := c.StartN("sc", 2)
	var chat []*pg.Scope
	for _, n := range nodes {
		s, err := pg.Start(n.Node(), "chat", pg.Options{Nodes: n.Nodes})
		if err != nil {
			t.Fatal(err)
		}
		chat = append(chat, s)
	}
	if _, err := pg.Start(nodes[0].Node(), "chat", pg.Options{}); err == nil {
		t.Fatal("starting a running scope: no error")
	}
	if _, err := pg.Of(nodes[0].Node(), "nosuch"); !errors.Is(err, pg.ErrNoScope) {
		t.Fatalf("no scope: %v", err)
	}
	p := clustertest.Spawn(t, nodes[0])
	chat[0].Join("room", p)
	testkit.Eventually(t, clustertest.WaitTime, "chat room on the other node", func() bool {
		return reflect.DeepEqual(chat[1].Members("room"), []term.Pid{p})
	})
	if got := scope(t, nodes[1]).Members("room"); len(got) != 0 {
		t.Fatalf("the default scope has the chat scope's members: %v", got)
	}
}

// TestSync: after Sync, a join made on another node before it is seen.
func TestSync(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withPG})
	nodes := c.StartN("sync", 3)
	for i := 0; i < 20; i++ {
		p := clustertest.Spawn(t, nodes[1+i%2])
		g := term.Atom(fmt.Sprintf("g%d", i))
		if err := scope(t, nodes[1+i%2]).Join(g, p); err != nil {
			t.Fatal(err)
		}
		if err := scope(t, nodes[0]).Sync(); err != nil {
			t.Fatal(err)
		}
		if got := scope(t, nodes[0]).Members(g); !reflect.DeepEqual(got, []term.Pid{p}) {
			t.Fatalf("round %d: members after Sync: %v", i, got)
		}
	}
	// A node that has just connected: Sync finds its members too.
	for i := 0; i < 5; i++ {
		late := c.Start(fmt.Sprintf("late%d", i))
		p := clustertest.Spawn(t, late)
		scope(t, late).Join("late", p)
		clustertest.Connect(t, late, nodes[0])
		if err := scope(t, nodes[0]).Sync(); err != nil {
			t.Fatal(err)
		}
		if got := scope(t, nodes[0]).Members("late"); !contains(got, p) {
			t.Fatalf("a new node's member after Sync: %v", got)
		}
		if err := scope(t, late).Sync(); err != nil {
			t.Fatal(err)
		}
		if got := scope(t, late).Nodes(); len(got) < 1 {
			t.Fatalf("the new node knows no peer after Sync: %v", got)
		}
	}
}

func contains(pids []term.Pid, p term.Pid) bool {
	for _, x := range pids {
		if x == p {
			return true
		}
	}
	return false
}
