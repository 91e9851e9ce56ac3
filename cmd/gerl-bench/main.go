// Command gerl-bench runs gerl's benchmark workloads (docs/performance.md)
// and prints one JSON line per result, in the shape of Erlang/OTP's
// harness so that the two compare line by line. Users run it as
// "gerl bench", which executes gerl-bench found beside the gerl executable
// or on PATH and names itself in GERL_BENCH_GERL as the gerl binary the
// workloads start; run alone, gerl-bench measures the gerl found beside it
// or on PATH, or the one given with -gerl.
//
//	gerl-bench [-quick] [-list] [-pin LIST] [-gerl PATH] [NAME...]
//	gerl-bench peer FLAGS   the bare node the remote workloads start
//
// It is a program of its own so that the gerl binary carries none of the
// benchmark code, and it runs with gerl's runtime settings
// (internal/tuning), since most workloads measure gerl's runtime in this
// process and in its peer nodes.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/gerl-dev/gerl/bench"
	"github.com/gerl-dev/gerl/internal/tuning"
	"github.com/gerl-dev/gerl/portmapper"
)

// envGerl names the gerl binary to measure; gerl bench sets it.
const envGerl = "GERL_BENCH_GERL"

func main() {
	tuning.Apply()
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 && args[0] == "peer" {
		return bench.PeerMain(args[1:])
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gerl bench: cannot find the gerl-bench executable: %v\n", err)
		return 1
	}
	port, err := portmapper.PortFromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gerl bench: %v\n", err)
		return 2
	}
	cfg := bench.Config{
		Exe:            findGerl(self),
		Peer:           bench.PeerCmd{Path: self, Prefix: []string{"peer"}},
		PortMapperPort: port,
	}
	return bench.Main(args, cfg, os.Stdout, os.Stderr)
}

// findGerl returns the gerl binary to measure: GERL_BENCH_GERL, else gerl
// beside gerl-bench, else gerl on PATH, else "" (bench.Main then asks for
// -gerl when a workload needs it).
func findGerl(self string) string {
	if p := os.Getenv(envGerl); p != "" {
		return p
	}
	beside := filepath.Join(filepath.Dir(self), "gerl")
	if fi, err := os.Stat(beside); err == nil && fi.Mode().IsRegular() {
		return beside
	}
	if p, err := exec.LookPath("gerl"); err == nil {
		return p
	}
	return ""
}
