package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Remote procedure calls (docs/protocol.md, "rpc"). A call names a function
// the remote node resolves (RegisterFunc, Config.Functions) and carries its
// arguments; the remote node runs it with node.Invoke, the one
// implementation of running a function in a process of its own: arguments
// copied and converted to the parameter types, a *node.Proc first
// parameter given the handle of that process, and the results shaped as
// Erlang's rpc:call answers: none is the atom ok, one is itself, several
// are a term.Tuple. A function whose last result is an error that is not
// nil fails the call with that error's text (ErrRemoteFailed); a panic
// fails it with the panic's text (ErrRemotePanic). Pending calls fail with
// ErrNodeDown when the connection drops, as net/rpc fails them.

// pingFunc is answered by the connection itself, without a process.
const pingFunc = "gerl.ping"

// outcomeReply turns an invoked function's outcome into a status, a value
// and a message.
func outcomeReply(o node.Outcome) (uint64, any, string) {
	var ie *node.InvokeError
	switch {
	case o.Err == nil:
		return statusOK, o.Value, ""
	case errors.As(o.Err, &ie) && ie.Kind == node.ErrFuncPanicked:
		return statusPanic, nil, ie.Detail()
	case ie != nil:
		return statusFailed, nil, ie.Error()
	}
	return statusBadValue, nil, o.Err.Error()
}

// runCall runs f with args in a new process whose group leader is leader,
// and calls reply with the outcome (from that process). It returns a
// status other than OK when the call could not start. Code is compiled
// first, in a process of its own, so that the caller (a connection's
// reader) never waits for a compiler; its failure is reported through
// reply.
func (d *Dist) runCall(f Fun, leader term.Pid, args []any, reply func(status uint64, v any, text string)) (uint64, string) {
	if f.Code != nil {
		_, _, err := d.node.SpawnOpt(nil, node.SpawnOptions{Func: "rpc fun", GroupLeader: leader}, func(*node.Proc) {
			fn, status, text := d.resolve(f)
			if status == statusOK {
				status, text = d.invoke("fun", fn, leader, args, reply)
			}
			if status != statusOK {
				reply(status, nil, text)
			}
		})
		if err != nil {
			return statusRefused, err.Error()
		}
		return statusOK, ""
	}
	fn, status, text := d.resolve(f)
	if status != statusOK {
		return status, text
	}
	return d.invoke(f.Name, fn, leader, args, reply)
}

// invoke runs fn (named name) with node.Invoke and calls reply with its
// outcome.
func (d *Dist) invoke(name string, fn any, leader term.Pid, args []any, reply func(status uint64, v any, text string)) (uint64, string) {
	_, err := d.node.Invoke(node.SpawnOptions{Func: "rpc " + name, GroupLeader: leader}, fn, args, func(o node.Outcome) {
		status, v, text := outcomeReply(o)
		if status == statusPanic {
			d.log.Warn("rpc function panicked", "func", name, "panic", text)
		}
		reply(status, v, text)
	})
	switch {
	case errors.Is(err, node.ErrStopped):
		return statusRefused, err.Error()
	case err != nil:
		return statusBadArgs, err.Error()
	}
	return statusOK, ""
}

func (c *Codec) encodeRPCReply(id, status uint64, v any, text string) []byte {
	f := c.newFrame(opRPCReply, 4)
	f.uint(id)
	f.uint(status)
	if err := f.term(v, 0); err != nil {
		f.abort()
		f = c.newFrame(opRPCReply, 4)
		f.uint(id)
		f.uint(statusBadValue)
		_ = f.enc.EncodeNil()
		text = sendError(v, err).Error()
	}
	f.str(text)
	return f.finish()
}

// serveRPC answers an RPC_REQ (on the connection's reader: it never
// blocks; the function runs in its own process).
func (d *Dist) serveRPC(c *conn, m message) {
	reply := func(status uint64, v any, text string) {
		if m.id != 0 {
			_ = c.send(context.Background(), d.codec.encodeRPCReply(m.id, status, v, text), false)
		} else if status != statusOK {
			d.log.Info("cast failed", "func", m.fn, "from", string(c.peer.name), "err", text)
		}
	}
	if m.code == nil && m.fn == pingFunc {
		reply(statusOK, term.Atom("pong"), "")
		return
	}
	if status, text := d.runCall(Fun{Name: m.fn, Code: m.code}, m.leader, m.args, reply); status != statusOK {
		reply(status, nil, text)
	}
}

func (c *Codec) encodeRPCFun(id uint64, f Fun, args []any, leader term.Pid) ([]byte, error) {
	if args == nil {
		args = []any{}
	}
	fr := c.newFrame(opRPCFun, 4)
	fr.uint(id)
	if err := fr.termField(f.funTerm()); err != nil {
		return nil, err
	}
	if err := fr.termField(args); err != nil {
		return nil, err
	}
	if err := fr.termField(leaderTerm(leader)); err != nil {
		return nil, err
	}
	return fr.finish(), nil
}

func (c *Codec) encodeRPCReq(id uint64, fn string, args []any) ([]byte, error) {
	f := c.newFrame(opRPCReq, 3)
	f.uint(id)
	f.str(fn)
	if err := f.termField(args); err != nil {
		return nil, err
	}
	return f.finish(), nil
}

// Call runs function fn on node nd with args and returns its result (see
// the rpc doc above for results and errors). ctx bounds the wait; a call
// that gives up leaves the remote function running, as Erlang's rpc does.
func (d *Dist) Call(ctx context.Context, nd term.Atom, fn string, args ...any) (any, error) {
	return d.CallFun(ctx, nd, Fun{Name: fn}, term.Pid{}, args)
}

// CallFun is Call for a Fun (a name, or Code the node compiles), run in a
// process whose group leader is leader (the zero pid: none), so that what
// it prints goes there.
func (d *Dist) CallFun(ctx context.Context, nd term.Atom, f Fun, leader term.Pid, args []any) (any, error) {
	if args == nil {
		args = []any{}
	}
	if nd == d.name {
		return d.callLocal(ctx, f, leader, args)
	}
	c, err := d.connect(ctx, nd)
	if err != nil {
		return nil, fmt.Errorf("rpc %s on %s: %w", f, nd, err)
	}
	if c.erl() != nil {
		if f.Code != nil {
			return nil, fmt.Errorf("rpc %s on %s: %w", f, nd, errErlangCode)
		}
		return d.erlApply(ctx, c, f.Name, args)
	}
	return d.callOn(ctx, c, f, leader, args)
}

func (d *Dist) callOn(ctx context.Context, c *conn, f Fun, leader term.Pid, args []any) (any, error) {
	if args == nil {
		args = []any{}
	}
	if c.peer.flags&FlagRPC == 0 {
		return nil, fmt.Errorf("rpc %s on %s: %w: the node does not serve rpc", f, c.peer.name, ErrRefused)
	}
	if err := f.check(c.peer.flags); err != nil {
		return nil, fmt.Errorf("rpc %s on %s: %w: %v", f, c.peer.name, ErrRefused, err)
	}
	id, ch, err := c.newCall()
	if err != nil {
		return nil, fmt.Errorf("rpc %s: %w", f, err)
	}
	var frame []byte
	if c.peer.flags&FlagFun != 0 {
		frame, err = d.codec.encodeRPCFun(id, f, args, leader)
	} else {
		frame, err = d.codec.encodeRPCReq(id, f.Name, args)
	}
	if err != nil {
		c.cancelCall(id)
		return nil, fmt.Errorf("rpc %s on %s: arguments: %w", f, c.peer.name, err)
	}
	if err := c.send(ctx, frame, true); err != nil {
		c.cancelCall(id)
		return nil, fmt.Errorf("rpc %s: %w: %w", f, ErrNodeDown, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("rpc %s on %s: %w (the connection closed before the reply)", f, c.peer.name, ErrNodeDown)
		}
		if m.status != statusOK {
			return nil, &RemoteError{Node: string(c.peer.name), Func: f.String(), Status: m.status, Message: m.text}
		}
		return m.payload, nil
	case <-ctx.Done():
		c.cancelCall(id)
		return nil, fmt.Errorf("rpc %s on %s: %w", f, c.peer.name, ctx.Err())
	}
}

func (d *Dist) callLocal(ctx context.Context, f Fun, leader term.Pid, args []any) (any, error) {
	type answer struct {
		status uint64
		v      any
		text   string
	}
	ch := make(chan answer, 1)
	if status, text := d.runCall(f, leader, args, func(s uint64, v any, t string) { ch <- answer{s, v, t} }); status != statusOK {
		return nil, &RemoteError{Node: string(d.name), Func: f.String(), Status: status, Message: text}
	}
	select {
	case a := <-ch:
		if a.status != statusOK {
			return nil, &RemoteError{Node: string(d.name), Func: f.String(), Status: a.status, Message: a.text}
		}
		return a.v, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("rpc %s on %s: %w", f, d.name, ctx.Err())
	}
}

// Cast runs fn on nd without waiting for it, its result, or the
// connection: like a message, it is queued while the connection is set up
// and dropped if it cannot be.
func (d *Dist) Cast(nd term.Atom, fn string, args ...any) error {
	return d.CastFun(nd, Fun{Name: fn}, term.Pid{}, args)
}

// CastFun is Cast for a Fun, run in a process whose group leader is
// leader. Code goes only to a node that announced it runs code (known
// once connected); a name goes to any node, with its group leader where
// the node takes it.
func (d *Dist) CastFun(nd term.Atom, f Fun, leader term.Pid, args []any) error {
	if args == nil {
		args = []any{}
	}
	if nd == d.name {
		if status, text := d.runCall(f, leader, args, func(uint64, any, string) {}); status != statusOK {
			return &RemoteError{Node: string(d.name), Func: f.String(), Status: status, Message: text}
		}
		return nil
	}
	if c := d.mgr.up(nd); c != nil && c.erl() != nil {
		if f.Code != nil {
			return fmt.Errorf("cast %s on %s: %w", f, nd, errErlangCode)
		}
		m := message{op: opRPCReq, fn: f.Name, args: args}
		frame, err := c.erl().encode(&m)
		if err != nil {
			return fmt.Errorf("cast %s on %s: %w", f, nd, err)
		}
		return d.sendOn(context.Background(), c, &outgoing{frame: frame, op: opRPCReq, native: true})
	}
	frame, err := d.codec.encodeRPCReq(0, f.Name, args)
	op, needs := opRPCReq, FlagRPC
	if f.Code != nil || !leader.IsZero() {
		frame, err = d.codec.encodeRPCFun(0, f, args, leader)
		op, needs = opRPCFun, FlagRPC|FlagFun
	}
	if err != nil {
		return fmt.Errorf("cast %s on %s: arguments: %w", f, nd, err)
	}
	if err := d.post(context.Background(), nd, &outgoing{frame: frame, op: op, needs: needs}, true); err != nil {
		return fmt.Errorf("cast %s on %s: %w", f, nd, err)
	}
	return nil
}

// CallResult is one node's answer to MultiCall.
type CallResult struct {
	Node  term.Atom
	Value any
	Err   error // a *RemoteError: the node answered with a failure
}

// MultiCall calls fn on every node at once, as rpc:multicall: it returns
// the answers of the nodes that answered (in the order of nodes, with Err
// set for a function that failed there) and the nodes that could not be
// reached or went down before answering.
func (d *Dist) MultiCall(ctx context.Context, nodes []term.Atom, fn string, args ...any) ([]CallResult, []term.Atom) {
	return d.MultiCallFun(ctx, nodes, Fun{Name: fn}, term.Pid{}, args)
}

// MultiCallFun is MultiCall for a Fun, run in processes whose group
// leader is leader.
func (d *Dist) MultiCallFun(ctx context.Context, nodes []term.Atom, f Fun, leader term.Pid, args []any) ([]CallResult, []term.Atom) {
	type answer struct {
		v   any
		err error
	}
	answers := make([]answer, len(nodes))
	var wg sync.WaitGroup
	for i, nd := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := d.CallFun(ctx, nd, f, leader, args)
			answers[i] = answer{v, err}
		}()
	}
	wg.Wait()
	var results []CallResult
	var bad []term.Atom
	for i, a := range answers {
		var re *RemoteError
		switch {
		case a.err == nil:
			results = append(results, CallResult{Node: nodes[i], Value: a.v})
		case errors.As(a.err, &re):
			results = append(results, CallResult{Node: nodes[i], Err: a.err})
		default:
			bad = append(bad, nodes[i])
		}
	}
	return results, bad
}
