package bench

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"time"

	"github.com/gerl-dev/gerl/portmapper"
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
	r, err := portmapper.Bench(context.Background(), portmapper.BenchConfig{Addr: addr, Clients: clients, Duration: d})
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
