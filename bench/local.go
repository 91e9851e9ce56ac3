package bench

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Workload 1-3 parameters, as in Erlang's harness.
const (
	PingPongN    = 200_000
	PingPongReps = 7
	FanInSenders = 4
	FanInN       = 1_000_000
	InterpFanInN = 200_000 // interp_fanin: workload 2 interpreted, smaller
	FanInReps    = 7
	SpawnN       = 100_000
	SpawnReps    = 5
)

// Atoms are constants: boxing a constant in an interface costs nothing,
// boxing a variable string allocates (see docs/terms.md).
const (
	atomPing  = term.Atom("ping")
	atomPong  = term.Atom("pong")
	atomSeq   = term.Atom("seq")
	atomGo    = term.Atom("go")
	atomStop  = term.Atom("stop")
	atomReady = term.Atom("ready")
)

// LocalPingPong is workload 1: two processes exchange n round trips of
// {ping, From, I} and {pong, I}; reps timed repetitions after one warm-up.
func LocalPingPong(n, reps int) Result {
	res := Result{Name: "local_pingpong", Params: map[string]any{"n": n, "reps": reps}}
	nd := node.New(node.Config{})
	defer nd.StopTimeout(10 * time.Second)
	for rep := 0; rep <= reps; rep++ {
		elapsed, err := pingPongOnce(nd, n)
		if err != nil {
			return failed(res, err)
		}
		if rep == 0 {
			continue // warm-up
		}
		res.Samples = append(res.Samples, map[string]float64{
			"roundtrips_per_s": float64(n) / elapsed.Seconds(),
			"mean_rtt_us":      us(elapsed) / float64(n),
		})
	}
	res.Figures = medians(res.Samples)
	return res
}

func pingPongOnce(nd *node.Node, n int) (time.Duration, error) {
	ponger, _ := nd.Spawn(func(p *node.Proc) {
		for {
			m := p.Receive()
			t, ok := m.(term.Tuple)
			if !ok {
				return // stop
			}
			p.Send(t[1], term.Tuple{atomPong, t[2]})
		}
	})
	result := make(chan time.Duration, 1)
	nd.Spawn(func(p *node.Proc) {
		self := p.Self()
		t0 := time.Now()
		for i := 1; i <= n; i++ {
			p.Send(ponger, term.Tuple{atomPing, self, i})
			if r := p.Receive().(term.Tuple); r[1] != i {
				panic(fmt.Sprintf("pong %v for ping %d", r[1], i))
			}
		}
		result <- time.Since(t0)
		p.Send(ponger, atomStop)
	})
	select {
	case d := <-result:
		return d, nil
	case <-time.After(2 * time.Minute):
		return 0, fmt.Errorf("local_pingpong: no result within 2 minutes")
	}
}

// LocalFanIn is workload 2: senders processes send n/senders messages
// {seq, I} each, as fast as they can, to one receiver that counts n.
func LocalFanIn(senders, n, reps int) Result {
	res := Result{Name: "local_fanin", Params: map[string]any{"senders": senders, "n": n, "reps": reps}}
	if senders <= 0 || n%senders != 0 {
		return failed(res, fmt.Errorf("local_fanin: %d messages do not split evenly over %d senders", n, senders))
	}
	nd := node.New(node.Config{})
	defer nd.StopTimeout(10 * time.Second)
	if observing() {
		stop, err := observe(nd, nil)
		if err != nil {
			return failed(res, err)
		}
		defer stop()
		res.Params["observed"] = true
	}
	me, err := nd.Attach("bench")
	if err != nil {
		return failed(res, err)
	}
	for rep := 0; rep <= reps; rep++ {
		elapsed, err := fanInOnce(nd, me, senders, n)
		if err != nil {
			return failed(res, err)
		}
		if rep == 0 {
			continue
		}
		res.Samples = append(res.Samples, map[string]float64{"msgs_per_s": float64(n) / elapsed.Seconds()})
	}
	res.Figures = medians(res.Samples)
	return res
}

func fanInOnce(nd *node.Node, me *node.Proc, senders, n int) (time.Duration, error) {
	coord := me.Self()
	per := n / senders              // n is a multiple of senders (LocalFanIn checks)
	done := make(chan time.Time, 1) // the receiver's end, on the monotonic clock
	receiver, _ := nd.Spawn(func(p *node.Proc) {
		for i := 0; i < per*senders; i++ {
			p.Receive()
		}
		done <- time.Now()
	})
	pids := make([]term.Pid, senders)
	for s := range pids {
		pids[s], _ = nd.Spawn(func(p *node.Proc) {
			p.Send(coord, term.Tuple{term.Atom("ready"), p.Self()})
			p.Receive() // go
			for i := 1; i <= per; i++ {
				p.Send(receiver, term.Tuple{atomSeq, i})
			}
		})
	}
	for range pids {
		if _, ok := me.ReceiveTimeout(time.Minute); !ok {
			return 0, fmt.Errorf("local_fanin: senders not ready")
		}
	}
	t0 := time.Now()
	for _, pid := range pids {
		me.Send(pid, atomGo)
	}
	select {
	case t1 := <-done:
		return t1.Sub(t0), nil
	case <-time.After(2 * time.Minute):
		return 0, fmt.Errorf("local_fanin: receiver did not finish")
	}
}

// Spawn is workload 3: spawn n processes that block in receive; report
// the time per spawn call, the memory per parked process (the Go runtime's
// heap and stack bytes in use, after GC, minus the spawner's pid list), and
// the time to kill them all.
func Spawn(n, reps int) Result {
	res := Result{Name: "spawn", Params: map[string]any{"n": n, "reps": reps}}
	for rep := 0; rep <= reps; rep++ {
		s, err := spawnOnce(n)
		if err != nil {
			return failed(res, err)
		}
		if rep > 0 {
			res.Samples = append(res.Samples, s)
		}
	}
	res.Figures = medians(res.Samples)
	return res
}

func inUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc + ms.StackInuse
}

func spawnOnce(n int) (map[string]float64, error) {
	nd := node.New(node.Config{})
	defer nd.StopTimeout(10 * time.Second)
	me, err := nd.Attach("bench")
	if err != nil {
		return nil, err
	}
	var parked atomic.Int64
	child := func(p *node.Proc) {
		parked.Add(1)
		p.Receive()
	}
	pids := make([]term.Pid, 0, n)
	m0 := inUse()
	t0 := time.Now()
	for i := 0; i < n; i++ {
		pid, err := nd.Spawn(child)
		if err != nil {
			return nil, err
		}
		pids = append(pids, pid)
	}
	spawnTime := time.Since(t0)
	if err := pollUntil("the children to start", func() bool {
		return parked.Load() == int64(n) && nd.ProcessCount() == n+1
	}); err != nil {
		return nil, err
	}
	// pids was allocated before m0: the difference is the processes'.
	bytes := float64(inUse()-m0) / float64(n)

	k0 := time.Now()
	for _, pid := range pids {
		me.Exit(pid, term.Kill)
	}
	killCalls := time.Since(k0)
	if err := pollUntil("the children to exit", func() bool { return nd.ProcessCount() == 1 }); err != nil {
		return nil, err
	}
	killAll := time.Since(k0)
	runtime.KeepAlive(pids)
	return map[string]float64{
		"us_per_spawn":     us(spawnTime) / float64(n),
		"bytes_per_proc":   bytes,
		"kill_us_per_proc": us(killCalls) / float64(n),
		"kill_all_ms":      float64(killAll) / float64(time.Millisecond),
	}, nil
}

// pollUntil checks cond every 100 µs until it holds, for at most a minute:
// the state it waits for (processes started or gone) announces itself to
// no one.
func pollUntil(what string, cond func() bool) error {
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within a minute", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
	return nil
}

func failed(r Result, err error) Result {
	r.Error = err.Error()
	return r
}
