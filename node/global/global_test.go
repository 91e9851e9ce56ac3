package global_test

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/internal/clustertest"
	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/global"
	"github.com/gerl-dev/gerl/node/term"
)

func TestMain(m *testing.M) {
	if os.Getenv(netnsHelperEnv) != "" {
		os.Exit(netnsHelperMain())
	}
	goleak.VerifyTestMain(m)
}

func withGlobal(t testing.TB, n *clustertest.Node) {
	if _, err := global.Start(n.Node(), global.Options{Nodes: n.Nodes}); err != nil {
		t.Fatal(err)
	}
}

func svc(t testing.TB, n *clustertest.Node) *global.Service {
	t.Helper()
	s, err := global.Of(n.Node())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// everywhere waits until every node sees name as pid (the zero pid: not
// registered).
func everywhere(t testing.TB, nodes []*clustertest.Node, name term.Atom, pid term.Pid) {
	t.Helper()
	for _, n := range nodes {
		s := svc(t, n)
		testkit.Eventually(t, clustertest.WaitTime, fmt.Sprintf("%s = %v on %s", name, pid, n.Name()), func() bool {
			got, ok := s.WhereisName(name)
			return got == pid && ok == !pid.IsZero()
		})
	}
}

func TestRegisterWhereisSendUnregister(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withGlobal})
	nodes := c.StartN("g", 3)
	a, b := nodes[0], nodes[1]
	got := make(chan any, 1)
	pb, _ := b.Node().Spawn(func(p *node.Proc) {
		for {
			got <- p.Receive()
		}
	})
	if err := svc(t, a).RegisterName("db", pb, nil); err != nil {
		t.Fatal(err)
	}
	// Every node shows it as soon as RegisterName returns.
	for _, n := range nodes {
		if pid, ok := svc(t, n).WhereisName("db"); !ok || pid != pb {
			t.Fatalf("whereis db on %s: %v %v", n.Name(), pid, ok)
		}
		if names := svc(t, n).RegisteredNames(); !reflect.DeepEqual(names, []term.Atom{"db"}) {
			t.Fatalf("registered names on %s: %v", n.Name(), names)
		}
	}
	if pid, err := svc(t, nodes[2]).Send(nil, "db", "hi"); err != nil || pid != pb {
		t.Fatalf("send: %v %v", pid, err)
	}
	if m := <-got; m != "hi" {
		t.Fatalf("got %v", m)
	}
	if _, err := svc(t, a).Send(nil, "nobody", "hi"); !errors.Is(err, global.ErrNotRegistered) {
		t.Fatalf("send to nobody: %v", err)
	}
	pa := clustertest.Spawn(t, a)
	if err := svc(t, nodes[2]).RegisterName("db", pa, nil); !errors.Is(err, global.ErrTaken) {
		t.Fatalf("taken: %v", err)
	}
	if err := svc(t, a).RegisterName("db2", pb, nil); !errors.Is(err, global.ErrAlreadyNamed) {
		t.Fatalf("already named: %v", err)
	}
	dead := clustertest.Spawn(t, a)
	a.Node().Exit(dead, term.Kill)
	testkit.Eventually(t, clustertest.WaitTime, "exit", func() bool { return !a.Node().Alive(dead) })
	if err := svc(t, a).RegisterName("ghost", dead, nil); !errors.Is(err, global.ErrNoProc) {
		t.Fatalf("dead process: %v", err)
	}
	if err := svc(t, a).RegisterName("", pa, nil); !errors.Is(err, global.ErrBadName) {
		t.Fatalf("empty name: %v", err)
	}
	if err := svc(t, b).UnregisterName("db"); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if _, ok := svc(t, n).WhereisName("db"); ok {
			t.Fatalf("db still registered on %s", n.Name())
		}
	}
	if err := svc(t, b).UnregisterName("db"); err != nil {
		t.Fatalf("unregister twice: %v", err)
	}
	if err := svc(t, a).RegisterName("db", pa, nil); err != nil {
		t.Fatalf("register again: %v", err)
	}
}

func TestNameGoesWithProcessAndNode(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withGlobal})
	nodes := c.StartN("gone", 3)
	a, b := nodes[0], nodes[1]
	pa, pb := clustertest.Spawn(t, a), clustertest.Spawn(t, b)
	svc(t, a).RegisterName("x", pa, nil)
	svc(t, a).RegisterName("y", pb, nil)
	a.Node().Exit(pa, term.Kill)
	// On its node, at once; on the others, after a Sync at the latest.
	if _, ok := svc(t, a).WhereisName("x"); ok {
		t.Fatal("a local process that exited still has its name")
	}
	for _, n := range nodes {
		if err := svc(t, n).Sync(); err != nil {
			t.Fatal(err)
		}
		if _, ok := svc(t, n).WhereisName("x"); ok {
			t.Fatalf("x still registered on %s after Sync", n.Name())
		}
	}
	if err := b.Node().StopTimeout(clustertest.WaitTime); err != nil {
		t.Fatal(err)
	}
	everywhere(t, []*clustertest.Node{a, nodes[2]}, "y", term.Pid{})
}

// TestConcurrentRegistration registers one name from several nodes at the
// same moment, many times: exactly one registration wins each time, and
// every node agrees on the winner.
func TestConcurrentRegistration(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withGlobal})
	nodes := c.StartN("race", 3)
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	for r := 0; r < rounds; r++ {
		name := term.Atom(fmt.Sprintf("leader%d", r))
		pids := make([]term.Pid, len(nodes))
		for i, n := range nodes {
			pids[i] = clustertest.Spawn(t, n)
		}
		errs := make([]error, len(nodes))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, n := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = svc(t, n).RegisterName(name, pids[i], nil)
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: two winners: %s and %s", r, nodes[winner].Name(), nodes[i].Name())
			case err == nil:
				winner = i
			case !errors.Is(err, global.ErrTaken):
				t.Fatalf("round %d: %s: %v", r, nodes[i].Name(), err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no winner: %v", r, errs)
		}
		everywhere(t, nodes, name, pids[winner])
	}
}

// synced waits until every node's name server has synced with all the
// others, and has nothing left to tell them (a discovery message still on
// its way would connect again nodes a test has just disconnected): two
// rounds of Sync on every node, after which every message of the
// discovery has been handled.
func synced(t testing.TB, nodes []*clustertest.Node) {
	t.Helper()
	for _, n := range nodes {
		s := svc(t, n)
		testkit.Eventually(t, clustertest.WaitTime, "name servers synced", func() bool { return len(s.Nodes()) == len(nodes)-1 })
	}
	for round := 0; round < 2; round++ {
		for _, n := range nodes {
			if err := svc(t, n).Sync(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// partition cuts every connection between the two sides.
func partition(t testing.TB, left, right []*clustertest.Node) {
	t.Helper()
	synced(t, append(append([]*clustertest.Node{}, left...), right...))
	for _, l := range left {
		for _, r := range right {
			l.Disconnect(r.Name())
		}
	}
	for _, l := range left {
		for _, r := range right {
			testkit.Eventually(t, clustertest.WaitTime, "the partition", func() bool {
				return !contains(l.Nodes(), r.Name()) && !contains(r.Nodes(), l.Name())
			})
		}
	}
}

func contains(list []term.Atom, a term.Atom) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// TestPartitionConflict registers one name on both sides of a partition;
// when it heals, the default rule keeps one and ends the other with
// {global_name_conflict, Name}, and every node agrees.
func TestPartitionConflict(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withGlobal})
	nodes := c.StartN("part", 3)
	left, right := nodes[:1], nodes[1:]
	partition(t, left, right)
	watcher := clustertest.Proc(t, nodes[0])
	wr := clustertest.Proc(t, nodes[1])
	pl, pr := clustertest.Spawn(t, left[0]), clustertest.Spawn(t, right[1])
	refL, refR := watcher.Monitor(pl), wr.Monitor(pr)
	if err := svc(t, left[0]).RegisterName("leader", pl, nil); err != nil {
		t.Fatal(err)
	}
	if err := svc(t, right[0]).RegisterName("leader", pr, nil); err != nil {
		t.Fatal(err)
	}
	clustertest.Connect(t, left[0], right[0])
	var winner term.Pid
	testkit.Eventually(t, clustertest.WaitTime, "one leader on every node", func() bool {
		var seen []term.Pid
		for _, n := range nodes {
			pid, ok := svc(t, n).WhereisName("leader")
			if !ok {
				return false
			}
			seen = append(seen, pid)
		}
		winner = seen[0]
		return seen[0] == seen[1] && seen[1] == seen[2] && !nodes[0].Node().Alive(pl) != !nodes[2].Node().Alive(pr)
	})
	loser, p, ref := pl, watcher, refL
	if winner == pl {
		loser, p, ref = pr, wr, refR
	}
	d := clustertest.Recv(t, p, "the loser's Down", func(m any) bool { d, ok := m.(term.Down); return ok && d.Ref == ref }).(term.Down)
	if d.Pid != loser || !reflect.DeepEqual(d.Reason, term.T(term.Atom("global_name_conflict"), term.Atom("leader"))) {
		t.Fatalf("the loser exited with %s", term.Format(d))
	}
}

// TestResolver: a registration's own resolver decides its conflicts, on
// the node that registered it.
func TestResolver(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{Setup: withGlobal})
	nodes := c.StartN("res", 2)
	a, b := nodes[0], nodes[1]
	partition(t, nodes[:1], nodes[1:])
	pa, pb := clustertest.Spawn(t, a), clustertest.Spawn(t, b)
	calls := make(chan [2]term.Pid, 4)
	keepB := func(n *node.Node, name term.Atom, p1, p2 term.Pid) term.Pid {
		calls <- [2]term.Pid{p1, p2}
		if p1.Node == b.Name() {
			return p1
		}
		return p2
	}
	// The resolver is kept on b, which registers b's process; a decides
	// (its name sorts first) and asks b.
	if err := svc(t, a).RegisterName("solo", pa, nil); err != nil {
		t.Fatal(err)
	}
	if err := svc(t, b).RegisterName("solo", pb, keepB); err != nil {
		t.Fatal(err)
	}
	clustertest.Connect(t, a, b)
	everywhere(t, nodes, "solo", pb)
	got := <-calls
	if !(got == [2]term.Pid{pa, pb} || got == [2]term.Pid{pb, pa}) {
		t.Fatalf("resolver called with %v", got)
	}
	// The resolver chose: it did not end the loser.
	if !a.Node().Alive(pa) {
		t.Fatal("the loser was ended")
	}
}
