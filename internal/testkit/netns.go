package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Netns is a network namespace of a test's own, joined to the test's by a
// veth pair: two hosts as far as the network is concerned.
type Netns struct {
	Name   string // the namespace, for ip netns exec
	Link   string // the test's end of the veth pair (ip link set Link down: a partition)
	HostIP string // the test's address on the pair
	NSIP   string // the namespace's address
}

// NewNetns creates a namespace and its veth pair (a /24 of 10.<net>.x.0,
// from the test's pid), and removes them when the test ends. It needs
// root and ip (iproute2): without them the test skips, or fails under
// GERL_REQUIRE_ALL.
func NewNetns(t testing.TB, prefix string, net int) *Netns {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("GERL_REQUIRE_ALL") != "" {
			t.Fatal("needs root to create network namespaces (GERL_REQUIRE_ALL is set)")
		}
		t.Skip("needs root to create network namespaces")
	}
	NeedTool(t, "ip", "iproute2")
	id := os.Getpid()
	ns := &Netns{Name: fmt.Sprintf("%s%d", prefix, id)}
	subnet := fmt.Sprintf("10.%d.%d", net, id%250+1)
	ns.HostIP, ns.NSIP = subnet+".1", subnet+".2"
	ns.Link = fmt.Sprintf("%sa%d", prefix[:min(len(prefix), 4)], id%100000)
	peer := fmt.Sprintf("%sb%d", prefix[:min(len(prefix), 4)], id%100000)
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		if os.Getenv("GERL_REQUIRE_ALL") != "" {
			t.Fatalf("cannot create a network namespace: %v: %s", err, out)
		}
		t.Skipf("cannot create a network namespace here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("ip", "link", "del", ns.Link).Run()
		exec.Command("ip", "netns", "del", ns.Name).Run()
	})
	Run(t, "ip", "link", "add", ns.Link, "type", "veth", "peer", "name", peer)
	Run(t, "ip", "link", "set", peer, "netns", ns.Name)
	Run(t, "ip", "addr", "add", ns.HostIP+"/24", "dev", ns.Link)
	Run(t, "ip", "link", "set", ns.Link, "up")
	Run(t, "ip", "netns", "exec", ns.Name, "ip", "addr", "add", ns.NSIP+"/24", "dev", peer)
	Run(t, "ip", "netns", "exec", ns.Name, "ip", "link", "set", peer, "up")
	Run(t, "ip", "netns", "exec", ns.Name, "ip", "link", "set", "lo", "up")
	return ns
}

// Command returns a command that runs name with args inside the
// namespace.
func (ns *Netns) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Run runs a command and fails the test if it fails.
func Run(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}
