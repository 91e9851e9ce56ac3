package node

import (
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// waitEnds runs k.wait on a goroutine of its own and fails t if it has not
// returned within d.
func waitEnds(t *testing.T, k *parker, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { k.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("a wait did not end within %v of its wake", d)
	}
}

func TestParkerWakeBeforeWait(t *testing.T) {
	var k parker
	k.prepare()
	k.wake()
	waitEnds(t, &k, waitTime)
	// The parker is reusable: a second round ends the same way.
	k.prepare()
	k.wake()
	waitEnds(t, &k, waitTime)
}

func TestParkerWakeAfterWait(t *testing.T) {
	var k parker
	k.prepare()
	done := make(chan struct{})
	go func() { k.wait(); close(done) }()
	k.wake() // before, during or after the park: each must end the wait
	select {
	case <-done:
	case <-time.After(waitTime):
		t.Fatal("a wait did not end after its wake")
	}
}

func TestParkerWokenTwicePanics(t *testing.T) {
	var k parker
	k.prepare()
	k.wake()
	defer func() {
		if recover() == nil {
			t.Fatal("a second wake of one wait did not panic")
		}
	}()
	k.wake()
}

// sleeper is what a parker does, for the WaitGroup it replaced too.
type sleeper interface {
	prepare()
	wait()
	wake()
}

// wgSleeper is the WaitGroup parker that gerl used before park.go's (and
// still uses under the race detector), kept here to measure against.
type wgSleeper struct{ wg sync.WaitGroup }

func (k *wgSleeper) prepare() { k.wg.Add(1) }
func (k *wgSleeper) wait()    { k.wg.Wait() }
func (k *wgSleeper) wake()    { k.wg.Done() }

// pingPong has two goroutines hand a turn back and forth rounds times
// through a and b, with the mailbox's protocol: a flag under a lock says
// who is parked, and only the goroutine that clears it wakes. So every
// interleaving of a wake with a park comes up: before the wait, between
// its check and the park, and after. It reports whether the other
// goroutine finished within d.
func pingPong(a, b sleeper, rounds int, d time.Duration) bool {
	type side struct {
		k       sleeper
		turn    bool // guarded by mu
		waiting bool // guarded by mu
	}
	var mu sync.Mutex
	sa, sb := &side{k: a}, &side{k: b}
	give := func(s *side) {
		mu.Lock()
		s.turn = true
		wake := s.waiting
		s.waiting = false
		mu.Unlock()
		if wake {
			s.k.wake()
		}
	}
	take := func(s *side) {
		mu.Lock()
		for !s.turn {
			s.waiting = true
			s.k.prepare()
			mu.Unlock()
			s.k.wait()
			mu.Lock()
		}
		s.turn = false
		mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		for range rounds {
			take(sb)
			give(sa)
		}
		close(done)
	}()
	for range rounds {
		give(sb)
		take(sa)
	}
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func TestParkerPingPong(t *testing.T) {
	if !pingPong(new(parker), new(parker), 100_000, waitTime) {
		t.Fatal("the ping-pong through parkers did not finish")
	}
}

// BenchmarkParker is a round trip of pingPong: two parks and two wakes
// when the turn is not already there, through the parker gerl ships and
// through the WaitGroup it replaced.
func BenchmarkParker(b *testing.B) {
	for _, c := range []struct {
		name string
		make func() sleeper
	}{
		{"parker", func() sleeper { return new(parker) }},
		{"waitgroup", func() sleeper { return new(wgSleeper) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			if !pingPong(c.make(), c.make(), b.N, time.Minute) {
				b.Fatal("the ping-pong did not finish")
			}
		})
	}
}

// TestParkerOutsideTheRaceDetector runs testdata/parkstress, built without
// the race detector: under it a parker is a WaitGroup (park_race.go), and
// CI runs every package under it, so the parker gerl ships would otherwise
// only be tested through the gerl binaries of the end-to-end tests.
func TestParkerOutsideTheRaceDetector(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "parkstress")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/parkstress").CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/parkstress: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin).CombinedOutput(); err != nil {
		t.Fatalf("parkstress: %v\n%s", err, out)
	}
}
