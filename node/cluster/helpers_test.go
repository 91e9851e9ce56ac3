package cluster

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Getenv(netnsHelperEnv) != "" {
		os.Exit(netnsHelperMain())
	}
	goleak.VerifyTestMain(m)
}

// waitTime bounds every wait; it is a deadline for failure, never a delay.
const waitTime = 15 * time.Second

// testNode is a started node with its log.
type testNode struct {
	*Dist
	logs *testkit.Buffer
}

// startNode starts a node on cfg (Name, Transport... filled by the caller)
// and stops it when the test ends.
func startNode(t testing.TB, cfg Config) *testNode {
	t.Helper()
	logs := &testkit.Buffer{}
	if cfg.Cookie == "" {
		cfg.Cookie = "secret"
	}
	if cfg.Registrar == nil && cfg.Transport != nil {
		cfg.Registrar = NoRegistrar{}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.HandshakeTimeout == 0 {
		cfg.HandshakeTimeout = 5 * time.Second
	}
	d, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start %s: %v", cfg.Name, err)
	}
	t.Cleanup(func() {
		if err := d.Node().StopTimeout(waitTime); err != nil {
			t.Errorf("stop %s: %v", cfg.Name, err)
		}
	})
	return &testNode{Dist: d, logs: logs}
}

// memNodes starts n nodes named a@mem, b@mem... on one MemNetwork.
func memNodes(t testing.TB, n int, tweak func(*Config)) []*testNode {
	t.Helper()
	net := NewMemNetwork()
	out := make([]*testNode, n)
	for i := range out {
		cfg := Config{Name: term.Atom(fmt.Sprintf("%c@mem", 'a'+i)), Transport: net.Transport(), Creation: uint32(i + 1)}
		if tweak != nil {
			tweak(&cfg)
		}
		out[i] = startNode(t, cfg)
	}
	return out
}

// portMapper starts an in-process port mapper on a free port.
func portMapper(t testing.TB) int {
	t.Helper()
	s, err := daemon.Start(daemon.Config{})
	if err != nil {
		t.Fatalf("port mapper: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Port()
}

// tcpNodes starts n nodes on loopback TCP with their own port mapper.
func tcpNodes(t testing.TB, n int, tweak func(*Config)) []*testNode {
	t.Helper()
	pm := portMapper(t)
	out := make([]*testNode, n)
	for i := range out {
		cfg := Config{Name: term.Atom(fmt.Sprintf("%c@localhost", 'a'+i)), ListenIP: "127.0.0.1", PortMapperPort: pm}
		if tweak != nil {
			tweak(&cfg)
		}
		out[i] = startNode(t, cfg)
	}
	return out
}

// proc attaches a process for the test goroutine.
func proc(t testing.TB, d *Dist) *node.Proc {
	t.Helper()
	p, err := d.Node().Attach("test")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// recv waits for a message matching match.
func recv(t testing.TB, p *node.Proc, what string, match func(any) bool) any {
	t.Helper()
	m, ok := p.ReceiveMatch(match, waitTime)
	if !ok {
		t.Fatalf("%s: no message within %v", what, waitTime)
	}
	return m
}

// echo spawns a process that answers {From, X} with X, registered as name
// when name is not empty.
func echo(t testing.TB, d *Dist, name term.Atom) term.Pid {
	t.Helper()
	pid, err := d.Node().Spawn(func(p *node.Proc) {
		for {
			m := p.Receive()
			if t, ok := m.(term.Tuple); ok && len(t) == 2 {
				if from, ok := t[0].(term.Pid); ok {
					p.Send(from, t[1])
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if name != "" {
		if err := d.Node().Register(name, pid); err != nil {
			t.Fatal(err)
		}
	}
	return pid
}

func hasNode(nodes []term.Atom, n term.Atom) bool {
	for _, x := range nodes {
		if x == n {
			return true
		}
	}
	return false
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

type nodeProc = node.Proc

// pipePair returns the two ends of an in-memory connection.
func pipePair() (net.Conn, net.Conn) { return net.Pipe() }

// rawPeerConn is the far end of a connection to a node under test, after
// the handshake: frames can be read and written on it directly.
type rawPeerConn struct {
	c  net.Conn
	br *bufio.Reader
}

// fakePeer listens as name on mem and accepts one connection, whose
// handshake it completes with the cookie "secret"; then it closes its
// listener (later dials find no node). The connection arrives on the
// returned channel; the caller closes it.
func fakePeer(t testing.TB, mem *MemNetwork, name term.Atom) <-chan rawPeerConn {
	t.Helper()
	ln, err := mem.Transport().Listen(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan rawPeerConn, 1)
	go func() {
		c, err := ln.Accept()
		ln.Close()
		if err != nil {
			return
		}
		br := bufio.NewReader(c)
		_, err = acceptHandshake(br, c, hsConfig{name: name, creation: 1, flags: defaultFlags, cookie: "secret"},
			func(hsPeer, bool) (byte, string) { return 0, "" })
		if err != nil {
			c.Close()
			return
		}
		got <- rawPeerConn{c, br}
	}()
	return got
}
