package main

import (
	"fmt"
	"os"

	"github.com/gerl-dev/gerl/bench"
	"github.com/gerl-dev/gerl/portmapper"
)

// benchCommand runs "gerl bench [NAME...]": the benchmark workloads, one
// JSON line each.
func benchCommand(args []string) int {
	if len(args) > 0 && args[0] == "peer" {
		// A node the bench controller drives over stdin and stdout.
		return bench.PeerMain(args[1:])
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gerl bench: %v\n", err)
		return 1
	}
	port, err := portmapper.PortFromEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "gerl bench: %v\n", err)
		return 1
	}
	return bench.Main(args, bench.Config{Exe: exe, PortMapperPort: port}, os.Stdout, os.Stderr)
}
