package main

import (
	"context"
	"os"

	"github.com/gerl-dev/gerl/internal/tuning"
	"github.com/gerl-dev/gerl/shell"
)

// shellCommand starts a node with the shell, as the flags say.
func shellCommand(args []string) int {
	go tuning.Compact(context.Background())
	return shell.Run(args, shell.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}
