package bench

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Go's floors under gerl's figures (issue 16: "where Go itself sets the
// floor, show the floor measured"): the same measurements with no gerl in
// them, run in the same gerl bench run so that the distance from gerl to
// the floor is measured side by side.
//
//	go_floor    two goroutines handing an int back and forth through
//	            channels (under local_pingpong: chan_rtt_us); a bare
//	            goroutine parked on a channel receive (under spawn:
//	            goroutine_bytes, us_per_goroutine) in a fresh OS process,
//	            cold and warm, as million and the peers' spawn_idle
//	tcp_floor   a 16-byte ping-pong over a loopback TCP connection between
//	            two OS processes (gerl bench peers) with no gerl node in
//	            them, one round trip at a time (under remote_pingpong,
//	            with its CPU placements): rtt_p50_us, rtt_p99_us
const (
	FloorPingPongN   = 200_000
	FloorGoroutines  = 1_000_000
	TCPFloorN        = 20_000
	TCPFloorWarmup   = 2_000
	tcpFloorFrameLen = 16
)

// GoFloor measures Go's own round trip through channels, and the cost of
// a parked goroutine in a fresh OS process (a peer): cold (the first
// goroutines of a program) and warm (a second pass), as million measures
// gerl's processes.
func GoFloor(pc PeerCmd, n, goroutines int) Result {
	res := Result{Name: "go_floor", Params: map[string]any{"n": n, "goroutines": goroutines}}
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	for i := range n / 10 { // warm-up
		ping <- i
		<-pong
	}
	t0 := time.Now()
	for i := range n {
		ping <- i
		if <-pong != i {
			return failed(res, fmt.Errorf("go_floor: the echo of %d is wrong", i))
		}
	}
	rtt := time.Since(t0)
	close(ping)
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
// reps x n timed), placed on the CPUs as remote_pingpong's nodes.
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
		var s map[string]float64
		if err := a.call(5*time.Minute, &s, "tcp_ping %d %d %d", int(port["port"]), n, w); err != nil {
			return failed(res, err)
		}
		res.Samples = append(res.Samples, s)
	}
	res.Figures = medians(res.Samples)
	return res
}

// floorCommand runs the peer's side of tcp_floor:
//
//	goroutines N           N parked goroutines, twice: ok {figures, the
//	                       second pass's as warm_*}
//	tcp_echo               listen on loopback, echo the frames of each
//	                       connection: ok {"port"}
//	tcp_ping PORT N WARM   connect, send warm then n frames one at a time:
//	                       ok {remote_pingpong's figures}
func (p *peer) floorCommand(f []string) (handled bool, err error) {
	switch f[0] {
	case "tcp_echo":
		var port int
		if port, err = tcpEcho(); err == nil {
			p.ok(map[string]float64{"port": float64(port)})
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
		if len(f) != 4 {
			return true, fmt.Errorf("tcp_ping PORT N WARMUP")
		}
		var nums [3]int
		for i := range nums {
			if nums[i], err = strconv.Atoi(f[i+1]); err != nil {
				return true, fmt.Errorf("tcp_ping: %w", err)
			}
		}
		var r map[string]float64
		if r, err = tcpPing(nums[0], nums[1], nums[2]); err == nil {
			p.ok(r)
		}
	default:
		return false, nil
	}
	return true, err
}

func tcpEcho() (int, error) {
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
			go func() {
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
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func tcpPing(port, n, warmup int) (map[string]float64, error) {
	if n <= 0 {
		return nil, fmt.Errorf("tcp_ping: n = %d", n)
	}
	conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	out, in := make([]byte, tcpFloorFrameLen), make([]byte, tcpFloorFrameLen)
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
		if _, err := io.ReadFull(conn, in); err != nil {
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
