package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/portmapper/daemon"
)

// Workloads 4-8 (WORKLOADS.md): nodes are separate OS processes, started
// from a peer command ("gerl-bench peer", see PeerMain) and driven over
// their standard input and output; the controller is not a node. Each
// workload runs its own in-process port mapper on a free port, so runs
// do not disturb (or depend on) the host's; node_start and shell_start,
// which run the gerl command line, use the host's (see Main).

// Workload 4-8 parameters, as in Erlang's harness.
const (
	RemotePingPongN       = 20_000
	RemotePingPongWarmup  = 2_000
	RemotePingPongReps    = 5
	RemoteThroughputN     = 200_000
	RemoteThroughputWarmN = 20_000
	RemoteThroughputReps  = 5
	NodeStartRuns         = 11
	FirstContactTries     = 10
	MeshFormReps          = 5
)

const peerCookie = "benchcookie"

// PeerCmd is how to start a peer node: Path with Prefix before the peer's
// own flags, e.g. {gerl-bench, ["peer"]}.
type PeerCmd struct {
	Path   string
	Prefix []string
}

// Pin values of the remote workloads, as Erlang's pin parameter.
const (
	PinNone  = 0 // no pinning
	PinSame  = 1 // both nodes taskset -c 0
	PinSplit = 2 // A on CPU 0, B on CPU 1
)

// ErrNoTaskset is reported by pinned variants on a host without taskset.
var ErrNoTaskset = errors.New("taskset not found: pinned variants skipped")

// pinCPU returns the CPU list for node index i (0 = A) under pin.
func pinCPU(pin, i int) string {
	switch {
	case pin == PinSame:
		return "0"
	case pin == PinSplit && i == 0:
		return "0"
	case pin == PinSplit:
		return "1"
	}
	return ""
}

// peerProc is a running peer.
type peerProc struct {
	name  string
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
	done  chan struct{}
}

type peerCluster struct {
	pc    PeerCmd
	pm    *daemon.Server
	tag   string
	mu    sync.Mutex
	peers []*peerProc
	seq   int
}

// newCluster starts a private port mapper for the peers of one workload.
func newCluster(pc PeerCmd) (*peerCluster, error) {
	s, err := daemon.Start(daemon.Config{})
	if err != nil {
		return nil, fmt.Errorf("port mapper: %w", err)
	}
	return &peerCluster{pc: pc, pm: s, tag: fmt.Sprintf("eb%d", os.Getpid())}, nil
}

// start starts a gerl peer named <tag>_<role><seq>@127.0.0.1, pinned to
// cpu when cpu is not empty, and waits until it is ready.
func (c *peerCluster) start(role, cpu string) (*peerProc, error) {
	name := c.nextName(role)
	args := append(append([]string{}, c.pc.Prefix...), "-name", name, "-setcookie", peerCookie,
		"-portmapper", strconv.Itoa(c.pm.Port()), "-listen", "127.0.0.1")
	return c.startCmd(name, c.pc.Path, args, nil, cpu)
}

// nextName returns the name of the next peer of role.
func (c *peerCluster) nextName(role string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return fmt.Sprintf("%s_%s%d@127.0.0.1", c.tag, role, c.seq)
}

// startCmd starts the peer name, path args with env added to this
// process's environment, pinned to cpu when cpu is not empty, and waits
// until it says it is ready.
func (c *peerCluster) startCmd(name, path string, args, env []string, cpu string) (*peerProc, error) {
	if cpu != "" {
		tp, err := exec.LookPath("taskset")
		if err != nil {
			return nil, ErrNoTaskset
		}
		args = append([]string{"-c", cpu, path}, args...)
		path = tp
	}
	cmd := exec.Command(path, args...)
	cmd.Stderr = os.Stderr
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start peer %s: %w", name, err)
	}
	p := &peerProc{name: name, cmd: cmd, in: in, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		cmd.Wait()
	}()
	c.mu.Lock()
	c.peers = append(c.peers, p)
	c.mu.Unlock()
	line, err := p.read(30 * time.Second)
	if err != nil || !strings.HasPrefix(line, "ready ") {
		p.stop()
		return nil, fmt.Errorf("peer %s did not start: %q %v", name, line, err)
	}
	return p, nil
}

// startAll starts k peers of role at once, unpinned.
func (c *peerCluster) startAll(role string, k int) ([]*peerProc, error) {
	peers := make([]*peerProc, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range peers {
		wg.Add(1)
		go func() { defer wg.Done(); peers[i], errs[i] = c.start(role, "") }()
	}
	wg.Wait()
	return peers, errors.Join(errs...)
}

func (p *peerProc) read(timeout time.Duration) (string, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case l, ok := <-p.lines:
		if !ok {
			return "", fmt.Errorf("peer %s exited", p.name)
		}
		return l, nil
	case <-t.C:
		return "", fmt.Errorf("peer %s: no answer within %v", p.name, timeout)
	}
}

// send writes a command line without waiting for the answer.
func (p *peerProc) send(format string, args ...any) error {
	_, err := fmt.Fprintf(p.in, format+"\n", args...)
	return err
}

// answer reads a command's answer: "ok", or "ok JSON" decoded into v.
func (p *peerProc) answer(timeout time.Duration, v any) error {
	line, err := p.read(timeout)
	if err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(line, "ok")
	if !ok {
		return fmt.Errorf("peer %s: %s", p.name, line)
	}
	if rest = strings.TrimSpace(rest); rest != "" && v != nil {
		return json.Unmarshal([]byte(rest), v)
	}
	return nil
}

func (p *peerProc) call(timeout time.Duration, v any, format string, args ...any) error {
	if err := p.send(format, args...); err != nil {
		return fmt.Errorf("peer %s: %w", p.name, err)
	}
	return p.answer(timeout, v)
}

// stop asks the peer to quit, then kills it if it has not exited 5 s later.
func (p *peerProc) stop() {
	p.send("quit")
	p.in.Close()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// close stops every peer and the port mapper.
func (c *peerCluster) close() {
	c.mu.Lock()
	peers := c.peers
	c.peers = nil
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop() }()
	}
	wg.Wait()
	c.pm.Close()
}

// pinName is pin as Erlang's harness names it in its results.
func pinName(pin int) string {
	switch pin {
	case PinSame:
		return "same_cpu"
	case PinSplit:
		return "split_cpus"
	}
	return "none"
}

// pinByName is pinName's inverse.
func pinByName(name string) (int, bool) {
	for _, pin := range []int{PinNone, PinSame, PinSplit} {
		if pinName(pin) == name {
			return pin, true
		}
	}
	return 0, false
}

// connectedPair starts gerl peers a and b under pin, starts server (a
// peer command) on b and connects a to b. The caller closes c; on an
// error, connectedPair has closed it.
func connectedPair(pc PeerCmd, pin int, server string) (c *peerCluster, a, b *peerProc, err error) {
	return connectedPairOf(pc, pin, server, (*peerCluster).start, (*peerCluster).start)
}

// connectedPairOf is connectedPair with a and b started by startA and
// startB (start for a gerl peer, an erlPeers' start for an Erlang one).
func connectedPairOf(pc PeerCmd, pin int, server string, startA, startB func(c *peerCluster, role, cpu string) (*peerProc, error)) (c *peerCluster, a, b *peerProc, err error) {
	if c, err = newCluster(pc); err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			c.close()
			c = nil
		}
	}()
	if a, err = startA(c, "a", pinCPU(pin, 0)); err != nil {
		return
	}
	if b, err = startB(c, "b", pinCPU(pin, 1)); err != nil {
		return
	}
	if err = b.call(10*time.Second, nil, server); err != nil {
		return
	}
	err = a.call(30*time.Second, nil, "ping %s", b.name)
	return
}

// RemotePingPong is workload 4: node A does warmup then reps x n timed round
// trips of {ping, Self, I} to the registered name pong on node B.
func RemotePingPong(pc PeerCmd, n, warmup, reps, pin int) Result {
	res := Result{Name: "remote_pingpong", Params: map[string]any{"n": n, "warmup": warmup, "reps": reps, "pin": pinName(pin), "pin_arg": pin}}
	c, a, b, err := connectedPair(pc, pin, "pong_server")
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	return pingPongReps(res, a, b, n, warmup, reps)
}

// pingPongReps runs workload 4's repetitions between connected peers a
// and b, b running pong_server.
func pingPongReps(res Result, a, b *peerProc, n, warmup, reps int) Result {
	for rep := 0; rep < reps; rep++ {
		var s map[string]float64
		w := 0
		if rep == 0 {
			w = warmup
		}
		if err := a.call(5*time.Minute, &s, "pingpong %s %d %d", b.name, n, w); err != nil {
			return failed(res, err)
		}
		res.Samples = append(res.Samples, s)
	}
	res.Figures = medians(res.Samples)
	return res
}

// RemoteThroughput is workload 5: node A sends n {Seq, <<64 bytes>>} to
// the pid of sink on node B, which checks the order; one warm-up
// repetition of warmN, then reps.
func RemoteThroughput(pc PeerCmd, n, warmN, reps, pin int) Result {
	res := Result{Name: "remote_throughput", Params: map[string]any{"n": n, "reps": reps, "pin": pinName(pin), "pin_arg": pin}}
	c, a, b, err := connectedPair(pc, pin, "sink_server")
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	return throughputReps(res, a, b, n, warmN, reps)
}

// throughputReps runs workload 5's repetitions between connected peers a
// and b, b running sink_server.
func throughputReps(res Result, a, b *peerProc, n, warmN, reps int) Result {
	for rep := -1; rep < reps; rep++ {
		size := n
		if rep < 0 {
			size = warmN
		}
		var s map[string]float64
		if err := a.call(5*time.Minute, &s, "throughput %s %d", b.name, size); err != nil {
			return failed(res, err)
		}
		if rep >= 0 {
			res.Samples = append(res.Samples, s)
		}
	}
	res.Figures = medians(res.Samples)
	return res
}

// FirstContact is workload 7: a node A pings a freshly started node B_i
// (port mapper lookup, connect, handshake, reply), then disconnects, and
// pings it again (both warm). Try 0 is a warm-up.
func FirstContact(pc PeerCmd, tries int) Result {
	res := Result{Name: "first_contact", Params: map[string]any{"tries": tries}}
	c, err := newCluster(pc)
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	a, err := c.start("a", "")
	if err != nil {
		return failed(res, err)
	}
	for i := 0; i < tries; i++ {
		b, err := c.start("b", "")
		if err != nil {
			return failed(res, err)
		}
		var first, again struct{ Ms float64 }
		if err := a.call(30*time.Second, &first, "ping %s", b.name); err != nil {
			return failed(res, err)
		}
		if err := a.call(30*time.Second, nil, "disconnect %s", b.name); err != nil {
			return failed(res, err)
		}
		time.Sleep(100 * time.Millisecond) // as Erlang's harness: let both sides settle
		if err := a.call(30*time.Second, &again, "ping %s", b.name); err != nil {
			return failed(res, err)
		}
		a.call(30*time.Second, nil, "disconnect %s", b.name)
		b.stop()
		if i > 0 {
			res.Samples = append(res.Samples, map[string]float64{"first_ping_ms": first.Ms, "reconnect_ping_ms": again.Ms})
		}
	}
	m := medians(res.Samples)
	res.Figures = map[string]float64{"median_ms": m["first_ping_ms"], "reconnect_median_ms": m["reconnect_ping_ms"]}
	return res
}

// MeshForm is workload 8: k fresh nodes; at a common instant nodes 2..k
// connect to node 1 only; mesh_ms is when the last of them sees k-1 nodes.
// quiet is how long each agent keeps watching after that (Erlang: 1.5 s).
func MeshForm(pc PeerCmd, k, reps int, quiet time.Duration) Result {
	res := Result{Name: "mesh_form", Params: map[string]any{"k": k, "reps": reps}}
	return repeated(res, reps, func() (map[string]float64, error) { return meshOnce(pc, k, quiet, false) })
}

// repeated runs once reps times, the samples and their medians in res.
func repeated(res Result, reps int, once func() (map[string]float64, error)) Result {
	for range reps {
		s, err := once()
		if err != nil {
			return failed(res, err)
		}
		res.Samples = append(res.Samples, s)
	}
	res.Figures = medians(res.Samples)
	return res
}

// meshOnce forms a mesh of k fresh peers; with down, it then halts one
// and times the nodedowns (mesh_scale).
func meshOnce(pc PeerCmd, k int, quiet time.Duration, down bool) (map[string]float64, error) {
	c, err := newCluster(pc)
	if err != nil {
		return nil, err
	}
	defer c.close()
	peers, err := c.startAll("m", k)
	if err != nil {
		return nil, err
	}
	s, err := formMesh(peers, quiet)
	if err != nil || !down {
		return s, err
	}
	return haltAndWatch(peers, s)
}

// formMesh makes every peer but the first connect to the first at one
// instant, and returns mesh_form's figures once each has seen all the
// others and then quiet without a node event.
func formMesh(peers []*peerProc, quiet time.Duration) (map[string]float64, error) {
	k := len(peers)
	start := time.Now().Add(300*time.Millisecond + time.Duration(k)*20*time.Millisecond)
	for _, p := range peers {
		if err := p.send("mesh %s %d %d %d", peers[0].name, k, start.UnixNano(), quiet.Milliseconds()); err != nil {
			return nil, err
		}
	}
	var last, late, nodedowns float64
	var connects []float64
	for i, p := range peers {
		var r map[string]float64
		if err := p.answer(time.Minute, &r); err != nil {
			return nil, err
		}
		at := r["reached_us"] - float64(start.UnixMicro())
		last = max(last, at)
		late = max(late, r["late_ms"])
		nodedowns += r["nodedowns"]
		if i > 0 {
			connects = append(connects, r["connect_ms"])
		}
	}
	return map[string]float64{
		"mesh_ms":                 last / 1000,
		"max_start_lateness_ms":   late,
		"first_connect_ms_median": median(connects),
		"nodedowns":               nodedowns,
	}, nil
}

// NodeStart is workload 6: the wall time of running cmdline (a node that
// starts distributed and halts at once, e.g. gerl -sname X -setcookie C
// -noshell -eval 'halt()'), one warm-up and runs counted. "{i}" in an
// argument is replaced by the run number, so names do not clash.
func NodeStart(cmdline []string, env []string, runs int) Result {
	res := Result{Name: "node_start", Params: map[string]any{"runs": runs, "cmd": strings.Join(cmdline, " ")}}
	if runs < 1 {
		return failed(res, fmt.Errorf("node_start: %d runs", runs))
	}
	var all []float64
	for i := 0; i <= runs; i++ {
		d, err := timeRun(cmdline, env, i)
		if err != nil {
			return failed(res, err)
		}
		if i > 0 {
			res.Samples = append(res.Samples, map[string]float64{"ms": d})
			all = append(all, d)
		}
	}
	res.Figures = map[string]float64{"median_ms": median(all), "min_ms": slices.Min(all), "max_ms": slices.Max(all)}
	return res
}

// timeRun runs cmdline (run i, see NodeStart) to its end and returns how
// long it took, in milliseconds. Its output is kept for the error only.
func timeRun(cmdline []string, env []string, i int) (float64, error) {
	args := make([]string, len(cmdline))
	for j, a := range cmdline {
		args[j] = strings.ReplaceAll(a, "{i}", strconv.Itoa(i))
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return 0, fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, out.Bytes())
	}
	return ms(d), nil
}

// PeerNodeStart times the peer command itself starting a distributed node
// and halting (register with the port mapper, listen, stop): node_start's
// figure until the gerl command line can run -eval 'halt()'.
func PeerNodeStart(pc PeerCmd, runs int) Result {
	c, err := newCluster(pc)
	if err != nil {
		return failed(Result{Name: "node_start"}, err)
	}
	defer c.close()
	cmd := append(append([]string{pc.Path}, pc.Prefix...), "-name", fmt.Sprintf("%s_ns{i}@127.0.0.1", c.tag),
		"-setcookie", peerCookie, "-portmapper", strconv.Itoa(c.pm.Port()), "-halt")
	r := NodeStart(cmd, nil, runs)
	r.Params["variant"] = "bench_peer_halt"
	return r
}

// RemoteWorkloads returns workloads 4-8, for the gerl bench command.
func RemoteWorkloads() []Workload {
	pinned := func(name string, f func(PeerCmd, int) []Result) func(Config) []Result {
		return func(c Config) []Result {
			var out []Result
			pins := c.Pins
			if len(pins) == 0 {
				pins = []int{PinNone, PinSame, PinSplit}
			}
			for _, pin := range pins {
				if pin != PinNone {
					if _, err := exec.LookPath("taskset"); err != nil {
						out = append(out, Result{Name: name, Params: map[string]any{"pin": pinName(pin), "pin_arg": pin}, Error: ErrNoTaskset.Error()})
						continue
					}
				}
				out = append(out, f(c.Peer, pin)...)
			}
			return out
		}
	}
	return []Workload{
		{"remote_pingpong", "20k round trips to a registered name on another node (pin variants)",
			func(c Config) []Result {
				return pinned("remote_pingpong", func(pc PeerCmd, pin int) []Result {
					return []Result{RemotePingPong(pc, pick(c.Quick, RemotePingPongN, 500), pick(c.Quick, RemotePingPongWarmup, 50), pick(c.Quick, RemotePingPongReps, 1), pin)}
				})(c)
			}},
		{"tcp_floor", "Go's floor under remote_pingpong: 20k round trips of 16 bytes on raw TCP between two processes, directly and through a goroutine hand-off on each side (pin variants)",
			func(c Config) []Result {
				return pinned("tcp_floor", func(pc PeerCmd, pin int) []Result {
					return []Result{TCPFloor(pc, pick(c.Quick, TCPFloorN, 500), pick(c.Quick, TCPFloorWarmup, 50), pick(c.Quick, RemotePingPongReps, 1), pin)}
				})(c)
			}},
		{"remote_throughput", "200k {Seq, <<64 bytes>>} to a pid on another node (pin variants)",
			func(c Config) []Result {
				return pinned("remote_throughput", func(pc PeerCmd, pin int) []Result {
					return []Result{RemoteThroughput(pc, pick(c.Quick, RemoteThroughputN, 2000), pick(c.Quick, RemoteThroughputWarmN, 200), pick(c.Quick, RemoteThroughputReps, 1), pin)}
				})(c)
			}},
		{"remote_pingpong_erl", "remote_pingpong between Erlang and gerl nodes: erl-erl, gerl-erl, erl-gerl, gerl-gerl (pin variants)",
			func(c Config) []Result {
				return pinned("remote_pingpong_erl", func(pc PeerCmd, pin int) []Result {
					return RemotePingPongErlang(pc, pick(c.Quick, RemotePingPongN, 500), pick(c.Quick, RemotePingPongWarmup, 50), pick(c.Quick, RemotePingPongReps, 1), pin)
				})(c)
			}},
		{"remote_throughput_erl", "remote_throughput between Erlang and gerl nodes: erl-erl, gerl-erl, erl-gerl, gerl-gerl (pin variants)",
			func(c Config) []Result {
				return pinned("remote_throughput_erl", func(pc PeerCmd, pin int) []Result {
					return RemoteThroughputErlang(pc, pick(c.Quick, RemoteThroughputN, 2000), pick(c.Quick, RemoteThroughputWarmN, 200), pick(c.Quick, RemoteThroughputReps, 1), pin)
				})(c)
			}},
		{"node_start", "start a distributed node that halts at once",
			func(c Config) []Result {
				return []Result{PeerNodeStart(c.Peer, pick(c.Quick, NodeStartRuns, 2))}
			}},
		{"first_contact", "ping a fresh node; reconnect after disconnect",
			func(c Config) []Result {
				return []Result{FirstContact(c.Peer, pick(c.Quick, FirstContactTries, 2))}
			}},
		{"mesh_form", "K=8 and K=16 nodes each connect to the first only",
			func(c Config) []Result {
				quiet := 1500 * time.Millisecond
				if c.Quick {
					quiet = 200 * time.Millisecond
				}
				return []Result{
					MeshForm(c.Peer, 8, pick(c.Quick, MeshFormReps, 1), quiet),
					MeshForm(c.Peer, 16, pick(c.Quick, MeshFormReps, 1), quiet),
				}
			}},
	}
}
