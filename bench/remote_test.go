package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// peerBin holds gerl-bench, built once for the remote workload tests, whose
// "peer" command starts their nodes.
var peerBin struct {
	once      sync.Once
	dir, path string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if peerBin.dir != "" {
		os.RemoveAll(peerBin.dir)
	}
	os.Exit(code)
}

// testPeer builds cmd/gerl-bench (once) and returns its peer command.
func testPeer(t *testing.T) PeerCmd {
	t.Helper()
	peerBin.once.Do(func() {
		peerBin.dir, peerBin.err = os.MkdirTemp("", "gerl-bench-peer-")
		if peerBin.err != nil {
			return
		}
		peerBin.path = filepath.Join(peerBin.dir, "gerl-bench")
		out, err := exec.Command("go", "build", "-o", peerBin.path, "github.com/gerl-dev/gerl/cmd/gerl-bench").CombinedOutput()
		if err != nil {
			peerBin.err = fmt.Errorf("build gerl-bench: %v: %s", err, out)
		}
	})
	if peerBin.err != nil {
		t.Fatal(peerBin.err)
	}
	return PeerCmd{Path: peerBin.path, Prefix: []string{"peer"}}
}

func checkResult(t *testing.T, r Result, keys ...string) {
	t.Helper()
	if r.Error != "" {
		t.Fatalf("%s: %s", r.Name, r.Error)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range keys {
		if v, ok := m[k].(float64); !ok || v <= 0 {
			t.Errorf("%s: figure %s = %v in %s", r.Name, k, m[k], b)
		}
	}
}

func TestRemoteWorkloadsRun(t *testing.T) {
	pc := testPeer(t)
	checkResult(t, RemotePingPong(pc, 200, 20, 1, PinNone), "rtt_p50_us", "rtt_p99_us", "rtt_mean_us")
	checkResult(t, RemoteThroughput(pc, 2000, 100, 1, PinNone), "msgs_per_s", "payload_mb_per_s", "wire_bytes_per_msg")
	checkResult(t, FirstContact(pc, 2), "median_ms", "reconnect_median_ms")
	checkResult(t, MeshForm(pc, 4, 1, 100*time.Millisecond), "mesh_ms")
	checkResult(t, PeerNodeStart(pc, 1), "median_ms")
}

func TestRemotePinned(t *testing.T) {
	testkit.NeedTool(t, "taskset", "util-linux")
	pc := testPeer(t)
	checkResult(t, RemotePingPong(pc, 100, 10, 1, PinSplit), "rtt_p50_us")
	checkResult(t, RemoteThroughput(pc, 1000, 100, 1, PinSame), "msgs_per_s")
}

// TestRemoteErlangPairs: workloads 4 and 5 run between Erlang and gerl
// nodes, every pair, and each reports its figures.
func TestRemoteErlangPairs(t *testing.T) {
	testkit.NeedTool(t, "erl", "erlang-nox")
	pc := testPeer(t)
	for _, r := range RemotePingPongErlang(pc, 200, 20, 1, PinNone) {
		checkResult(t, r, "rtt_p50_us", "rtt_p99_us", "rtt_mean_us", "roundtrips_per_s")
	}
	for _, r := range RemoteThroughputErlang(pc, 2000, 100, 1, PinNone) {
		checkResult(t, r, "msgs_per_s", "payload_mb_per_s")
	}
}
