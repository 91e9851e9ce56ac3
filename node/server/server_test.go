package server_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/internal/clustertest"
	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/server"
	"github.com/gerl-dev/gerl/node/supervisor"
	"github.com/gerl-dev/gerl/node/sys"
	"github.com/gerl-dev/gerl/node/term"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const wait = clustertest.WaitTime

// counter is a server: a count, requests inc/get/defer/stop/boom, casts
// add N, and it records what else happens to it.
type counter struct {
	N        int
	Pending  []server.From
	Infos    []any
	events   chan string
	Upgraded map[string]any
	node     *node.Node // replies from no process
}

func (c *counter) Init(args any) error {
	n, ok := args.(int)
	if !ok {
		return fmt.Errorf("want an int, got %v", args)
	}
	c.N = n
	return nil
}

func (c *counter) HandleCall(req any, from server.From) (any, error) {
	switch req {
	case "inc":
		c.N++
		return c.N, nil
	case "get":
		return c.N, nil
	case "defer": // answered by the next "answer"
		c.Pending = append(c.Pending, from)
		return server.NoReply, nil
	case "answer":
		for _, f := range c.Pending {
			server.Reply(c.node, f, "later")
		}
		c.Pending = nil
		return term.OK, nil
	case "stop":
		return "bye", server.StopWith(term.Normal)
	case "fail":
		return nil, errors.New("it failed")
	case "boom":
		panic("boom")
	}
	return nil, nil
}

func (c *counter) HandleCast(msg any) error {
	if n, ok := msg.(int); ok {
		c.N += n
	}
	return nil
}

func (c *counter) HandleInfo(msg any) error {
	c.Infos = append(c.Infos, msg)
	return nil
}

func (c *counter) Terminate(reason any) {
	if c.events != nil {
		c.events <- "terminate " + term.Format(reason)
	}
}

func newNode(t *testing.T) *clustertest.Node {
	c := clustertest.New(t, clustertest.Options{})
	n := c.Start(strings.ReplaceAll(t.Name(), "/", "_"))
	return n
}

func TestCallCastInfoStop(t *testing.T) {
	n := newNode(t)
	events := make(chan string, 4)
	pid, err := server.Start(n.Node(), &counter{events: events}, 10, server.Options{Name: "counter"})
	if err != nil {
		t.Fatal(err)
	}
	me := clustertest.Proc(t, n)
	for _, want := range []int{11, 12} {
		if v, err := server.Call(me, "counter", "inc", wait); err != nil || v != want {
			t.Fatalf("inc: %v %v, want %d", v, err, want)
		}
	}
	if err := server.Cast(me, pid, 5); err != nil {
		t.Fatal(err)
	}
	me.Send(pid, "hello")
	if v, _ := server.Call(n.Node(), pid, "get", wait); v != 17 {
		t.Fatalf("get after cast: %v", v)
	}
	st, err := sys.GetState(n.Node(), "counter", wait)
	if err != nil {
		t.Fatal(err)
	}
	if c := st.(*counter); c.N != 17 || !reflect.DeepEqual(c.Infos, []any{"hello"}) {
		t.Fatalf("state: %+v", c)
	}
	// GetState gave a copy: changing it changes nothing.
	st.(*counter).Infos[0] = "changed"
	st2, _ := sys.GetState(n.Node(), pid, wait)
	if st2.(*counter).Infos[0] != "hello" {
		t.Fatal("GetState shares the server's memory")
	}
	if err := server.Cast(me, "nobody", 1); err != nil {
		t.Fatalf("cast to nobody: %v", err)
	}
	if err := server.Cast(me, pid, make(chan int)); err == nil {
		t.Fatal("cast of a channel: no error")
	}
	if err := server.Stop(n.Node(), "counter", term.Shutdown, wait); err != nil {
		t.Fatal(err)
	}
	if e := <-events; e != "terminate shutdown" {
		t.Fatalf("event %q", e)
	}
	if err := server.Stop(n.Node(), pid, term.Normal, wait); err == nil {
		t.Fatal("stop of a stopped server: no error")
	}
}

func TestStartFailures(t *testing.T) {
	n := newNode(t)
	_, err := server.Start(n.Node(), &counter{}, "ten", server.Options{})
	var se *server.StartError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "want an int") {
		t.Fatalf("init failure: %v", err)
	}
	pid, err := server.Start(n.Node(), &counter{}, 1, server.Options{Name: "one"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.Start(n.Node(), &counter{}, 1, server.Options{Name: "one"})
	if !errors.Is(err, server.ErrAlreadyStarted) || !errors.As(err, &se) || !reflect.DeepEqual(se.Reason, term.T(term.Atom("already_started"), pid)) {
		t.Fatalf("name taken: %v", err)
	}
	// StartLink: a failed init is an error, not an exit signal.
	me := clustertest.Proc(t, n)
	if _, err := server.StartLink(me, &counter{}, nil, server.Options{}); err == nil {
		t.Fatal("StartLink with a failing init: no error")
	}
	if !me.Alive() {
		t.Fatal("the parent died of its child's failed init")
	}
}

func TestDeferredReplyStopWithAndCrash(t *testing.T) {
	n := newNode(t)
	events := make(chan string, 4)
	pid, _ := server.Start(n.Node(), &counter{events: events, node: n.Node()}, 0, server.Options{})
	got := make(chan any, 1)
	go func() {
		v, err := server.Call(n.Node(), pid, "defer", wait)
		if err != nil {
			got <- err
			return
		}
		got <- v
	}()
	testkit.Eventually(t, wait, "the deferred request", func() bool {
		st, _ := sys.GetState(n.Node(), pid, wait)
		return len(st.(*counter).Pending) == 1
	})
	if v, err := server.Call(n.Node(), pid, "answer", wait); v != term.OK || err != nil {
		t.Fatalf("answer: %v %v", v, err)
	}
	if v := <-got; v != "later" {
		t.Fatalf("deferred reply: %v", v)
	}
	// StopWith replies, then stops.
	if v, err := server.Call(n.Node(), pid, "stop", wait); v != "bye" || err != nil {
		t.Fatalf("stop request: %v %v", v, err)
	}
	if e := <-events; e != "terminate normal" {
		t.Fatalf("event %q", e)
	}
	// A plain error stops it too, with {error, Text} and no reply.
	pid, _ = server.Start(n.Node(), &counter{events: events}, 0, server.Options{})
	_, err := server.Call(n.Node(), pid, "fail", wait)
	var ce *node.CallError
	if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Reason, term.T(term.Atom("error"), "it failed")) {
		t.Fatalf("failing call: %v", err)
	}
	if e := <-events; e != `terminate {error,"it failed"}` {
		t.Fatalf("event %q", e)
	}
	// A panic: Terminate with {panic, V}, and the process exits with it.
	pid, _ = server.Start(n.Node(), &counter{events: events}, 0, server.Options{})
	_, err = server.Call(n.Node(), pid, "boom", wait)
	if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Reason, term.T(term.PanicTag, "boom")) {
		t.Fatalf("panicking call: %v", err)
	}
	if e := <-events; e != `terminate {panic,"boom"}` {
		t.Fatalf("event %q", e)
	}
	if !strings.Contains(n.Logs.String(), "server terminating") {
		t.Errorf("no report of the failed server in the log:\n%s", n.Logs)
	}
	// The report names the message that stopped it.
	if !strings.Contains(n.Logs.String(), `\"fail\"}" reason=`) {
		t.Errorf("the report does not give the last message:\n%s", n.Logs)
	}
}

func TestSupervisedServer(t *testing.T) {
	n := newNode(t)
	events := make(chan string, 8)
	child := server.Child("counter", func() (server.Behaviour, error) { return &counter{events: events}, nil }, 5,
		server.Options{Name: "supervised", TrapExit: true})
	sup, err := supervisor.Start(n.Node(), supervisor.Spec{Children: []supervisor.Child{child}, Intensity: 5})
	if err != nil {
		t.Fatal(err)
	}
	call := func(req string) any {
		t.Helper()
		var v any
		testkit.Eventually(t, wait, "the server answers", func() bool {
			var err error
			v, err = server.Call(n.Node(), "supervised", req, wait)
			return err == nil
		})
		return v
	}
	// Its name is there once Start returned (OTP's supervisor waits for
	// its children's init): the first call needs no retry.
	if v, err := server.Call(n.Node(), "supervised", "inc", wait); err != nil {
		t.Fatalf("a call right after supervisor.Start: %v %v", v, err)
	}
	if v := call("get"); v != 6 {
		t.Fatalf("get: %v", v)
	}
	// It crashes; the supervisor restarts it with a fresh state.
	server.Call(n.Node(), "supervised", "boom", wait)
	<-events
	if v := call("get"); v != 5 {
		t.Fatalf("get after the restart: %v", v)
	}
	// The supervisor stops: the server traps exits, so Terminate runs.
	if err := sup.Stop(wait); err != nil {
		t.Fatal(err)
	}
	if e := <-events; e != "terminate shutdown" {
		t.Fatalf("event %q", e)
	}
}

// A supervised server's name is registered before supervisor.Start
// returns, even while the server's factory has not run yet.
func TestSupervisedServerNamedBeforeStartReturns(t *testing.T) {
	n := newNode(t)
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open) // before the node stops, should the test fail first
	child := server.Child("held", func() (server.Behaviour, error) {
		<-release
		return &counter{events: make(chan string, 8)}, nil
	}, 1, server.Options{Name: "held"})
	sup, err := supervisor.Start(n.Node(), supervisor.Spec{Children: []supervisor.Child{child}})
	if err != nil {
		t.Fatal(err)
	}
	pid, ok := n.Node().Whereis("held")
	if !ok {
		t.Fatal("the server's name is not registered when supervisor.Start returns")
	}
	open()
	if v, err := server.Call(n.Node(), "held", "get", wait); err != nil || v != 1 {
		t.Fatalf("get: %v %v", v, err)
	}
	if again, _ := n.Node().Whereis("held"); again != pid {
		t.Fatalf("the name moved from %v to %v", pid, again)
	}
	if err := sup.Stop(wait); err != nil {
		t.Fatal(err)
	}
}

// v2 is the next version of counter: the count is now Total, and a
// version field is new.
type v2 struct {
	Total   int
	Infos   []any
	Version string
	Old     map[string]any
}

func (c *v2) Init(any) error { return nil }
func (c *v2) HandleCall(req any, _ server.From) (any, error) {
	return fmt.Sprintf("%s: %d", c.Version, c.Total), nil
}
func (c *v2) HandleCast(any) error { return nil }
func (c *v2) CodeChange(old map[string]any) error {
	c.Total = old["N"].(int)
	c.Version = "v2"
	c.Old = old
	return nil
}

func TestReplaceStateAndCodeChange(t *testing.T) {
	n := newNode(t)
	pid, _ := server.Start(n.Node(), &counter{}, 3, server.Options{Upgrade: func() (server.Behaviour, error) { return &v2{}, nil }})
	if _, err := sys.ReplaceState(n.Node(), pid, func(s any) any { s.(*counter).N *= 10; return s }, wait); err != nil {
		t.Fatal(err)
	}
	if _, err := sys.ReplaceState(n.Node(), pid, func(s any) any { return &counter{N: 40} }, wait); err != nil {
		t.Fatal(err)
	}
	if v, _ := server.Call(n.Node(), pid, "get", wait); v != 40 {
		t.Fatalf("after replace: %v", v)
	}
	n.Node().Send(pid, "info")
	if _, err := sys.ReplaceState(n.Node(), pid, func(s any) any { panic("no") }, wait); err == nil {
		t.Fatal("a panicking replace: no error")
	}
	if _, err := sys.ReplaceState(n.Node(), pid, func(s any) any { return 7 }, wait); err == nil {
		t.Fatal("a replace of another type: no error")
	}
	if err := sys.ChangeCode(n.Node(), pid, wait); err != nil {
		t.Fatal(err)
	}
	if v, _ := server.Call(n.Node(), pid, "get", wait); v != "v2: 40" {
		t.Fatalf("after the code change: %v", v)
	}
	st, _ := sys.GetState(n.Node(), pid, wait)
	if s := st.(*v2); s.Infos == nil || s.Old["N"] != 40 {
		t.Fatalf("the fields did not move: %+v", s)
	}
	// A server without Upgrade cannot change code.
	other, _ := server.Start(n.Node(), &counter{}, 1, server.Options{})
	if err := sys.ChangeCode(n.Node(), other, wait); err == nil {
		t.Fatal("code change without Upgrade: no error")
	}
	// sys on a process that is not a server.
	plain := clustertest.Spawn(t, n)
	if _, err := sys.GetState(n.Node(), plain, 100*time.Millisecond); err == nil {
		t.Fatal("get_state of a plain process: no error")
	}
}

func TestCallAcrossNodes(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{})
	nodes := c.StartN("srv", 2)
	if _, err := server.Start(nodes[1].Node(), &counter{}, 1, server.Options{Name: "remote"}); err != nil {
		t.Fatal(err)
	}
	to := term.Name{Name: "remote", Node: nodes[1].Name()}
	me := clustertest.Proc(t, nodes[0])
	if v, err := server.Call(me, to, "inc", wait); v != 2 || err != nil {
		t.Fatalf("remote call: %v %v", v, err)
	}
	if _, err := sys.GetState(nodes[0].Node(), to, wait); !errors.Is(err, sys.ErrRemote) {
		t.Fatalf("get_state of another node's server: %v", err)
	}
}

// failingV2 is a next version whose CodeChange refuses.
type failingV2 struct{ v2 }

func (c *failingV2) CodeChange(map[string]any) error { return errors.New("cannot convert") }

func TestFailedCodeChangeKeepsTheOldVersion(t *testing.T) {
	n := newNode(t)
	pid, _ := server.Start(n.Node(), &counter{}, 3, server.Options{Upgrade: func() (server.Behaviour, error) { return &failingV2{}, nil }})
	if err := sys.ChangeCode(n.Node(), pid, wait); err == nil || !strings.Contains(err.Error(), "cannot convert") {
		t.Fatalf("change code: %v", err)
	}
	// The message form (what a module reload sends) logs the failure.
	sys.NotifyCodeChange(n.Node(), pid)
	if v, _ := server.Call(n.Node(), pid, "inc", wait); v != 4 {
		t.Fatalf("after a failed code change: %v", v)
	}
	if !strings.Contains(n.Logs.String(), "cannot convert") {
		t.Fatalf("the failure is not in the log:\n%s", n.Logs)
	}
}

// TestHibernateAfter: an idle server hibernates, and calls, casts,
// sys requests and stop all wake it with its state.
func TestHibernateAfter(t *testing.T) {
	n := newNode(t)
	events := make(chan string, 4)
	pid, err := server.Start(n.Node(), &counter{events: events}, 10,
		server.Options{Name: "sleepy", HibernateAfter: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	asleep := func() {
		t.Helper()
		testkit.Eventually(t, wait, "the server to hibernate", func() bool {
			info, ok := n.Node().Info(pid)
			return ok && info.Status == "hibernated"
		})
	}
	me := clustertest.Proc(t, n)
	for _, want := range []int{11, 12, 13} {
		asleep()
		if v, err := server.Call(me, "sleepy", "inc", wait); err != nil || v != want {
			t.Fatalf("inc: %v %v, want %d", v, err, want)
		}
	}
	asleep()
	if err := server.Cast(me, pid, 5); err != nil {
		t.Fatal(err)
	}
	asleep()
	st, err := sys.GetState(n.Node(), "sleepy", wait)
	if err != nil || st.(*counter).N != 18 {
		t.Fatalf("state after hibernating: %+v, %v", st, err)
	}
	asleep()
	if err := server.Stop(n.Node(), "sleepy", term.Shutdown, wait); err != nil {
		t.Fatal(err)
	}
	if e := <-events; e != "terminate shutdown" {
		t.Fatalf("event %q", e)
	}
}

// TestHibernatedServerAcrossNodes: a call from another node, over a real
// connection, wakes a hibernated server, which answers with its state.
func TestHibernatedServerAcrossNodes(t *testing.T) {
	c := clustertest.New(t, clustertest.Options{})
	nodes := c.StartN("hib", 2)
	pid, err := server.Start(nodes[1].Node(), &counter{}, 1, server.Options{Name: "remote", HibernateAfter: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	to := term.Name{Name: "remote", Node: nodes[1].Name()}
	me := clustertest.Proc(t, nodes[0])
	for _, want := range []int{2, 3} {
		testkit.Eventually(t, wait, "the server to hibernate", func() bool {
			info, ok := nodes[1].Node().Info(pid)
			return ok && info.Status == "hibernated"
		})
		if v, err := server.Call(me, to, "inc", wait); v != want || err != nil {
			t.Fatalf("remote call to a hibernated server: %v %v, want %d", v, err, want)
		}
	}
}

// sleeper hibernates when a method returns server.Hibernate: after Init
// given "hibernate", after the calls "sleep" and "later" (the latter
// answered by the next "answer"), and after every cast and info message.
type sleeper struct {
	N       int
	pending server.From
	node    *node.Node
}

func (s *sleeper) Init(args any) error {
	if args == "hibernate" {
		return server.Hibernate
	}
	return nil
}

func (s *sleeper) HandleCall(req any, from server.From) (any, error) {
	s.N++
	switch req {
	case "sleep":
		return s.N, server.Hibernate
	case "later":
		s.pending = from
		return server.NoReply, fmt.Errorf("wrapped: %w", server.Hibernate)
	case "answer":
		server.Reply(s.node, s.pending, "later")
	}
	return s.N, nil
}

func (s *sleeper) HandleCast(any) error { s.N += 10; return server.Hibernate }
func (s *sleeper) HandleInfo(any) error { s.N += 100; return server.Hibernate }

// TestHibernateReturned: a server hibernates when Init or a handler
// returns server.Hibernate (gen_server's hibernate in a callback's
// return), after sending the reply, and wakes with its state; a handler
// that returns nil leaves it waiting in a receive.
func TestHibernateReturned(t *testing.T) {
	n := newNode(t)
	me := clustertest.Proc(t, n)
	pid, err := server.Start(n.Node(), &sleeper{node: n.Node()}, "hibernate", server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	status := func(want string) {
		t.Helper()
		testkit.Eventually(t, wait, "the server's status to be "+want, func() bool {
			info, ok := n.Node().Info(pid)
			return ok && info.Status == want
		})
	}
	status("hibernated")
	call := func(req any, want any) {
		t.Helper()
		if v, err := server.Call(me, pid, req, wait); err != nil || v != want {
			t.Fatalf("call %v: %v, %v; want %v", req, v, err, want)
		}
	}
	call("inc", 1)
	status("waiting")
	call("sleep", 2)
	status("hibernated")
	if err := server.Cast(me, pid, "x"); err != nil {
		t.Fatal(err)
	}
	status("hibernated")
	me.Send(pid, "info")
	status("hibernated")
	later := make(chan any, 1)
	n.Node().Spawn(func(p *node.Proc) {
		v, err := server.Call(p, pid, "later", wait)
		if err != nil {
			v = err
		}
		later <- v
	})
	testkit.Eventually(t, wait, "the deferred call to reach the server", func() bool {
		st, err := sys.GetState(n.Node(), pid, wait)
		return err == nil && st.(*sleeper).N == 113
	})
	call("answer", 114)
	if v := <-later; v != "later" {
		t.Fatalf("deferred call: %v", v)
	}
	call("sleep", 115)
	status("hibernated")
	if err := server.Stop(n.Node(), pid, term.Shutdown, wait); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkCallHibernating: a call to a server that hibernates after every
// message (its HandleCall returns server.Hibernate), so that each call
// wakes it on a new goroutine; BenchmarkCall is the same server awake.
func BenchmarkCallHibernating(b *testing.B) { benchCall(b, "sleep") }

// BenchmarkCall: a call to a server waiting in its receive.
func BenchmarkCall(b *testing.B) { benchCall(b, "inc") }

func benchCall(b *testing.B, req string) {
	n := node.New(node.Config{})
	defer n.StopTimeout(wait)
	me, _ := n.Attach("bench")
	pid, err := server.Start(n, &sleeper{node: n}, nil, server.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := server.Call(me, pid, req, wait); err != nil {
			b.Fatal(err)
		}
	}
}
