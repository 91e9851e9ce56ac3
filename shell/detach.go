package shell

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// detachReadyEnv tells a detached node which file descriptor to report its
// start on.
const detachReadyEnv = "GERL_DETACHED_READY_FD"

// detach starts the same command line without -detached, as -noshell, in a
// new session with no terminal, logging to a file; it returns once the
// node has started (status 0) or failed to (status 1, with its error), as
// erl -detached does, but saying why it failed.
func detach(args []string, stdio Stdio) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: -detached: %v\n", err)
		return 1
	}
	var child []string
	for _, a := range args {
		if a != "-detached" && a != "--detached" {
			child = append(child, a)
		}
	}
	child = append(child, "-noshell")
	logPath := detachedLogPath(args)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		fmt.Fprintf(stdio.Err, "gerl: -detached: %v\n", err)
		return 1
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: -detached: %v\n", err)
		return 1
	}
	defer logFile.Close()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: -detached: %v\n", err)
		return 1
	}
	defer devNull.Close()
	readR, readW, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: -detached: %v\n", err)
		return 1
	}
	cmd := exec.Command(exe, child...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devNull, logFile, logFile
	cmd.ExtraFiles = []*os.File{readW} // fd 3
	cmd.Env = append(os.Environ(), detachReadyEnv+"=3")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stdio.Err, "gerl: -detached: %v\n", err)
		return 1
	}
	readW.Close()
	pid := cmd.Process.Pid
	_ = cmd.Process.Release()
	result := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(readR).ReadString('\n')
		result <- strings.TrimSpace(line)
	}()
	select {
	case line := <-result:
		if line == "ok" {
			return 0
		}
		fmt.Fprintf(stdio.Err, "gerl: the detached node did not start; see %s\n", logPath)
		return 1
	case <-time.After(60 * time.Second):
		fmt.Fprintf(stdio.Err, "gerl: the detached node (pid %d) has not started after a minute; see %s\n", pid, logPath)
		return 1
	}
}

// signalDetachedReady tells the parent of a detached node that it started.
func signalDetachedReady(fdText string) {
	fd, err := strconv.Atoi(fdText)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "ready")
	if f == nil {
		return
	}
	fmt.Fprintln(f, "ok")
	f.Close()
	os.Unsetenv(detachReadyEnv)
}

// detachedLogPath is where a detached node writes its log:
// $XDG_STATE_HOME/gerl/<name>.log, or ~/.local/state/gerl/<name>.log.
func detachedLogPath(args []string) string {
	name := "gerl-" + strconv.Itoa(os.Getpid())
	for i, a := range args {
		if (a == "-sname" || a == "-name") && i+1 < len(args) {
			name = strings.ReplaceAll(args[i+1], "/", "_")
		}
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".local", "state")
		} else {
			dir = os.TempDir()
		}
	}
	return filepath.Join(dir, "gerl", name+".log")
}
