package shell

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/internal/detach"
	"github.com/gerl-dev/gerl/portmapper"
)

// detachReadyEnv tells a detached node which file descriptor to report its
// start on (see internal/detach).
const detachReadyEnv = "GERL_DETACHED_READY_FD"

// detachedStartWait bounds how long gerl -detached waits for the node.
const detachedStartWait = time.Minute

// runDetached starts the same command line without -detached, as -noshell, in a
// new session with no terminal, logging to a file; it returns once the
// node has started (status 0) or failed to (status 1, saying why), as erl
// -detached does, but telling the failure.
func runDetached(args []string, stdio Stdio) int {
	var child []string
	for _, a := range args {
		if !isDetachedFlag(a) {
			child = append(child, a)
		}
	}
	child = append(child, "-noshell")
	logPath := detachedLogPath(args)
	logf, err := detach.OpenLog(logPath)
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: -detached: %v\n", err)
		return 1
	}
	defer logf.Close()
	_, report, err := detach.Start(detach.Config{Args: child, Env: detachReadyEnv, Log: logf, Timeout: detachedStartWait})
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: the detached node did not start: %v\n", err)
		return 1
	}
	if why, failed := strings.CutPrefix(report, "error "); failed {
		fmt.Fprintf(stdio.Err, "gerl: the detached node did not start: %s (see %s)\n", why, logPath)
		return 1
	}
	return 0
}

// isDetachedFlag reports whether a is the -detached flag, in any of the
// forms the flag package accepts (-detached, --detached, -detached=true).
func isDetachedFlag(a string) bool {
	name, ok := strings.CutPrefix(a, "-")
	if !ok {
		return false
	}
	name = strings.TrimPrefix(name, "-")
	name, _, _ = strings.Cut(name, "=")
	return name == "detached"
}

// detachedLogPath is where a detached node writes its log: <name>.log in
// the state directory the port mapper uses too (portmapper.StateDir).
func detachedLogPath(args []string) string {
	name := "gerl-" + strconv.Itoa(os.Getpid())
	for i, a := range args {
		if (a == "-sname" || a == "-name") && i+1 < len(args) {
			name = strings.ReplaceAll(args[i+1], "/", "_")
		}
	}
	return filepath.Join(portmapper.StateDir(), name+".log")
}
