package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/portmapper"
)

// Config is what the workloads need from the command that runs them.
type Config struct {
	// Exe is the gerl binary, for the workloads that run the gerl command
	// line (node_start, shell_start, portmapper); without it they report
	// ErrNoGerl.
	Exe string
	// Peer starts the bare peer nodes of the remote workloads
	// (PeerMain), e.g. {gerl-bench, ["peer"]}.
	Peer PeerCmd
	// PortMapperPort is the port mapper the started nodes use.
	PortMapperPort int
	// Quick shrinks every workload (fewer messages and repetitions), for a
	// fast check that they run; the figures are then not comparable.
	Quick bool
	// Pins are the CPU placements the remote workloads run under (PinNone,
	// PinSame, PinSplit); empty means all three.
	Pins []int
}

// Workload is one named benchmark.
type Workload struct {
	Name string
	Desc string
	Run  func(Config) []Result
}

// ErrNoGerl is the error of a workload that runs the gerl binary when
// Config.Exe is empty.
var ErrNoGerl = errors.New("this workload runs the gerl binary: give it with -gerl PATH (gerl bench does)")

// needGerl returns res failed with ErrNoGerl when exe is empty.
func needGerl(res Result, exe string) (Result, bool) {
	if exe == "" {
		return failed(res, ErrNoGerl), false
	}
	return res, true
}

func pick(quick bool, full, small int) int {
	if quick {
		return small
	}
	return full
}

// Workloads returns every workload: the local ones (1-3) and gerl's own,
// then the remote ones (4-8), in the order of WORKLOADS.md within each.
func Workloads() []Workload {
	var remote []Workload
	for _, w := range RemoteWorkloads() {
		if w.Name == "node_start" {
			w = Workload{"node_start", "gerl -sname X -setcookie C -noshell -eval 'halt()', and without -sname", func(c Config) []Result {
				return []Result{GerlNodeStart(c, pick(c.Quick, NodeStartRuns, 2))}
			}}
		}
		remote = append(remote, w)
	}
	return slices.Concat(localWorkloads(), remote, groupsWorkloads(), scalingWorkloads(), closureWorkloads())
}

// GerlNodeStart is workload 6 with the real command line: the wall time
// of a distributed node that starts and halts at once, and the same
// without distribution for reference (nodist_median_ms), the two
// alternating run by run as in Erlang's harness. The nodes use the port
// mapper on c.PortMapperPort, as erl uses the host's epmd.
func GerlNodeStart(c Config, runs int) Result {
	env := []string{fmt.Sprintf("GERL_PORTMAPPER_PORT=%d", c.PortMapperPort)}
	distCmd := []string{c.Exe, "-sname", fmt.Sprintf("bns%d_{i}", os.Getpid()), "-setcookie", "benchcookie",
		"-noshell", "-eval", "halt()"}
	nodistCmd := []string{c.Exe, "-noshell", "-eval", "halt()"}
	res := Result{Name: "node_start", Params: map[string]any{"runs": runs, "cmd": strings.Join(distCmd, " ")}}
	if res, ok := needGerl(res, c.Exe); !ok {
		return res
	}
	if runs < 1 {
		return failed(res, fmt.Errorf("node_start: %d runs", runs))
	}
	var dist, nodist []float64
	for i := 0; i <= runs; i++ { // run 0 is the warm-up
		d, err := timeRun(distCmd, env, i)
		if err != nil {
			return failed(res, err)
		}
		n, err := timeRun(nodistCmd, env, i)
		if err != nil {
			return failed(res, err)
		}
		if i > 0 {
			dist, nodist = append(dist, d), append(nodist, n)
			res.Samples = append(res.Samples, map[string]float64{"ms": d, "nodist_ms": n})
		}
	}
	res.Figures = map[string]float64{"median_ms": median(dist), "min_ms": slices.Min(dist), "max_ms": slices.Max(dist),
		"nodist_median_ms": median(nodist)}
	return res
}

func localWorkloads() []Workload {
	return []Workload{
		{"local_pingpong", "two processes, 200k round trips", func(c Config) []Result {
			return []Result{LocalPingPong(pick(c.Quick, PingPongN, 2000), pick(c.Quick, PingPongReps, 1))}
		}},
		{"local_fanin", "4 senders, 1M messages to one receiver", func(c Config) []Result {
			return []Result{LocalFanIn(FanInSenders, pick(c.Quick, FanInN, 8000), pick(c.Quick, FanInReps, 1))}
		}},
		{"spawn", "100k processes blocked in receive", func(c Config) []Result {
			return []Result{Spawn(pick(c.Quick, SpawnN, 2000), pick(c.Quick, SpawnReps, 1))}
		}},
		{"go_floor", "Go's floors under local_pingpong and million: a channel round trip, 1M parked goroutines in a fresh process", func(c Config) []Result {
			return []Result{GoFloor(c.Peer, pick(c.Quick, FloorPingPongN, 2000), pick(c.Quick, FloorGoroutines, 2000))}
		}},
		{"interp_pingpong", "workload 1 as interpreted closures from the shell", func(c Config) []Result {
			return []Result{InterpPingPong(pick(c.Quick, PingPongN, 2000), pick(c.Quick, PingPongReps, 1))}
		}},
		{"interp_fanin", "workload 2 as interpreted closures from the shell (200k messages)", func(c Config) []Result {
			return []Result{InterpFanIn(FanInSenders, pick(c.Quick, InterpFanInN, 8000), pick(c.Quick, FanInReps, 1))}
		}},
		{"eval_latency", "a shell input to its printed result", func(c Config) []Result {
			return []Result{EvalLatency(pick(c.Quick, 1000, 20))}
		}},
		{"shell_start", "exec of gerl to its first prompt on a pty", func(c Config) []Result {
			return []Result{ShellStart(c.Exe, pick(c.Quick, 11, 1), c.PortMapperPort)}
		}},
		{"portmapper", "lookups/s and registrations/s of the port mapper (and of epmd, if installed)", func(c Config) []Result {
			d := 2 * time.Second
			if c.Quick {
				d = 200 * time.Millisecond
			}
			out := []Result{PortMapper(c.Exe, pick(c.Quick, 200, 20), d, false)}
			if _, err := exec.LookPath("epmd"); err == nil {
				out = append(out, PortMapper(c.Exe, pick(c.Quick, 200, 20), d, true))
			}
			return out
		}},
		{"hotload", "load and reload a small module", func(c Config) []Result {
			return []Result{HotLoad(pick(c.Quick, HotLoadReps, 1))}
		}},
	}
}

// Main is the gerl bench command: it runs the named workloads (all when
// none is named) and prints one JSON line per result on stdout.
func Main(args []string, cfg Config, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gerl bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&cfg.Quick, "quick", false, "small sizes: check that the workloads run (figures not comparable)")
	fs.StringVar(&cfg.Exe, "gerl", cfg.Exe, "the gerl `binary` whose command line node_start, shell_start and portmapper run")
	list := fs.Bool("list", false, "list the workloads")
	pins := fs.String("pin", "none,same_cpu,split_cpus", "the CPU placements of the remote workloads, comma-separated: none, same_cpu (both nodes on CPU 0), split_cpus (one node per CPU)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: gerl bench [-quick] [NAME...]   runs the workloads (all when none is named), one JSON line each")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	cfg.Pins = nil
	for _, name := range strings.Split(*pins, ",") {
		pin, ok := pinByName(strings.TrimSpace(name))
		if !ok {
			fmt.Fprintf(stderr, "gerl bench: -pin: no placement %q (have: none, same_cpu, split_cpus)\n", name)
			return 2
		}
		cfg.Pins = append(cfg.Pins, pin)
	}
	all := Workloads()
	if *list {
		for _, w := range all {
			fmt.Fprintf(stdout, "%-18s %s\n", w.Name, w.Desc)
		}
		fmt.Fprintf(stdout, "(gerl binary: %s)\n", cmp.Or(cfg.Exe, "none found; give -gerl PATH"))
		return 0
	}
	run := all
	if fs.NArg() > 0 {
		run = nil
		for _, name := range fs.Args() {
			found := false
			for _, w := range all {
				if w.Name == name {
					run = append(run, w)
					found = true
				}
			}
			if !found {
				var names []string
				for _, w := range all {
					names = append(names, w.Name)
				}
				fmt.Fprintf(stderr, "gerl bench: no workload %q (have: %s)\n", name, strings.Join(names, ", "))
				return 2
			}
		}
	}
	// node_start and shell_start run the gerl command line, whose first
	// distributed node starts a port mapper on cfg.PortMapperPort if none
	// answers there; as Erlang's harness does with epmd, one started by
	// this run is stopped at its end (when no node is left registered).
	stopPortMapper := stopStartedPortMapper(cfg.PortMapperPort, 10*time.Second)
	defer func() {
		if err := stopPortMapper(); err != nil {
			fmt.Fprintf(stderr, "gerl bench: %v\n", err)
		}
	}()
	status := 0
	enc := json.NewEncoder(stdout)
	for _, w := range run {
		fmt.Fprintf(stderr, "running %s...\n", w.Name)
		for _, r := range w.Run(cfg) {
			if r.Error != "" {
				status = 1
			}
			if err := enc.Encode(r); err != nil {
				fmt.Fprintf(stderr, "gerl bench: %v\n", err)
				return 1
			}
		}
	}
	return status
}

// stopStartedPortMapper returns what stops the port mapper on port at the
// end of a run: the one the run's nodes start, when none answered there
// before; nothing when one did (it is someone else's). It waits up to wait
// for the run's nodes to be unregistered (portmapper.KillWhenIdle); its
// error says why the daemon is still running, if it is.
func stopStartedPortMapper(port int, wait time.Duration) func() error {
	addr := portmapper.LoopbackAddr(port)
	if portMapperAnswers(addr) {
		return func() error { return nil }
	}
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := portmapper.KillWhenIdle(ctx, addr); err != nil {
			return fmt.Errorf("the port mapper this run started on port %d is left running: %w", port, err)
		}
		return nil
	}
}

// portMapperAnswers reports whether a port mapper answers NAMES at addr.
func portMapperAnswers(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, _, err := portmapper.Names(ctx, addr)
	return err == nil
}
