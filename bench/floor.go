package bench

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// Go's floors under gerl's figures (issue 16: "where Go itself sets the
// floor, show the floor measured"): the same measurements with no gerl in
// them, run in the same gerl bench run so that the distance from gerl to
// the floor is measured side by side.
//
//	go_floor    two goroutines handing an int back and forth through
//	            channels (under local_pingpong: chan_rtt_us), and the
//	            same with local_pingpong's own messages, {ping, From, I}
//	            and {pong, I}, built as gerl's workload builds them but
//	            neither copied nor queued (chan_tuple_rtt_us); a bare
//	            goroutine parked on a channel receive (under spawn:
//	            goroutine_bytes, us_per_goroutine) in a fresh OS process,
//	            cold and warm, as million and the peers' spawn_idle
//	tcp_floor   a 16-byte ping-pong over a loopback TCP connection between
//	            two OS processes (gerl bench peers) with no gerl node in
//	            them, one round trip at a time (under remote_pingpong,
//	            with its CPU placements): rtt_p50_us, rtt_p99_us, with
//	            one goroutine per side reading and writing; and the same
//	            with a hand-off on each side (handoff_rtt_p50_us, ...): a
//	            reader goroutine passes each frame through a channel to
//	            the goroutine that answers it, as a runtime that gives
//	            each process a goroutine of its own must
const (
	FloorPingPongN   = 200_000
	FloorGoroutines  = 1_000_000
	TCPFloorN        = 20_000
	TCPFloorWarmup   = 2_000
	tcpFloorFrameLen = 16
)

// chanPingPong times n round trips of an int between two goroutines
// through unbuffered channels, after a warm-up of n/10.
func chanPingPong(n int) (time.Duration, error) {
	ping, pong := make(chan int), make(chan int)
	defer close(ping)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	for i := range n / 10 {
		ping <- i
		<-pong
	}
	t0 := time.Now()
	for i := range n {
		ping <- i
		if <-pong != i {
			return 0, fmt.Errorf("go_floor: the echo of %d is wrong", i)
		}
	}
	return time.Since(t0), nil
}

// chanTuplePingPong is chanPingPong with local_pingpong's messages: each
// round trip allocates what the workload's own code does ({ping, From, I}
// and {pong, I} as terms in interfaces), and nothing else. The distance
// from it to local_pingpong is what gerl's processes add: the copy of each
// message, the mailbox, the receive.
func chanTuplePingPong(n int) (time.Duration, error) {
	ping, pong := make(chan any), make(chan any)
	defer close(ping)
	from := floorPid()
	go func() {
		for m := range ping {
			t := m.(term.Tuple)
			pong <- term.Tuple{atomPong, t[2]}
		}
	}()
	round := func(i int) error {
		ping <- term.Tuple{atomPing, from, i}
		if r := (<-pong).(term.Tuple); r[1] != i {
			return fmt.Errorf("go_floor: pong %v for ping %d", r[1], i)
		}
		return nil
	}
	for i := 1; i <= n/10; i++ {
		if err := round(i); err != nil {
			return 0, err
		}
	}
	t0 := time.Now()
	for i := 1; i <= n; i++ {
		if err := round(i); err != nil {
			return 0, err
		}
	}
	return time.Since(t0), nil
}

// floorPid is the pid the tuple floor sends in its pings. It is made at
// run time, as a process's Self is: the compiler boxes a value it knows
// (a constant composite) for free, and the floor would skip an
// allocation the workload pays.
//
//go:noinline
func floorPid() term.Pid { return term.Pid{Node: "floor@localhost", ID: 1} }

// GoFloor measures Go's own round trip through channels, and the cost of
// a parked goroutine in a fresh OS process (a peer): cold (the first
// goroutines of a program) and warm (a second pass), as million measures
// gerl's processes.
func GoFloor(pc PeerCmd, n, goroutines int) Result {
	res := Result{Name: "go_floor", Params: map[string]any{"n": n, "goroutines": goroutines}}
	rtt, err := chanPingPong(n)
	if err != nil {
		return failed(res, err)
	}
	tupleRTT, err := chanTuplePingPong(n)
	if err != nil {
		return failed(res, err)
	}
	c, err := newCluster(pc)
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	p, err := c.start("f", "")
	if err != nil {
		return failed(res, err)
	}
	fig := map[string]float64{}
	if err := p.call(5*time.Minute, &fig, "goroutines %d", goroutines); err != nil {
		return failed(res, err)
	}
	fig["chan_rtt_us"] = us(rtt) / float64(n)
	fig["chan_tuple_rtt_us"] = us(tupleRTT) / float64(n)
	res.Figures = fig
	return res
}

// goroutinesTwice is go_floor's peer side: parkedGoroutines twice, the
// second pass's figures as warm_*.
func goroutinesTwice(n int) (map[string]float64, error) {
	if n <= 0 {
		return nil, fmt.Errorf("goroutines: n = %d", n)
	}
	out := map[string]float64{}
	for _, prefix := range []string{"", "warm_"} {
		r, err := parkedGoroutines(n)
		if err != nil {
			return nil, err
		}
		for k, v := range r {
			out[prefix+k] = v
		}
	}
	return out, nil
}

// parkedGoroutines starts n goroutines that each wait on a channel, as an
// idle process waits in Receive, and measures them, then ends them.
func parkedGoroutines(n int) (map[string]float64, error) {
	var parked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	m0 := inUse()
	t0 := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parked.Add(1)
			<-stop
		}()
	}
	if err := pollUntil("the goroutines to park", func() bool { return parked.Load() == int64(n) }); err != nil {
		close(stop)
		return nil, err
	}
	spawned := time.Since(t0)
	m1 := inUse()
	close(stop)
	wg.Wait()
	return map[string]float64{
		"us_per_goroutine": us(spawned) / float64(n),
		"goroutine_bytes":  (float64(m1) - float64(m0)) / float64(n),
	}, nil
}

// TCPFloor is remote_pingpong's floor: peer B echoes 16-byte frames on a
// loopback TCP connection, peer A sends them one at a time (warmup, then
// reps x n timed), placed on the CPUs as remote_pingpong's nodes. Each
// repetition measures both shapes, direct then hand-off (see the package
// comment), on connections of their own; a sample holds both, the
// hand-off's figures prefixed handoff_.
func TCPFloor(pc PeerCmd, n, warmup, reps, pin int) Result {
	res := Result{Name: "tcp_floor", Params: map[string]any{"n": n, "warmup": warmup, "reps": reps, "pin": pinName(pin), "pin_arg": pin}}
	c, err := newCluster(pc)
	if err != nil {
		return failed(res, err)
	}
	defer c.close()
	a, err := c.start("a", pinCPU(pin, 0))
	if err != nil {
		return failed(res, err)
	}
	b, err := c.start("b", pinCPU(pin, 1))
	if err != nil {
		return failed(res, err)
	}
	var port map[string]float64
	if err := b.call(10*time.Second, &port, "tcp_echo"); err != nil {
		return failed(res, err)
	}
	for rep := 0; rep < reps; rep++ {
		w := 0
		if rep == 0 {
			w = warmup
		}
		var direct, handoff map[string]float64
		if err := a.call(5*time.Minute, &direct, "tcp_ping %d %d %d direct", int(port["port"]), n, w); err != nil {
			return failed(res, err)
		}
		if err := a.call(5*time.Minute, &handoff, "tcp_ping %d %d %d handoff", int(port["handoff_port"]), n, w); err != nil {
			return failed(res, err)
		}
		for k, v := range handoff {
			direct["handoff_"+k] = v
		}
		res.Samples = append(res.Samples, direct)
	}
	res.Figures = medians(res.Samples)
	return res
}

// floorCommand runs the peer's side of tcp_floor:
//
//	goroutines N           N parked goroutines, twice: ok {figures, the
//	                       second pass's as warm_*}
//	tcp_echo               listen on loopback twice, echo the frames of
//	                       each connection, directly on one port and
//	                       through a hand-off on the other:
//	                       ok {"port", "handoff_port"}
//	tcp_ping PORT N WARM SHAPE
//	                       connect, send warm then n frames one at a time,
//	                       reading the echoes directly or through a
//	                       hand-off (SHAPE direct or handoff):
//	                       ok {remote_pingpong's figures}
func (p *peer) floorCommand(f []string) (handled bool, err error) {
	switch f[0] {
	case "tcp_echo":
		var port, handoffPort int
		if port, err = tcpEcho(false); err == nil {
			if handoffPort, err = tcpEcho(true); err == nil {
				p.ok(map[string]float64{"port": float64(port), "handoff_port": float64(handoffPort)})
			}
		}
	case "goroutines":
		var n int
		if len(f) == 2 {
			n, _ = strconv.Atoi(f[1])
		}
		var r map[string]float64
		if r, err = goroutinesTwice(n); err == nil {
			p.ok(r)
		}
	case "tcp_ping":
		if len(f) != 5 || (f[4] != "direct" && f[4] != "handoff") {
			return true, fmt.Errorf("tcp_ping PORT N WARMUP direct|handoff")
		}
		var nums [3]int
		for i := range nums {
			if nums[i], err = strconv.Atoi(f[i+1]); err != nil {
				return true, fmt.Errorf("tcp_ping: %w", err)
			}
		}
		var r map[string]float64
		if r, err = tcpPing(nums[0], nums[1], nums[2], f[4] == "handoff"); err == nil {
			p.ok(r)
		}
	default:
		return false, nil
	}
	return true, err
}

// tcpEcho listens on loopback and echoes the frames of each connection.
// With handoff, each connection's reader passes every frame through a
// channel to a second goroutine, which writes it back.
func tcpEcho(handoff bool) (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			if handoff {
				go echoHandOff(conn)
			} else {
				go echoDirect(conn)
			}
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func echoDirect(conn net.Conn) {
	defer conn.Close()
	buf := make([]byte, tcpFloorFrameLen)
	for {
		if _, err := io.ReadFull(conn, buf); err != nil {
			return
		}
		if _, err := conn.Write(buf); err != nil {
			return
		}
	}
}

func echoHandOff(conn net.Conn) {
	frames := readFrames(conn)
	go func() {
		for b := range frames {
			if _, err := conn.Write(b); err != nil {
				break
			}
		}
		conn.Close()
		for range frames { // until the reader sees the closed connection
		}
	}()
}

// readFrames reads tcpFloorFrameLen-byte frames from conn on a goroutine of
// its own and hands each to the channel's reader; the channel is closed
// when conn fails. The channel has room for a few frames, as a mailbox
// has: the reader never waits for the goroutine that takes them.
func readFrames(conn net.Conn) <-chan []byte {
	frames := make(chan []byte, 64)
	go func() {
		defer close(frames)
		for {
			b := make([]byte, tcpFloorFrameLen)
			if _, err := io.ReadFull(conn, b); err != nil {
				return
			}
			frames <- b
		}
	}()
	return frames
}

// tcpPing sends warmup then n frames to the echo server on port, one at a
// time, and times each round trip. With handoff, a reader goroutine
// passes the echoes to the timing goroutine through a channel.
func tcpPing(port, n, warmup int, handoff bool) (map[string]float64, error) {
	if n <= 0 {
		return nil, fmt.Errorf("tcp_ping: n = %d", n)
	}
	conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	out, in := make([]byte, tcpFloorFrameLen), make([]byte, tcpFloorFrameLen)
	var frames <-chan []byte
	if handoff {
		frames = readFrames(conn)
	}
	rtt := make([]time.Duration, n)
	var t0 time.Time
	for i := -warmup; i < n; i++ {
		if i == 0 {
			t0 = time.Now()
		}
		out[0], out[1] = byte(i), byte(i>>8)
		ta := time.Now()
		if _, err := conn.Write(out); err != nil {
			return nil, err
		}
		if handoff {
			var ok bool
			if in, ok = <-frames; !ok {
				return nil, fmt.Errorf("tcp_ping: the connection failed before echo %d", i)
			}
		} else if _, err := io.ReadFull(conn, in); err != nil {
			return nil, err
		}
		if in[0] != out[0] || in[1] != out[1] {
			return nil, fmt.Errorf("tcp_ping: frame %d came back as another", i)
		}
		if i >= 0 {
			rtt[i] = time.Since(ta)
		}
	}
	return rttFigures(rtt, time.Since(t0)), nil
}
