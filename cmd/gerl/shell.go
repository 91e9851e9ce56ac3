package main

import (
	"os"

	"github.com/gerl-dev/gerl/shell"
)

// shellCommand starts a node with the shell, as the flags say.
func shellCommand(args []string) int {
	return shell.Run(args, shell.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}
