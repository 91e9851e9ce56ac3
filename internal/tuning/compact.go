package tuning

import (
	"context"
	"os"
	"runtime"
	"runtime/metrics"
	"syscall"
	"time"
)

// Scheduler compaction, after Erlang's (+scl, on by default): when the
// node's work is a chain of hand-offs (a ping-pong, a remote round trip,
// code typed at the prompt answering messages), every wake-up of a
// process by another makes Go's scheduler wake an idle thread to look for
// work, which goes back to sleep at once: on a VM each costs microseconds
// of system time (docs/performance.md, "One scheduler or two"). Such work
// runs faster with one P, where the woken process simply runs next. So
// when the threads sleep and wake that often while the CPUs are not all
// busy, the compactor runs the program with one P; when that one P is
// saturated, or every ProbeEvery to see whether the work has changed, it
// gives back all of them.

// Signals are what the compactor decides on, measured over one window.
type Signals struct {
	// CPU is the process's CPU time (user and system) per second of the
	// window: 2.0 is two CPUs busy.
	CPU float64
	// Switches is the process's voluntary context switches per second:
	// a thread sleeping on a futex or in the poller, and woken again.
	Switches float64
	// Runnable is the mean number of goroutines ready to run and not
	// running, sampled during the window.
	Runnable float64
	// Waits is how many times a goroutine was made to run in the window
	// (the runtime samples one in eight), and LongWaits how many of those
	// had waited LongWait or more: a goroutine preempted by another that
	// does not yield (a busy loop) waits 10 ms, a process answering a
	// message microseconds.
	Waits, LongWaits uint64
	// GC is how many collections ended in the window or the one before:
	// on one P the collector's work makes goroutines wait that long too.
	GC uint64
}

// Compaction's thresholds.
const (
	// CompactSwitches is the rate of voluntary context switches above
	// which threads are taken to run out of work and be woken for each
	// hand-off. Measured with two Ps on a 2-CPU VM (gerl bench, 50 ms
	// windows): about 30,000 a second in an interpreted ping-pong and a
	// remote round trip, which one P makes 1.7 and 2.2 times faster;
	// 1,200 in a fan-in, 9,200 in a remote stream (which one P makes
	// slower) and 11,900 in a compiled ping-pong (no faster on one P).
	CompactSwitches = 20_000
	// SaturatedRunnable is the mean number of runnable goroutines above
	// which one busy P has more work than it can run: 5.5 to 6.2 in a
	// fan-in of four senders, 2.0 in a ping-pong (the two processes yield
	// before they park).
	SaturatedRunnable = 3.5
	// saturatedCPU is the CPU time per second above which the one P is
	// taken to be busy.
	saturatedCPU = 0.9
	// LongWait is a wait to run that says one P is not enough, when half
	// of the window's waits or more are that long, no collection ran,
	// and busyRunnable or more goroutines wait to run on average: two
	// goroutines that do not yield (busy loops) keep one of them waiting,
	// and the compactor's own when it looks (2). One that does not yield
	// (the shell compiling an input) keeps only the compactor's waiting
	// (1), and more Ps would not help it.
	LongWait     = time.Millisecond
	busyRunnable = 1.5
	// ProbeEvery is how long the compactor keeps one P before it gives
	// all back to look again.
	ProbeEvery = 5 * time.Second
	// holdAfterSaturation is how long all Ps stay after one P was
	// saturated, doubling each time it happens again within twice the hold,
	// up to maxHold: a workload that needs them is not compacted back
	// and forth.
	holdAfterSaturation = time.Second
	maxHold             = 30 * time.Second
	// windowsToCompact is how many windows in a row must say "compact".
	windowsToCompact = 2
)

// Compactor decides how many Ps the program runs with. Its methods are
// not safe for concurrent use; Compact runs one on its own goroutine.
type Compactor struct {
	switches   float64       // CompactSwitches; lower in tests
	probeEvery time.Duration // ProbeEvery; longer in tests
	busyCPU    float64       // saturatedCPU; lower in tests, whose machine may be busy
	max        int           // the Ps the program started with
	n          int           // the Ps it runs with now
	votes      int           // windows in a row that said "compact"
	compacted  time.Time     // when n became 1
	holdUntil  time.Time     // no compaction before this
	hold       time.Duration
	lastExpand time.Time
}

// NewCompactor returns a Compactor for a program started with max Ps.
func NewCompactor(max int) *Compactor {
	return &Compactor{switches: CompactSwitches, probeEvery: ProbeEvery, busyCPU: saturatedCPU, max: max, n: max, hold: holdAfterSaturation}
}

// Decide takes the signals of the window that ends at now and returns
// the number of Ps to run with from now on.
func (c *Compactor) Decide(s Signals, now time.Time) int {
	if c.max < 2 {
		return c.n
	}
	if c.n > 1 {
		if s.Switches >= c.switches && s.CPU < float64(c.n)-0.5 && !now.Before(c.holdUntil) {
			c.votes++
		} else {
			c.votes = 0
		}
		if c.votes >= windowsToCompact {
			c.n, c.votes, c.compacted = 1, 0, now
		}
		return c.n
	}
	switch {
	case s.CPU >= c.busyCPU && (s.Runnable >= SaturatedRunnable ||
		s.GC == 0 && s.Runnable >= busyRunnable && s.LongWaits >= 2 && 2*s.LongWaits >= s.Waits):
		// One P has more work than it can run: give all back, and do
		// not compact again for a while (longer each time in a row).
		if now.Sub(c.lastExpand) < 2*c.hold {
			c.hold = min(2*c.hold, maxHold)
		} else {
			c.hold = holdAfterSaturation
		}
		c.holdUntil, c.lastExpand = now.Add(c.hold), now
		c.n = c.max
	case now.Sub(c.compacted) >= c.probeEvery:
		c.n = c.max // look again: the work may have changed
	}
	return c.n
}

// Compaction's sampling: Runnable is sampled every tick, the decision is
// taken every window; a process that uses almost no CPU is looked at
// every idleTick only.
const (
	tick        = 10 * time.Millisecond
	ticksPerWin = 5
	// ticksPerWinOneP is the window with one P: work that needs more
	// runs slower meanwhile, so it is looked at sooner.
	ticksPerWinOneP = 2
	idleTick        = 500 * time.Millisecond
	idleCPU         = 0.05
	runnableName    = "/sched/goroutines/runnable:goroutines"
	latenciesName   = "/sched/latencies:seconds"
	gcCyclesName    = "/gc/cycles/total:gc-cycles"
)

// startProcs is GOMAXPROCS as the program started: set once, before main,
// and only read after.
var startProcs = runtime.GOMAXPROCS(0)

// MaxProcs returns the Ps the program may run with: GOMAXPROCS as it
// started, which Compact lowers to one at times and gives back.
func MaxProcs() int { return startProcs }

// Compact runs scheduler compaction until ctx ends, then gives back the
// Ps it took. It does nothing when the user chose the Ps (GOMAXPROCS is
// set) or there is one CPU; it stops for good, leaving the setting as it
// is, when something else changes GOMAXPROCS. Once it has set GOMAXPROCS,
// the runtime no longer follows a change of the container's CPU limit (Go
// 1.25's default); a node's limit is not expected to change while it
// runs. Call it on its own goroutine, once.
func Compact(ctx context.Context) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	if max := runtime.GOMAXPROCS(0); max >= 2 && max == startProcs {
		compact(ctx, NewCompactor(max))
	}
}

// compact is Compact's loop, with c's thresholds.
func compact(ctx context.Context, c *Compactor) {
	max := c.max
	perTick := []metrics.Sample{{Name: runnableName}}
	perWindow := []metrics.Sample{{Name: latenciesName}, {Name: gcCyclesName}}
	metrics.Read(perWindow)
	waits0, long0 := waits(perWindow[0])
	gc0 := uint64Of(perWindow[1])
	var gcBefore uint64 // collections that ended in the window before
	t := time.NewTimer(tick)
	defer t.Stop()
	ru0, ok := rusage()
	if !ok {
		return
	}
	start := time.Now()
	var runnable uint64
	ticks := 0
	for {
		select {
		case <-ctx.Done():
			if runtime.GOMAXPROCS(0) == c.n {
				runtime.GOMAXPROCS(max)
			}
			return
		case <-t.C:
		}
		metrics.Read(perTick)
		if perTick[0].Value.Kind() == metrics.KindUint64 {
			runnable += perTick[0].Value.Uint64()
		}
		ticks++
		now := time.Now()
		elapsed := now.Sub(start)
		win := ticksPerWin
		if c.n == 1 {
			win = ticksPerWinOneP
		}
		if ticks < win && elapsed < idleTick {
			t.Reset(tick)
			continue
		}
		ru, ok := rusage()
		if !ok {
			return
		}
		metrics.Read(perWindow)
		w, long := waits(perWindow[0])
		gc := uint64Of(perWindow[1])
		secs := elapsed.Seconds()
		s := Signals{
			CPU:       (ru.cpu - ru0.cpu).Seconds() / secs,
			Switches:  float64(ru.switches-ru0.switches) / secs,
			Runnable:  float64(runnable) / float64(ticks),
			Waits:     w - waits0,
			LongWaits: long - long0,
			GC:        gc - gc0 + gcBefore,
		}
		waits0, long0, gc0, gcBefore = w, long, gc, gc-gc0
		if runtime.GOMAXPROCS(0) != c.n {
			return // someone else sets it now
		}
		if n := c.Decide(s, now); n != runtime.GOMAXPROCS(0) {
			runtime.GOMAXPROCS(n)
		}
		start, ru0, runnable, ticks = now, ru, 0, 0
		if s.CPU < idleCPU && c.n == max {
			t.Reset(idleTick)
		} else {
			t.Reset(tick)
		}
	}
}

// waits returns from the runtime's histogram of waits to run how many
// there were and how many lasted LongWait or more (a bucket that starts
// at LongWait or later).
func waits(s metrics.Sample) (all, long uint64) {
	if s.Value.Kind() != metrics.KindFloat64Histogram {
		return 0, 0
	}
	h := s.Value.Float64Histogram()
	for i, n := range h.Counts {
		all += n
		if h.Buckets[i] >= LongWait.Seconds() {
			long += n
		}
	}
	return all, long
}

func uint64Of(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}

type usage struct {
	cpu      time.Duration
	switches int64
}

func rusage() (usage, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}, false
	}
	return usage{
		cpu:      time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		switches: ru.Nvcsw,
	}, true
}
