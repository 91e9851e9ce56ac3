package bench

import (
	"fmt"
	"syscall"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Workloads that measure how a cost grows with the work (issue 16), each
// run on gerl and, in the same run, on Erlang/OTP (erlang/gerl_scaling.erl,
// the same shape; see erlang.go):
//
//	call_backlog       a Call (gen_server:call) while the caller's mailbox
//	                   holds 10, 10,000 and 1,000,000 other messages: µs per
//	                   call, flat with Erlang's receive optimization
//	selective_newest   selective receive of the newest of 100,000 queued
//	                   messages: µs per receive (every message is looked at)
//	million            1,000,000 idle processes in a fresh OS process (a
//	                   peer): µs per spawn, bytes per process, ms to kill
//	                   them all; a first (cold) and a second (warm) pass
//	remote_fanout      1, 10, 100 and 1,000 senders on one node, each to its
//	                   own receiver on another (separate OS processes),
//	                   200,000 {Seq, <<64 bytes>>} in all: messages/s
//	mesh_scale         8, 16 and 32 nodes (separate OS processes) that each
//	                   connect to the first at one instant: ms until every
//	                   node sees all the others; then one node halts at once
//	                   and the ms until every other node has its nodedown
const (
	CallBacklogCalls   = 20_000
	CallBacklogReps    = 5
	SelectiveBacklog   = 100_000
	SelectiveReps      = 200
	MillionProcs       = 1_000_000
	FanoutMessages     = 200_000
	FanoutReps         = 3
	MeshScaleReps      = 3
	fanoutPayloadBytes = 64
)

// Sizes of the scaling workloads.
var (
	CallBacklogSizes = []int{10, 10_000, 1_000_000}
	FanoutSenders    = []int{1, 10, 100, 1000}
	MeshScaleSizes   = []int{8, 16, 32}
)

// CallBacklog times calls to a server that answers at once while the
// caller's mailbox holds backlog other messages ({noise, I}): reps
// repetitions of calls calls, after one warm-up repetition.
func CallBacklog(backlog, calls, reps int) Result {
	res := Result{Name: "call_backlog", Params: map[string]any{"backlog": backlog, "calls": calls, "reps": reps}}
	nd := node.New(node.Config{})
	defer nd.StopTimeout(10 * time.Second)
	srv, err := nd.Spawn(func(p *node.Proc) {
		for {
			if c, ok := p.Receive().(term.Request); ok {
				p.Reply(c, c.Body)
			}
		}
	})
	if err != nil {
		return failed(res, err)
	}
	me, err := nd.Attach("bench")
	if err != nil {
		return failed(res, err)
	}
	noise := term.Atom("noise")
	for i := range backlog {
		if err := me.Send(me.Self(), term.Tuple{noise, i}); err != nil {
			return failed(res, err)
		}
	}
	for rep := 0; rep <= reps; rep++ {
		f0 := minorFaults()
		t0 := time.Now()
		for i := range calls {
			v, err := me.Call(srv, i, node.Forever)
			if err != nil {
				return failed(res, err)
			}
			if v != i {
				return failed(res, fmt.Errorf("call %d answered %v", i, v))
			}
		}
		elapsed := time.Since(t0)
		if rep > 0 {
			res.Samples = append(res.Samples, map[string]float64{
				"us_per_call":          us(elapsed) / float64(calls),
				"page_faults_per_call": float64(minorFaults()-f0) / float64(calls),
			})
		}
	}
	if n := me.MailboxLen(); n != backlog {
		return failed(res, fmt.Errorf("the backlog is %d messages after the calls, want %d", n, backlog))
	}
	res.Figures = medians(res.Samples)
	return res
}

// SelectiveNewest fills a process's mailbox with backlog messages
// {seq, I} and times reps selective receives of the newest one (each
// followed, outside the clock, by a send of a new newest message).
func SelectiveNewest(backlog, reps int) Result {
	res := Result{Name: "selective_newest", Params: map[string]any{"backlog": backlog, "reps": reps}}
	nd := node.New(node.Config{})
	defer nd.StopTimeout(10 * time.Second)
	me, err := nd.Attach("bench")
	if err != nil {
		return failed(res, err)
	}
	self := me.Self()
	for i := 1; i <= backlog; i++ {
		if err := me.Send(self, term.Tuple{atomSeq, i}); err != nil {
			return failed(res, err)
		}
	}
	newest := backlog
	var total time.Duration
	var per []time.Duration
	for rep := 0; rep <= reps; rep++ { // rep 0 is the warm-up
		want := newest
		t0 := time.Now()
		m, ok := me.ReceiveMatch(func(m any) bool {
			t, ok := m.(term.Tuple)
			return ok && len(t) == 2 && t[0] == atomSeq && t[1] == want
		}, time.Minute)
		d := time.Since(t0)
		if !ok {
			return failed(res, fmt.Errorf("selective_newest: no {seq, %d}", want))
		}
		if t := m.(term.Tuple); t[1] != want {
			return failed(res, fmt.Errorf("selective_newest: took %v for %d", m, want))
		}
		if rep > 0 {
			total += d
			per = append(per, d)
		}
		newest++
		if err := me.Send(self, term.Tuple{atomSeq, newest}); err != nil {
			return failed(res, err)
		}
	}
	if n := me.MailboxLen(); n != backlog {
		return failed(res, fmt.Errorf("selective_newest: %d messages left, want %d", n, backlog))
	}
	res.Figures = map[string]float64{
		"us_per_receive":     us(total) / float64(reps),
		"median_us":          us(medianDuration(per)),
		"ns_per_message_run": float64(total) / float64(reps) / float64(backlog),
	}
	return res
}

// minorFaults returns how many page faults this process has taken that
// the kernel served without I/O: mostly first touches of memory the heap
// grows into. call_backlog reports them per call, since they set its
// figure whenever the heap grows: a fault costs about 12 µs on the
// project's VM, and a repetition whose calls land on fresh pages takes
// twice as long as one whose calls do not (docs/performance.md).
func minorFaults() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Minflt
}

func medianDuration(ds []time.Duration) time.Duration {
	vs := make([]float64, len(ds))
	for i, d := range ds {
		vs[i] = float64(d)
	}
	return time.Duration(median(vs))
}

// Million spawns n idle processes in a fresh peer (an OS process of its
// own), twice: the first pass is what a program's first n processes cost
// (cold), the second what n more cost once the runtime has the memory of
// the first (warm).
func Million(pc PeerCmd, n int) Result { return million(pc, "million", n) }

// MillionHibernated is Million with processes that hibernate (Proc.Hibernate,
// erlang:hibernate/3) instead of waiting in Receive: they hold no goroutine.
func MillionHibernated(pc PeerCmd, n int) Result { return million(pc, "million_hibernated", n) }

func million(pc PeerCmd, name string, n int) Result {
	res := Result{Name: name, Params: map[string]any{"n": n}}
	c, err := newCluster(pc)
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	p, err := c.start("s", "")
	if err != nil {
		return failed(res, err)
	}
	var r map[string]float64
	if err := p.call(10*time.Minute, &r, "%s %d", name, n); err != nil {
		return failed(res, err)
	}
	res.Figures = r
	return res
}

// RemoteFanout runs senders processes on node A, each sending
// total/senders messages {Seq, <<64 bytes>>} to its own receiver on node B
// (separate OS processes); the clock runs from the start signal to the
// last receiver's report. One warm-up repetition, then reps.
func RemoteFanout(pc PeerCmd, senders, total, reps int) Result {
	res := Result{Name: "remote_fanout", Params: map[string]any{"senders": senders, "n": total, "reps": reps}}
	if senders <= 0 || total%senders != 0 {
		return failed(res, fmt.Errorf("remote_fanout: %d messages do not split evenly over %d senders", total, senders))
	}
	c, a, b, err := connectedPair(pc, PinNone, "fan_server")
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	for rep := 0; rep <= reps; rep++ {
		var s map[string]float64
		if err := a.call(5*time.Minute, &s, "fanout %s %d %d", b.name, senders, total/senders); err != nil {
			return failed(res, err)
		}
		if rep > 0 {
			res.Samples = append(res.Samples, s)
		}
	}
	res.Figures = medians(res.Samples)
	return res
}

// MeshScale forms a mesh of k fresh nodes, as mesh_form does, then halts
// the last node at once (no goodbye: os.Exit) and measures the time until
// each of the others has its nodedown.
func MeshScale(pc PeerCmd, k, reps int, quiet time.Duration) Result {
	res := Result{Name: "mesh_scale", Params: map[string]any{"k": k, "reps": reps}}
	return repeated(res, reps, func() (map[string]float64, error) { return meshOnce(pc, k, quiet, true) })
}

// haltAndWatch halts the last of a mesh's peers at once and adds to s the
// ms until every other peer has its nodedown.
func haltAndWatch(peers []*peerProc, s map[string]float64) (map[string]float64, error) {
	k := len(peers)
	victim, watchers := peers[k-1], peers[:k-1]
	for _, p := range watchers {
		if err := p.call(30*time.Second, nil, "watch_down %s", victim.name); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	if err := victim.send("halt"); err != nil {
		return nil, err
	}
	last := 0.0
	for _, p := range watchers {
		var r map[string]float64
		if err := p.answer(time.Minute, &r); err != nil {
			return nil, err
		}
		last = max(last, r["at_us"])
	}
	s["nodedown_ms"] = (last - float64(t0.UnixMicro())) / 1000
	return s, nil
}

// scalingWorkloads returns the scaling workloads, each on gerl and on
// Erlang.
func scalingWorkloads() []Workload {
	return []Workload{
		{"call_backlog", "a Call while the caller's mailbox holds 10, 10k and 1M messages, gerl and Erlang",
			func(c Config) []Result {
				sizes, calls, reps := CallBacklogSizes, pick(c.Quick, CallBacklogCalls, 200), pick(c.Quick, CallBacklogReps, 1)
				if c.Quick {
					sizes = []int{10, 1000}
				}
				var out []Result
				for _, b := range sizes {
					out = append(out, CallBacklog(b, calls, reps))
					out = append(out, Erlang("call_backlog", map[string]int{"backlog": b, "calls": calls, "reps": reps})...)
				}
				return out
			}},
		{"selective_newest", "selective receive of the newest of 100k queued messages, gerl and Erlang",
			func(c Config) []Result {
				backlog, reps := pick(c.Quick, SelectiveBacklog, 1000), pick(c.Quick, SelectiveReps, 5)
				return append([]Result{SelectiveNewest(backlog, reps)},
					Erlang("selective_newest", map[string]int{"backlog": backlog, "reps": reps})...)
			}},
		{"million", "1M idle processes in a fresh OS process: spawn, memory, kill all (cold and warm), gerl and Erlang",
			func(c Config) []Result {
				n := pick(c.Quick, MillionProcs, 2000)
				return append([]Result{Million(c.Peer, n)}, Erlang("million", map[string]int{"n": n})...)
			}},
		{"million_hibernated", "million with processes that hibernate (no goroutine while they wait), gerl and Erlang",
			func(c Config) []Result {
				n := pick(c.Quick, MillionProcs, 2000)
				return append([]Result{MillionHibernated(c.Peer, n)}, Erlang("million_hibernated", map[string]int{"n": n})...)
			}},
		{"remote_fanout", "1, 10, 100, 1000 senders on one node to as many receivers on another, gerl and Erlang",
			func(c Config) []Result {
				senders, total, reps := FanoutSenders, pick(c.Quick, FanoutMessages, 2000), pick(c.Quick, FanoutReps, 1)
				if c.Quick {
					senders = []int{1, 10}
				}
				var out []Result
				for _, s := range senders {
					out = append(out, RemoteFanout(c.Peer, s, total, reps))
					out = append(out, Erlang("remote_fanout", map[string]int{"senders": s, "n": total, "reps": reps})...)
				}
				return out
			}},
		{"mesh_scale", "8, 16, 32 nodes form a mesh; one halts: every nodedown seen, gerl and Erlang",
			func(c Config) []Result {
				sizes, reps := MeshScaleSizes, pick(c.Quick, MeshScaleReps, 1)
				quiet := 1500 * time.Millisecond // as mesh_form
				if c.Quick {
					sizes, quiet = []int{4}, 200*time.Millisecond
				}
				var out []Result
				for _, k := range sizes {
					out = append(out, MeshScale(c.Peer, k, reps, quiet))
					out = append(out, Erlang("mesh_scale", map[string]int{"k": k, "reps": reps, "quiet_ms": int(quiet.Milliseconds())})...)
				}
				return out
			}},
	}
}
