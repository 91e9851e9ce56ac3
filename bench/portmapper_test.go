package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

// benchClientsPerCPU sets b.SetParallelism: with GOMAXPROCS 2 this gives
// 200 concurrent clients.
const benchClientsPerCPU = 100

// BenchmarkPortMapperLookup: PORT_PLEASE2 calls per second (connect, ask, answer,
// close) from hundreds of concurrent clients on loopback, against gerl's
// daemon and, for comparison with the same client on the same machine,
// Erlang's epmd when it is installed.
//
//	go test -run XXX -bench PortMapper -benchtime 5s ./bench/
func BenchmarkPortMapperLookup(b *testing.B) {
	for _, d := range benchDaemons {
		b.Run(d.name, func(b *testing.B) {
			addr := d.start(b)
			reg, err := portmapper.Register(context.Background(), addr, portmapper.NodeInfo{Name: "target", Port: 4000, Highest: 6, Lowest: 5})
			if err != nil {
				b.Fatal(err)
			}
			defer reg.Close()
			var failed atomic.Int64
			b.SetParallelism(benchClientsPerCPU)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if _, err := portmapper.Lookup(ctx, addr, "target"); err != nil {
						failed.Add(1)
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "lookups/s")
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d lookups failed", n, b.N)
			}
		})
	}
}

// BenchmarkPortMapperRegister: registrations per second (connect, ALIVE2, answer,
// close, unregister) from hundreds of concurrent clients on loopback.
func BenchmarkPortMapperRegister(b *testing.B) {
	for _, d := range benchDaemons {
		b.Run(d.name, func(b *testing.B) {
			addr := d.start(b)
			var seq, failed atomic.Int64
			b.SetParallelism(benchClientsPerCPU)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					reg, err := portmapper.Register(ctx, addr, portmapper.NodeInfo{Name: fmt.Sprintf("n%d", seq.Add(1)), Port: 4000, Highest: 6, Lowest: 5})
					if err != nil {
						failed.Add(1)
						continue
					}
					reg.Close()
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "registrations/s")
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d registrations failed", n, b.N)
			}
		})
	}
}

// benchDaemons are the daemons the benchmarks measure.
var benchDaemons = []struct {
	name  string
	start func(b *testing.B) string // returns the address
}{
	{"gerl", func(b *testing.B) string {
		s, err := daemon.Start(daemon.Config{MaxPending: 8192})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s.Addr().String()
	}},
	{"epmd", func(b *testing.B) string {
		epmd, err := exec.LookPath("epmd")
		if err != nil {
			b.Skip("Erlang's epmd is not installed")
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		cmd := exec.Command(epmd, "-port", strconv.Itoa(port))
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		b.Cleanup(func() { cmd.Process.Kill(); <-exited })
		addr := portmapper.LoopbackAddr(port)
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, _, err := portmapper.Names(context.Background(), addr); err == nil {
				return addr
			} else if time.Now().After(deadline) {
				b.Fatalf("epmd does not answer: %v", err)
			}
			select {
			case <-exited:
				b.Fatal("epmd exited")
			case <-time.After(10 * time.Millisecond):
			}
		}
	}},
}

// TestPortMapperLoad runs the port mapper workload's load generator,
// briefly, and checks that it measured both phases without errors.
func TestPortMapperLoad(t *testing.T) {
	res, err := PortMapperLoad(context.Background(), PortMapperLoadConfig{Clients: 50, Duration: 200 * time.Millisecond, Names: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lookups == 0 || res.Registrations == 0 || res.Errors != 0 || res.LookupP99us < res.LookupP50us || res.LookupP50us <= 0 {
		t.Fatalf("bench result %+v", res)
	}
	t.Logf("%d clients: %.0f lookups/s (p50 %.0f µs, p99 %.0f µs), %.0f registrations/s (p50 %.0f µs, p99 %.0f µs)",
		res.Clients, res.LookupsPerSec, res.LookupP50us, res.LookupP99us, res.RegistrationsPerSec, res.RegisterP50us, res.RegisterP99us)
}

// TestStopStartedPortMapper: the port mapper a run started is stopped at
// its end once its nodes are unregistered, and a registered node keeps it
// running with an error that says so; one that answered before the run is
// left alone.
func TestStopStartedPortMapper(t *testing.T) {
	port := testkit.FreePort(t)
	addr := portmapper.LoopbackAddr(port)
	// None answers yet: the daemon started next is the run's own.
	stopEarly := stopStartedPortMapper(port, 300*time.Millisecond)
	stop := stopStartedPortMapper(port, 10*time.Second)
	s, err := daemon.Start(daemon.Config{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := stopStartedPortMapper(port, time.Second)(); err != nil {
		t.Fatalf("someone else's port mapper: %v", err)
	}
	if !portMapperAnswers(addr) {
		t.Fatal("someone else's port mapper was stopped")
	}

	reg, err := portmapper.Register(context.Background(), addr, portmapper.NodeInfo{Name: "lingering", Port: 1, Highest: 6, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := stopEarly(); !errors.Is(err, portmapper.ErrStillRegistered) {
		_, names, nerr := portmapper.Names(context.Background(), addr)
		t.Fatalf("with a node registered: %v, want an error that says so (the daemon now lists %v, %v)", err, names, nerr)
	}
	if !portMapperAnswers(addr) {
		t.Fatal("the port mapper stopped with a node registered")
	}

	// The node goes away while stop asks: stop waits for its unregistration.
	done := make(chan error, 1)
	go func() { done <- stop() }()
	reg.Close()
	if err := <-done; err != nil {
		t.Fatalf("after the node went away: %v", err)
	}
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the port mapper still runs after stop returned")
	}
	if err := s.Err(); !errors.Is(err, daemon.ErrKilled) {
		t.Fatalf("the port mapper stopped with %v, want %v", err, daemon.ErrKilled)
	}
}
