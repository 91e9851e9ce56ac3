// Command gerl starts an erl-like interactive shell on a gerl node, or runs
// one of its tools: "gerl portmapper" (the host's port-mapper daemon) and
// "gerl bench" (the benchmark workloads).
package main

import (
	"os"
	"runtime/debug"
	"strings"
	"syscall"
)

func main() {
	smallStacks()
	if os.Getenv("GOGC") == "" {
		// Processes allocate a copy of every message; a larger heap goal
		// cuts the collector's share of message passing by about a third
		// (docs/performance.md). GOGC still overrides it.
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:]))
}

// smallStacks makes the process run with GODEBUG=adaptivestackstart=0, by
// executing itself again with it when it is not set. Go 1.26 starts
// goroutines with a stack sized by the average the collector last saw; a
// node's parked processes sit just above the threshold that doubles it to
// 4 KiB, which doubles the memory of an idle process (docs/performance.md,
// workload spawn). The setting is only read at start, and //go:debug does
// not accept it, hence the exec. GODEBUG given by the user is kept.
func smallStacks() {
	godebug := os.Getenv("GODEBUG")
	if strings.Contains(godebug, "adaptivestackstart=") {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	if godebug != "" {
		godebug += ","
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			env = append(env, kv)
		}
	}
	env = append(env, "GODEBUG="+godebug+"adaptivestackstart=0")
	_ = syscall.Exec(exe, os.Args, env) // returns only on failure: run as is
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
