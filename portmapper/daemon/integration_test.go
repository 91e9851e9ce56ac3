package daemon

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
)

// These tests run the real gerl binary (built once by gerlBinary): the
// detached daemon, its CLI, and the auto-start of nodes through it.

// gerlEnv returns the environment for a gerl process of this test: state
// (log, pid file) in a temporary directory, no inherited port.
func gerlEnv(t *testing.T, extra ...string) (env []string, stateDir string) {
	stateDir = t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, portmapper.EnvPort+"=") && !strings.HasPrefix(kv, "XDG_STATE_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env, append([]string{"XDG_STATE_HOME=" + stateDir}, extra...)...), stateDir
}

func runGerl(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gerlBinary(t), args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("gerl %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// daemonPIDs lists the live gerl daemon processes of this test binary on
// port, by reading /proc.
func daemonPIDs(t *testing.T, port int) []int {
	t.Helper()
	bin := gerlBinary(t)
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	var pids []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(args) < 2 || args[0] != bin || args[1] != "portmapper" || slices.Contains(args, "-daemon") {
			continue
		}
		if i := slices.Index(args, "-port"); i < 0 || i+1 >= len(args) || args[i+1] != strconv.Itoa(port) {
			continue
		}
		if st, ok := procState(pid); ok && st != 'Z' {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procState returns the state letter of a process (R, S, Z...).
func procState(pid int) (byte, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, false
	}
	return b[i+2], true
}

// procStat returns the parent pid and session id of a process.
func procStat(t *testing.T, pid int) (ppid, sid int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ppid, _ = strconv.Atoi(f[1])
	sid, _ = strconv.Atoi(f[3])
	return ppid, sid
}

// reapDaemons kills, when the test ends, every daemon left on port.
func reapDaemons(t *testing.T, port int) {
	t.Cleanup(func() {
		for _, pid := range daemonPIDs(t, port) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		testkit.Eventually(t, 10*time.Second, "the daemons to exit", func() bool { return len(daemonPIDs(t, port)) == 0 })
	})
}

func TestDaemonDetaches(t *testing.T) {
	port := testkit.FreePort(t)
	reapDaemons(t, port)
	env, state := gerlEnv(t)
	p := strconv.Itoa(port)

	code, stdout, stderr := runGerl(t, env, "portmapper", "-daemon", "-port", p)
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("gerl portmapper -daemon: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// -daemon returns once the daemon listens: no waiting needed.
	if _, _, err := portmapper.Names(ctxT(t), portmapper.LoopbackAddr(port)); err != nil {
		t.Fatalf("the daemon does not answer after -daemon returned: %v", err)
	}
	pids := daemonPIDs(t, port)
	if len(pids) != 1 {
		t.Fatalf("daemon processes: %v", pids)
	}
	pid := pids[0]
	pidFile, err := os.ReadFile(filepath.Join(state, "gerl", "portmapper-"+p+".pid"))
	if err != nil || strings.TrimSpace(string(pidFile)) != strconv.Itoa(pid) {
		t.Fatalf("pid file %q (%v), daemon %d", pidFile, err, pid)
	}
	ppid, sid := procStat(t, pid)
	if sid != pid || ppid == os.Getpid() {
		t.Fatalf("daemon %d: session %d, parent %d: not detached", pid, sid, ppid)
	}
	logPath := filepath.Join(state, "gerl", "portmapper-"+p+".log")
	for fd, want := range map[string]string{"0": os.DevNull, "1": logPath, "2": logPath} {
		if got, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "fd", fd)); err != nil || got != want {
			t.Fatalf("daemon fd %s -> %q (%v), want %q", fd, got, err, want)
		}
	}

	// A second -daemon gives way quietly.
	code, stdout, stderr = runGerl(t, env, "portmapper", "-daemon", "-port", p)
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("second -daemon: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if got := daemonPIDs(t, port); !slices.Equal(got, []int{pid}) {
		t.Fatalf("daemon processes after a second -daemon: %v", got)
	}

	reg, err := portmapper.Register(ctxT(t), portmapper.LoopbackAddr(port), portmapper.NodeInfo{Name: "cli", Port: 4321, Highest: 6, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runGerl(t, env, "portmapper", "-names", "-port", p)
	if want := "gerl portmapper: up and running on port " + p + " with data:\nname cli at port 4321\n"; code != 0 || stdout != want {
		t.Fatalf("-names: exit %d, %q", code, stdout)
	}
	code, _, stderr = runGerl(t, env, "portmapper", "-kill", "-port", p)
	if code != 1 || !strings.Contains(stderr, "living nodes") {
		t.Fatalf("-kill with a node: exit %d, %q", code, stderr)
	}
	reg.Close()
	testkit.Eventually(t, 5*time.Second, "cli to be unregistered", func() bool { return !isRegistered(t, portmapper.LoopbackAddr(port), "cli") })
	code, stdout, _ = runGerl(t, env, "portmapper", "-kill", "-port", p)
	if code != 0 || stdout != "Killed\n" {
		t.Fatalf("-kill: exit %d, %q", code, stdout)
	}
	testkit.Eventually(t, 10*time.Second, "the daemon to exit", func() bool { return len(daemonPIDs(t, port)) == 0 })
	logText, _ := os.ReadFile(logPath)
	for _, want := range []string{"msg=listening", "name=cli", "KILL granted"} {
		if !bytes.Contains(logText, []byte(want)) {
			t.Errorf("log lacks %q:\n%s", want, logText)
		}
	}
	if _, err := os.Stat(filepath.Join(state, "gerl", "portmapper-"+p+".pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	code, _, stderr = runGerl(t, env, "portmapper", "-names", "-port", p)
	if code == 0 || stderr != "gerl portmapper: cannot connect to the port mapper on port "+p+"\n" {
		t.Fatalf("-names with no daemon: exit %d, %q", code, stderr)
	}
}

// TestDaemonSimultaneousStarts starts several daemons on one port at the
// same instant: every command succeeds, and exactly one daemon runs.
func TestDaemonSimultaneousStarts(t *testing.T) {
	port := testkit.FreePort(t)
	reapDaemons(t, port)
	env, _ := gerlEnv(t, portmapper.EnvPort+"="+strconv.Itoa(port)) // the port comes from the environment
	const n = 4
	type result struct {
		code           int
		stdout, stderr string
	}
	results := make(chan result, n)
	var ready sync.WaitGroup
	ready.Add(n)
	for range n {
		go func() {
			ready.Done()
			ready.Wait()
			code, stdout, stderr := runGerl(t, env, "portmapper", "-daemon")
			results <- result{code, stdout, stderr}
		}()
	}
	for range n {
		if r := <-results; r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Fatalf("a -daemon failed: %+v", r)
		}
	}
	if _, _, err := portmapper.Names(ctxT(t), portmapper.LoopbackAddr(port)); err != nil {
		t.Fatal(err)
	}
	// Losers exit on their own after giving way.
	testkit.Eventually(t, 10*time.Second, "one daemon to remain", func() bool { return len(daemonPIDs(t, port)) == 1 })
}

func TestDaemonStartFailures(t *testing.T) {
	t.Run("bad address", func(t *testing.T) {
		port := testkit.FreePort(t)
		reapDaemons(t, port)
		env, _ := gerlEnv(t)
		code, _, stderr := runGerl(t, env, "portmapper", "-daemon", "-port", strconv.Itoa(port), "-address", "nonsense")
		if code != 1 || !strings.Contains(stderr, `cannot parse IP address "nonsense"`) {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("port held by something else", func(t *testing.T) {
		// Accept and hang up: not a port mapper.
		addr := testkit.Serve(t, "127.0.0.1:0", func(net.Conn, <-chan struct{}) {})
		_, p, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(p)
		reapDaemons(t, port)
		env, _ := gerlEnv(t)
		code, _, stderr := runGerl(t, env, "portmapper", "-daemon", "-port", strconv.Itoa(port))
		if code != 1 || !strings.Contains(stderr, "not a port mapper") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
}

// TestDaemonForegroundSignal: the foreground daemon stops cleanly on
// SIGTERM.
func TestDaemonForegroundSignal(t *testing.T) {
	port := testkit.FreePort(t)
	reapDaemons(t, port)
	env, _ := gerlEnv(t)
	cmd := exec.Command(gerlBinary(t), "portmapper", "-port", strconv.Itoa(port))
	cmd.Env = env
	var logs testkit.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	testkit.Eventually(t, 10*time.Second, "the daemon to answer", func() bool {
		_, _, err := portmapper.Names(ctxT(t), portmapper.LoopbackAddr(port))
		return err == nil
	})
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err
		if err != nil || !strings.Contains(logs.String(), "signal received") {
			t.Fatalf("exit %v, log:\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

// TestAutoStartTwoNodesAtOnce: two nodes start at the same instant on a
// host with no daemon. Both start one through the real binary; one daemon
// wins the port, the other start gives way, and both nodes register.
func TestAutoStartTwoNodesAtOnce(t *testing.T) {
	port := testkit.FreePort(t)
	reapDaemons(t, port)
	_, state := gerlEnv(t)
	t.Setenv("XDG_STATE_HOME", state) // inherited by the daemons
	start := portmapper.ExecStarter(gerlBinary(t), port)
	names := []string{"left", "right"}
	keepers := make([]*portmapper.Keeper, len(names))
	errs := make([]error, len(names))
	var wg, ready sync.WaitGroup
	ready.Add(len(names))
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			ready.Wait()
			keepers[i], errs[i] = portmapper.Keep(ctxT(t), portmapper.KeeperConfig{Port: port, StartDaemon: start,
				Node: portmapper.NodeInfo{Name: name, Port: 5000 + i, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5}})
		}()
	}
	wg.Wait()
	for i := range names {
		if errs[i] != nil {
			t.Fatalf("Keep %s: %v", names[i], errs[i])
		}
		defer keepers[i].Close()
	}
	_, got, err := portmapper.Names(ctxT(t), portmapper.LoopbackAddr(port))
	if err != nil || len(got) != 2 {
		t.Fatalf("names %v, %v", got, err)
	}
	testkit.Eventually(t, 10*time.Second, "one daemon to remain", func() bool { return len(daemonPIDs(t, port)) == 1 })
}

// TestKeeperRestartsKilledDaemon kills the daemon process: the Keeper
// starts a new one through the binary and registers again.
func TestKeeperRestartsKilledDaemon(t *testing.T) {
	port := testkit.FreePort(t)
	reapDaemons(t, port)
	_, state := gerlEnv(t)
	t.Setenv("XDG_STATE_HOME", state)
	var logs testkit.Buffer
	again := make(chan uint32, 4)
	k, err := portmapper.Keep(ctxT(t), portmapper.KeeperConfig{Port: port, StartDaemon: portmapper.ExecStarter(gerlBinary(t), port),
		Node:         portmapper.NodeInfo{Name: "phoenix", Port: 6000, Type: portmapper.NodeTypeNormal, Highest: 6, Lowest: 5},
		OnReregister: func(c uint32) { again <- c }, Logger: debugLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	first := daemonPIDs(t, port)
	if len(first) != 1 {
		t.Fatalf("daemons: %v", first)
	}
	before := k.Creation()
	syscall.Kill(first[0], syscall.SIGKILL)
	select {
	case c := <-again:
		if c == before || k.Creation() != c {
			t.Fatalf("creation %d after restart, before %d, Creation() %d", c, before, k.Creation())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no re-registration; log:\n%s", logs.String())
	}
	now := daemonPIDs(t, port)
	if len(now) != 1 || now[0] == first[0] {
		t.Fatalf("daemons after the restart: %v (first %v)", now, first)
	}
	if !isRegistered(t, portmapper.LoopbackAddr(port), "phoenix") {
		t.Fatal("not registered with the new daemon")
	}
}

// TestDetachGivesWayToTheWinner plays the race where another daemon binds
// the port between Detach's first check and its own daemon's bind: the
// first probe finds no answer, the new daemon finds the port taken and
// exits quietly, and Detach then sees the winner answer.
func TestDetachGivesWayToTheWinner(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	reapDaemons(t, port)
	var wg sync.WaitGroup
	defer func() { ln.Close(); wg.Wait() }()
	wg.Add(1)
	go func() { // the winner, not yet answering to the first probe
		defer wg.Done()
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if n > 0 {
				if body, err := portmapper.ReadRequest(c); err == nil && body[0] == portmapper.OpNames {
					c.Write([]byte{0, 0, byte(port >> 8), byte(port)})
				}
			}
			c.Close()
		}
	}()
	_, state := gerlEnv(t)
	t.Setenv("XDG_STATE_HOME", state)
	pid, logPath, err := Detach(DetachConfig{Port: port, Executable: gerlBinary(t),
		Args: []string{"portmapper", "-port", strconv.Itoa(port)}})
	if !errors.Is(err, ErrAlreadyRunning) || pid != 0 {
		t.Fatalf("Detach = %d, %v; want ErrAlreadyRunning", pid, err)
	}
	// The daemon logs that it gives way before it reports: the line is
	// there when Detach returns.
	logText, _ := os.ReadFile(logPath)
	if !bytes.Contains(logText, []byte("giving way")) {
		t.Fatalf("the losing daemon's log:\n%s", logText)
	}
	// It exits right after reporting; nothing tells this test when.
	testkit.Eventually(t, 10*time.Second, "the losing daemon to exit", func() bool { return len(daemonPIDs(t, port)) == 0 })
}

// TestFullPortMapperIsNotANameClash starts a node through the gerl binary
// against a daemon whose table is full: the node says that the port
// mapper is full, not that its name is taken (RELIABILITY.md, finding 6);
// a taken name still says so.
func TestFullPortMapperIsNotANameClash(t *testing.T) {
	s := startServer(t, Config{MaxNodes: 1})
	reg, err := portmapper.Register(ctxT(t), addrOf(s), portmapper.NodeInfo{Name: "holder", Port: 1, Highest: 6, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	env, _ := gerlEnv(t, portmapper.EnvPort+"="+strconv.Itoa(s.Port()))
	for _, tt := range []struct {
		name, want, never string
	}{
		{"b", "the port mapper is full: it holds as many nodes as it allows, so it cannot register b", "already running"},
		{"holder", "a node named holder is already running on this host", "is full"},
	} {
		code, _, stderr := runGerl(t, env, "-sname", tt.name, "-setcookie", "c", "-noshell", "-eval", "halt()")
		if code == 0 || !strings.Contains(stderr, tt.want) || strings.Contains(stderr, tt.never) {
			t.Errorf("gerl -sname %s with a full port mapper: exit %d, stderr %q; want %q", tt.name, code, stderr, tt.want)
		}
	}
}
