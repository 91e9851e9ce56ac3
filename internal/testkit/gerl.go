package testkit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/portmapper"
)

// Gerl is a gerl process fed one input at a time on its standard input
// (piped mode), whose standard output and error are read back together.
type Gerl struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin *os.File
	out   *os.File
	buf   bytes.Buffer
	n     int
	exit  chan error // Wait's result, put back by whoever takes it
}

// StartGerl starts bin with args, environment env, in dir ("" for the
// test's). When the test ends, its input is closed, which stops a piped
// gerl; one still running 10 s later is killed, and, unless it was
// started with -noshell (which does not read input), the test fails.
func StartGerl(t testing.TB, bin string, env []string, dir string, args ...string) *Gerl {
	t.Helper()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, outW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	g := &Gerl{t: t, cmd: cmd, stdin: inW, out: outR, exit: make(chan error, 1)}
	go func() { g.exit <- cmd.Wait() }()
	t.Cleanup(func() {
		inW.Close()
		select {
		case err := <-g.exit:
			g.exit <- err
		case <-time.After(10 * time.Second):
			if !slices.Contains(args, "-noshell") {
				t.Errorf("gerl %s did not stop at the end of its input", strings.Join(args, " "))
			}
			cmd.Process.Kill()
		}
		outR.Close()
	})
	return g
}

// Eval sends one input and returns what gerl printed for it, up to a
// marker input evaluated right after it.
func (g *Gerl) Eval(input string) string {
	g.t.Helper()
	g.n++
	mark := fmt.Sprintf("__testkit_mark_%d__", g.n)
	if _, err := fmt.Fprintf(g.stdin, "%s\nif true { fmt.Println(%q) }\n", input, mark); err != nil {
		g.t.Fatalf("write input %q: %v", input, err)
	}
	return g.ReadUntil(mark+"\n", input, 30*time.Second)
}

// Send writes input and a newline without waiting for anything: for a
// program whose end of output the caller recognizes (ReadUntil), such as
// erl's shell and its prompts.
func (g *Gerl) Send(input string) {
	g.t.Helper()
	if _, err := fmt.Fprintf(g.stdin, "%s\n", input); err != nil {
		g.t.Fatalf("write input %q: %v", input, err)
	}
}

// ReadUntil returns what gerl printed before mark (and drops mark), failing
// the test after timeout; what names the wait in the failure.
func (g *Gerl) ReadUntil(mark, what string, timeout time.Duration) string {
	g.t.Helper()
	deadline := time.Now().Add(timeout)
	chunk := make([]byte, 4096)
	for !strings.Contains(g.buf.String(), mark) {
		if time.Now().After(deadline) {
			g.t.Fatalf("no output after %q within %v; output so far, then the goroutines of the gerl that hung:\n%s", what, timeout, g.stacks())
		}
		g.out.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := g.out.Read(chunk)
		g.buf.Write(chunk[:n])
		if err != nil && !os.IsTimeout(err) {
			g.t.Fatalf("reading gerl's output after %q: %v\n%s", what, err, g.buf.String())
		}
	}
	all := g.buf.String()
	i := strings.Index(all, mark)
	g.buf.Reset()
	g.buf.WriteString(all[i+len(mark):])
	return all[:i]
}

// stacks asks the gerl for its goroutines' stacks (SIGQUIT: the Go
// runtime prints them and exits) and returns its output with them: a
// failure path, which waits for the dump to arrive (at most 5 s), no
// event to wait on.
func (g *Gerl) stacks() string {
	_ = g.cmd.Process.Signal(syscall.SIGQUIT)
	chunk := make([]byte, 64<<10)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		g.out.SetReadDeadline(deadline)
		n, err := g.out.Read(chunk)
		g.buf.Write(chunk[:n])
		if err != nil {
			break
		}
	}
	return g.buf.String()
}

// Kill sends SIGKILL and waits for the process to end.
func (g *Gerl) Kill() {
	g.t.Helper()
	g.cmd.Process.Kill()
	g.Wait(10 * time.Second)
}

// Wait waits at most timeout for the process to end and returns its exit
// status.
func (g *Gerl) Wait(timeout time.Duration) int {
	g.t.Helper()
	select {
	case err := <-g.exit:
		g.exit <- err // for the next Wait, and Cleanup
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return 0
	case <-time.After(timeout):
		g.t.Fatalf("gerl did not exit within %v; output:\n%s", timeout, g.buf.String())
	}
	return -1
}

// Environ is the environment of a gerl run in a test: this process's,
// with HOME and the port mapper port of the test's own, and
// XDG_STATE_HOME, NO_COLOR and TERM removed (extra adds more, e.g. "TERM=xterm-256color").
func Environ(home string, pmPort int, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "GERL_PORTMAPPER_PORT=") ||
			strings.HasPrefix(kv, "XDG_STATE_HOME=") || strings.HasPrefix(kv, "NO_COLOR=") || strings.HasPrefix(kv, "TERM=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "GERL_PORTMAPPER_PORT="+strconv.Itoa(pmPort))
	return append(env, extra...)
}

// KillPortMapper stops the port mapper the test's nodes started (gerl
// started it as a daemon, with its pid file under home), once its nodes
// have unregistered (portmapper.KillWhenIdle). A daemon that still
// refuses after 10 s is killed by its pid, and the test fails: a node
// outlived the test.
func KillPortMapper(t testing.TB, home string, pmPort int) {
	t.Helper()
	pidFile := fmt.Sprintf("%s/.local/state/gerl/portmapper-%d.pid", home, pmPort)
	if _, err := os.Stat(pidFile); err != nil {
		return // no daemon was started
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := portmapper.KillWhenIdle(ctx, portmapper.LoopbackAddr(pmPort))
	if err == nil {
		return
	}
	if b, err := os.ReadFile(pidFile); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
		}
	}
	t.Errorf("the port mapper on port %d: %v: a node outlived the test; killed it by its pid", pmPort, err)
}

// BuildGerl builds the gerl binary (pkg is the path of cmd/gerl from the
// test's directory) into out, as users get it. With GERL_RACE_GERL=1 (and
// a test run under -race) it builds it with the race detector too; that
// is not the default because a function declared at a prompt and running
// in a process while the next input executes meets a race inside yaegi
// (interp/interp.go:132 against interp/run.go:113, see yaegirace.go) that
// gerl cannot avoid, and which such a binary prints into the transcript.
func BuildGerl(pkg, out string) error {
	args := []string{"build", "-o", out}
	if Race && os.Getenv("GERL_RACE_GERL") == "1" {
		args = append(args, "-race")
	}
	if b, err := exec.Command("go", append(args, pkg)...).CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return nil
}
