package interop

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
	"github.com/gerl-dev/gerl/portmapper/daemon"
)

// waitTime bounds every wait; it is a deadline for failure, never a delay.
const waitTime = 30 * time.Second

// tick is the net tick time of every node of the tests (erl's
// net_ticktime, gerl's TickTime): short, so a killed node is noticed in
// seconds.
const tick = 4 * time.Second

const cookie = "interop"

// env is what the tests of one package run share: the port mapper, the
// compiled agent.
type env struct {
	pm       *daemon.Server
	agentDir string
}

// setup starts the port mapper and compiles the agent, for a test that
// needs erl; it skips (fails under GERL_REQUIRE_ALL) without it.
func setup(t *testing.T) *env {
	t.Helper()
	testkit.NeedTool(t, "erl", "erlang-nox")
	erlc := testkit.NeedTool(t, "erlc", "erlang-base")
	pm, err := daemon.Start(daemon.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pm.Close() })
	dir := t.TempDir()
	src, err := filepath.Abs("testdata/interop_agent.erl")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(erlc, "-o", dir, src).CombinedOutput(); err != nil {
		t.Fatalf("erlc: %v\n%s", err, out)
	}
	return &env{pm: pm, agentDir: dir}
}

// erlNode is a real Erlang node running the agent.
type erlNode struct {
	t     *testing.T
	name  term.Atom
	cmd   *exec.Cmd
	out   *lines
	done  chan struct{}
	stdin io.WriteCloser
	seq   int
}

// run evaluates Erlang expressions on the node itself (the agent reads
// them on stdin) and returns the value as Erlang prints it (~tp, on one
// line).
func (n *erlNode) run(code string) string {
	n.t.Helper()
	n.seq++
	code = strings.ReplaceAll(code, "\n", " ") // one line
	if _, err := fmt.Fprintf(n.stdin, "%d %s\n", n.seq, code); err != nil {
		n.t.Fatal(err)
	}
	prefix := fmt.Sprintf("result %d ", n.seq)
	line := n.out.wait(n.t, prefix)
	return strings.TrimPrefix(line, prefix)
}

// lines collects what a process prints, line by line.
type lines struct {
	mu   sync.Mutex
	cond *sync.Cond
	all  []string
}

func newLines() *lines {
	l := &lines{}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *lines) read(r io.Reader, done chan struct{}) {
	defer close(done)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l.mu.Lock()
		l.all = append(l.all, sc.Text())
		l.cond.Broadcast()
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.all = append(l.all, "<eof>")
	l.cond.Broadcast()
	l.mu.Unlock()
}

// wait waits for a line starting with s and returns it.
func (l *lines) wait(t *testing.T, s string) string {
	t.Helper()
	timer := time.AfterFunc(waitTime, func() { l.mu.Lock(); l.cond.Broadcast(); l.mu.Unlock() })
	defer timer.Stop()
	deadline := time.Now().Add(waitTime)
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		for _, x := range l.all {
			if strings.HasPrefix(x, s) {
				return x
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line %q within %v; printed:\n%s", s, waitTime, strings.Join(l.all, "\n"))
		}
		l.cond.Wait()
	}
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// startErl starts erl -sname short@localhost with the agent; extra are
// more arguments.
func (e *env) startErl(t *testing.T, short string, extra ...string) *erlNode {
	t.Helper()
	erl := testkit.NeedTool(t, "erl", "erlang-nox")
	args := []string{"+S", "1", "-noshell", "-sname", short + "@localhost", "-setcookie", cookie,
		"-kernel", "net_ticktime", strconv.Itoa(int(tick / time.Second)), "-pa", e.agentDir}
	args = append(args, extra...)
	args = append(args, "-s", "interop_agent")
	return e.startCmd(t, term.Atom(short+"@localhost"), erl, args, nil)
}

// startCmd starts a node's command and waits for the agent's ready line.
func (e *env) startCmd(t *testing.T, name term.Atom, bin string, args, extraEnv []string) *erlNode {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ERL_EPMD_PORT="+strconv.Itoa(e.pm.Port()), "HOME="+t.TempDir())
	cmd.Env = append(cmd.Env, extraEnv...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &erlNode{t: t, name: name, cmd: cmd, out: newLines(), done: make(chan struct{}), stdin: stdin}
	go n.out.read(pr, n.done)
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		<-exited
		<-n.done
		if t.Failed() {
			t.Logf("%s printed:\n%s", name, n.out)
		}
	})
	n.out.wait(t, "ready "+string(name))
	return n
}

// kill kills the Erlang node with SIGKILL and waits for it to exit.
func (n *erlNode) kill() {
	_ = n.cmd.Process.Kill()
	<-n.done
}

// gerlNode is a gerl node in the test process.
type gerlNode struct {
	*cluster.Dist
	logs *testkit.Buffer
	out  *testkit.Buffer // Config.Stdout: output of its rpcs on Erlang nodes
}

// startGerl starts a gerl node short@localhost registered with the test's
// port mapper. funcs are registered with RegisterFunc.
func (e *env) startGerl(t *testing.T, short string, funcs map[string]any, tweak ...func(*cluster.Config)) *gerlNode {
	t.Helper()
	logs, out := &testkit.Buffer{}, &testkit.Buffer{}
	cfg := cluster.Config{
		Name: term.Atom(short + "@localhost"), Cookie: cookie, ListenIP: "127.0.0.1",
		PortMapperPort: e.pm.Port(), TickTime: tick, Stdout: out,
		Functions: eval.NewEnv(), // the standard library by name: strings.ToUpper...
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range tweak {
		f(&cfg)
	}
	d, err := cluster.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start %s: %v", cfg.Name, err)
	}
	t.Cleanup(func() {
		if err := d.Node().StopTimeout(waitTime); err != nil {
			t.Errorf("stop %s: %v", cfg.Name, err)
		}
		if t.Failed() {
			t.Logf("%s logged:\n%s", cfg.Name, logs)
		}
	})
	for name, fn := range funcs {
		if err := d.RegisterFunc(name, fn); err != nil {
			t.Fatal(err)
		}
	}
	return &gerlNode{Dist: d, logs: logs, out: out}
}

// eval evaluates Erlang expressions on the Erlang node nd (its agent) and
// returns the value; bindings are name, value pairs. An Erlang exception
// fails the test.
func (g *gerlNode) eval(t *testing.T, nd term.Atom, code string, bindings ...any) any {
	t.Helper()
	v, err := g.evalErr(nd, code, bindings...)
	if err != nil {
		t.Fatalf("on %s: %s: %v", nd, code, err)
	}
	return v
}

func (g *gerlNode) evalErr(nd term.Atom, code string, bindings ...any) (any, error) {
	var b []any
	for i := 0; i+1 < len(bindings); i += 2 {
		b = append(b, term.T(term.Atom(bindings[i].(string)), bindings[i+1]))
	}
	var v any
	err := g.Node().WithProcess("eval", func(p *node.Proc) error {
		ref := g.Node().MakeRef()
		if err := p.Send(term.Name{Name: "agent", Node: nd}, term.T(term.Atom("eval"), p.Self(), ref, code, b)); err != nil {
			return err
		}
		m, ok := p.ReceiveMatch(func(m any) bool {
			t, ok := m.(term.Tuple)
			return ok && len(t) == 2 && t[0] == any(ref)
		}, waitTime)
		if !ok {
			return fmt.Errorf("no answer within %v", waitTime)
		}
		v = m.(term.Tuple)[1]
		if x, ok := v.(term.Tuple); ok && len(x) == 3 && x[0] == any(term.Atom("EXCEPTION")) {
			return fmt.Errorf("exception %s", term.Format(x))
		}
		return nil
	})
	return v, err
}

// recv receives, in p, the next message within waitTime, failing the test
// otherwise.
func recv(t *testing.T, p *node.Proc) any {
	t.Helper()
	m, ok := p.ReceiveTimeout(waitTime)
	if !ok {
		t.Fatalf("%s received nothing within %v", p.Self(), waitTime)
	}
	return m
}

// format is term.Format, for comparisons with what Erlang prints.
func format(v any) string { return term.Format(v) }
