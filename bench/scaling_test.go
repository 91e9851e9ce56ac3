package bench

import (
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// TestScalingWorkloadsRun runs gerl's side of each scaling workload at a
// tiny size and checks it reports its figures.
func TestScalingWorkloadsRun(t *testing.T) {
	pc := testPeer(t)
	for _, backlog := range []int{10, 1000} {
		r := CallBacklog(backlog, 50, 1)
		checkResult(t, r, "us_per_call")
		// Faults may be none in 50 calls: the figure must be there.
		if f, ok := r.Figures["page_faults_per_call"]; !ok || f < 0 {
			t.Errorf("call_backlog: page_faults_per_call = %v, %v in %v", f, ok, r.Figures)
		}
	}
	checkResult(t, SelectiveNewest(1000, 5), "us_per_receive", "median_us", "ns_per_message_run")
	checkResult(t, Million(pc, 2000), "us_per_spawn", "bytes_per_proc", "kill_all_ms",
		"warm_us_per_spawn", "warm_bytes_per_proc", "warm_kill_all_ms")
	// A hibernated process holds a few hundred bytes: at 2000 of them the
	// heap's other traffic (the peer's connection, a collection between
	// the two readings) can outweigh them, and a loaded run measured
	// warm_bytes_per_proc = -4.5. The bytes must be reported, not positive.
	hib := MillionHibernated(pc, 2000)
	checkResult(t, hib, "us_per_spawn", "kill_all_ms", "warm_us_per_spawn", "warm_kill_all_ms")
	for _, k := range []string{"bytes_per_proc", "warm_bytes_per_proc"} {
		if _, ok := hib.Figures[k]; !ok {
			t.Errorf("million_hibernated: no figure %s in %v", k, hib.Figures)
		}
	}
	checkResult(t, RemoteFanout(pc, 10, 1000, 1), "msgs_per_s", "elapsed_ms")
	checkResult(t, MeshScale(pc, 4, 1, 100*time.Millisecond), "mesh_ms", "nodedown_ms")
}

// TestScalingErlangRuns runs the Erlang side of the same workloads
// (erlang/gerl_scaling.erl) at a tiny size.
func TestScalingErlangRuns(t *testing.T) {
	testkit.NeedTool(t, "erl", "erlang-base")
	testkit.NeedTool(t, "erlc", "erlang-base")
	for _, tc := range []struct {
		workload string
		params   map[string]int
		keys     []string
	}{
		{"call_backlog", map[string]int{"backlog": 1000, "calls": 50, "reps": 1}, []string{"us_per_call"}},
		{"selective_newest", map[string]int{"backlog": 1000, "reps": 5}, []string{"us_per_receive", "median_us"}},
		{"million", map[string]int{"n": 2000}, []string{"us_per_spawn", "bytes_per_proc", "kill_all_ms", "warm_us_per_spawn"}},
		{"million_hibernated", map[string]int{"n": 2000}, []string{"us_per_spawn", "bytes_per_proc", "kill_all_ms", "warm_us_per_spawn"}},
		{"remote_fanout", map[string]int{"senders": 10, "n": 1000, "reps": 1}, []string{"msgs_per_s"}},
		{"mesh_scale", map[string]int{"k": 3, "reps": 1, "quiet_ms": 100}, []string{"mesh_ms", "nodedown_ms"}},
	} {
		t.Run(tc.workload, func(t *testing.T) {
			rs := Erlang(tc.workload, tc.params)
			if len(rs) != 1 {
				t.Fatalf("%d results, want 1: %+v", len(rs), rs)
			}
			if rs[0].Impl != "erlang" {
				t.Fatalf("impl %q", rs[0].Impl)
			}
			checkResult(t, rs[0], tc.keys...)
		})
	}
}

// TestFloorWorkloadsRun runs Go's floors at a tiny size.
func TestFloorWorkloadsRun(t *testing.T) {
	pc := testPeer(t)
	checkResult(t, GoFloor(pc, 2000, 1000), "chan_rtt_us", "chan_tuple_rtt_us", "goroutine_bytes", "us_per_goroutine", "warm_goroutine_bytes")
	checkResult(t, TCPFloor(pc, 200, 20, 1, PinNone), "rtt_p50_us", "rtt_p99_us", "rtt_mean_us", "handoff_rtt_p50_us", "handoff_rtt_p99_us")
}
