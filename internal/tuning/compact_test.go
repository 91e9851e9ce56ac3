package tuning

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The signals of the workloads the thresholds were set from (gerl bench
// on a 2-CPU VM, 50 ms windows; docs/performance.md).
var (
	pingPongTwoPs  = Signals{CPU: 1.24, Switches: 30_800, Runnable: 1.3} // interp_pingpong
	remoteTwoPs    = Signals{CPU: 0.73, Switches: 29_200, Runnable: 0.9} // remote_pingpong
	streamTwoPs    = Signals{CPU: 0.81, Switches: 9_200, Runnable: 0.6}  // remote_throughput
	compiledTwoPs  = Signals{CPU: 1.19, Switches: 11_900, Runnable: 1.4} // local_pingpong
	fanInTwoPs     = Signals{CPU: 1.88, Switches: 1_200, Runnable: 3.8}  // local_fanin
	busyTwoPs      = Signals{CPU: 1.95, Switches: 25_000, Runnable: 2}   // both CPUs busy
	pingPongOneP   = Signals{CPU: 1.01, Switches: 100, Runnable: 2.0}
	fanInOneP      = Signals{CPU: 1.01, Switches: 100, Runnable: 5.5}
	idleOneP       = Signals{CPU: 0.01, Switches: 10}
	busyLoopsOneP  = Signals{CPU: 1.0, Switches: 50, Runnable: 2, Waits: 4, LongWaits: 3}          // two busy loops
	compilingOneP  = Signals{CPU: 1.0, Switches: 50, Runnable: 1, Waits: 3, LongWaits: 3}          // one goroutine busy
	collectingOneP = Signals{CPU: 1.0, Switches: 80, Runnable: 2, Waits: 40, LongWaits: 30, GC: 1} // a ping-pong while the collector works
	pingPongWaits  = Signals{CPU: 1.01, Switches: 100, Runnable: 2.0, Waits: 40_000, LongWaits: 3} // a few long ones among many
	remoteOneP     = Signals{CPU: 0.60, Switches: 17_000, Runnable: 0.5}
	window         = 50 * time.Millisecond
	afterProbe     = ProbeEvery + window
	beforeTheProbe = ProbeEvery - 2*window
)

// step is one window: its signals, how long after the previous one it
// ends, and the Ps the compactor must run with after it.
type step struct {
	s     Signals
	after time.Duration
	want  int
}

func TestCompactorDecide(t *testing.T) {
	tests := []struct {
		name  string
		max   int
		steps []step
	}{
		{"hand-offs with two Ps compact to one after two windows", 2, []step{
			{pingPongTwoPs, window, 2}, {pingPongTwoPs, window, 1}, {pingPongOneP, window, 1},
		}},
		{"a remote round trip compacts", 2, []step{
			{remoteTwoPs, window, 2}, {remoteTwoPs, window, 1}, {remoteOneP, window, 1},
		}},
		{"one window is not enough", 2, []step{
			{pingPongTwoPs, window, 2}, {fanInTwoPs, window, 2}, {pingPongTwoPs, window, 2},
		}},
		{"a stream, a fan-in and a compiled ping-pong keep every P", 2, []step{
			{streamTwoPs, window, 2}, {streamTwoPs, window, 2}, {fanInTwoPs, window, 2},
			{fanInTwoPs, window, 2}, {compiledTwoPs, window, 2}, {compiledTwoPs, window, 2},
		}},
		{"every CPU busy keeps every P, however many switches", 2, []step{
			{busyTwoPs, window, 2}, {busyTwoPs, window, 2}, {busyTwoPs, window, 2},
		}},
		{"a saturated P gives all back, and they are held", 2, []step{
			{pingPongTwoPs, window, 2}, {pingPongTwoPs, window, 1},
			{fanInOneP, window, 2},
			{pingPongTwoPs, window, 2}, {pingPongTwoPs, window, 2}, // held for a second
			{pingPongTwoPs, time.Second, 2}, {pingPongTwoPs, window, 1}, // then compacted
		}},
		{"saturated again within the hold: held twice as long", 2, []step{
			{pingPongTwoPs, window, 2}, {pingPongTwoPs, window, 1},
			{fanInOneP, window, 2},
			{pingPongTwoPs, time.Second, 2}, {pingPongTwoPs, window, 1},
			{fanInOneP, window, 2}, // 1.1 s after the first: hold 2 s
			{pingPongTwoPs, time.Second, 2}, {pingPongTwoPs, window, 2},
			{pingPongTwoPs, time.Second, 2}, {pingPongTwoPs, window, 1},
		}},
		{"a ping-pong on one P stays there until the probe", 2, []step{
			{pingPongTwoPs, window, 2}, {pingPongTwoPs, window, 1},
			{pingPongOneP, window, 1}, {pingPongOneP, beforeTheProbe, 1},
			{pingPongOneP, afterProbe, 2},
			{pingPongTwoPs, window, 2}, {pingPongTwoPs, window, 1},
		}},
		{"an idle node probes too, and keeps every P when nothing switches", 2, []step{
			{remoteTwoPs, window, 2}, {remoteTwoPs, window, 1},
			{idleOneP, afterProbe, 2}, {idleOneP, time.Second, 2},
		}},
		{"busy loops on one P get every P back at once", 2, []step{
			{pingPongTwoPs, window, 2}, {pingPongTwoPs, window, 1},
			{busyLoopsOneP, window, 2},
		}},
		{"long waits are not saturation: one busy goroutine, a collection, a few among many", 2, []step{
			{pingPongTwoPs, window, 2}, {pingPongTwoPs, window, 1},
			{compilingOneP, window, 1}, {collectingOneP, window, 1}, {pingPongWaits, window, 1},
		}},
		{"one CPU: nothing to compact", 1, []step{
			{pingPongTwoPs, window, 1}, {pingPongTwoPs, window, 1}, {pingPongTwoPs, window, 1},
		}},
		{"four Ps compact to one", 4, []step{
			{pingPongTwoPs, window, 4}, {pingPongTwoPs, window, 1}, {fanInOneP, window, 4},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewCompactor(tt.max)
			now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
			for i, st := range tt.steps {
				now = now.Add(st.after)
				if got := c.Decide(st.s, now); got != st.want {
					t.Fatalf("window %d (%+v): %d Ps, want %d", i, st.s, got, st.want)
				}
			}
		})
	}
}

// TestCompactLeavesTheUsersChoice runs this test binary again with
// GOMAXPROCS set and checks that Compact returns at once there, without
// being stopped: the user chose the Ps. (A Compact that ran would only
// return when its context ended, which never comes here.)
func TestCompactLeavesTheUsersChoice(t *testing.T) {
	if os.Getenv("COMPACT_CHILD") != "" {
		done := make(chan struct{})
		go func() { Compact(context.Background()); close(done) }()
		select {
		case <-done:
			os.Stdout.WriteString("returned\n")
		case <-time.After(10 * time.Second):
			os.Stdout.WriteString("still running\n")
		}
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCompactLeavesTheUsersChoice$")
	cmd.Env = append(os.Environ(), "COMPACT_CHILD=1", "GOMAXPROCS=3")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != "returned" {
		t.Fatalf("Compact with GOMAXPROCS set: %s, want it to return at once", got)
	}
}

// handOffCompactor starts the compactor's loop on a Compactor whose
// switch threshold is 500 a second and whose busy P needs busyCPU (low:
// a machine loaded by other tests gives this process less), and never looks again by
// itself; then it hands a value back and forth between two goroutines,
// each working a little before it answers so that the other parks (the
// threads sleep and wake for each hand-off), until the loop has taken the
// program to one P. It returns the number of Ps the program started with
// and what stops the loop and waits for it. The tests check the loop
// (getrusage, the runtime's metrics, GOMAXPROCS), not the thresholds
// (TestCompactorDecide), and wait for each event with a deadline.
func handOffCompactor(t *testing.T, busyCPU float64) (max int, stop func()) {
	t.Helper()
	if os.Getenv("GOMAXPROCS") != "" || runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs and GOMAXPROCS unset")
	}
	max = runtime.GOMAXPROCS(0)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	c := NewCompactor(max)
	c.switches = 500
	c.probeEvery = time.Hour // only saturation gives the Ps back
	c.busyCPU = busyCPU
	go func() { compact(ctx, c); close(stopped) }()
	stop = func() { cancel(); <-stopped }
	t.Cleanup(func() { stop(); runtime.GOMAXPROCS(max) })

	quit := make(chan struct{})
	defer close(quit)
	ping, pong := make(chan int), make(chan int)
	work := func(v int) int {
		for t := time.Now(); time.Since(t) < 20*time.Microsecond; {
			v++
		}
		return v
	}
	go func() {
		for {
			select {
			case v := <-ping:
				pong <- work(v)
			case <-quit:
				return
			}
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	v := 0
	for runtime.GOMAXPROCS(0) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("GOMAXPROCS still %d after 30 s of hand-offs", runtime.GOMAXPROCS(0))
		}
		ping <- work(v)
		v = <-pong
	}
	return max, stop
}

// TestCompactCompactsAHandOffChain: a chain of hand-offs takes the
// program to one P, and the loop gives every P back when it is stopped.
func TestCompactCompactsAHandOffChain(t *testing.T) {
	max, stop := handOffCompactor(t, 0.3)
	stop()
	if got := runtime.GOMAXPROCS(0); got != max {
		t.Fatalf("after the loop was stopped on one P: GOMAXPROCS %d, want %d back", got, max)
	}
}

// TestCompactGivesBackForBusyLoops: busy loops started on the one P wait
// for each other's time slices, and the loop gives every P back for them
// (it does not look again by itself here). Three, not two: with two, the
// goroutines waiting to run average about the 1.5 the rule asks (one loop,
// and the test's or the compactor's own goroutine at times), and one loaded
// CI run saw the Ps stay at one for 30 s; three keep two waiting, still
// under the 3.5 of the other rule, so this is the long-wait rule at work.
// The CPU asked of the one P is low too (0.1): a machine busy with other
// tests gives this process less.
func TestCompactGivesBackForBusyLoops(t *testing.T) {
	max, _ := handOffCompactor(t, 0.1)
	quit := make(chan struct{})
	defer close(quit)
	for range 3 {
		go func() {
			for x := uint64(1); ; x ^= x << 13 {
				select {
				case <-quit:
					return
				default:
				}
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for runtime.GOMAXPROCS(0) != max {
		if time.Now().After(deadline) {
			t.Fatalf("GOMAXPROCS still %d with three busy loops", runtime.GOMAXPROCS(0))
		}
		time.Sleep(time.Millisecond) // polling: nothing announces the change
	}
}
