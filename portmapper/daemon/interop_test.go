package daemon

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
)

// Interoperability with real Erlang/OTP: its epmd client and daemon, and a
// real node. CI installs erlang-base and sets GERL_REQUIRE_ALL, which turns
// a missing Erlang into a failure; elsewhere these tests skip with a message.

// erlangEnv is the environment for Erlang programs of a test: the port
// mapper at port, and a private HOME for the cookie file.
func erlangEnv(t *testing.T, port int) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ERL_EPMD_PORT=") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, "ERL_EPMD_PORT="+strconv.Itoa(port), "HOME="+t.TempDir())
}

// TestErlangEpmdNamesListsGerlNodes: Erlang's "epmd -names" talks to gerl's
// daemon and lists the gerl nodes registered there; "epmd -kill" is refused
// while they live.
func TestErlangEpmdNamesListsGerlNodes(t *testing.T) {
	epmd := testkit.NeedTool(t, "epmd", "erlang-base")
	s := startServer(t, Config{})
	port := strconv.Itoa(s.Port())
	reg, err := portmapper.Register(ctxT(t), addrOf(s), portmapper.NodeInfo{Name: "gerlnode", Port: 45678, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5, Extra: portmapper.GerlExtra()})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ctx := ctxT(t)
	out, err := exec.CommandContext(ctx, epmd, "-port", port, "-names").CombinedOutput()
	if want := "epmd: up and running on port " + port + " with data:\nname gerlnode at port 45678\n"; err != nil || string(out) != want {
		t.Fatalf("epmd -names: %v\n%q\nwant\n%q", err, out, want)
	}
	out, err = exec.CommandContext(ctx, epmd, "-port", port, "-kill").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Killing not allowed - living nodes in database.") {
		t.Fatalf("epmd -kill with a live node: %v %q", err, out)
	}
	reg.Close()
	testkit.Eventually(t, 5*time.Second, "gerlnode to be unregistered", func() bool { return !isRegistered(t, addrOf(s), "gerlnode") })
	out, err = exec.CommandContext(ctx, epmd, "-port", port, "-kill").CombinedOutput()
	if err != nil || string(out) != "Killed\n" {
		t.Fatalf("epmd -kill: %v %q", err, out)
	}
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("epmd -kill did not stop gerl's daemon")
	}
}

// TestErlangNodeWithGerlDaemon starts a real Erlang node against gerl's
// daemon: it registers there (seen by Lookup and by "gerl portmapper
// -names"), looks a gerl node up through it, and its registration ends with
// the node.
func TestErlangNodeWithGerlDaemon(t *testing.T) {
	erl := testkit.NeedTool(t, "erl", "erlang-base")
	s := startServer(t, Config{})
	addr := addrOf(s)
	gerlNode, err := portmapper.Register(ctxT(t), addr, portmapper.NodeInfo{Name: "gerlpeer", Port: 45679, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5, Extra: portmapper.GerlExtra()})
	if err != nil {
		t.Fatal(err)
	}
	defer gerlNode.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, erl, "-sname", "erlx", "-start_epmd", "false", "-noinput",
		"-eval", `io:format("lookup ~p~n", [erl_epmd:port_please("gerlpeer", {127,0,0,1})]).`)
	cmd.Env = erlangEnv(t, s.Port())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads any more
			}
		}
		cmd.Wait()
	}()
	defer func() { cmd.Process.Kill(); <-exited }()

	// Erlang's lookup of the gerl node through gerl's daemon.
	select {
	case line := <-lines:
		if line != "lookup {port,45679,6}" {
			t.Fatalf("erl printed %q, want the gerl node's port and version", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("erl printed nothing")
	}

	var info portmapper.NodeInfo
	testkit.Eventually(t, 20*time.Second, "erlx to register with gerl's daemon", func() bool {
		info, err = portmapper.Lookup(ctxT(t), addr, "erlx")
		return err == nil
	})
	if info.IsGerl() || info.Type != portmapper.NodeTypeNormal || info.Highest < 6 || info.Lowest > 6 || len(info.Extra) != 0 || info.Port == 0 {
		t.Fatalf("Erlang node registered as %+v", info)
	}
	if err := info.RequireGerl(); !errors.Is(err, portmapper.ErrNotGerl) || !strings.Contains(err.Error(), "erlx is an Erlang node") {
		t.Fatalf("RequireGerl: %v", err)
	}
	code, out, _ := runGerl(t, os.Environ(), "portmapper", "-names", "-port", strconv.Itoa(s.Port()))
	if code != 0 || !strings.Contains(out, "name erlx at port "+strconv.Itoa(info.Port)+"\n") ||
		!strings.Contains(out, "name gerlpeer at port 45679\n") {
		t.Fatalf("gerl portmapper -names: exit %d\n%s", code, out)
	}
	cmd.Process.Kill()
	<-exited
	testkit.Eventually(t, 10*time.Second, "erlx to be unregistered", func() bool { return !isRegistered(t, addr, "erlx") })
}
