package global_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/clustertest"
	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/global"
	"github.com/gerl-dev/gerl/node/pg"
	"github.com/gerl-dev/gerl/node/term"
)

// A partition between two hosts: the test's node runs here, the other in
// a network namespace of its own, joined to this one by a veth pair. The
// test binary doubles as the other host's node (netnsHelperMain), which
// the test drives by rpc. Cutting the veth link is a partition (nothing is
// closed: each side finds out by its tick timeout); setting it up again
// and pinging heals it.

const netnsHelperEnv = "GERL_GLOBAL_NETNS_HELPER"

// netnsTick is both nodes' net tick time: how long a silent peer takes to
// be declared down.
const netnsTick = time.Second

type netnsResolver map[term.Atom]string

func (r netnsResolver) Resolve(_ context.Context, n term.Atom) (string, error) {
	if a, ok := r[n]; ok {
		return a, nil
	}
	return "", cluster.ErrNoNode
}

// netnsHelperMain runs node b@<ip> with global and pg, prints "READY
// <addr>", then answers the test's commands, one per line on its standard
// input (the test drives it that way because the network between them is
// what the test cuts): each answer is one line, the result as
// term.Format prints it. GERL_GLOBAL_NETNS_HELPER=<ip>,
// GERL_GLOBAL_NETNS_PEER=<name>=<addr>.
func netnsHelperMain() int {
	ip := os.Getenv(netnsHelperEnv)
	peerName, peerAddr, _ := strings.Cut(os.Getenv("GERL_GLOBAL_NETNS_PEER"), "=")
	peer := term.Atom(peerName)
	d, err := cluster.Start(context.Background(), cluster.Config{
		Name: term.Atom("b@" + ip), Cookie: "netns", ListenIP: ip, Registrar: cluster.NoRegistrar{},
		Resolver: netnsResolver{peer: peerAddr}, TickTime: netnsTick,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	n := d.Node()
	defer n.StopTimeout(5 * time.Second)
	g, err := global.Start(n, global.Options{Nodes: d.Nodes})
	if err == nil {
		_, err = pg.Start(n, pg.DefaultScope, pg.Options{Nodes: d.Nodes})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	s, _ := pg.Of(n, pg.DefaultScope)
	me, _ := n.Attach("helper")
	me.TrapExit(true)
	spawn := func() term.Pid {
		pid := me.SpawnLink(func(p *node.Proc) { p.Receive() })
		return pid
	}
	fmt.Printf("READY %s\n", d.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		var out any
		switch cmd {
		case "register": // a new process, registered as arg: its pid, or false
			pid := spawn()
			if g.RegisterName(term.Atom(arg), pid, nil) != nil {
				out = false
			} else {
				out = pid
			}
		case "whereis": // after a sync
			g.Sync()
			pid, ok := g.WhereisName(term.Atom(arg))
			out = term.T(pid, ok)
		case "join": // a new process, joined to the group arg
			pid := spawn()
			s.Join(arg, pid)
			out = pid
		case "members": // after a sync
			s.Sync()
			out = s.Members(arg)
		case "exits": // the exits of the processes it started
			exits := []any{}
			for {
				m, ok := me.ReceiveTimeout(0)
				if !ok {
					break
				}
				if e, ok := m.(term.ExitSignal); ok {
					exits = append(exits, term.T(e.From, e.Reason))
				}
			}
			out = exits
		case "wait_down": // until the peer is not connected
			me.MonitorNode(peer, true)
			me.ReceiveMatch(func(m any) bool { _, ok := m.(term.NodeDown); return ok }, node.Forever)
			out = term.OK
		default:
			out = term.T(term.Atom("error"), in.Text())
		}
		fmt.Println(term.Format(out))
	}
	return 0
}

// TestPartitionAcrossNetworkNamespaces: both sides of a real partition
// register one global name and join one group; when it heals, one process
// keeps the name, the other exits with {global_name_conflict, Name}, both
// nodes agree, and both see the same members.
func TestPartitionAcrossNetworkNamespaces(t *testing.T) {
	ns := testkit.NewNetns(t, "gglob", 201)
	ipA, ipB, va := ns.HostIP, ns.NSIP, ns.Link
	c := clustertest.New(t, clustertest.Options{ListenIP: ipA, TickTime: netnsTick, Cookie: "netns", Setup: func(t testing.TB, n *clustertest.Node) {
		withGlobal(t, n)
		if _, err := pg.Start(n.Node(), pg.DefaultScope, pg.Options{Nodes: n.Nodes}); err != nil {
			t.Fatal(err)
		}
	}})
	a := c.Start("a")
	nameB := term.Atom("b@" + ipB)

	cmd := ns.Command(os.Args[0], "-test.run=XXX")
	cmd.Env = append(os.Environ(), netnsHelperEnv+"="+ipB, fmt.Sprintf("GERL_GLOBAL_NETNS_PEER=%s=%s", a.Name(), a.Addr()))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "READY ")
	if err != nil || !ok {
		t.Fatalf("helper: %q %v", line, err)
	}
	c.AddNode(nameB, addr)
	// ask sends the helper a command and returns its answer.
	ask := func(cmd string) string {
		t.Helper()
		fmt.Fprintln(stdin, cmd)
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("helper: %s: %v", cmd, err)
		}
		return strings.TrimSpace(line)
	}
	g := svc(t, a)
	s, _ := pg.Of(a.Node(), pg.DefaultScope)
	heal := func() {
		t.Helper()
		testkit.Eventually(t, clustertest.WaitTime, "a connection to b", func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			return a.PingErr(ctx, nameB) == nil
		})
	}
	heal()

	// Partition: the link goes down; each side declares the other down
	// after its tick time.
	me := clustertest.Proc(t, a)
	me.TrapExit(true)
	me.MonitorNode(nameB, true)
	testkit.Run(t, "ip", "link", "set", va, "down")
	clustertest.Recv(t, me, "nodedown", func(m any) bool { _, ok := m.(term.NodeDown); return ok })
	if got := ask("wait_down"); got != "ok" {
		t.Fatalf("wait_down: %s", got)
	}

	// Each side registers the name and joins the group.
	pa := me.SpawnLink(func(p *node.Proc) { p.Receive() })
	if err := g.RegisterName("leader", pa, nil); err != nil {
		t.Fatalf("register on a: %v", err)
	}
	pbText := ask("register leader")
	pb, err := term.ParsePid(pbText)
	if err != nil {
		t.Fatalf("register on b: %s", pbText)
	}
	ma := me.SpawnLink(func(p *node.Proc) { p.Receive() })
	if err := s.Join("grp", ma); err != nil {
		t.Fatal(err)
	}
	mb, err := term.ParsePid(ask("join grp"))
	if err != nil {
		t.Fatal(err)
	}

	// Heal.
	testkit.Run(t, "ip", "link", "set", va, "up")
	heal()

	// The conflict is decided: both nodes show one winner, the other
	// process exited with the reason, and the group is the same on both.
	var winner term.Pid
	testkit.Eventually(t, clustertest.WaitTime, "one leader on both nodes", func() bool {
		if err := g.Sync(); err != nil {
			return false
		}
		pid, ok := g.WhereisName("leader")
		if !ok || (pid != pa && pid != pb) {
			return false
		}
		winner = pid
		return ask("whereis leader") == term.Format(term.T(pid, true))
	})
	loser := pa
	if winner == pa {
		loser = pb
	}
	reason := term.Format(term.T(term.Atom("global_name_conflict"), term.Atom("leader")))
	if loser == pa {
		e := clustertest.Recv(t, me, "the loser's exit", func(m any) bool { x, ok := m.(term.ExitSignal); return ok && x.From == pa }).(term.ExitSignal)
		if term.Format(e.Reason) != reason {
			t.Fatalf("the loser exited with %s", term.Format(e.Reason))
		}
	} else {
		want := term.Format([]any{term.T(pb, term.T(term.Atom("global_name_conflict"), term.Atom("leader")))})
		testkit.Eventually(t, clustertest.WaitTime, "the loser's exit on b", func() bool { return ask("exits") == want })
	}
	if !strings.Contains(a.Logs.String(), "global name conflict") {
		// The decision was a's (its node name sorts first), and a logs it.
		t.Errorf("a did not log the conflict:\n%s", a.Logs)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	want := s.Members("grp")
	if !reflect.DeepEqual(want, []term.Pid{ma, mb}) && !reflect.DeepEqual(want, []term.Pid{mb, ma}) {
		t.Fatalf("members on a: %v, want %v and %v", want, ma, mb)
	}
	if got := ask("members grp"); got != term.Format(want) {
		t.Fatalf("members on b: %s, on a %s", got, term.Format(want))
	}
}
