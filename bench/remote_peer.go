package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/internal/stats"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
	"github.com/gerl-dev/gerl/portmapper"
)

// PeerMain is the entry point of "gerl-bench peer": a bare distributed
// node that a benchmark controller drives over standard input and output,
// like Erlang's peer with connection => standard_io. The controller is not
// connected to it by distribution. Flags:
//
//	-name N@H | -sname N   the node name (required)
//	-setcookie C           the cookie (required)
//	-portmapper PORT       the port mapper's port (default: GERL_PORTMAPPER_PORT or 4369);
//	                       it must be running (the controller runs one)
//	-listen IP             the address to listen on (default 127.0.0.1)
//	-halt                  start, then stop at once (node_start's stand-in)
//
// Once up it prints "ready NAME", then reads one command per line and
// answers each with one line, "ok", "ok JSON" or "error TEXT":
//
//	pong_server               register pong: {ping, From, I} -> From ! {pong, I}
//	sink_server               register sink (remote_throughput's receiver)
//	ping NODE                 net_adm:ping, timed: ok {"ms": F}
//	disconnect NODE           disconnect and wait for nodedown: ok
//	nodes                     ok ["a@h", ...]
//	pingpong NODE N WARMUP    N timed round trips to {pong, NODE}: ok {stats}
//	throughput NODE N         N {Seq, <<64 bytes>>} to sink's pid: ok {stats}
//	mesh FIRST K START QUIET  mesh_form agent: ok {"reached_us": T, ...}
//	quit                      stop and exit 0 (so does end of input)
func PeerMain(args []string) int {
	return peerMain(args, os.Stdin, os.Stdout, os.Stderr)
}

func peerMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gerl-bench peer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "node name name@host")
	sname := fs.String("sname", "", "short node name")
	cookie := fs.String("setcookie", "", "cookie")
	pm := fs.Int("portmapper", 0, "port mapper port")
	listen := fs.String("listen", "127.0.0.1", "listen address")
	halt := fs.Bool("halt", false, "stop at once after starting")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	full, err := cluster.NodeName(*sname, *name)
	if err != nil {
		fmt.Fprintln(stderr, "gerl-bench peer:", err)
		return 2
	}
	if dir := os.Getenv("GERL_BENCH_CPUPROFILE"); dir != "" {
		// For studying a workload: each peer writes a CPU profile of its
		// whole life to DIR/NAME.prof.
		if f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.prof", full, time.Now().UnixNano()))); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	if *pm == 0 {
		if *pm, err = portmapper.PortFromEnv(); err != nil {
			fmt.Fprintln(stderr, "gerl-bench peer:", err)
			return 2
		}
	}
	// No daemon is started: the controller runs one for its peers.
	d, err := cluster.Start(context.Background(), cluster.Config{
		Name: full, Cookie: *cookie, ListenIP: *listen, PortMapperPort: *pm,
	})
	if err != nil {
		fmt.Fprintln(stderr, "gerl-bench peer:", err)
		return 1
	}
	defer d.Node().StopTimeout(5 * time.Second)
	if *halt {
		return 0
	}
	if observing() {
		stop, err := observe(d.Node(), d)
		if err != nil {
			fmt.Fprintln(stderr, "gerl bench peer:", err)
			return 1
		}
		defer stop()
	}
	p := &peer{d: d, out: bufio.NewWriter(stdout)}
	p.reply("ready %s", full)
	in := bufio.NewScanner(stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		if f[0] == "quit" {
			p.reply("ok")
			return 0
		}
		p.command(f)
	}
	return 0
}

type peer struct {
	d      *cluster.Dist
	out    *bufio.Writer
	groups *groupsPeer // global and pg, once started (groups_peer.go)
}

func (p *peer) reply(format string, args ...any) {
	fmt.Fprintf(p.out, format+"\n", args...)
	p.out.Flush()
}

func (p *peer) ok(v any) {
	if v == nil {
		p.reply("ok")
		return
	}
	b, _ := json.Marshal(v)
	p.reply("ok %s", b)
}

func (p *peer) command(f []string) {
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	num := func(i int) int { n, _ := strconv.Atoi(arg(i)); return n }
	var err error
	switch f[0] {
	case "pong_server":
		err = p.pongServer()
		if err == nil {
			p.ok(nil)
		}
	case "sink_server":
		err = p.sinkServer()
		if err == nil {
			p.ok(nil)
		}
	case "ping":
		t0 := time.Now()
		err = p.d.PingErr(context.Background(), term.Atom(arg(1)))
		if err == nil {
			p.ok(map[string]float64{"ms": ms(time.Since(t0))})
		}
	case "disconnect":
		p.d.Disconnect(term.Atom(arg(1)))
		p.ok(nil)
	case "nodes":
		p.ok(p.d.Nodes())
	case "pingpong":
		var r map[string]float64
		if r, err = p.pingPong(term.Atom(arg(1)), num(2), num(3)); err == nil {
			p.ok(r)
		}
	case "throughput":
		var r map[string]float64
		if r, err = p.throughput(term.Atom(arg(1)), num(2)); err == nil {
			p.ok(r)
		}
	case "mesh":
		start, _ := strconv.ParseInt(arg(3), 10, 64)
		var r map[string]float64
		if r, err = p.mesh(term.Atom(arg(1)), num(2), time.Unix(0, start), time.Duration(num(4))*time.Millisecond); err == nil {
			p.ok(r)
		}
	default:
		var handled bool
		if handled, err = p.groupsCommand(f); !handled {
			if handled, err = p.scalingCommand(f); !handled {
				if handled, err = p.floorCommand(f); !handled {
					err = fmt.Errorf("unknown command %q", f[0])
				}
			}
		}
	}
	if err != nil {
		p.reply("error %s", strings.ReplaceAll(err.Error(), "\n", " "))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (p *peer) pongServer() error {
	pid, err := p.d.Node().Spawn(func(pr *node.Proc) {
		for {
			if m, ok := pr.Receive().(term.Tuple); ok && len(m) == 3 {
				pr.Send(m[1], term.Tuple{atomPong, m[2]})
			}
		}
	})
	if err != nil {
		return err
	}
	return p.d.Node().Register("pong", pid)
}

func (p *peer) sinkServer() error {
	pid, err := p.d.Node().Spawn(func(pr *node.Proc) {
		for {
			m, ok := pr.Receive().(term.Tuple) // {expect, From, N}
			if !ok || len(m) != 3 {
				continue
			}
			from, _ := m[1].(term.Pid)
			n, _ := m[2].(int)
			pr.Send(from, term.Tuple{term.Atom("ready"), pr.Self()})
			bytes, inOrder := 0, true
			for i := 1; i <= n; i++ {
				t := pr.Receive().(term.Tuple)
				if t[0] != i {
					inOrder = false
				}
				bytes += len(t[1].([]byte))
			}
			pr.Send(from, term.Tuple{term.Atom("done"), term.Tuple{n, bytes, inOrder}})
		}
	})
	if err != nil {
		return err
	}
	return p.d.Node().Register("sink", pid)
}

func (p *peer) attach() (*node.Proc, func(), error) {
	me, err := p.d.Node().Attach("bench")
	if err != nil {
		return nil, nil, err
	}
	return me, func() { p.d.Node().Exit(me.Self(), term.Kill) }, nil
}

// pingPong is workload 4's measuring side: warmup then n round trips of
// {ping, Self, I} to the registered name pong on nd, each timed.
func (p *peer) pingPong(nd term.Atom, n, warmup int) (map[string]float64, error) {
	me, done, err := p.attach()
	if err != nil {
		return nil, err
	}
	defer done()
	to := term.Name{Name: "pong", Node: nd}
	self := me.Self()
	rtt := make([]time.Duration, n)
	var t0 time.Time // the timed round trips' start, after the warm-up
	for i := -warmup; i < n; i++ {
		if i == 0 {
			t0 = time.Now()
		}
		ta := time.Now()
		if err := me.Send(to, term.Tuple{atomPing, self, i}); err != nil {
			return nil, err
		}
		m, ok := me.ReceiveTimeout(10 * time.Second)
		if !ok {
			return nil, fmt.Errorf("no pong for ping %d", i)
		}
		if t, _ := m.(term.Tuple); len(t) != 2 || t[1] != i {
			return nil, fmt.Errorf("pong %v for ping %d", m, i)
		}
		if i >= 0 {
			rtt[i] = time.Since(ta)
		}
	}
	return rttFigures(rtt, time.Since(t0)), nil // as Erlang's harness: elapsed is the repetition's wall time
}

// rttFigures are remote_pingpong's figures of round trips rtt (sorted
// here) that took elapsed in all.
func rttFigures(rtt []time.Duration, elapsed time.Duration) map[string]float64 {
	n := len(rtt)
	var total time.Duration
	for _, d := range rtt {
		total += d
	}
	sort.Slice(rtt, func(i, j int) bool { return rtt[i] < rtt[j] })
	return map[string]float64{
		"rtt_mean_us":      us(total) / float64(n),
		"rtt_p50_us":       us(stats.Percentile(rtt, 50)),
		"rtt_p99_us":       us(stats.Percentile(rtt, 99)),
		"rtt_min_us":       us(rtt[0]),
		"rtt_max_us":       us(rtt[n-1]),
		"roundtrips_per_s": float64(n) / elapsed.Seconds(),
	}
}

// throughput is workload 5's sending side.
func (p *peer) throughput(nd term.Atom, n int) (map[string]float64, error) {
	me, done, err := p.attach()
	if err != nil {
		return nil, err
	}
	defer done()
	if err := me.Send(term.Name{Name: "sink", Node: nd}, term.Tuple{term.Atom("expect"), me.Self(), n}); err != nil {
		return nil, err
	}
	m, ok := me.ReceiveTimeout(10 * time.Second)
	ready, _ := m.(term.Tuple)
	if !ok || len(ready) != 2 {
		return nil, fmt.Errorf("sink not ready: %v", m)
	}
	sink, _ := ready[1].(term.Pid)
	payload := make([]byte, 64)
	for i := range payload {
		payload[i] = byte(i)
	}
	wire0 := p.d.BytesSent(nd)
	t0 := time.Now()
	for seq := 1; seq <= n; seq++ {
		if err := me.Send(sink, term.Tuple{seq, payload}); err != nil {
			return nil, err
		}
	}
	m, ok = me.ReceiveTimeout(2 * time.Minute)
	elapsed := time.Since(t0)
	wire := p.d.BytesSent(nd) - wire0
	res, _ := m.(term.Tuple)
	if !ok || len(res) != 2 {
		return nil, fmt.Errorf("sink did not finish: %v", m)
	}
	stats, _ := res[1].(term.Tuple)
	if len(stats) != 3 || stats[0] != n || stats[1] != 64*n || stats[2] != true {
		return nil, fmt.Errorf("sink reports %v for %d messages", stats, n)
	}
	return map[string]float64{
		"msgs_per_s":         float64(n) / elapsed.Seconds(),
		"payload_mb_per_s":   float64(n*64) / elapsed.Seconds() / 1e6,
		"wire_mb_per_s":      float64(wire) / elapsed.Seconds() / 1e6,
		"wire_bytes_per_msg": float64(wire) / float64(n),
	}, nil
}

// mesh is workload 8's agent: it watches node events from now on, waits
// for start, connects to first (unless it is first), and reports when
// Nodes() first reached k-1, then watches until quiet passes without a
// node event.
func (p *peer) mesh(first term.Atom, k int, start time.Time, quiet time.Duration) (map[string]float64, error) {
	me, done, err := p.attach()
	if err != nil {
		return nil, err
	}
	defer done()
	me.MonitorNodes(true)
	time.Sleep(time.Until(start))
	late := time.Since(start)
	var connect time.Duration
	if first != p.d.Name() {
		t0 := time.Now()
		if err := p.d.ConnectContext(context.Background(), first); err != nil {
			return nil, err
		}
		connect = time.Since(t0)
	}
	var reached time.Time
	nodedowns := 0
	deadline := time.Now().Add(time.Minute)
	for {
		if reached.IsZero() && len(p.d.Nodes()) >= k-1 {
			reached = time.Now()
		}
		wait := quiet
		if reached.IsZero() {
			wait = time.Until(deadline)
		}
		m, ok := me.ReceiveTimeout(wait)
		if !ok {
			break
		}
		if _, down := m.(term.NodeDown); down {
			nodedowns++
			reached = time.Time{}
		}
	}
	if reached.IsZero() {
		return nil, fmt.Errorf("%s sees %d nodes, want %d", p.d.Name(), len(p.d.Nodes()), k-1)
	}
	return map[string]float64{
		"reached_us": float64(reached.UnixMicro()),
		"connect_ms": ms(connect),
		"late_ms":    ms(late),
		"nodedowns":  float64(nodedowns),
		"nodes":      float64(len(p.d.Nodes())),
	}, nil
}
