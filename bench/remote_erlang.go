package bench

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Workloads 4 and 5 across the language boundary: the same round trips
// and the same stream as remote_pingpong and remote_throughput, with
// Erlang nodes in place of gerl nodes. An Erlang peer is an erl running
// erlang/gerl_peer.erl, which takes the gerl peers' commands (pong_server,
// sink_server, ping, pingpong, throughput) and measures with the same
// clocks, so the four pairs, node A (which measures) and node B (which
// serves), run in one workload, one after the other, on one port mapper:
//
//	erl-erl    Erlang to Erlang: the reference
//	gerl-erl   a gerl node measures, an Erlang node serves
//	erl-gerl   an Erlang node measures, a gerl node serves
//	gerl-gerl  gerl to gerl (workload 4 or 5 itself)

//go:embed erlang/gerl_peer.erl
var peerErl []byte

// erlPairs are the pairs of the _erl workloads, in the order they run.
var erlPairs = []string{"erl-erl", "gerl-erl", "erl-gerl", "gerl-gerl"}

// erlPeers starts Erlang peers: erl, with gerl_peer compiled in ebin.
type erlPeers struct {
	erl, ebin string
}

// newErlPeers compiles gerl_peer into a temporary directory, which close
// removes.
func newErlPeers() (*erlPeers, error) {
	erl, err := exec.LookPath("erl")
	if err != nil {
		return nil, fmt.Errorf("erl not found (apt-get install erlang-nox): the Erlang pairs are skipped")
	}
	erlc, err := exec.LookPath("erlc")
	if err != nil {
		return nil, fmt.Errorf("erlc not found (apt-get install erlang-nox): the Erlang pairs are skipped")
	}
	dir, err := os.MkdirTemp("", "gerl-bench-erlpeer")
	if err != nil {
		return nil, err
	}
	src := filepath.Join(dir, "gerl_peer.erl")
	if err := os.WriteFile(src, peerErl, 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if out, err := exec.Command(erlc, "-o", dir, src).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("erlc gerl_peer.erl: %v: %s", err, out)
	}
	return &erlPeers{erl: erl, ebin: dir}, nil
}

func (e *erlPeers) close() { os.RemoveAll(e.ebin) }

// start starts an Erlang peer of the cluster c, as peerCluster.start
// starts a gerl one.
func (e *erlPeers) start(c *peerCluster, role, cpu string) (*peerProc, error) {
	name := c.nextName(role)
	args := []string{"-noshell", "-name", name, "-setcookie", peerCookie, "-pa", e.ebin, "-s", "gerl_peer", "start"}
	return c.startCmd(name, e.erl, args, []string{"ERL_EPMD_PORT=" + strconv.Itoa(c.pm.Port()), noCrashDump}, cpu)
}

// starter returns how to start node kind ("erl" or "gerl").
func (e *erlPeers) starter(kind string) func(*peerCluster, string, string) (*peerProc, error) {
	if kind == "erl" {
		return e.start
	}
	return (*peerCluster).start
}

// erlPairResults runs one of workloads 4 and 5 (run, given a connected
// pair) for every pair of erlPairs under pin. Each result is named name,
// with the pair in its parameters.
func erlPairResults(pc PeerCmd, name, server string, params map[string]any, pin int,
	run func(res Result, a, b *peerProc) Result) []Result {
	var out []Result
	ep, err := newErlPeers()
	for _, pair := range erlPairs {
		res := Result{Name: name, Params: map[string]any{"pair": pair, "pin": pinName(pin), "pin_arg": pin}}
		for k, v := range params {
			res.Params[k] = v
		}
		if err != nil {
			out = append(out, failed(res, err))
			continue
		}
		kinds := strings.SplitN(pair, "-", 2)
		c, a, b, err := connectedPairOf(pc, pin, server, ep.starter(kinds[0]), ep.starter(kinds[1]))
		if err != nil {
			out = append(out, failed(res, fmt.Errorf("%s: %w", pair, err)))
			continue
		}
		out = append(out, run(res, a, b))
		c.close()
	}
	if ep != nil {
		ep.close()
	}
	return out
}

// RemotePingPongErlang is workload 4 for every pair of erlPairs.
func RemotePingPongErlang(pc PeerCmd, n, warmup, reps, pin int) []Result {
	return erlPairResults(pc, "remote_pingpong_erl", "pong_server", map[string]any{"n": n, "warmup": warmup, "reps": reps}, pin,
		func(res Result, a, b *peerProc) Result { return pingPongReps(res, a, b, n, warmup, reps) })
}

// RemoteThroughputErlang is workload 5 for every pair of erlPairs.
func RemoteThroughputErlang(pc PeerCmd, n, warmN, reps, pin int) []Result {
	return erlPairResults(pc, "remote_throughput_erl", "sink_server", map[string]any{"n": n, "reps": reps}, pin,
		func(res Result, a, b *peerProc) Result { return throughputReps(res, a, b, n, warmN, reps) })
}
