package bench

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The peer's commands for the scaling workloads (scaling.go):
//
//	million N               spawn N idle processes, measure, kill them all;
//	                        twice: ok {figures, the second pass's as warm_*}
//	million_hibernated N    million with processes that hibernate
//	fan_server              register fan: {sinks, From, S, Per} spawns S
//	                        receivers of Per {Seq, <<64 bytes>>} each, which
//	                        report {done, OK} to From: answers {sinks, Pids}
//	fanout NODE S PER       S senders, each to its own receiver of NODE's fan
//	                        server: ok {"msgs_per_s", "elapsed_ms"}
//	watch_down NODE         watch for NODE's nodedown: ok at once, then
//	                        ok {"at_us"} (Unix time) when it comes
//	halt                    exit the OS process at once, saying nothing to
//	                        anyone (a node that crashes)

func (p *peer) scalingCommand(f []string) (handled bool, err error) {
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	num := func(i int) int { n, _ := strconv.Atoi(arg(i)); return n }
	switch f[0] {
	case "million", "million_hibernated":
		var r map[string]float64
		if r, err = p.million(num(1), f[0] == "million_hibernated"); err == nil {
			p.ok(r)
		}
	case "fan_server":
		if err = p.fanServer(); err == nil {
			p.ok(nil)
		}
	case "fanout":
		var r map[string]float64
		if r, err = p.fanout(term.Atom(arg(1)), num(2), num(3)); err == nil {
			p.ok(r)
		}
	case "watch_down":
		var r map[string]float64
		if r, err = p.watchDown(term.Atom(arg(1))); err == nil {
			p.ok(r)
		}
	case "halt":
		os.Exit(0)
	default:
		return false, nil
	}
	return true, err
}

// million is the million workload inside a fresh peer: a cold pass, then a
// warm one. With hibernate the processes wait hibernated.
func (p *peer) million(n int, hibernate bool) (map[string]float64, error) {
	if n <= 0 {
		return nil, fmt.Errorf("million: n = %d", n)
	}
	nd := p.d.Node()
	pids := make([]term.Pid, n) // allocated before the baselines
	out := map[string]float64{}
	for _, prefix := range []string{"", "warm_"} {
		r, err := spawnPass(nd, pids, hibernate)
		if err != nil {
			return nil, err
		}
		for k, v := range r {
			out[prefix+k] = v
		}
	}
	runtime.KeepAlive(pids)
	return out, nil
}

// spawnPass spawns len(pids) processes that wait in Receive (or
// hibernated), measures them, and kills them all.
func spawnPass(nd *node.Node, pids []term.Pid, hibernate bool) (map[string]float64, error) {
	n := len(pids)
	var parked atomic.Int64
	child := func(p *node.Proc) {
		parked.Add(1)
		p.Receive()
	}
	if hibernate {
		child = func(p *node.Proc) {
			parked.Add(1)
			p.Hibernate(func(p *node.Proc) { p.Receive() })
		}
	}
	goroutines := runtime.NumGoroutine()
	base := nd.ProcessCount()
	m0 := inUse()
	t0 := time.Now()
	for i := range pids {
		pid, err := nd.Spawn(child)
		if err != nil {
			return nil, err
		}
		pids[i] = pid
	}
	calls := time.Since(t0)
	if err := pollUntil("the processes to park", func() bool {
		return parked.Load() == int64(n) && nd.ProcessCount() == base+n &&
			(!hibernate || runtime.NumGoroutine() <= goroutines) // their goroutines gone
	}); err != nil {
		return nil, err
	}
	ready := time.Since(t0)
	m1 := inUse()
	k0 := time.Now()
	for _, pid := range pids {
		nd.Exit(pid, term.Kill)
	}
	if err := pollUntil("the processes to exit", func() bool { return nd.ProcessCount() == base }); err != nil {
		return nil, err
	}
	return map[string]float64{
		"us_per_spawn":       us(calls) / float64(n),
		"us_per_spawn_ready": us(ready) / float64(n),
		"bytes_per_proc":     (float64(m1) - float64(m0)) / float64(n),
		"kill_all_ms":        ms(time.Since(k0)),
	}, nil
}

// fanServer registers the receivers' spawner of remote_fanout.
func (p *peer) fanServer() error {
	nd := p.d.Node()
	pid, err := nd.Spawn(func(pr *node.Proc) {
		for {
			m, ok := pr.Receive().(term.Tuple) // {sinks, From, S, Per}
			if !ok || len(m) != 4 {
				continue
			}
			from, _ := m[1].(term.Pid)
			s, _ := m[2].(int)
			per, _ := m[3].(int)
			sinks := make([]any, s)
			for i := range sinks {
				sinks[i] = pr.Spawn(func(q *node.Proc) {
					ok := true
					for seq := 1; seq <= per; seq++ {
						t, _ := q.Receive().(term.Tuple)
						if len(t) != 2 || t[0] != seq {
							ok = false
						} else if b, _ := t[1].([]byte); len(b) != fanoutPayloadBytes {
							ok = false
						}
					}
					q.Send(from, term.Tuple{term.Atom("done"), ok})
				})
			}
			pr.Send(from, term.Tuple{term.Atom("sinks"), sinks})
		}
	})
	if err != nil {
		return err
	}
	return nd.Register("fan", pid)
}

// fanout is remote_fanout's sending side: s senders, per messages each.
func (p *peer) fanout(to term.Atom, s, per int) (map[string]float64, error) {
	me, done, err := p.attach()
	if err != nil {
		return nil, err
	}
	defer done()
	nd := p.d.Node()
	if err := me.Send(term.Name{Name: "fan", Node: to}, term.Tuple{term.Atom("sinks"), me.Self(), s, per}); err != nil {
		return nil, err
	}
	m, ok := me.ReceiveTimeout(time.Minute)
	reply, _ := m.(term.Tuple)
	if !ok || len(reply) != 2 {
		return nil, fmt.Errorf("fanout: no receivers: %v", m)
	}
	sinks, _ := reply[1].([]any)
	if len(sinks) != s {
		return nil, fmt.Errorf("fanout: %d receivers, want %d", len(sinks), s)
	}
	payload := make([]byte, fanoutPayloadBytes)
	for i := range payload {
		payload[i] = byte(i)
	}
	coord := me.Self()
	senders := make([]term.Pid, s)
	for i := range senders {
		sink := sinks[i].(term.Pid)
		senders[i], err = nd.Spawn(func(q *node.Proc) {
			q.Send(coord, atomReady)
			q.Receive() // go
			for seq := 1; seq <= per; seq++ {
				q.Send(sink, term.Tuple{seq, payload})
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for range s {
		if m, ok := me.ReceiveTimeout(time.Minute); !ok || m != atomReady {
			return nil, fmt.Errorf("fanout: senders not ready: %v", m)
		}
	}
	t0 := time.Now()
	for _, pid := range senders {
		me.Send(pid, atomGo)
	}
	for range s {
		m, ok := me.ReceiveTimeout(2 * time.Minute)
		t, _ := m.(term.Tuple)
		if !ok || len(t) != 2 || t[1] != true {
			return nil, fmt.Errorf("fanout: a receiver reports %v", m)
		}
	}
	elapsed := time.Since(t0)
	return map[string]float64{
		"msgs_per_s": float64(s*per) / elapsed.Seconds(),
		"elapsed_ms": ms(elapsed),
	}, nil
}

// watchDown answers ok once it watches node events, then ok {"at_us"}
// when node goes down.
func (p *peer) watchDown(nd term.Atom) (map[string]float64, error) {
	me, done, err := p.attach()
	if err != nil {
		return nil, err
	}
	defer done()
	me.MonitorNodes(true)
	if !p.isConnected(nd) {
		return nil, fmt.Errorf("watch_down: not connected to %s", nd)
	}
	p.ok(nil)
	for {
		m, ok := me.ReceiveTimeout(time.Minute)
		if !ok {
			return nil, fmt.Errorf("watch_down: no nodedown of %s within a minute", nd)
		}
		if d, isDown := m.(term.NodeDown); isDown && d.Node == nd {
			return map[string]float64{"at_us": float64(time.Now().UnixMicro())}, nil
		}
	}
}

func (p *peer) isConnected(nd term.Atom) bool {
	for _, n := range p.d.Nodes() {
		if n == nd {
			return true
		}
	}
	return false
}
