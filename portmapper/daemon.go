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

	"github.com/gerl-dev/gerl/internal/detach"
)

// DefaultPort is EPMD's well-known port.
const DefaultPort = 4369

// EnvPort names the environment variable that overrides DefaultPort for
// the daemon, its client commands and every node, so that separate clusters
// (and tests) can share a host.
const EnvPort = "GERL_PORTMAPPER_PORT"

// envNotifyFD names the environment variable through which Detach tells the
// daemon process which file descriptor carries its readiness report.
const envNotifyFD = "GERL_PORTMAPPER_NOTIFY_FD"

// ErrAlreadyRunning is returned by Detach when a port mapper already
// answers on the port, or another one won the race to it while this one
// started: the caller "gives way quietly".
var ErrAlreadyRunning = errors.New("a port mapper is already running")

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

// StateDir returns the directory for the daemon's log and pid files:
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

// LogPath returns where a detached daemon on port logs by default.
func LogPath(port int) string {
	return filepath.Join(StateDir(), fmt.Sprintf("portmapper-%d.log", port))
}

// PIDPath returns where a detached daemon on port writes its process id.
func PIDPath(port int) string {
	return filepath.Join(StateDir(), fmt.Sprintf("portmapper-%d.pid", port))
}

// openLog opens (appending) the log at path, creating its directory; when
// that fails it falls back to a file in os.TempDir().
func openLog(path string, port int) (*os.File, error) {
	f, err := detach.OpenLog(path)
	if err == nil {
		return f, nil
	}
	fallback := filepath.Join(os.TempDir(), fmt.Sprintf("gerl-%d", os.Getuid()), fmt.Sprintf("portmapper-%d.log", port))
	if fallback == path {
		return nil, err
	}
	if f, ferr := detach.OpenLog(fallback); ferr == nil {
		return f, nil
	}
	return nil, err
}

// DetachConfig describes a daemon to start in the background.
type DetachConfig struct {
	// Port the daemon will listen on: Detach checks it for a running daemon.
	Port int
	// Executable is the gerl binary; "" means os.Executable().
	Executable string
	// Args are the daemon process's arguments, e.g. "portmapper", "-port",
	// "4369" (without -daemon: the child runs in the foreground of its own
	// session).
	Args []string
	// LogPath receives the daemon's standard output and error; "" means
	// LogPath(Port).
	LogPath string
	// Timeout bounds the wait for the daemon to listen; 0 means 10 s.
	Timeout time.Duration
}

// Detach starts the daemon as a background process that outlives its
// parent: a new session (no controlling terminal), standard input from
// /dev/null, standard output and error appended to the log file. It returns
// once the daemon reports that it listens (with its pid), or
// ErrAlreadyRunning when a port mapper already answers on the port or won
// the race to it (the new process then exits quietly), or an error saying
// why the daemon did not start.
func Detach(cfg DetachConfig) (pid int, logPath string, err error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = daemonStartWait
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	if probe(ctx, LoopbackAddr(cfg.Port)) == nil {
		return 0, "", ErrAlreadyRunning
	}
	if cfg.LogPath == "" {
		cfg.LogPath = LogPath(cfg.Port)
	}
	logf, err := openLog(cfg.LogPath, cfg.Port)
	if err != nil {
		return 0, "", fmt.Errorf("open the port mapper log: %w", err)
	}
	defer logf.Close()
	logPath = logf.Name()
	pid, report, err := detach.Start(detach.Config{Executable: cfg.Executable, Args: cfg.Args, Env: envNotifyFD,
		Log: logf, Timeout: cfg.Timeout})
	if err != nil {
		return 0, logPath, fmt.Errorf("the port mapper did not start: %w", err)
	}
	word, rest, _ := strings.Cut(report, " ")
	switch word {
	case "ready":
		return pid, logPath, nil
	case "inuse": // it exits at once
		if EnsureDaemon(ctx, cfg.Port, nil) == nil {
			return 0, logPath, ErrAlreadyRunning
		}
		return 0, logPath, fmt.Errorf("port %d is taken by something that is not a port mapper: %s", cfg.Port, rest)
	case "error":
		return 0, logPath, fmt.Errorf("the port mapper did not start: %s", rest)
	}
	return 0, logPath, fmt.Errorf("the port mapper reported %q (see %s)", report, logPath)
}

// Readiness is the channel through which a daemon started by Detach reports
// whether it listens.
type Readiness struct{ r *detach.Reporter }

// DetachedReadiness returns the readiness channel passed by Detach, or nil
// when this process was not started by Detach. It clears the variable so
// that the report is made once.
func DetachedReadiness() *Readiness {
	r := detach.FromEnv(envNotifyFD)
	if r == nil {
		return nil
	}
	return &Readiness{r: r}
}

// Report tells the parent the outcome of Server.Listen and closes the
// channel: nil means listening; an error wrapping ErrAddrInUse means
// another process holds the port.
func (r *Readiness) Report(listenErr error) {
	if r == nil {
		return
	}
	switch {
	case errors.Is(listenErr, ErrAddrInUse):
		r.r.Report("inuse " + listenErr.Error())
	case listenErr != nil:
		r.r.Report("error " + listenErr.Error())
	default:
		r.r.Report("ready " + strconv.Itoa(os.Getpid()))
	}
}

// WritePIDFile writes this process's id to PIDPath(port), for operators
// and tests. The returned func removes it if it still holds this pid.
func WritePIDFile(port int) (remove func(), err error) {
	path := PIDPath(port)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return func() {}, err
	}
	mine := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := os.WriteFile(path, mine, 0o600); err != nil {
		return func() {}, err
	}
	return func() {
		if b, err := os.ReadFile(path); err == nil && bytes.Equal(b, mine) {
			os.Remove(path)
		}
	}, nil
}

// ExecStarter returns a start function for EnsureDaemon and
// KeeperConfig.StartDaemon that runs "exe portmapper -daemon -port N" and
// waits for it: that command returns once the detached daemon listens, or
// at once when another daemon already answers. The error carries the
// command's output.
func ExecStarter(exe string, port int) func() error {
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), daemonStartWait+5*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, exe, "portmapper", "-daemon", "-port", strconv.Itoa(port))
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s portmapper -daemon -port %d: %w: %s", exe, port, err, bytes.TrimSpace(out))
		}
		return nil
	}
}
