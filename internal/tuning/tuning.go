package tuning

import (
	"os"
	"runtime/debug"
	"strings"
	"syscall"
)

// GCPercent is the collector's heap goal gerl runs with unless GOGC says
// otherwise. Processes allocate a copy of every message; a larger heap
// goal cuts the collector's share of message passing by about a third.
const GCPercent = 400

// Apply sets the collector's goal to GCPercent when GOGC is unset, and
// makes the process run with GODEBUG=adaptivestackstart=0, by executing
// itself again with it when it is not set: Go 1.26 starts goroutines with
// a stack sized by the average the collector last saw, and a node's parked
// processes sit just above the threshold that doubles it to 4 KiB, which
// doubles the memory of an idle process (workload spawn). The setting is
// only read at start, and //go:debug does not accept it, hence the exec.
// GODEBUG given by the user is kept. Apply returns only when the process
// runs with the settings (or could not execute itself, and runs as is).
// It must be called before the process starts goroutines or reads its
// input.
func Apply() {
	smallStacks()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
}

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
