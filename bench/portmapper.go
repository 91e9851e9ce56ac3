package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/internal/stats"
	"github.com/gerl-dev/gerl/portmapper"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

// PortMapper measures the port mapper daemon as a separate process: the
// lookups and registrations per second it sustains on loopback with
// clients concurrent clients (each operation a full connect, request,
// answer and close). With epmd true it measures Erlang's epmd instead,
// with the same client, for comparison.
func PortMapper(exe string, clients int, d time.Duration, epmd bool) Result {
	name := "portmapper"
	res := Result{Name: name, Params: map[string]any{"clients": clients, "duration_s": d.Seconds(), "daemon": "gerl"}}
	port, err := freePort()
	if err != nil {
		return failed(res, err)
	}
	var cmd *exec.Cmd
	if epmd {
		res.Params["daemon"] = "epmd"
		path, err := exec.LookPath("epmd")
		if err != nil {
			return failed(res, fmt.Errorf("epmd is not installed"))
		}
		cmd = exec.Command(path, "-port", strconv.Itoa(port), "-address", "127.0.0.1")
	} else {
		if res, ok := needGerl(res, exe); !ok {
			return res
		}
		cmd = exec.Command(exe, "portmapper", "-port", strconv.Itoa(port))
	}
	if err := cmd.Start(); err != nil {
		return failed(res, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := portmapper.LoopbackAddr(port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _, err := portmapper.Names(ctx, addr)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			return failed(res, fmt.Errorf("the daemon did not answer: %w", err))
		}
		time.Sleep(20 * time.Millisecond)
	}
	r, err := PortMapperLoad(context.Background(), PortMapperLoadConfig{Addr: addr, Clients: clients, Duration: d})
	if err != nil {
		return failed(res, err)
	}
	res.Figures = map[string]float64{
		"lookups_per_s":       r.LookupsPerSec,
		"registrations_per_s": r.RegistrationsPerSec,
		"lookup_p50_us":       r.LookupP50us,
		"lookup_p99_us":       r.LookupP99us,
		"register_p50_us":     r.RegisterP50us,
		"register_p99_us":     r.RegisterP99us,
		"errors":              float64(r.Errors),
	}
	return res
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PortMapperLoadConfig configures PortMapperLoad.
type PortMapperLoadConfig struct {
	// Addr is the daemon to measure; "" starts one in this process on a
	// free loopback port for the duration of the run.
	Addr string
	// Clients is the number of concurrent clients, each a goroutine with its
	// own connections; 0 means 200.
	Clients int
	// Duration of each phase (lookups, then registrations); 0 means 2 s.
	Duration time.Duration
	// Names is how many nodes are registered for the lookup phase; 0
	// means 16.
	Names int
}

// PortMapperLoadResult is what PortMapperLoad measured: rates over the time each phase
// really ran, and latencies by the nearest-rank percentile.
type PortMapperLoadResult struct {
	Clients             int
	DurationS           float64 // each phase's configured duration
	Lookups             int64
	LookupsPerSec       float64
	LookupP50us         float64
	LookupP99us         float64
	Registrations       int64
	RegistrationsPerSec float64
	RegisterP50us       float64
	RegisterP99us       float64
	Errors              int64
	FirstError          string
}

// PortMapperLoad measures the lookups (PORT_PLEASE2) and registrations (ALIVE2
// followed by closing the connection) per second that a daemon sustains
// with many concurrent clients on loopback. Each operation is a full
// client call: connect, request, answer, close. It stops early when ctx
// ends.
func PortMapperLoad(ctx context.Context, cfg PortMapperLoadConfig) (PortMapperLoadResult, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 200
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 2 * time.Second
	}
	if cfg.Names <= 0 {
		cfg.Names = 16
	}
	addr := cfg.Addr
	if addr == "" {
		s, err := daemon.Start(daemon.Config{MaxPending: 4 * cfg.Clients})
		if err != nil {
			return PortMapperLoadResult{}, err
		}
		defer s.Close()
		addr = s.Addr().String()
	}
	res := PortMapperLoadResult{Clients: cfg.Clients, DurationS: cfg.Duration.Seconds()}
	var errs loadErrors

	// Nodes to look up, registered for the whole lookup phase.
	names := make([]string, cfg.Names)
	for i := range names {
		names[i] = fmt.Sprintf("bench-target-%d", i)
		reg, err := portmapper.Register(ctx, addr, portmapper.NodeInfo{Name: names[i], Port: 10000 + i, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5})
		if err != nil {
			return res, fmt.Errorf("bench: register the lookup targets: %w", err)
		}
		defer reg.Close()
	}

	lat, took := loadPhase(ctx, cfg, func(ctx context.Context, client, i int) error {
		_, err := portmapper.Lookup(ctx, addr, names[(client+i)%len(names)])
		return err
	}, &errs)
	res.Lookups = int64(len(lat))
	res.LookupsPerSec = float64(len(lat)) / took.Seconds()
	res.LookupP50us, res.LookupP99us = percentileUS(lat, 50), percentileUS(lat, 99)

	run := time.Now().UnixNano()
	lat, took = loadPhase(ctx, cfg, func(ctx context.Context, client, i int) error {
		reg, err := portmapper.Register(ctx, addr, portmapper.NodeInfo{Name: fmt.Sprintf("bench-%x-%d-%d", run, client, i),
			Port: 20000, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5})
		if err != nil {
			return err
		}
		return reg.Close()
	}, &errs)
	res.Registrations = int64(len(lat))
	res.RegistrationsPerSec = float64(len(lat)) / took.Seconds()
	res.RegisterP50us, res.RegisterP99us = percentileUS(lat, 50), percentileUS(lat, 99)

	res.Errors = errs.n.Load()
	if first := errs.first(); first != nil {
		res.FirstError = first.Error()
	}
	if res.Lookups == 0 || res.Registrations == 0 {
		why := errors.Join(errs.first(), ctx.Err())
		if why == nil {
			why = errors.New("none completed")
		}
		return res, fmt.Errorf("bench: no successful operation: %w", why)
	}
	return res, nil
}

// loadErrors counts failed operations and keeps the first.
type loadErrors struct {
	n   atomic.Int64
	mu  sync.Mutex // protects err
	err error
}

func (e *loadErrors) add(err error) {
	e.n.Add(1)
	e.mu.Lock()
	if e.err == nil {
		e.err = err
	}
	e.mu.Unlock()
}

func (e *loadErrors) first() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// loadPhase runs op from cfg.Clients goroutines for cfg.Duration (less
// if ctx ends first) and returns the latency of every successful call and
// how long the phase ran.
func loadPhase(ctx context.Context, cfg PortMapperLoadConfig, op func(ctx context.Context, client, i int) error, errs *loadErrors) ([]time.Duration, time.Duration) {
	start := time.Now()
	end := start.Add(cfg.Duration)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The phase ends at end, or, on a machine so loaded that nothing
	// completed by then, at its first completed operation: a rate needs
	// one.
	var done atomic.Int64
	var extended atomic.Bool
	timer := time.AfterFunc(cfg.Duration, func() {
		if done.Load() > 0 {
			cancel()
		}
	})
	defer timer.Stop()
	per := make([][]time.Duration, cfg.Clients)
	var wg sync.WaitGroup
	for c := range cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				t0 := time.Now()
				err := op(ctx, c, i)
				late := ctx.Err() != nil || !time.Now().Before(end)
				if late && (err != nil || done.Load() > 0) {
					return // the phase ended during the call: do not count it
				}
				if err != nil {
					errs.add(err)
					continue
				}
				per[c] = append(per[c], time.Since(t0))
				if done.Add(1) == 1 && late {
					extended.Store(true)
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if !extended.Load() {
		took = min(took, cfg.Duration)
	}
	return slices.Concat(per...), took
}

// percentileUS returns the p-th percentile of d in microseconds (0 when
// empty), by the rule of every gerl benchmark (stats.Percentile).
func percentileUS(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(stats.Percentile(d, p)) / float64(time.Microsecond)
}
