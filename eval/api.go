package eval

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// The gerl API is what interpreted code imports as "gerl": the runtime's
// types, and functions that act as the calling process (gerl.Self(),
// gerl.Receive(), gerl.Spawn(f)...), as Erlang's built-in functions do. The
// shell's erl-named built-ins (self(), spawn(), flush()...) are the same
// functions under erl's names.
//
// Errors follow Erlang: where erl raises an exception (a bad argument, a
// name already registered, a send to an unregistered local name), the
// function panics with an error, which crashes the calling process (or
// prints ** exception error at the prompt). Outcomes that are normal answers
// are returned: Call and RPC return an error, Whereis a bool, Ping a bool.

// ErrInterrupted is the panic value that ends a blocking call made by the
// shell when the user presses Ctrl-C.
var ErrInterrupted = errors.New("interrupted")

// ErrNotProcess is raised when process-only functions run on a goroutine
// that is not a gerl process (one started with go, not spawn).
var ErrNotProcess = errors.New("the calling goroutine is not a gerl process (start it with spawn, not go)")

// actor returns what the calling goroutine acts as, or raises.
func (e *Env) actor(fn string) actor {
	a, ok := e.gor.current()
	if !ok {
		panic(fmt.Errorf("%s: %w", fn, ErrNotProcess))
	}
	return a
}

func (e *Env) self(fn string) *node.Proc { return e.actor(fn).proc }

// context returns the context the blocking calls of a shell evaluation
// watch (Background outside one).
func (a actor) context() context.Context {
	if a.ctx != nil {
		return a.ctx
	}
	return context.Background()
}

// interrupted raises ErrInterrupted if err says the shell's context ended.
func interrupted(err error) {
	if errors.Is(err, context.Canceled) {
		panic(ErrInterrupted)
	}
}

func raise(err error) {
	if err != nil {
		panic(err)
	}
}

// Self returns the calling process's pid.
func (e *Env) Self() term.Pid { return e.self("self").Self() }

// Send sends msg to a pid or name (see node.Proc.Send) from the calling
// process, or from no process when called elsewhere. It raises when the
// message cannot be sent or a local name is not registered.
func (e *Env) Send(to any, msg any) {
	if a, ok := e.gor.current(); ok {
		// The input's context: Ctrl-C ends a send that waits for room in
		// the queue of a slow peer.
		err := a.proc.SendContext(a.context(), to, msg)
		interrupted(err)
		raise(err)
		return
	}
	raise(e.node.Send(to, msg))
}

// Bang is the function `to ! msg` is rewritten to: it sends and returns msg.
func (e *Env) Bang(to any, msg any) any {
	e.Send(to, msg)
	return msg
}

// Receive returns the calling process's oldest message, waiting for one.
func (e *Env) Receive() any {
	a := e.actor("receive")
	m, _, err := a.proc.ReceiveContext(a.context(), nil, node.Forever)
	interrupted(err)
	return m
}

// ReceiveTimeout returns the oldest message, or ok false after d (Forever
// waits as long as it takes; a negative d raises).
func (e *Env) ReceiveTimeout(d time.Duration) (any, bool) {
	checkTimeout("receive", d)
	a := e.actor("receive")
	m, ok, err := a.proc.ReceiveContext(a.context(), nil, d)
	interrupted(err)
	return m, ok
}

// ReceiveMatch returns the oldest message match accepts (selective
// receive), or ok false after d (Forever waits as long as it takes; a
// negative d raises).
func (e *Env) ReceiveMatch(match func(any) bool, d time.Duration) (any, bool) {
	checkTimeout("receive", d)
	a := e.actor("receive")
	m, ok, err := a.proc.ReceiveContext(a.context(), match, d)
	interrupted(err)
	return m, ok
}

// ReceivePattern returns the oldest message that matches one of patterns
// (term.Match; with none, the oldest message), leaving the others in the
// mailbox in order, or ok false after d (Forever waits as long as it
// takes; a negative d raises).
func (e *Env) ReceivePattern(d time.Duration, patterns ...any) (any, bool) {
	checkTimeout("receive", d)
	a := e.actor("receive")
	var match func(any) bool
	switch len(patterns) {
	case 0:
	case 1:
		p := patterns[0]
		match = func(m any) bool { return term.Match(p, m) }
	default:
		match = func(m any) bool {
			for _, p := range patterns {
				if term.Match(p, m) {
					return true
				}
			}
			return false
		}
	}
	m, ok, err := a.proc.ReceiveContext(a.context(), match, d)
	interrupted(err)
	return m, ok
}

// Spawn starts a process, in one of erl's forms: Spawn(fn, args...), fn a
// function or the name of a function ("counter.Loop", "strings.ToUpper",
// see Lookup), or Spawn(node, fn, args...) on another node (node an Atom
// or a string with an @), fn a name the node resolves or a closure, which
// travels there as source with copies of the variables it captures
// (ship.go). A function whose first parameter is a *Proc gets the new
// process's handle there. Arguments are copied; in a loop, pass the loop's
// values as arguments. The new process's group leader is the caller's: it
// prints where the caller prints, on whichever node it runs.
func (e *Env) Spawn(fn any, args ...any) term.Pid {
	pid, _ := e.spawnForm("spawn", node.SpawnOptions{}, fn, args)
	return pid
}

// Hibernate is erlang:hibernate/3: the calling process gives up its
// goroutine and stack until a message arrives, then runs fn(args...) (a
// function, or the name of a loaded one, with arguments as Spawn takes
// them) on a new goroutine, and ends when it returns. It never returns. The
// shell's own process cannot hibernate: it runs the shell's inputs.
func (e *Env) Hibernate(fn any, args ...any) {
	a := e.actor("hibernate")
	if a.session != nil {
		panic(fmt.Errorf("hibernate: the shell's process cannot hibernate (it evaluates your inputs); spawn a process and hibernate in it"))
	}
	fn, _ = e.processFunc("hibernate", fn, "")
	run, err := node.ResumeEntry(fn, args...)
	raise(err)
	if lim := a.lim; lim != nil {
		// The limits the process set itself belong to the process, not
		// to the goroutine it gives up.
		next := run
		run = func(p *node.Proc) {
			if b, ok := e.gor.current(); ok {
				b.lim = lim
				e.gor.update(b)
			}
			next(p)
		}
	}
	a.proc.Hibernate(run)
}

// SpawnLink is Spawn, in the same forms, with a link to the calling
// process, set before the new process runs.
func (e *Env) SpawnLink(fn any, args ...any) term.Pid {
	pid, _ := e.spawnForm("spawn_link", node.SpawnOptions{Link: true}, fn, args)
	return pid
}

// SpawnMonitor is Spawn, in the same forms, with a monitor from the
// calling process, set before the new process runs.
func (e *Env) SpawnMonitor(fn any, args ...any) (term.Pid, term.Ref) {
	return e.spawnForm("spawn_monitor", node.SpawnOptions{Monitor: true}, fn, args)
}

// spawnForm tells Spawn's forms apart.
func (e *Env) spawnForm(what string, opts node.SpawnOptions, fn any, args []any) (term.Pid, term.Ref) {
	if n, ok := nodeLike(fn); ok {
		if len(args) == 0 {
			panic(fmt.Errorf("%s: %s is a node, not a function; want %s(node, fn, args...)", what, term.Format(fn), what))
		}
		return e.spawnOn(what, n, opts, args[0], args[1:])
	}
	var parent *node.Proc
	if opts.Link || opts.Monitor {
		parent = e.self(what)
	}
	return e.spawn(what, parent, opts, fn, args)
}

// processFunc resolves what a process will run, for spawn and hibernate:
// fn, or the loaded function named fn; an interpreted closure of the
// calling shell session is wrapped to stay known to that session (see
// wrapShellFunc). name is what introspection shows: the one given, the
// function's name, or fn's own.
func (e *Env) processFunc(what string, fn any, name string) (any, string) {
	if s, ok := fn.(string); ok {
		f, found := e.Lookup(s)
		if !found {
			panic(fmt.Errorf("%s: no function named %q (load its module with c(), or register it)", what, s))
		}
		return f, s
	}
	if name == "" {
		name = node.FuncName(fn)
	}
	if name == "fun" {
		if s := e.owner(); s != nil {
			fn = e.wrapShellFunc(s, fn)
		}
	}
	return fn, name
}

// nodeLike reports whether v names a node: an atom or string with an @.
func nodeLike(v any) (term.Atom, bool) {
	a, ok := term.AtomOf(v)
	return a, ok && strings.Contains(string(a), "@")
}

func (e *Env) spawn(what string, parent *node.Proc, opts node.SpawnOptions, fn any, args []any) (term.Pid, term.Ref) {
	fn, opts.Func = e.processFunc(what, fn, opts.Func)
	pid, ref, err := e.node.SpawnFunc(parent, opts, fn, args...)
	raise(err)
	return pid, ref
}

// remoteFun makes fn, a name or a function given to a call towards node
// n, what travels there: the name, or the closure's code.
func (e *Env) remoteFun(what string, n term.Atom, fn any) cluster.Fun {
	if name, ok := fn.(string); ok {
		return cluster.Fun{Name: name}
	}
	if reflect.ValueOf(fn).Kind() != reflect.Func {
		panic(fmt.Errorf("%s: %s is not a function or the name of one", what, term.Format(fn)))
	}
	code, err := e.codeOf(what, n, fn)
	raise(err)
	return cluster.Fun{Code: code}
}

// spawnOn starts fn (a name, or a closure) on node n; a remote spawn
// waits for the node's answer, and gives up on Ctrl-C.
func (e *Env) spawnOn(what string, n term.Atom, opts node.SpawnOptions, fn any, args []any) (term.Pid, term.Ref) {
	link, monitor := opts.Link, opts.Monitor
	if n == e.node.Name() {
		var parent *node.Proc
		if link || monitor {
			parent = e.self(what)
		}
		return e.spawn(what, parent, opts, fn, args)
	}
	c := e.needCluster(what)
	f := e.remoteFun(what, n, fn)
	var parent *node.Proc
	ctx := context.Background()
	if a, ok := e.gor.current(); ok {
		parent, ctx = a.proc, a.context()
	} else if link || monitor {
		e.self(what)
	}
	opts.GroupLeader, _ = e.callerLeader()
	pid, ref, err := c.SpawnFun(ctx, parent, n, opts, f, args)
	interrupted(err)
	raise(err)
	return pid, ref
}

func (e *Env) needCluster(what string) Cluster {
	c := e.Cluster()
	if c == nil {
		panic(fmt.Errorf("%s: %w", what, node.ErrNotDistributed))
	}
	return c
}

// CallerContext is the context of the calling process's current input or
// call, which Ctrl-C cancels; Background for a goroutine that is not a
// process. Built-ins that wait on the network (hot loading's nl) use it.
func (e *Env) CallerContext() context.Context {
	if a, ok := e.gor.current(); ok {
		return a.context()
	}
	return context.Background()
}

// atomArg accepts an Atom or a string where a node or name is expected.
func atomArg(what string, v any) (term.Atom, error) {
	if a, ok := term.AtomOf(v); ok {
		return a, nil
	}
	return "", fmt.Errorf("%s: %s is not a name (want an atom or a string)", what, term.Format(v))
}

// Link links the calling process with pid.
func (e *Env) Link(pid term.Pid) { raise(e.self("link").Link(pid)) }

// Unlink removes the link between the calling process and pid.
func (e *Env) Unlink(pid term.Pid) { e.self("unlink").Unlink(pid) }

// Monitor makes the calling process monitor a pid or name.
func (e *Env) Monitor(target any) term.Ref { return e.self("monitor").Monitor(target) }

// Demonitor removes a monitor, flushing its Down if one arrived.
func (e *Env) Demonitor(ref term.Ref) bool { return e.self("demonitor").Demonitor(ref, true) }

// Exit sends an exit signal with reason to pid.
func (e *Env) Exit(pid term.Pid, reason any) {
	if a, ok := e.gor.current(); ok {
		raise(a.proc.Exit(pid, reason))
		return
	}
	raise(e.node.Exit(pid, reason))
}

// ExitSelf ends the calling process with reason.
func (e *Env) ExitSelf(reason any) { e.self("exit").ExitSelf(reason) }

// TrapExit sets whether the calling process traps exits; it returns the
// previous setting.
func (e *Env) TrapExit(on bool) bool { return e.self("trap_exit").TrapExit(on) }

// Register gives pid the name.
func (e *Env) Register(name any, pid term.Pid) {
	n, err := atomArg("register", name)
	raise(err)
	raise(e.node.Register(n, pid))
}

// Unregister removes a registered name.
func (e *Env) Unregister(name any) {
	n, err := atomArg("unregister", name)
	raise(err)
	raise(e.node.Unregister(n))
}

// Whereis returns the pid registered as name.
func (e *Env) Whereis(name any) (term.Pid, bool) {
	n, err := atomArg("whereis", name)
	raise(err)
	return e.node.Whereis(n)
}

// Registered returns the registered names.
func (e *Env) Registered() []term.Atom { return e.node.Registered() }

// Call sends request to a process as a Request (term.Request in Go) and
// waits up to timeout (Forever: as long as it takes; negative raises) for
// its reply. A process on a node not connected yet is connected to first;
// Ctrl-C ends that wait too.
func (e *Env) Call(to any, request any, timeout time.Duration) (any, error) {
	checkTimeout("call", timeout)
	a := e.actor("call")
	ctx := a.context()
	if n, ok := remoteNode(to, e.node.Name()); ok && a.ctx != nil {
		if c := e.Cluster(); c != nil {
			if err := c.Connect(ctx, n); err != nil {
				interrupted(ctx.Err())
				return nil, fmt.Errorf("call to %s: %w", term.Format(to), err)
			}
		}
	}
	v, err := a.proc.CallContext(ctx, to, request, timeout)
	interrupted(err)
	if errors.Is(err, node.ErrTimeout) && timeout > 0 && timeout < time.Millisecond {
		// server.Call(p, req, 5000) is Go: 5000 nanoseconds.
		err = fmt.Errorf("%w (the timeout is a time.Duration, so %d is %v; write %d*time.Millisecond for milliseconds)",
			err, int64(timeout), timeout, int64(timeout))
	}
	return v, err
}

// remoteNode returns the node of a pid or a name on another node than
// self.
func remoteNode(to any, self term.Atom) (term.Atom, bool) {
	var n term.Atom
	switch x := to.(type) {
	case term.Pid:
		n = x.Node
	case term.Name:
		n = x.Node
	case term.Tuple:
		if len(x) == 2 {
			n, _ = term.AtomOf(x[1])
		}
	}
	return n, n != "" && n != self
}

// Reply answers a Call.
func (e *Env) Reply(call term.Request, value any) {
	if a, ok := e.gor.current(); ok {
		raise(a.proc.Reply(call, value))
		return
	}
	raise(e.node.Send(call.From, call.ReplyWith(value)))
}

// NodeName returns this node's name.
func (e *Env) NodeName() term.Atom { return e.node.Name() }

// Nodes returns the visible connected nodes.
func (e *Env) Nodes() []term.Atom {
	if c := e.Cluster(); c != nil {
		return c.Nodes()
	}
	return []term.Atom{}
}

// Ping connects to node if needed and reports whether it answered.
func (e *Env) Ping(nodeName any) bool { return e.PingErr(nodeName) == nil }

// PingErr is Ping that says why a node did not answer.
func (e *Env) PingErr(nodeName any) error {
	n, err := atomArg("ping", nodeName)
	raise(err)
	if n == e.node.Name() {
		return nil
	}
	c := e.Cluster()
	if c == nil {
		return node.ErrNotDistributed
	}
	ctx := e.CallerContext()
	err = c.Ping(ctx, n)
	interrupted(ctx.Err())
	return err
}

// MonitorNode subscribes the calling process to NodeDown of node (on) or
// removes one subscription (off).
//
// Subscribing connects to node first, as erl does; that wait gives up on
// Ctrl-C.
func (e *Env) MonitorNode(nodeName any, on bool) {
	n, err := atomArg("monitor_node", nodeName)
	raise(err)
	p := e.self("monitor_node")
	if c := e.Cluster(); on && c != nil && n != e.node.Name() {
		ctx := e.CallerContext()
		_ = c.Connect(ctx, n) // a failure is the NodeDown the subscription brings
		interrupted(ctx.Err())
	}
	p.MonitorNode(n, on)
}

// Disconnect drops the connection to node.
func (e *Env) Disconnect(nodeName any) bool {
	n, err := atomArg("disconnect", nodeName)
	raise(err)
	c := e.Cluster()
	if c == nil {
		return false
	}
	return c.Disconnect(n) == nil
}

// RPC calls fn on node with args and returns its result, or an error:
// node unreachable, no such function, bad arguments, code that cannot run
// there, or the function's panic. fn is a name the node resolves (see
// Lookup) or a closure, which travels as source with copies of what it
// captures. The function runs in a process whose group leader is the
// caller's: what it prints comes home.
func (e *Env) RPC(nodeName any, fn any, args ...any) (any, error) {
	n, err := atomArg("rpc", nodeName)
	raise(err)
	ctx := e.CallerContext()
	c := e.Cluster()
	if n == e.node.Name() && (c == nil || !isName(fn)) {
		return e.localCall(fn, args)
	}
	f := e.remoteFun("rpc", n, fn)
	leader, _ := e.callerLeader()
	v, err := e.needCluster("rpc").RPCFun(ctx, n, f, leader, args)
	interrupted(err)
	return v, err
}

func isName(fn any) bool {
	_, ok := fn.(string)
	return ok
}

// MultiCall calls fn (a name, or a closure) on this node and every
// connected node; it returns the results of the nodes that answered and
// the nodes that did not. A closure runs on every node as a copy, this
// one included.
func (e *Env) MultiCall(fn any, args ...any) ([]any, []term.Atom) {
	c := e.Cluster()
	if c == nil {
		// This node answers, as it does among others: a function that
		// failed is {badrpc, Reason}, not a node that could not be reached.
		v, err := e.localCall(fn, args)
		interrupted(e.CallerContext().Err())
		if err != nil {
			return []any{term.Tuple{term.Atom("badrpc"), err.Error()}}, nil
		}
		return []any{v}, nil
	}
	ctx := e.CallerContext()
	f := e.remoteFun("multicall", "every node", fn)
	leader, _ := e.callerLeader()
	res, bad := c.MultiCallFun(ctx, nil, f, leader, args)
	interrupted(ctx.Err())
	return res, bad
}

// Cast calls fn (a name, or a closure) on node without waiting.
func (e *Env) Cast(nodeName any, fn any, args ...any) {
	n, err := atomArg("cast", nodeName)
	raise(err)
	c := e.needCluster("cast")
	if n == e.node.Name() && !isName(fn) {
		go func() { _, _ = e.localCall(fn, args) }()
		return
	}
	leader, _ := e.callerLeader()
	raise(c.CastFun(n, e.remoteFun("cast", n, fn), leader, args))
}

// localCall runs fn (a name, or a function) in a new process on this node
// and waits for its result, as rpc does for this node when there is no
// cluster (node.Apply: the one implementation of running a function by
// name).
func (e *Env) localCall(fn any, args []any) (any, error) {
	f, name := fn, "fun"
	if s, ok := fn.(string); ok {
		var found bool
		if f, found = e.Lookup(s); !found {
			return nil, fmt.Errorf("rpc %s on %s: no such function", s, e.node.Name())
		}
		name = s
	}
	v, err := e.node.Apply(e.CallerContext(), node.SpawnOptions{Func: "rpc " + name}, f, args...)
	if err != nil {
		return nil, fmt.Errorf("rpc %s: %w", name, err)
	}
	return v, nil
}
