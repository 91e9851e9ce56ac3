package main

import (
	"os"

	"github.com/gerl-dev/gerl/internal/tuning"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

func main() {
	tuning.Apply()
	os.Exit(run(os.Args[1:]))
}

// run dispatches to a verb and returns the process exit status.
func run(args []string) int {
	if len(args) > 0 {
		switch args[0] {
		case "portmapper":
			return daemon.Main(args[1:], os.Stdout, os.Stderr)
		case "bench":
			return benchCommand(args[1:], os.Stderr)
		}
	}
	return shellCommand(args)
}
