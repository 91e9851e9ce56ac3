package main

import (
	"context"
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
	go tuning.Compact(context.Background())
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 && args[0] == "peer" {
		return bench.PeerMain(args[1:])
	}
	if len(args) > 0 && args[0] == "report" {
		return bench.ReportMain(args[1:], os.Stdout, os.Stderr)
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
