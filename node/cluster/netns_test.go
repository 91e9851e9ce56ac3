package cluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The test binary doubles as the second host's node: run with this
// environment variable set (inside a network namespace), it starts a node
// (netnsHelperMain) instead of running tests.
const netnsHelperEnv = "GERL_DIST_NETNS_HELPER"

// netnsHelperMain runs node b@<ip> listening on <ip>, with an echo
// process registered as echo, prints "READY <addr>", and stops when its
// standard input closes. Arguments come in the environment:
// GERL_DIST_NETNS_HELPER=<ip>, GERL_DIST_NETNS_PEER=<name>=<addr>.
func netnsHelperMain() int {
	ip := os.Getenv(netnsHelperEnv)
	peerName, peerAddr, _ := strings.Cut(os.Getenv("GERL_DIST_NETNS_PEER"), "=")
	d, err := Start(context.Background(), Config{
		Name: term.Atom("b@" + ip), Cookie: "netns", ListenIP: ip, Registrar: NoRegistrar{},
		Resolver: staticResolver{term.Atom(peerName): peerAddr},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	pid, _ := d.Node().Spawn(func(p *node.Proc) {
		for {
			if t, ok := p.Receive().(term.Tuple); ok && len(t) == 2 {
				p.Send(t[0], t[1])
			}
		}
	})
	d.Node().Register("echo", pid)
	d.RegisterFunc("whereis", func(name term.Atom) term.Pid { pid, _ := d.Node().Whereis(name); return pid })
	fmt.Printf("READY %s\n", d.Addr())
	io.Copy(io.Discard, os.Stdin)
	d.Node().StopTimeout(5 * time.Second)
	return 0
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// TestAcrossNetworkNamespaces runs the second node in a network namespace
// of its own, joined to this one by a veth pair: two hosts as far as the
// network is concerned. It checks a send, a link and a monitor across
// them, and that killing the other host's node (SIGKILL, no goodbye) is
// seen at once as nodedown, with noconnection on the link and monitor.
func TestAcrossNetworkNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	testkit.NeedTool(t, "ip", "iproute2")
	id := os.Getpid()
	ns := fmt.Sprintf("gerltest%d", id)
	va, vb := fmt.Sprintf("gta%d", id%100000), fmt.Sprintf("gtb%d", id%100000)
	subnet := fmt.Sprintf("10.200.%d", id%250+1)
	ipA, ipB := subnet+".1", subnet+".2"
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot create a network namespace here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", va).Run()
		exec.Command("ip", "netns", "del", ns).Run()
	})
	run(t, "ip", "link", "add", va, "type", "veth", "peer", "name", vb)
	run(t, "ip", "link", "set", vb, "netns", ns)
	run(t, "ip", "addr", "add", ipA+"/24", "dev", va)
	run(t, "ip", "link", "set", va, "up")
	run(t, "ip", "netns", "exec", ns, "ip", "addr", "add", ipB+"/24", "dev", vb)
	run(t, "ip", "netns", "exec", ns, "ip", "link", "set", vb, "up")
	run(t, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")

	nameA, nameB := term.Atom("a@"+ipA), term.Atom("b@"+ipB)
	res := staticResolver{}
	a := startNode(t, Config{Name: nameA, Cookie: "netns", ListenIP: ipA, Registrar: NoRegistrar{}, Resolver: res})

	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=XXX")
	cmd.Env = append(os.Environ(), netnsHelperEnv+"="+ipB, fmt.Sprintf("GERL_DIST_NETNS_PEER=%s=%s", nameA, a.Addr()))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "READY ")
	if err != nil || !ok {
		t.Fatalf("helper: %q %v", line, err)
	}
	res[nameB] = addr

	p := proc(t, a.Dist)
	p.TrapExit(true)
	if err := p.Send(term.Name{Name: "echo", Node: nameB}, term.T(p.Self(), "across")); err != nil {
		t.Fatal(err)
	}
	recv(t, p, "echo across namespaces", func(m any) bool { return m == "across" })
	c := a.mgr.up(nameB)
	if c == nil || !strings.HasPrefix(c.nc.RemoteAddr().String(), ipB+":") {
		t.Fatalf("not connected over the veth pair: %v", c)
	}
	v, err := a.Call(context.Background(), nameB, "whereis", term.Atom("echo"))
	echoPid, ok2 := v.(term.Pid)
	if err != nil || !ok2 {
		t.Fatalf("whereis echo: %v %v", v, err)
	}
	p.Link(echoPid)
	ref := p.Monitor(echoPid)
	p.MonitorNode(nameB, true)
	if !a.Ping(context.Background(), nameB) {
		t.Fatal("pang")
	}
	// SIGKILL the other host's node: the kernel closes its socket
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	expectNoConnection(t, p, echoPid, ref)
	recv(t, p, "nodedown", func(m any) bool { d, ok := m.(term.NodeDown); return ok && d.Node == nameB })
}
