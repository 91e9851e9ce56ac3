package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/internal/detach"
	"github.com/gerl-dev/gerl/portmapper"
)

// envNotifyFD names the environment variable through which Detach tells the
// daemon process which file descriptor carries its readiness report.
const envNotifyFD = "GERL_PORTMAPPER_NOTIFY_FD"

// startWait bounds Detach's wait for the daemon when DetachConfig.Timeout
// is 0.
const startWait = 10 * time.Second

// ErrAlreadyRunning is returned by Detach when a port mapper already
// answers on the port, or another one won the race to it while this one
// started: the caller "gives way quietly".
var ErrAlreadyRunning = errors.New("a port mapper is already running")

// LogPath returns where a detached daemon on port logs by default.
func LogPath(port int) string {
	return filepath.Join(portmapper.StateDir(), fmt.Sprintf("portmapper-%d.log", port))
}

// PIDPath returns where a detached daemon on port writes its process id.
func PIDPath(port int) string {
	return filepath.Join(portmapper.StateDir(), fmt.Sprintf("portmapper-%d.pid", port))
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
// the race to it (the new process then exits quietly, its log saying so),
// or an error saying why the daemon did not start.
func Detach(cfg DetachConfig) (pid int, logPath string, err error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = startWait
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	if portmapper.EnsureDaemon(ctx, cfg.Port, nil) == nil { // one answers
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
		if portmapper.EnsureDaemon(ctx, cfg.Port, nil) == nil {
			return 0, logPath, ErrAlreadyRunning
		}
		return 0, logPath, fmt.Errorf("port %d is taken by something that is not a port mapper "+
			"(stop it, or give the port mapper and every node of the cluster another port with %s)", cfg.Port, portmapper.EnvPort)
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
// another process holds the port. The parent's Detach returns as soon as
// it reads the report, so whatever the daemon must have done by then (its
// log line saying it gives way) comes before Report.
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
