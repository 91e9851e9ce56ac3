package portmapper_test

import (
	"errors"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
)

// The client against Erlang/OTP's own daemon. CI installs erlang-base and
// sets GERL_REQUIRE_ALL, which turns a missing epmd into a failure;
// elsewhere the test skips with a message.

// TestGerlClientWithRealEpmd registers and looks up gerl nodes through a
// real epmd daemon, as gerl does on a host where epmd already runs.
func TestGerlClientWithRealEpmd(t *testing.T) {
	epmd := testkit.NeedTool(t, "epmd", "erlang-base")
	port := testkit.FreePort(t)
	cmd := exec.Command(epmd, "-port", strconv.Itoa(port), "-relaxed_command_check")
	var logs testkit.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() { cmd.Process.Kill(); <-exited }()
	addr := portmapper.LoopbackAddr(port)
	testkit.Eventually(t, 10*time.Second, "epmd to answer", func() bool {
		_, _, err := portmapper.Names(ctxT(t), addr)
		return err == nil
	})
	// A gerl node finds the running epmd and starts no daemon of its own.
	if err := portmapper.EnsureDaemon(ctxT(t), port, func() error { return errors.New("must not start") }); err != nil {
		t.Fatal(err)
	}

	ctx := ctxT(t)
	node := portmapper.NodeInfo{Name: "gerlnode", Port: 45680, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5, Extra: portmapper.GerlExtra()}
	reg, err := portmapper.Register(ctx, addr, node)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if reg.Creation() < 4 {
		t.Fatalf("epmd gave creation %d", reg.Creation())
	}
	old, err := portmapper.Register(ctx, addr, portmapper.NodeInfo{Name: "oldnode", Port: 45681, Type: portmapper.NodeTypeHidden, Highest: 5, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if c := old.Creation(); c < 1 || c > 3 {
		t.Fatalf("epmd gave a version 5 node creation %d", c)
	}
	got, err := portmapper.Lookup(ctx, addr, "gerlnode")
	if err != nil || got.Port != 45680 || !got.IsGerl() || string(got.Extra) != "gerl/1" {
		t.Fatalf("Lookup through epmd: %+v %v", got, err)
	}
	if _, err := portmapper.Lookup(ctx, addr, "nobody"); !errors.Is(err, portmapper.ErrNotRegistered) {
		t.Fatalf("Lookup of an unknown name through epmd: %v", err)
	}
	if _, err := portmapper.Register(ctx, addr, node); !errors.Is(err, portmapper.ErrNameTaken) {
		t.Fatalf("duplicate through epmd: %v", err)
	}
	daemonPort, names, err := portmapper.Names(ctx, addr)
	if err != nil || daemonPort != port || len(names) != 2 || names[0] != (portmapper.NameEntry{"oldnode", 45681}) || names[1] != (portmapper.NameEntry{"gerlnode", 45680}) {
		t.Fatalf("Names through epmd: %d %v %v", daemonPort, names, err)
	}
	if _, lines, err := portmapper.Dump(ctx, addr); err != nil || len(lines) != 2 {
		t.Fatalf("Dump through epmd: %q %v", lines, err)
	}

	// epmd's STOP (relaxed) closes the registration; a Keeper would
	// register again, since epmd sends no notice.
	if ok, err := portmapper.Stop(ctx, addr, "oldnode"); !ok || err != nil {
		t.Fatalf("Stop through epmd: %v %v", ok, err)
	}
	<-old.Done()
	if err := old.Err(); err == nil || errors.Is(err, portmapper.ErrStopped) || errors.Is(err, portmapper.ErrRegistrationClosed) {
		t.Fatalf("registration stopped by epmd: Err %v", err)
	}
	if ok, err := portmapper.Stop(ctx, addr, "nobody"); ok || err != nil {
		t.Fatalf("Stop of an unknown name through epmd: %v %v", ok, err)
	}
	// Relaxed, epmd dies on KILL even with nodes; their registrations end.
	if ok, err := portmapper.Kill(ctx, addr); !ok || err != nil {
		t.Fatalf("Kill through relaxed epmd: %v %v", ok, err)
	}
	select {
	case <-reg.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("registration outlived epmd")
	}
	<-exited
}
