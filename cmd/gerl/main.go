// Command gerl starts an erl-like interactive shell on a gerl node, or runs
// one of its tools: "gerl portmapper" (the host's port-mapper daemon) and
// "gerl bench" (the benchmark workloads).
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	if os.Getenv("GOGC") == "" {
		// Processes allocate a copy of every message; a larger heap goal
		// cuts the collector's share of message passing by about a third
		// (docs/performance.md). GOGC still overrides it.
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:]))
}

// run dispatches to a verb and returns the process exit status.
func run(args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "portmapper":
			return portmapperCommand(args[1:], os.Stdout, os.Stderr)
		case "bench":
			return benchCommand(args[1:])
		}
	}
	return shellCommand(args)
}
