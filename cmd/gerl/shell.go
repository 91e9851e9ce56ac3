package main

import (
	"fmt"
	"os"
)

// shellCommand starts a node with the interactive shell. (Being written: see issue 5.)
func shellCommand(args []string) int {
	fmt.Fprintln(os.Stderr, "gerl: the shell is not built yet")
	return 1
}
