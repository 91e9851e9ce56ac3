package main

import (
	"io"
	"log"
	"os"

	"github.com/gerl-dev/gerl/internal/tuning"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

func main() {
	// The interpreter (yaegi) writes some of its compile panics to Go's
	// standard logger before it panics ("2026/12/05 22:42:43 nil type" on
	// the terminal); the shell reports the panic itself, in its words.
	// Nothing of gerl's writes to that logger.
	log.SetOutput(io.Discard)
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
