package shell

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
)

// These helpers drive the real gerl binary: piped, and in a real terminal
// (tmux). The binary is built once for the package's tests.

var gerlBin string // set by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gerl-shell-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gerlBin = filepath.Join(dir, "gerl")
	if err := testkit.BuildGerl("../cmd/gerl", gerlBin); err != nil {
		fmt.Fprintf(os.Stderr, "build gerl: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// waitTime bounds every wait for the binary: a deadline for failures,
// never a delay for passing tests.
const waitTime = 20 * time.Second

// testEnv is the environment of a gerl run in a test: its own HOME (for
// history and cookie files) and its own port mapper port, and the port
// mapper daemon it may start is killed at the end.
type testEnv struct {
	home   string
	pmPort int
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	e := &testEnv{home: t.TempDir(), pmPort: testkit.FreePort(t)}
	t.Cleanup(func() { e.killPortMapper(t) })
	return e
}

// killPortMapper stops the port mapper a distributed node of the test may
// have started.
func (e *testEnv) killPortMapper(t *testing.T) {
	testkit.KillPortMapper(t, e.home, e.pmPort)
}

func (e *testEnv) environ() []string {
	return testkit.Environ(e.home, e.pmPort, "TERM=xterm-256color")
}

// runPiped runs gerl with args and input on stdin.
func (e *testEnv) runPiped(t *testing.T, input string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(gerlBin, args...)
	cmd.Env = e.environ()
	cmd.Stdin = strings.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitTime):
		cmd.Process.Kill()
		<-done
		t.Fatalf("gerl %v did not exit within %v\nstdout: %s\nstderr: %s", args, waitTime, out.String(), errb.String())
	}
	return out.String(), errb.String(), code
}

// tmuxTerm is gerl running in a real terminal: a tmux session on a
// private tmux server.
type tmuxTerm struct {
	t      *testing.T
	socket string
	name   string
	status string // file the exit status is written to
}

func (e *testEnv) startTmux(t *testing.T, args ...string) *tmuxTerm {
	t.Helper()
	return e.startTmuxEnv(t, nil, args...)
}

// startTmuxEnv is startTmux with extra environment variables.
func (e *testEnv) startTmuxEnv(t *testing.T, extraEnv []string, args ...string) *tmuxTerm {
	t.Helper()
	testkit.NeedTool(t, "tmux", "tmux")
	tm := &tmuxTerm{t: t, socket: fmt.Sprintf("gerl-test-%d-%d", os.Getpid(), time.Now().UnixNano()), name: "g"}
	tm.status = filepath.Join(t.TempDir(), "status")
	// The shell writes gerl's exit status to a file: tmux may be slow to
	// notice that a pane's process ended, the file is not.
	shellCmd := "env"
	for _, kv := range e.environ() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "GERL_PORTMAPPER_PORT=") || strings.HasPrefix(kv, "TERM=") {
			shellCmd += " " + shellQuote(kv)
		}
	}
	for _, kv := range extraEnv {
		shellCmd += " " + shellQuote(kv)
	}
	shellCmd += " " + shellQuote(gerlBin)
	for _, a := range args {
		shellCmd += " " + shellQuote(a)
	}
	shellCmd += "; echo $? > " + shellQuote(tm.status) + "; sleep 600"
	tm.tmux("new-session", "-d", "-s", tm.name, "-x", "150", "-y", "50", shellCmd)
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	return tm
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (tm *tmuxTerm) tmux(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// send types keys: literal text, or tmux key names such as Enter, C-c, C-d,
// Tab, Up.
func (tm *tmuxTerm) send(keys ...string) {
	tm.t.Helper()
	for _, k := range keys {
		switch k {
		case "Enter", "C-c", "C-d", "Tab", "Up", "Down", "C-r", "Escape", "BSpace":
			tm.tmux("send-keys", "-t", tm.name, k)
		default:
			tm.tmux("send-keys", "-t", tm.name, "-l", k)
		}
	}
}

// line types text and presses Enter.
func (tm *tmuxTerm) line(text string) { tm.send(text, "Enter") }

func (tm *tmuxTerm) screen() string {
	tm.t.Helper()
	return tm.tmux("capture-pane", "-p", "-t", tm.name, "-S", "-200")
}

// trimLines removes what tmux does not show: spaces at the ends of lines.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// waitFor polls the screen until it contains want (compared without
// trailing spaces on lines, which tmux drops), and returns it.
func (tm *tmuxTerm) waitFor(want string) string {
	tm.t.Helper()
	want = trimLines(want)
	deadline := time.Now().Add(waitTime)
	for {
		s := trimLines(tm.screen())
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("screen never showed %q; it shows:\n%s", want, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitExit waits until gerl exits and returns its exit status.
func (tm *tmuxTerm) waitExit() int {
	tm.t.Helper()
	deadline := time.Now().Add(waitTime)
	for {
		if b, err := os.ReadFile(tm.status); err == nil && strings.HasSuffix(string(b), "\n") {
			code, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			return code
		}
		if time.Now().After(deadline) {
			// Ask this pane's gerl (the child of the pane's shell) for every
			// goroutine's stack, to see what holds it up; the dump takes a
			// moment to reach the pane (a failure path: no event to wait on).
			if pane := strings.TrimSpace(tm.tmux("display-message", "-p", "-t", tm.name, "#{pane_pid}")); pane != "" {
				_ = exec.Command("pkill", "-QUIT", "-P", pane).Run()
				time.Sleep(500 * time.Millisecond)
			}
			tm.t.Fatalf("gerl did not exit; the screen shows:\n%s", tm.tmux("capture-pane", "-p", "-t", tm.name, "-S", "-3000"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
