// Command peer is "gerl bench peer" without the rest of gerl: the bench
// package's tests build it to start peer nodes as separate OS processes.
package main

import (
	"os"

	"github.com/gerl-dev/gerl/bench"
)

func main() { os.Exit(bench.PeerMain(os.Args[1:])) }
