package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Serving an Erlang node's SPAWN_REQUEST: erlang:spawn(Node, M, F, A),
// spawn_link, spawn_monitor, and rpc:call, erpc:call and rpc:cast, which
// spawn erpc:execute_call/4 and erpc:execute_cast/3. A function M:F is
// the Go function the node knows as "M.F" (a function of a loaded module,
// counter.Loop; one given to RegisterFunc; a standard library function,
// strings.ToUpper, through Config.Functions), or, for module gerl, by its
// bare name; erlang:node/0 and a few more are gerl's built-ins (erlFunc).
//
// As erts does, the process is spawned, its link and monitor set up, and
// SPAWN_REPLY sent before it runs, so the reply precedes every other
// signal of the new process; a function that does not exist still gets a
// process, which exits with {undef, [{M, F, Args, []}]}.

// The spawn options gerl takes and has no use for (erlang:spawn_opt's
// process tuning); any other option is refused with badopt, as erts does.
var ignoredSpawnOpts = map[term.Atom]bool{
	"priority": true, "fullsweep_after": true, "min_heap_size": true, "min_bin_vheap_size": true,
	"max_heap_size": true, "message_queue_data": true, "async_dist": true,
}

// serveSpawn answers a SPAWN_REQUEST, on the reader.
func (p *erlProto) serveSpawn(m *erlMsg) error {
	if err := p.fromPeer(m); err != nil {
		return err
	}
	reply := func(flags int, result any) {
		if f, err := erlSpawnReply(p.d.codec.frameBuf(), m.ref, m.from, flags, result); err == nil {
			p.signal(f)
		}
	}
	var link, monitor bool
	for _, o := range m.opts {
		switch x := o.(type) {
		case term.Atom:
			switch x {
			case "link":
				link = true
				continue
			case "monitor":
				monitor = true
				continue
			}
		case term.Tuple:
			if len(x) == 2 {
				if a, _ := x[0].(term.Atom); a == "monitor" {
					monitor = true
					continue
				} else if ignoredSpawnOpts[a] {
					continue
				}
			}
		}
		reply(0, term.Atom("badopt"))
		return nil
	}
	args, ok := m.payload.([]any)
	if !ok || len(args) != m.arity {
		reply(0, term.Atom("badarg"))
		return nil
	}
	n := p.d.node
	body := p.d.erlSpawnBody(m.mod, m.fun, args)
	gate := make(chan struct{})
	pid, _, err := n.SpawnOpt(nil, node.SpawnOptions{Func: fmt.Sprintf("%s:%s/%d", m.mod, m.fun, m.arity)}, func(proc *node.Proc) {
		<-gate
		body(proc)
	})
	if err != nil {
		reply(0, term.Atom("system_limit"))
		return nil
	}
	flags := 0
	if link {
		n.DeliverLink(m.from, pid)
		flags |= spawnReplyLink
	}
	if monitor {
		n.DeliverMonitor(m.from, pid, "", m.ref)
		flags |= spawnReplyMonitor
	}
	reply(flags, pid)
	close(gate)
	return nil
}

// erlSpawnBody returns what the process of a spawn request runs.
func (d *Dist) erlSpawnBody(mod, fun term.Atom, args []any) func(*node.Proc) {
	switch {
	case mod == "erpc" && fun == "execute_call" && len(args) == 4:
		return func(p *node.Proc) {
			m, ok1 := args[1].(term.Atom)
			f, ok2 := args[2].(term.Atom)
			a, ok3 := args[3].([]any)
			if !ok1 || !ok2 || !ok3 {
				p.ExitSelf(term.T(args[0], term.Atom("error"), term.Atom("badarg"), []any{}))
			}
			p.ExitSelf(d.erpcRun(p, args[0], m, f, a))
		}
	case mod == "erpc" && fun == "execute_cast" && len(args) == 3:
		return func(p *node.Proc) {
			m, ok1 := args[0].(term.Atom)
			f, ok2 := args[1].(term.Atom)
			a, ok3 := args[2].([]any)
			if !ok1 || !ok2 || !ok3 {
				return
			}
			if r := d.erpcRun(p, nil, m, f, a); len(r) > 1 && r[1] != any(term.Atom("return")) {
				d.log.Info("cast from an Erlang node failed", "func", fmt.Sprintf("%s:%s/%d", m, f, len(a)), "reason", term.Format(r[1:]))
			}
		}
	case mod == "erlang" && fun == "apply" && len(args) == 2:
		return func(p *node.Proc) {
			p.ExitSelf(term.T(term.Atom("badfun"), args[0])) // gerl cannot run an Erlang fun
		}
	case mod == "erlang" && fun == "apply" && len(args) == 3:
		m, ok1 := args[0].(term.Atom)
		f, ok2 := args[1].(term.Atom)
		a, ok3 := args[2].([]any)
		if ok1 && ok2 && ok3 {
			return d.erlSpawnBody(m, f, a)
		}
	}
	fn, ok := d.erlFunc(mod, fun, len(args))
	if !ok {
		return func(p *node.Proc) { p.ExitSelf(undef(mod, fun, args)) }
	}
	conv, err := erlArgs(fn, args)
	var run func(*node.Proc)
	if err == nil {
		run, err = node.EntryOnce(fn, conv...)
	}
	if err != nil {
		return func(p *node.Proc) { p.ExitSelf(term.T(term.Atom("badarg"), err.Error())) }
	}
	return run
}

// undef is the exit reason of a call of a function that does not exist.
func undef(mod, fun term.Atom, args []any) term.Tuple {
	return term.T(term.Atom("undef"), []any{term.T(mod, fun, args, []any{})})
}

// erpcRun runs mod:fun(args...) for erpc:execute_call in a process of
// its own (node.Invoke) and returns what the caller's process exits with
// (erpc.erl's result/4): {Res, return, Value}, {Res, error, Reason,
// Stack} or {Res, exit, Reason}. When p is ended meanwhile (erpc's
// timeout kills it), the function's process is killed too.
func (d *Dist) erpcRun(p *node.Proc, res any, mod, fun term.Atom, args []any) term.Tuple {
	stack := []any{term.T(mod, fun, len(args), []any{})}
	fail := func(reason any) term.Tuple { return term.T(res, term.Atom("error"), reason, stack) }
	fn, ok := d.erlFunc(mod, fun, len(args))
	if !ok {
		return term.T(res, term.Atom("error"), term.Atom("undef"), []any{term.T(mod, fun, args, []any{})})
	}
	conv, err := erlArgs(fn, args)
	if err != nil {
		return fail(term.T(term.Atom("badarg"), err.Error()))
	}
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	p.OnExit(func(any) { cancel() })
	done := make(chan node.Outcome, 1)
	pid, err := d.node.Invoke(node.SpawnOptions{Func: fmt.Sprintf("rpc %s:%s/%d", mod, fun, len(args))}, fn, conv,
		func(o node.Outcome) { done <- o })
	if err != nil {
		if errors.Is(err, node.ErrStopped) {
			return term.T(res, term.Atom("exit"), term.Shutdown)
		}
		return fail(term.T(term.Atom("badarg"), strings.TrimPrefix(err.Error(), "spawn: ")))
	}
	var o node.Outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		_ = d.node.Exit(pid, term.Kill)
		return term.T(res, term.Atom("exit"), term.Killed)
	}
	var ie *node.InvokeError
	switch {
	case o.Err == nil:
		return term.T(res, term.Atom("return"), o.Value)
	case errors.As(o.Err, &ie) && ie.Kind == node.ErrFuncPanicked:
		d.log.Warn("rpc function panicked", "func", fmt.Sprintf("%s:%s/%d", mod, fun, len(args)), "panic", ie.Detail())
		return fail(term.PanicReason(ie.Reason))
	case ie != nil && ie.Kind == node.ErrFuncExited:
		return term.T(res, term.Atom("exit"), ie.Reason)
	case ie != nil:
		return fail(term.T(term.Atom("error"), ie.Detail()))
	}
	return fail(term.T(term.Atom("badresult"), o.Err.Error()))
}

// erlFunc resolves an Erlang-style function name, mod:fun of arity:
// gerl's built-ins of module erlang, then the function the node knows as
// "mod.fun", then, for module gerl, as "fun". A function whose arity does
// not match is not found, as in Erlang (undef).
func (d *Dist) erlFunc(mod, fun term.Atom, arity int) (any, bool) {
	fn, ok := d.erlBuiltins[string(mod)+":"+string(fun)]
	if !ok {
		fn, ok = d.funcs.lookup(string(mod) + "." + string(fun))
	}
	if !ok && mod == "gerl" {
		fn, ok = d.funcs.lookup(string(fun))
	}
	if !ok {
		return nil, false
	}
	if n, variadic := arityOf(fn); arity != n && !(variadic && arity >= n) {
		return nil, false
	}
	return fn, true
}

// lookupFunc resolves the name a remote spawn or rpc gives: "mod:fun" as
// an Erlang node names it (erlFunc, of any arity), any other name as
// RegisterFunc and Config.Functions know it.
func (d *Dist) lookupFunc(name string) (any, bool) {
	if mod, fun, ok := strings.Cut(name, ":"); ok && mod != "" && fun != "" {
		fn, found := d.erlBuiltins[name]
		if !found {
			fn, found = d.funcs.lookup(mod + "." + fun)
		}
		if !found && mod == "gerl" {
			fn, found = d.funcs.lookup(fun)
		}
		return fn, found
	}
	return d.funcs.lookup(name)
}

// newErlBuiltins makes the functions of module erlang an Erlang node may
// call here by rpc, and gerl's own rpc by "erlang:node": what they mean on
// a gerl node.
func (d *Dist) newErlBuiltins() map[string]any {
	return map[string]any{
		"erlang:node":     func() term.Atom { return d.name },
		"erlang:nodes":    func(which ...any) []term.Atom { return d.nodesOf(which) },
		"erlang:is_alive": func() bool { return true },
		"erlang:whereis": func(name term.Atom) any {
			if pid, ok := d.node.Whereis(name); ok {
				return pid
			}
			return term.Undefined
		},
		"erlang:registered": func() []term.Atom { return d.node.Registered() },
	}
}

// nodesOf answers erlang:nodes/0,1: visible by default; visible, hidden,
// connected, this, known (an atom or a list of them).
func (d *Dist) nodesOf(which []any) []term.Atom {
	kinds := map[term.Atom]bool{}
	if len(which) == 0 {
		kinds["visible"] = true
	}
	for _, w := range which {
		switch x := w.(type) {
		case term.Atom:
			kinds[x] = true
		case []any:
			for _, e := range x {
				if a, ok := e.(term.Atom); ok {
					kinds[a] = true
				}
			}
		}
	}
	var out []term.Atom
	if kinds["this"] {
		out = append(out, d.name)
	}
	if kinds["visible"] || kinds["connected"] || kinds["known"] {
		out = append(out, d.Nodes()...)
	}
	if kinds["hidden"] || kinds["connected"] || kinds["known"] {
		out = append(out, d.HiddenNodes()...)
	}
	if out == nil {
		out = []term.Atom{}
	}
	return out
}
