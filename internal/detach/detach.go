package detach

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Config describes a process to start in the background.
type Config struct {
	// Executable is the program; "" means this one (os.Executable).
	Executable string
	// Args are its arguments.
	Args []string
	// Env names the environment variable through which the child learns
	// the file descriptor to report on (see FromEnv).
	Env string
	// Log receives the child's standard output and error (see OpenLog).
	Log *os.File
	// Timeout bounds the wait for the report: a child that has not
	// reported by then is killed.
	Timeout time.Duration
}

// ErrNoReport is matched by the error of a child that exited, or was
// killed at the timeout, without reporting.
var ErrNoReport = errors.New("the process did not report its start")

// Start starts the process and returns its pid and the line it reported
// (without the newline). On an error the process is not running: it
// exited, or Start killed it at the timeout.
func Start(cfg Config) (pid int, report string, err error) {
	exe := cfg.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return 0, "", fmt.Errorf("find this program: %w", err)
		}
	}
	logf := cfg.Log
	rd, wr, err := os.Pipe()
	if err != nil {
		return 0, "", fmt.Errorf("report pipe: %w", err)
	}
	defer rd.Close()
	cmd := exec.Command(exe, cfg.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf // stdin: /dev/null
	cmd.ExtraFiles = []*os.File{wr}     // fd 3 in the child
	cmd.Env = append(os.Environ(), cfg.Env+"=3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	wr.Close() // the child holds the only write end: EOF when it exits
	if err != nil {
		return 0, "", fmt.Errorf("start %s: %w", exe, err)
	}
	rd.SetReadDeadline(time.Now().Add(cfg.Timeout))
	line, rerr := bufio.NewReader(io.LimitReader(rd, 4096)).ReadString('\n')
	if rerr == nil {
		pid := cmd.Process.Pid    // before Release, which forgets it
		_ = cmd.Process.Release() // it runs on, in its own session
		return pid, strings.TrimSuffix(line, "\n"), nil
	}
	if errors.Is(rerr, os.ErrDeadlineExceeded) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return 0, "", fmt.Errorf("%w within %v (see %s)", ErrNoReport, cfg.Timeout, logf.Name())
	}
	werr := cmd.Wait()
	return 0, "", fmt.Errorf("%w: it exited (%v; see %s)", ErrNoReport, werr, logf.Name())
}

// OpenLog opens path for appending, creating it mode 0600 and its
// directory mode 0700.
func OpenLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}

// Reporter is the child's end of the report pipe.
type Reporter struct{ f *os.File }

// FromEnv returns the reporter Start passed in the environment variable
// env, or nil when this process was not started by Start. It clears the
// variable, so that processes this one starts do not inherit it.
func FromEnv(env string) *Reporter {
	v, ok := os.LookupEnv(env)
	if !ok {
		return nil
	}
	os.Unsetenv(env)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil
	}
	return &Reporter{f: os.NewFile(uintptr(fd), "detach report")}
}

// Report sends the one line of the report (newlines in it become spaces)
// and closes the pipe. A nil Reporter does nothing.
func (r *Reporter) Report(line string) {
	if r == nil {
		return
	}
	fmt.Fprintln(r.f, strings.ReplaceAll(line, "\n", " "))
	r.f.Close()
}
