package erldist

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
	"github.com/gerl-dev/gerl/portmapper"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

// Tests against real Erlang/OTP nodes, registered with a gerl port mapper
// the test starts (ERL_EPMD_PORT), each with its own HOME. Node names use
// the host localhost, which is loopback wherever the tests run.

const waitErl = 30 * time.Second

// startPortMapper starts gerl's port-mapper daemon on a free port.
func startPortMapper(t *testing.T) *daemon.Server {
	t.Helper()
	s, err := daemon.Start(daemon.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// erlNode is a real Erlang node running testdata/hsagent.erl.
type erlNode struct {
	t     *testing.T
	name  term.Atom
	stdin io.Writer
	mu    sync.Mutex
	cond  *sync.Cond
	lines []string // everything it printed, stdout and stderr
	next  int      // the first line waitLine has not consumed
}

// startErlNode starts erl -sname short@localhost -setcookie cookie and
// waits for it to be up.
func startErlNode(t *testing.T, pm *daemon.Server, short, cookie string) *erlNode {
	t.Helper()
	erl := testkit.NeedTool(t, "erl", "erlang-nox")
	src, err := filepath.Abs("testdata/hsagent.erl")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	boot := `{ok, M, B} = compile:file("` + src + `", [binary, report]), {module, M} = code:load_binary(M, "hsagent.erl", B), M:main().`
	cmd := exec.CommandContext(ctx, erl, "+S", "1", "-noshell", "-sname", short+"@localhost", "-setcookie", cookie,
		"-start_epmd", "false", "-eval", boot)
	cmd.Env = append(cmd.Environ(), "ERL_EPMD_PORT="+strconv.Itoa(pm.Port()), "HOME="+t.TempDir())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &erlNode{t: t, name: term.Atom(short + "@localhost"), stdin: stdin}
	n.cond = sync.NewCond(&n.mu)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			n.mu.Lock()
			n.lines = append(n.lines, sc.Text())
			n.cond.Broadcast()
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		_ = cmd.Wait()
		pw.Close()
		<-read
		if t.Failed() {
			t.Logf("%s printed:\n%s", n.name, strings.Join(n.lines, "\n"))
		}
	})
	n.waitLine("ready " + string(n.name))
	return n
}

// waitLine waits for a line after the last one waited for that contains
// every part, and returns it.
func (n *erlNode) waitLine(parts ...string) string {
	n.t.Helper()
	deadline := time.Now().Add(waitErl)
	timer := time.AfterFunc(waitErl, func() { n.mu.Lock(); n.cond.Broadcast(); n.mu.Unlock() })
	defer timer.Stop()
	n.mu.Lock()
	defer n.mu.Unlock()
	for {
		for ; n.next < len(n.lines); n.next++ {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(n.lines[n.next], p)
			}
			if ok {
				n.next++
				return n.lines[n.next-1]
			}
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s printed no line with %q in %v", n.name, parts, waitErl)
		}
		n.cond.Wait()
	}
}

func (n *erlNode) command(line string) {
	n.t.Helper()
	if _, err := io.WriteString(n.stdin, line+"\n"); err != nil {
		n.t.Fatal(err)
	}
}

// gerlNode is the gerl side: a name, a cookie, and a creation from the
// port mapper, where it registers as a version 6 node when it listens.
type gerlNode struct {
	cfg Config
	ln  net.Listener
}

func newGerlNode(t *testing.T, pm *daemon.Server, short, cookie string, listen bool) *gerlNode {
	t.Helper()
	g := &gerlNode{cfg: Config{Name: term.Atom(short + "@localhost"), Cookie: cookie, CookieFrom: "-setcookie"}}
	port := 1
	if listen {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		g.ln, port = ln, ln.Addr().(*net.TCPAddr).Port
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitErl)
	defer cancel()
	reg, err := portmapper.Register(ctx, pm.Addr().String(), portmapper.NodeInfo{Name: short, Port: port,
		Type: portmapper.NodeTypeNormal, Protocol: portmapper.ProtocolTCP, Highest: 6, Lowest: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	g.cfg.Creation = reg.Creation()
	return g
}

// dial connects to the Erlang node e and runs the handshake, and closes
// the connection if the handshake fails.
func (g *gerlNode) dial(t *testing.T, pm *daemon.Server, e *erlNode) (net.Conn, Peer, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitErl)
	defer cancel()
	short, _, _ := strings.Cut(string(e.name), "@")
	info, err := portmapper.Lookup(ctx, pm.Addr().String(), short)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(info.Port)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(waitErl))
	p, err := Dial(c, g.cfg, e.name, nil)
	c.SetDeadline(time.Time{})
	if err != nil {
		c.Close()
	}
	return c, p, err
}

// accept takes one connection and runs the handshake on it, and closes
// it if the handshake fails.
func (g *gerlNode) accept(t *testing.T) (net.Conn, Peer, error) {
	t.Helper()
	c, err := g.ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(waitErl))
	p, err := Accept(c, g.cfg, nil)
	c.SetDeadline(time.Time{})
	if err != nil {
		c.Close() // as a node does: the peer learns at once
	}
	return c, p, err
}

// drain reads and drops what the peer sends (ticks, its first messages)
// until the connection closes.
func drain(c net.Conn) { go io.Copy(io.Discard, c) }

// TestDialErlang: gerl dials a real Erlang node, which takes it as a
// visible node; closing the connection is its nodedown. Then a gerl node
// with another cookie is refused, and erl logs why.
func TestDialErlang(t *testing.T) {
	pm := startPortMapper(t)
	e := startErlNode(t, pm, "erla", "sesame")
	g := newGerlNode(t, pm, "gerla", "sesame", false)
	c, p, err := g.dial(t, pm, e)
	if err != nil {
		t.Fatal(err)
	}
	drain(c)
	if p.Name != e.name || p.Flags.Missing(Required) != 0 || p.Flags&FlagPublished == 0 || p.Creation == 0 {
		t.Fatalf("learned %+v (flags %s)", p, p.Flags)
	}
	e.waitLine("nodeup gerla@localhost visible [gerla@localhost] []")
	e.command("nodes")
	e.waitLine("nodes [gerla@localhost] []")
	c.Close()
	e.waitLine("nodedown gerla@localhost")

	hidden := newGerlNode(t, pm, "gerlh", "sesame", false)
	hidden.cfg.Hidden = true
	c, p, err = hidden.dial(t, pm, e)
	if err != nil || !p.Hidden() {
		t.Fatalf("hidden: %+v, %v", p, err)
	}
	drain(c)
	e.waitLine("nodeup gerlh@localhost hidden [] [gerlh@localhost]")

	wrong := newGerlNode(t, pm, "gerlw", "open", false)
	_, _, err = wrong.dial(t, pm, e)
	if !errors.Is(err, ErrCookie) || !strings.Contains(err.Error(), "erla@localhost closed the connection after checking this node's challenge reply") {
		t.Fatalf("wrong cookie: %v", err)
	}
	e.waitLine("Connection attempt from node gerlw@localhost rejected", "Invalid challenge reply")

	// A node without a flag OTP requires is refused by erl, which says which.
	old := newGerlNode(t, pm, "gerlo", "sesame", false)
	old.cfg.Flags = DefaultFlags &^ (FlagBigCreation | FlagMandatory25Digest)
	_, _, err = old.dial(t, pm, e)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "not_allowed") {
		t.Fatalf("missing BIG_CREATION: %v", err)
	}
	e.waitLine("gerlo@localhost", "cannot handle", "BIG_CREATION")
}

// TestErlangDials: a real Erlang node connects to gerl's acceptor
// (net_kernel:connect_node/1), and is refused with another cookie.
func TestErlangDials(t *testing.T) {
	pm := startPortMapper(t)
	e := startErlNode(t, pm, "erlb", "sesame")
	g := newGerlNode(t, pm, "gerlb", "sesame", true)
	e.command("connect gerlb@localhost")
	c, p, err := g.accept(t)
	if err != nil {
		t.Fatal(err)
	}
	drain(c)
	if p.Name != e.name || p.Flags.Missing(Required) != 0 || p.Hidden() {
		t.Fatalf("learned %+v (flags %s)", p, p.Flags)
	}
	e.waitLine("connect gerlb@localhost true")
	e.waitLine("nodeup gerlb@localhost visible [gerlb@localhost] []")
	c.Close()
	e.waitLine("nodedown gerlb@localhost")

	w := startErlNode(t, pm, "erlw", "open")
	w.command("connect gerlb@localhost")
	_, _, err = g.accept(t)
	if !errors.Is(err, ErrCookie) || !strings.Contains(err.Error(), "erlw@localhost's challenge reply does not match this node's cookie") ||
		!strings.Contains(err.Error(), "~/.erlang.cookie") {
		t.Fatalf("wrong cookie: %v", err)
	}
	w.waitLine("connect gerlb@localhost false")
}
