package bench

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/gerl-dev/gerl/internal/stats"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/global"
	"github.com/gerl-dev/gerl/node/pg"
	"github.com/gerl-dev/gerl/node/term"
)

// The peer's commands for the global and pg workloads (groups.go):
//
//	services                  start global's name server and pg's default scope
//	sync                      global.Sync and pg's Sync: ok
//	global_register N         register N new processes as bench_g1..N, each timed:
//	                          ok {"median_us","p99_us","mean_us"}
//	global_lookup N ROUNDS    ROUNDS x WhereisName of bench_g1..N: ok {"ns","found"}
//	global_unregister N       unregister bench_g1..N: ok {"mean_us"}
//	pg_watch GROUP            subscribe to GROUP's joins: ok
//	pg_wait                   wait for the join: ok {"at_ns"} (Unix time)
//	pg_join GROUP             a new process joins GROUP: ok {"t0_ns"} (just before)
//	pg_subscribe GROUP K      K subscribers join GROUP; each reports what it
//	                          receives to a collector: ok
//	pg_count GROUP            after a sync, the members: ok {"members"}
//	pg_expect SEQ             wait until every local subscriber got SEQ: ok {"at_ns"}
//	pg_publish GROUP SEQ      send {seq, SEQ} to every member, then wait for the
//	                          local subscribers: ok {"t0_ns","local_at_ns","sent"}

// groupsPeer is the peer's state for those commands.
type groupsPeer struct {
	g       *global.Service
	s       *pg.Scope
	watcher *node.Proc
	// subscribers: how many on this node, and the collector's reports.
	subs int
	got  chan int
}

func (p *peer) groupsCommand(f []string) (handled bool, err error) {
	arg := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	num := func(i int) int { n, _ := strconv.Atoi(arg(i)); return n }
	gp := p.groups
	need := func() error {
		if gp == nil {
			return fmt.Errorf("%s: run services first", f[0])
		}
		return nil
	}
	n := p.d.Node()
	switch f[0] {
	case "services":
		g, err := global.Start(n, global.Options{Nodes: p.d.Nodes})
		if err != nil {
			return true, err
		}
		s, err := pg.Start(n, pg.DefaultScope, pg.Options{Nodes: p.d.Nodes})
		if err != nil {
			return true, err
		}
		p.groups = &groupsPeer{g: g, s: s, got: make(chan int, 1<<16)}
		p.ok(nil)
	case "sync":
		if err := need(); err != nil {
			return true, err
		}
		if err := gp.g.Sync(); err != nil {
			return true, err
		}
		if err := gp.s.Sync(); err != nil {
			return true, err
		}
		p.ok(nil)
	case "global_register":
		if err := need(); err != nil {
			return true, err
		}
		times := make([]time.Duration, 0, num(1))
		for i := 1; i <= num(1); i++ {
			pid, err := n.Spawn(func(pr *node.Proc) { pr.Receive() })
			if err != nil {
				return true, err
			}
			name := benchName(i)
			t0 := time.Now()
			if err := gp.g.RegisterName(name, pid, nil); err != nil {
				return true, err
			}
			times = append(times, time.Since(t0))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		var total time.Duration
		for _, d := range times {
			total += d
		}
		p.ok(map[string]float64{"median_us": us(stats.Percentile(times, 50)), "p99_us": us(stats.Percentile(times, 99)),
			"mean_us": us(total) / float64(max(len(times), 1))})
	case "global_lookup":
		if err := need(); err != nil {
			return true, err
		}
		names := make([]term.Atom, num(1)) // made before the clock starts, as Erlang's
		for i := range names {
			names[i] = benchName(i + 1)
		}
		found := 0
		t0 := time.Now()
		for r := 0; r < num(2); r++ {
			for _, name := range names {
				if _, ok := gp.g.WhereisName(name); ok {
					found++
				}
			}
		}
		p.ok(map[string]float64{"ns": float64(time.Since(t0).Nanoseconds()) / float64(num(1)*num(2)), "found": float64(found)})
	case "global_unregister":
		if err := need(); err != nil {
			return true, err
		}
		t0 := time.Now()
		for i := 1; i <= num(1); i++ {
			if err := gp.g.UnregisterName(benchName(i)); err != nil { // a string and an atom: nothing next to a registration
				return true, err
			}
		}
		p.ok(map[string]float64{"mean_us": us(time.Since(t0)) / float64(num(1))})
	case "pg_watch":
		if err := need(); err != nil {
			return true, err
		}
		if gp.watcher == nil {
			if gp.watcher, err = n.Attach("bench watcher"); err != nil {
				return true, err
			}
		}
		if _, _, err := gp.s.Monitor(gp.watcher.Self(), arg(1)); err != nil {
			return true, err
		}
		p.ok(nil)
	case "pg_wait":
		if err := need(); err != nil {
			return true, err
		}
		if gp.watcher == nil {
			return true, fmt.Errorf("pg_wait: no pg_watch")
		}
		m, ok := gp.watcher.ReceiveMatch(func(m any) bool {
			t, ok := m.(term.Tuple)
			return ok && len(t) == 4 && t[1] == term.Atom("join")
		}, time.Minute)
		if !ok {
			return true, fmt.Errorf("pg_wait: no join within a minute")
		}
		at := time.Now().UnixNano()
		gp.s.Demonitor(m.(term.Tuple)[0].(term.Ref))
		p.ok(map[string]float64{"at_ns": float64(at)})
	case "pg_join":
		if err := need(); err != nil {
			return true, err
		}
		pid, err := n.Spawn(func(pr *node.Proc) { pr.Receive() })
		if err != nil {
			return true, err
		}
		t0 := time.Now().UnixNano()
		if err := gp.s.Join(arg(1), pid); err != nil {
			return true, err
		}
		p.ok(map[string]float64{"t0_ns": float64(t0)})
	case "pg_subscribe":
		if err := need(); err != nil {
			return true, err
		}
		got := gp.got
		collector, err := n.Spawn(func(pr *node.Proc) {
			for {
				got <- pr.Receive().(int)
			}
		})
		if err != nil {
			return true, err
		}
		pids := make([]term.Pid, 0, num(2))
		for i := 0; i < num(2); i++ {
			pid, err := n.Spawn(func(pr *node.Proc) {
				for {
					if t, ok := pr.Receive().(term.Tuple); ok && len(t) == 2 {
						pr.Send(collector, t[1])
					}
				}
			})
			if err != nil {
				return true, err
			}
			pids = append(pids, pid)
		}
		if err := gp.s.Join(arg(1), pids...); err != nil {
			return true, err
		}
		gp.subs += num(2)
		p.ok(nil)
	case "pg_count":
		if err := need(); err != nil {
			return true, err
		}
		if err := gp.s.Sync(); err != nil {
			return true, err
		}
		p.ok(map[string]float64{"members": float64(len(gp.s.Members(arg(1))))})
	case "pg_expect":
		if err := need(); err != nil {
			return true, err
		}
		at, err := gp.expect(num(1))
		if err != nil {
			return true, err
		}
		p.ok(map[string]float64{"at_ns": float64(at)})
	case "pg_publish":
		if err := need(); err != nil {
			return true, err
		}
		t0 := time.Now().UnixNano()
		sent, err := gp.s.SendAll(nil, arg(1), term.T(term.Atom("seq"), num(2)))
		if err != nil {
			return true, err
		}
		at, err := gp.expect(num(2))
		if err != nil {
			return true, err
		}
		p.ok(map[string]float64{"t0_ns": float64(t0), "local_at_ns": float64(at), "sent": float64(sent)})
	default:
		return false, nil
	}
	return true, nil
}

// expect waits until every local subscriber has reported seq, and
// returns when (Unix ns).
func (gp *groupsPeer) expect(seq int) (int64, error) {
	timeout := time.After(time.Minute)
	for n := 0; n < gp.subs; {
		select {
		case s := <-gp.got:
			if s == seq {
				n++
			}
		case <-timeout:
			return 0, fmt.Errorf("pg_expect %d: %d of %d subscribers reported within a minute", seq, n, gp.subs)
		}
	}
	return time.Now().UnixNano(), nil
}

func benchName(i int) term.Atom { return term.Atom("bench_g" + strconv.Itoa(i)) }
