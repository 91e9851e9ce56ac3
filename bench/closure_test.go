package bench

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
)

// shipClosureKeys are the figures both sides of ship_closure report.
var shipClosureKeys = []string{"remote_prompt_fun_us", "remote_module_fun_us", "remote_mfa_us",
	"local_prompt_fun_us", "local_module_fun_us", "local_mfa_us", "rpc_prompt_fun_us", "rpc_module_fun_us", "rpc_mfa_us"}

// TestShipClosureRuns runs gerl's side of ship_closure, through the gerl
// binary on two nodes, at a tiny size and checks it reports its figures.
func TestShipClosureRuns(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "gerl")
	if err := testkit.BuildGerl("github.com/gerl-dev/gerl/cmd/gerl", exe); err != nil {
		t.Fatal(err)
	}
	// After the build (HOME holds Go's build cache): the port mapper the
	// nodes start keeps its pid file under HOME.
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, ".local", "state"))
	cfg := Config{Exe: exe, PortMapperPort: testkit.FreePort(t)}
	checkResult(t, GerlShipClosure(cfg, 20, 2, 2), shipClosureKeys...)
	// The nodes started a port mapper on that port; the run stops it.
	addr := portmapper.LoopbackAddr(cfg.PortMapperPort)
	testkit.Eventually(t, 10*time.Second, "the port mapper the run started to stop", func() bool {
		return !portMapperAnswers(addr)
	})
	if r := GerlShipClosure(Config{PortMapperPort: cfg.PortMapperPort}, 20, 2, 1); r.Error != ErrNoGerl.Error() {
		t.Errorf("without a gerl binary: %q, want %q", r.Error, ErrNoGerl)
	}
}

// TestShipClosureErlangRuns runs Erlang's side (erlang/gerl_closure.erl)
// at a tiny size.
func TestShipClosureErlangRuns(t *testing.T) {
	testkit.NeedTool(t, "erl", "erlang-base")
	testkit.NeedTool(t, "erlc", "erlang-base")
	rs := Erlang("ship_closure", map[string]int{"n": 20, "warmup": 2, "rounds": 2})
	if len(rs) != 1 {
		t.Fatalf("%d results, want 1: %+v", len(rs), rs)
	}
	if rs[0].Impl != "erlang" || rs[0].Name != "ship_closure" {
		t.Fatalf("impl %q, name %q", rs[0].Impl, rs[0].Name)
	}
	checkResult(t, rs[0], append(shipClosureKeys, "erpc_module_fun_us", "erpc_mfa_us")...)
}
