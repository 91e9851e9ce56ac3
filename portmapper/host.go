package portmapper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// This file says where a host's port mapper is, and how a node starts one
// when none answers: as a separate process, "gerl portmapper -daemon",
// whose code (package portmapper/daemon) a node does not need.

// DefaultPort is EPMD's well-known port.
const DefaultPort = 4369

// EnvPort names the environment variable that overrides DefaultPort for
// the daemon, its client commands and every node, so that separate clusters
// (and tests) can share a host.
const EnvPort = "GERL_PORTMAPPER_PORT"

// PortFromEnv returns the port from GERL_PORTMAPPER_PORT, or DefaultPort
// when it is unset or empty.
func PortFromEnv() (int, error) {
	v, ok := os.LookupEnv(EnvPort)
	if !ok || strings.TrimSpace(v) == "" {
		return DefaultPort, nil
	}
	p, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || p < 1 || p > 0xffff {
		return 0, fmt.Errorf("%s=%q: want a TCP port number from 1 to 65535", EnvPort, v)
	}
	return p, nil
}

// StateDir returns the directory for the logs and pid files of gerl's
// background processes (the port mapper daemon, -detached nodes):
// $XDG_STATE_HOME/gerl, else $HOME/.local/state/gerl, else
// os.TempDir()/gerl-<uid>. It does not create it.
func StateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "gerl")
	}
	if h, err := os.UserHomeDir(); err == nil && filepath.IsAbs(h) {
		return filepath.Join(h, ".local", "state", "gerl")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("gerl-%d", os.Getuid()))
}

// ExecStarter returns a start function for EnsureDaemon and
// KeeperConfig.StartDaemon that runs "exe portmapper -daemon -port N" and
// waits for it: that command returns once the detached daemon listens, or
// at once when another daemon already answers. The error is what the
// command said (without its "gerl portmapper: " prefix), or how it failed
// when it said nothing.
func ExecStarter(exe string, port int) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), daemonStartWait+5*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, exe, "portmapper", "-daemon", "-port", strconv.Itoa(port))
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		said := strings.TrimPrefix(string(bytes.TrimSpace(out)), "gerl portmapper: ")
		switch {
		case said == "":
			return fmt.Errorf("%s portmapper -daemon -port %d: %w", exe, port, err)
		case ctx.Err() != nil:
			return fmt.Errorf("%s portmapper -daemon -port %d: %w: %s", exe, port, err, said)
		}
		return errors.New(said)
	}
}
