package bench

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/internal/stats"
	"github.com/gerl-dev/gerl/node"
)

// newShell starts a node and a shell session on it, as the gerl command
// does, with output discarded.
func newShell() (*eval.Session, *node.Node, error) {
	env := eval.NewEnv()
	n := node.New(node.Config{OnGoroutine: env.OnGoroutine})
	env.Attach(n)
	s, err := eval.NewSession(eval.SessionConfig{Env: env, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		n.StopTimeout(5 * time.Second)
		return nil, nil, err
	}
	return s, n, nil
}

// InterpPingPong is workload 1 written as interpreted Go closures spawned
// from the shell: what a REPL user gets.
func InterpPingPong(n, reps int) Result {
	res := Result{Name: "interp_pingpong", Params: map[string]any{"n": n, "reps": reps}}
	s, nd, err := newShell()
	if err != nil {
		return failed(res, err)
	}
	defer nd.StopTimeout(10 * time.Second)
	defer s.Close()
	// roundTrips is compiled before ponger runs: compiling code that uses
	// *Proc while a process already runs interpreted *Proc methods is one
	// of the races inside yaegi (internal/testkit/yaegirace.go).
	setup := `
var ponger Pid
func roundTrips(n int) int64 {
	done := make(chan int64, 1)
	spawn(func(p *Proc) {
		self := p.Self()
		t0 := time.Now()
		for i := 1; i <= n; i++ {
			p.Send(ponger, T(A("ping"), self, i))
			p.Receive()
		}
		done <- int64(time.Since(t0))
	})
	d := <-done // yaegi v0.16.1 fails on "return <-done"
	return d
}
ponger = spawn(func(p *Proc) {
	for {
		t, ok := p.Receive().(Tuple)
		if !ok {
			return
		}
		p.Send(t[1], T(A("pong"), t[2]))
	}
})
`
	if _, err := s.Eval(setup); err != nil {
		return failed(res, fmt.Errorf("interp_pingpong setup: %w", err))
	}
	for rep := 0; rep <= reps; rep++ {
		o, err := s.Eval(fmt.Sprintf("roundTrips(%d)", n))
		if err != nil || !o.HasValue {
			return failed(res, fmt.Errorf("interp_pingpong: %v", err))
		}
		if rep == 0 {
			continue
		}
		elapsed := time.Duration(o.Values[0].(int64))
		res.Samples = append(res.Samples, map[string]float64{
			"roundtrips_per_s": float64(n) / elapsed.Seconds(),
			"mean_rtt_us":      us(elapsed) / float64(n),
		})
	}
	res.Figures = medians(res.Samples)
	return res
}

// InterpFanIn is workload 2 (local_fanin) written as interpreted closures
// spawned from the shell: senders processes each send n/senders {seq, I}
// to one receiver; the clock runs inside the interpreted code, from the go
// message to the receiver's last message.
func InterpFanIn(senders, n, reps int) Result {
	res := Result{Name: "interp_fanin", Params: map[string]any{"senders": senders, "n": n, "reps": reps}}
	if senders <= 0 || n%senders != 0 {
		return failed(res, fmt.Errorf("interp_fanin: %d messages do not split evenly over %d senders", n, senders))
	}
	s, nd, err := newShell()
	if err != nil {
		return failed(res, err)
	}
	defer nd.StopTimeout(10 * time.Second)
	defer s.Close()
	setup := `
func fanIn(senders, per int) int64 {
	done := make(chan int64, 1)
	ready := make(chan bool, senders)
	start := make(chan time.Time, 1)
	rcv := spawn(func(p *Proc) {
		t0 := <-start
		for i := 0; i < senders*per; i++ {
			p.Receive()
		}
		done <- int64(time.Since(t0))
	})
	var pids []Pid
	for s := 0; s < senders; s++ {
		pids = append(pids, spawn(func(p *Proc) {
			ready <- true
			p.Receive() // go
			for i := 1; i <= per; i++ {
				p.Send(rcv, T(A("seq"), i))
			}
		}))
	}
	for s := 0; s < senders; s++ {
		<-ready
	}
	start <- time.Now()
	for _, pid := range pids {
		send(pid, A("go"))
	}
	d := <-done
	return d
}
`
	if _, err := s.Eval(setup); err != nil {
		return failed(res, fmt.Errorf("interp_fanin setup: %w", err))
	}
	for rep := 0; rep <= reps; rep++ {
		o, err := s.Eval(fmt.Sprintf("fanIn(%d, %d)", senders, n/senders))
		if err != nil || !o.HasValue {
			return failed(res, fmt.Errorf("interp_fanin: %v", err))
		}
		if rep == 0 {
			continue
		}
		elapsed := time.Duration(o.Values[0].(int64))
		res.Samples = append(res.Samples, map[string]float64{"msgs_per_s": float64(n) / elapsed.Seconds()})
	}
	res.Figures = medians(res.Samples)
	return res
}

// EvalLatency times shell inputs from the moment the line reaches the
// session to the printed result: a trivial expression, and a snippet that
// spawns a process, sends to it and receives its answer.
func EvalLatency(n int) Result {
	res := Result{Name: "eval_latency", Params: map[string]any{"n": n}}
	s, nd, err := newShell()
	if err != nil {
		return failed(res, err)
	}
	defer nd.StopTimeout(10 * time.Second)
	defer s.Close()
	inputs := map[string]string{
		"trivial": "1 + 2",
		"spawn":   `me := self(); spawn(func() { me ! 42 }); receive()`,
	}
	res.Figures = map[string]float64{}
	for name, src := range inputs {
		var ds []time.Duration
		for i := 0; i < n+n/10; i++ {
			t0 := time.Now()
			o, err := s.Eval(src)
			if err != nil {
				return failed(res, fmt.Errorf("eval_latency %s: %w", name, err))
			}
			_ = eval.FormatValue(o.Values)
			if i >= n/10 { // the first tenth warms up
				ds = append(ds, time.Since(t0))
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		res.Figures[name+"_p50_us"] = us(stats.Percentile(ds, 50))
		res.Figures[name+"_p99_us"] = us(stats.Percentile(ds, 99))
	}
	return res
}
