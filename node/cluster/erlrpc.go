package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/erldist"
	"github.com/gerl-dev/gerl/node/term"
)

// rpc and spawn towards an Erlang node, as an Erlang node does them: a
// SPAWN_REQUEST, which the peer answers with SPAWN_REPLY (the new
// process's pid, or an error atom) before any other signal of the new
// process. An rpc spawns erpc:execute_call(Ref, M, F, A) with a monitor:
// the process exits with {Ref, return, Value} (or throw, exit, error), and
// the monitor's DOWN carries that back. A peer without the SPAWN flag (a C
// node) is asked through its rex server instead, as rpc:call asked before
// OTP 23. Functions of an Erlang node are named "module:function".

// erlCall is one spawn request of this node waiting for its SPAWN_REPLY,
// and, for an rpc, for the DOWN that carries its result.
type erlCall struct {
	events chan erlEvent // SPAWN_REPLY, then the DOWN; closed when the connection goes
	parent term.Pid      // a spawn's parent: the link or monitor is recorded here on reply
	link   bool
	adopt  bool // record the monitor the peer set up for parent (spawn_monitor)
	result bool // an rpc: wait for the DOWN after the reply
	once   sync.Once
}

type erlEvent struct {
	reply  *erlMsg // SPAWN_REPLY
	reason any     // the DOWN's reason
}

func (c *erlCall) fail() { c.once.Do(func() { close(c.events) }) }

// deliver hands the call an event. Events come from the connection's
// reader and fail from its teardown, on the same goroutine, so an event
// never meets a closed channel; the channel holds both events, so the
// reader never waits for a caller that gave up.
func (c *erlCall) deliver(ev erlEvent) { c.events <- ev }

// newCall registers a spawn request under reqID.
func (p *erlProto) newCall(reqID term.Ref, c *erlCall) error {
	c.events = make(chan erlEvent, 2)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return fmt.Errorf("%s: %w", p.c.peer.name, ErrNodeDown)
	}
	p.calls[reqID] = c
	return nil
}

func (p *erlProto) dropCall(reqID term.Ref) {
	p.mu.Lock()
	delete(p.calls, reqID)
	p.mu.Unlock()
}

// spawnReplied handles a SPAWN_REPLY, on the reader: the link or monitor
// the peer set up for a local parent is recorded before any later signal
// of the child is read.
func (p *erlProto) spawnReplied(m *erlMsg) {
	p.mu.Lock()
	c := p.calls[m.ref]
	child, ok := m.result.(term.Pid)
	if c != nil && (!ok || !c.result) {
		delete(p.calls, m.ref)
	}
	p.mu.Unlock()
	if c == nil {
		return // a cast's (erpc:execute_cast), or a call given up
	}
	if ok && !c.parent.IsZero() {
		n := p.d.node
		if c.link && m.flags&spawnReplyLink != 0 {
			n.DeliverLink(child, c.parent)
		}
		if c.adopt && m.flags&spawnReplyMonitor != 0 && !n.AdoptMonitor(c.parent, child, m.ref) {
			if f, err := erlMonitor(p.d.codec.frameBuf(), dopDemonitorP, c.parent, child, m.ref); err == nil {
				p.signal(f)
			}
		}
	}
	c.deliver(erlEvent{reply: m})
}

// completeCall hands a DOWN to the rpc waiting for it; false if it is no
// rpc's.
func (p *erlProto) completeCall(m *erlMsg) bool {
	p.mu.Lock()
	c := p.calls[m.ref]
	if c == nil || !c.result {
		p.mu.Unlock()
		return false
	}
	delete(p.calls, m.ref)
	p.mu.Unlock()
	c.deliver(erlEvent{reason: m.payload})
	return true
}

// splitMF splits an Erlang function name, "module:function".
func splitMF(fn string) (term.Atom, term.Atom, error) {
	mod, fun, ok := strings.Cut(fn, ":")
	if !ok || mod == "" || fun == "" || strings.Contains(fun, ":") {
		return "", "", fmt.Errorf("%q: an Erlang node's functions are named \"module:function\" (\"lists:reverse\")", fn)
	}
	return term.Atom(mod), term.Atom(fun), nil
}

// spawnRequest sends a SPAWN_REQUEST of mod:fun(args...) with opts on c
// and waits for the SPAWN_REPLY: it returns the new process's pid.
func (d *Dist) spawnRequest(ctx context.Context, c *conn, call *erlCall, from term.Pid, mod, fun term.Atom, args, opts []any) (term.Pid, term.Ref, error) {
	p := c.erl()
	what := fmt.Sprintf("%s:%s on %s", mod, fun, c.peer.name)
	if p.peerFlags&erldist.FlagSpawn == 0 {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: %w: the node does not serve remote spawn (an Erlang C node?)", what, ErrRefused)
	}
	sys := d.systemPid()
	if from.IsZero() {
		from = sys
	}
	reqID := d.node.MakeRef()
	if err := p.newCall(reqID, call); err != nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: %w", what, err)
	}
	frame, err := erlSpawnRequest(d.codec.frameBuf(), reqID, from, sys, mod, fun, args, opts)
	if err != nil {
		p.dropCall(reqID)
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: arguments: %w", what, err)
	}
	if err := c.send(ctx, frame, true); err != nil {
		p.dropCall(reqID)
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: %w: %w", what, ErrNodeDown, err)
	}
	select {
	case ev, ok := <-call.events:
		if !ok {
			return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: %w", what, ErrNodeDown)
		}
		pid, isPid := ev.reply.result.(term.Pid)
		if !isPid {
			return term.Pid{}, term.Ref{}, &RemoteError{Node: string(c.peer.name), Func: string(mod) + ":" + string(fun), Status: statusRefused,
				Message: "spawn failed: " + term.Format(ev.reply.result)}
		}
		return pid, reqID, nil
	case <-ctx.Done():
		p.dropCall(reqID)
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: %w", what, ctx.Err())
	}
}

// erlSpawn starts mod:fun(args...) as a process on the Erlang node of c,
// linked to or monitored by parent when asked (the peer sets the link or
// monitor up before the process runs, and this node records it when the
// reply comes, before any later signal).
func (d *Dist) erlSpawn(ctx context.Context, c *conn, parent *node.Proc, fn string, args []any, opts node.SpawnOptions) (term.Pid, term.Ref, error) {
	mod, fun, err := splitMF(fn)
	if err != nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn on %s: %w", c.peer.name, err)
	}
	call := &erlCall{link: opts.Link, adopt: opts.Monitor}
	var from term.Pid
	var sopts []any
	if parent != nil {
		from = parent.Self()
		call.parent = from
	}
	if opts.Link {
		sopts = append(sopts, term.Atom("link"))
	}
	if opts.Monitor {
		sopts = append(sopts, term.Atom("monitor"))
	}
	pid, ref, err := d.spawnRequest(ctx, c, call, from, mod, fun, args, sopts)
	if !opts.Monitor {
		ref = term.Ref{}
	}
	return pid, ref, err
}

// erlApply runs mod:fun(args...) on the Erlang node of c and returns its
// value, as erpc:call does; a failure is a *RemoteError whose Message is
// the Erlang exception ({Class, Reason}).
func (d *Dist) erlApply(ctx context.Context, c *conn, fn string, args []any) (any, error) {
	mod, fun, err := splitMF(fn)
	if err != nil {
		return nil, fmt.Errorf("rpc on %s: %w", c.peer.name, err)
	}
	if args == nil {
		args = []any{}
	}
	if c.erl().peerFlags&erldist.FlagSpawn == 0 {
		return d.rexApply(ctx, c.peer.name, mod, fun, args)
	}
	res := d.node.MakeRef()
	call := &erlCall{result: true}
	_, reqID, err := d.spawnRequest(ctx, c, call, term.Pid{}, "erpc", "execute_call",
		[]any{res, mod, fun, args}, []any{term.Atom("monitor")})
	if err != nil {
		return nil, err
	}
	select {
	case ev, ok := <-call.events:
		if !ok {
			return nil, fmt.Errorf("rpc %s on %s: %w (the connection closed before the reply)", fn, c.peer.name, ErrNodeDown)
		}
		return erpcResult(string(c.peer.name), fn, res, ev.reason)
	case <-ctx.Done():
		c.erl().dropCall(reqID)
		return nil, fmt.Errorf("rpc %s on %s: %w", fn, c.peer.name, ctx.Err())
	}
}

// erpcResult reads the exit reason of erpc:execute_call (erpc.erl's
// result/4): {Res, return, V}, {Res, throw, T}, {Res, exit, R},
// {Res, error, R, Stack}; any other reason is the process's exit.
func erpcResult(nd, fn string, res term.Ref, reason any) (any, error) {
	t, ok := reason.(term.Tuple)
	if ok && len(t) >= 3 && t[0] == any(res) {
		switch t[1] {
		case term.Atom("return"):
			if len(t) == 3 {
				return t[2], nil
			}
		case term.Atom("error"):
			if len(t) == 4 {
				status := uint64(statusFailed)
				if t[2] == any(term.Atom("undef")) {
					status = statusNoFunc
				}
				return nil, &RemoteError{Node: nd, Func: fn, Status: status, Message: term.Format(term.Tuple{t[1], t[2]})}
			}
		case term.Atom("throw"), term.Atom("exit"):
			if len(t) == 3 {
				return nil, &RemoteError{Node: nd, Func: fn, Status: statusFailed, Message: term.Format(term.Tuple{t[1], t[2]})}
			}
		}
	}
	return nil, &RemoteError{Node: nd, Func: fn, Status: statusFailed, Message: "its process exited: " + term.Format(reason)}
}

// rexApply is an rpc through the peer's rex server ({call, M, F, A, GL}),
// for a peer that does not serve remote spawn.
func (d *Dist) rexApply(ctx context.Context, nd term.Atom, mod, fun term.Atom, args []any) (any, error) {
	fn := string(mod) + ":" + string(fun)
	var v any
	err := d.node.WithProcess("rpc "+fn, func(p *node.Proc) error {
		var err error
		v, err = p.CallContext(ctx, term.Name{Name: "rex", Node: nd}, term.T(term.Atom("call"), mod, fun, args, d.systemPid()), node.Forever)
		return err
	})
	var ce *node.CallError
	switch {
	case errors.As(err, &ce):
		return nil, fmt.Errorf("rpc %s on %s: %w (%s)", fn, nd, ErrNodeDown, term.Format(ce.Reason))
	case err != nil:
		return nil, fmt.Errorf("rpc %s on %s: %w", fn, nd, err)
	}
	if t, ok := v.(term.Tuple); ok && len(t) == 2 && t[0] == any(term.Atom("badrpc")) {
		status := uint64(statusFailed)
		if x, ok := t[1].(term.Tuple); ok && len(x) == 2 {
			if y, ok := x[1].(term.Tuple); ok && len(y) > 0 && y[0] == any(term.Atom("undef")) {
				status = statusNoFunc
			}
		}
		return nil, &RemoteError{Node: string(nd), Func: fn, Status: status, Message: term.Format(t[1])}
	}
	return v, nil
}

// encodeCast writes a cast (Dist.Cast queued it in gerl's form as an
// RPC_REQ without an id) as erpc:cast does it: a SPAWN_REQUEST of
// erpc:execute_cast(M, F, A) without a reply anyone waits for.
func (p *erlProto) encodeCast(buf []byte, fn string, args []any) ([]byte, error) {
	mod, fun, err := splitMF(fn)
	if err != nil {
		p.d.codec.recycle(buf)
		return nil, err
	}
	if p.peerFlags&erldist.FlagSpawn == 0 {
		p.d.codec.recycle(buf)
		return nil, fmt.Errorf("cast %s: %w: the node does not serve remote spawn", fn, ErrRefused)
	}
	if args == nil {
		args = []any{}
	}
	sys := p.d.systemPid()
	return erlSpawnRequest(buf, p.d.node.MakeRef(), sys, sys, "erpc", "execute_cast", []any{mod, fun, args}, []any{})
}
