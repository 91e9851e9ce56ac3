package daemon

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/portmapper"
)

func pmRun(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPortmapperClientCommands(t *testing.T) {
	s := startServer(t, Config{Relaxed: true})
	port := strconv.Itoa(s.Port())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range []portmapper.NodeInfo{{Name: "alpha", Port: 5001, Highest: 6, Lowest: 5}, {Name: "beta", Port: 5002, Highest: 6, Lowest: 5}} {
		reg, err := portmapper.Register(ctx, s.Addr().String(), n)
		if err != nil {
			t.Fatal(err)
		}
		defer reg.Close()
	}
	dead := strconv.Itoa(testkit.FreePort(t))

	tests := []struct {
		name       string
		args       []string
		env        string // GERL_PORTMAPPER_PORT, "" for unset
		code       int
		stdout     string
		stderrPart string
	}{
		{"names", []string{"-names", "-port", port}, "", 0,
			"gerl portmapper: up and running on port " + port + " with data:\nname beta at port 5002\nname alpha at port 5001\n", ""},
		{"names, port from the environment", []string{"-names"}, port, 0,
			"gerl portmapper: up and running on port " + port + " with data:\nname beta at port 5002\nname alpha at port 5001\n", ""},
		{"names, no daemon", []string{"-names", "-port", dead}, "", 1, "",
			"gerl portmapper: cannot connect to the port mapper on port " + dead + "\n"},
		{"stop unknown", []string{"-port", port, "-stop", "nobody"}, "", 0, "NOEXIST\n", ""},
		{"stop", []string{"-port", port, "-stop", "beta"}, "", 0, "STOPPED\n", ""},
		{"names after stop", []string{"-names", "-port", port}, "", 0,
			"gerl portmapper: up and running on port " + port + " with data:\nname alpha at port 5001\n", ""},
		{"kill, no daemon", []string{"-kill", "-port", dead}, "", 1, "", "cannot connect to the port mapper on port " + dead},
		{"bad environment port", []string{"-names"}, "http", 2, "", "GERL_PORTMAPPER_PORT=\"http\""},
		{"port out of range", []string{"-names", "-port", "70000"}, "", 2, "", "-port 70000"},
		{"two actions", []string{"-names", "-kill"}, "", 2, "", "only one of"},
		{"stray argument", []string{"-names", "extra"}, "", 2, "", "unexpected argument"},
		{"unknown flag", []string{"-bogus"}, "", 2, "", "flag provided but not defined"},
		{"help", []string{"-h"}, "", 0, "", "usage: gerl portmapper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(portmapper.EnvPort, tt.env)
			code, stdout, stderr := pmRun(tt.args...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderrPart) {
				t.Fatalf("exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr containing %q",
					code, stdout, stderr, tt.code, tt.stdout, tt.stderrPart)
			}
		})
	}

	// -daemon while one runs: a node starting one gives way in silence;
	// asked for settings the running daemon keeps, it says so. (The
	// daemon answering, Detach never starts a process here.)
	t.Setenv(portmapper.EnvPort, "")
	if code, stdout, stderr := pmRun("-daemon", "-port", port); code != 0 || stdout != "" || stderr != "" {
		t.Errorf("-daemon, one already runs: exit %d, stdout %q, stderr %q; want 0 and silence", code, stdout, stderr)
	}
	code, stdout, stderr := pmRun("-daemon", "-address", "127.0.0.1", "-port", port)
	if want := "a port mapper already runs on port " + port + " and keeps its own settings"; code != 0 || stdout != "" || !strings.Contains(stderr, want) {
		t.Errorf("-daemon -address, one already runs: exit %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, want)
	}
}

// stranger listens on a loopback port as a program that is not a port
// mapper would: it reads what it is sent and closes the connection
// without a word, or (silent) keeps it open and says nothing.
func stranger(t *testing.T, silent bool) string {
	t.Helper()
	addr := testkit.Serve(t, "127.0.0.1:0", func(c net.Conn, done <-chan struct{}) {
		c.Read(make([]byte, 64))
		if silent {
			<-done
		}
	})
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// TestPortmapperClientCommandsAgainstAStranger: -names, -kill and -stop
// against a port held by something that is not a port mapper say so. (A
// refused KILL or STOP is a connection closed without a word, which a
// stranger gives too: it was reported as a port mapper's refusal.)
func TestPortmapperClientCommandsAgainstAStranger(t *testing.T) {
	for _, args := range [][]string{{"-names"}, {"-kill"}, {"-stop", "foo"}} {
		t.Run("closes "+args[0], func(t *testing.T) {
			port := stranger(t, false)
			code, stdout, stderr := pmRun(append(args, "-port", port)...)
			if want := "port " + port + " is held by something that is not a port mapper"; code != 1 || stdout != "" || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and %q", code, stdout, stderr, want)
			}
		})
	}
	t.Run("silent", func(t *testing.T) {
		t.Parallel() // it waits out the client's timeout
		port := stranger(t, true)
		code, _, stderr := pmRun("-names", "-port", port)
		if want := "nothing answered on port " + port + " within"; code != 1 || !strings.Contains(stderr, want) {
			t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr, want)
		}
	})
}

func TestPortmapperKillCommand(t *testing.T) {
	strict := startServer(t, Config{})
	reg, err := portmapper.Register(context.Background(), strict.Addr().String(), portmapper.NodeInfo{Name: "live", Highest: 6, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	port := strconv.Itoa(strict.Port())
	code, stdout, stderr := pmRun("-kill", "-port", port)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "killing not allowed - living nodes in database") {
		t.Fatalf("kill with a live node: %d %q %q", code, stdout, stderr)
	}
	code, _, stderr = pmRun("-stop", "live", "-port", port)
	if code != 1 || !strings.Contains(stderr, "refused -stop") {
		t.Fatalf("stop on a strict daemon: %d %q", code, stderr)
	}
	reg.Close()
	testkit.Eventually(t, 10*time.Second, "live to be unregistered", func() bool {
		_, err := portmapper.Lookup(context.Background(), strict.Addr().String(), "live")
		return errors.Is(err, portmapper.ErrNotRegistered)
	})
	code, stdout, _ = pmRun("-kill", "-port", port)
	if code != 0 || stdout != "Killed\n" {
		t.Fatalf("kill: %d %q", code, stdout)
	}
	select {
	case <-strict.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("daemon still running after -kill")
	}
}

// TestPortmapperForeground runs the daemon in this process, as
// "gerl portmapper -port N" does, and stops it with a KILL request.
func TestPortmapperForeground(t *testing.T) {
	port := testkit.FreePort(t)
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, stdout, stderr := pmRun("-port", strconv.Itoa(port), "-packet_timeout", "5", "-d")
		done <- result{code, stdout, stderr}
	}()
	addr := portmapper.LoopbackAddr(port)
	testkit.Eventually(t, 10*time.Second, "the foreground daemon to answer", func() bool {
		_, _, err := portmapper.Names(context.Background(), addr)
		return err == nil
	})
	// A second daemon on the same port refuses to start, saying why.
	code, _, stderr := pmRun("-port", strconv.Itoa(port))
	if code != 1 || !strings.Contains(stderr, "already in use") {
		t.Fatalf("second foreground daemon: %d %q", code, stderr)
	}
	if ok, err := portmapper.Kill(context.Background(), addr); !ok || err != nil {
		t.Fatalf("Kill: %v %v", ok, err)
	}
	select {
	case r := <-done:
		if r.code != 0 || !strings.Contains(r.stderr, "KILL granted") {
			t.Fatalf("foreground daemon: exit %d, log %q", r.code, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the foreground daemon did not exit after KILL")
	}
}
