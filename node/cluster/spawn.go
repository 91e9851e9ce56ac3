package cluster

import (
	"context"
	"fmt"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Remote spawn (docs/protocol.md, "Spawn"). The caller sends SPAWN_REQ
// with a function name and arguments; the remote node resolves the name,
// checks the arguments (node.Entry) and spawns the process, and answers
// SPAWN_REPLY with its pid or why it could not. For a link or monitor the
// child is held before it runs: the caller links or monitors it (LINK or
// MONITOR on the same connection, so they arrive first), then sends
// SPAWN_GO and only then does the child run its function. So the link or
// monitor exists before the child runs, as with a local SpawnLink, and a
// child that dies at once reports its real exit reason. A held child whose
// connection drops before SPAWN_GO exits with reason noconnection.

// spawnHold is the SPAWN_REQ flag that holds the child until SPAWN_GO.
const spawnHold = 1

// Spawn starts fn with args as a process on node nd and returns its pid.
func (d *Dist) Spawn(ctx context.Context, nd term.Atom, fn string, args ...any) (term.Pid, error) {
	pid, _, err := d.SpawnOpt(ctx, nil, nd, node.SpawnOptions{}, fn, args...)
	return pid, err
}

// SpawnLink starts fn on nd linked to parent, atomically.
func (d *Dist) SpawnLink(ctx context.Context, parent *node.Proc, nd term.Atom, fn string, args ...any) (term.Pid, error) {
	pid, _, err := d.SpawnOpt(ctx, parent, nd, node.SpawnOptions{Link: true}, fn, args...)
	return pid, err
}

// SpawnMonitor starts fn on nd monitored by parent, atomically.
func (d *Dist) SpawnMonitor(ctx context.Context, parent *node.Proc, nd term.Atom, fn string, args ...any) (term.Pid, term.Ref, error) {
	return d.SpawnOpt(ctx, parent, nd, node.SpawnOptions{Monitor: true}, fn, args...)
}

// SpawnOpt starts the function named fn, with args, as a process on node nd
// (this node included), with opts.Link and opts.Monitor relative to parent
// (which must then be a live local process). Errors: the node cannot be
// reached, or a *RemoteError matching ErrNoFunction, ErrBadArgs or
// ErrRefused.
func (d *Dist) SpawnOpt(ctx context.Context, parent *node.Proc, nd term.Atom, opts node.SpawnOptions, fn string, args ...any) (term.Pid, term.Ref, error) {
	return d.SpawnFun(ctx, parent, nd, opts, Fun{Name: fn}, args)
}

// SpawnFun is SpawnOpt for a Fun: a function known by name, or Code that
// the node compiles (its compile errors and missing modules are a
// *RemoteError matching ErrBadCode). The new process's group leader is
// opts.GroupLeader, or parent's when that is zero (see
// node.Proc.GroupLeader): what it prints goes there.
func (d *Dist) SpawnFun(ctx context.Context, parent *node.Proc, nd term.Atom, opts node.SpawnOptions, f Fun, args []any) (term.Pid, term.Ref, error) {
	if (opts.Link || opts.Monitor) && parent == nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: link or monitor needs a parent process", f, nd)
	}
	if opts.Func == "" {
		opts.Func = f.String()
	}
	if opts.GroupLeader.IsZero() && parent != nil {
		opts.GroupLeader = parent.GroupLeader()
	}
	if nd == d.name {
		fn, status, text := d.resolve(f)
		if status != statusOK {
			return term.Pid{}, term.Ref{}, &RemoteError{Node: string(nd), Func: f.String(), Status: status, Message: text}
		}
		pid, ref, err := d.node.SpawnFunc(parent, opts, fn, args...)
		if err != nil {
			return pid, ref, &RemoteError{Node: string(nd), Func: f.String(), Status: statusBadArgs, Message: err.Error()}
		}
		return pid, ref, nil
	}
	c, err := d.connect(ctx, nd)
	if err != nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w", f, nd, err)
	}
	if c.erl() != nil {
		if f.Code != nil {
			return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w", f, nd, errErlangCode)
		}
		return d.erlSpawn(ctx, c, parent, f.Name, args, opts)
	}
	if c.peer.flags&FlagSpawn == 0 {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w: the node does not serve remote spawn", f, nd, ErrRefused)
	}
	if err := f.check(c.peer.flags); err != nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w: %v", f, nd, ErrRefused, err)
	}
	id, ch, err := c.newCall()
	if err != nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: %w", f, err)
	}
	hold := opts.Link || opts.Monitor
	var from term.Pid
	if parent != nil {
		from = parent.Self()
	}
	var frame []byte
	if c.peer.flags&FlagFun != 0 {
		frame, err = d.codec.encodeSpawnFun(id, from, f, args, hold, opts.GroupLeader)
	} else {
		frame, err = d.codec.encodeSpawnReq(id, from, f.Name, args, hold)
	}
	if err != nil {
		c.cancelCall(id)
		what := "arguments"
		if f.Code != nil {
			what = "arguments or captured variables"
		}
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %s: %w", f, nd, what, err)
	}
	if err := c.send(ctx, frame, true); err != nil {
		c.cancelCall(id)
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: %w: %w", f, ErrNodeDown, err)
	}
	var m message
	select {
	case r, ok := <-ch:
		if !ok {
			return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w", f, nd, ErrNodeDown)
		}
		m = r
	case <-ctx.Done():
		c.cancelCall(id)
		if hold {
			_ = c.send(context.Background(), d.codec.encodeSpawnGo(id, false), false)
		}
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w", f, nd, ctx.Err())
	}
	if m.status != statusOK {
		return term.Pid{}, term.Ref{}, &RemoteError{Node: string(nd), Func: f.String(), Status: m.status, Message: m.text}
	}
	pid := m.to
	var ref term.Ref
	if hold {
		// The child is held: link and monitor go out before SPAWN_GO on
		// the same connection. The deferred GO also runs if parent is
		// killed meanwhile (its exit then travels along the link).
		defer func() { _ = c.send(context.Background(), d.codec.encodeSpawnGo(id, true), false) }()
		if opts.Link {
			if err := parent.Link(pid); err != nil {
				return pid, ref, fmt.Errorf("spawn %s on %s: link: %w", f, nd, err)
			}
		}
		if opts.Monitor {
			ref = parent.Monitor(pid)
		}
	}
	return pid, ref, nil
}

// resolve finds what a Fun runs on this node: a function by name, or the
// compiled code. A status other than statusOK says why not.
func (d *Dist) resolve(f Fun) (any, uint64, string) {
	if f.Code == nil {
		fn, ok := d.lookupFunc(f.Name)
		if !ok {
			return nil, statusNoFunc, fmt.Sprintf("%s knows no function %q", d.name, f.Name)
		}
		return fn, statusOK, ""
	}
	r := d.codeRunner()
	if r == nil {
		return nil, statusBadCode, fmt.Sprintf("%s runs no code sent to it", d.name)
	}
	fn, err := r.RunCode(f.Code)
	if err != nil {
		return nil, statusBadCode, err.Error()
	}
	return fn, statusOK, ""
}

func (c *Codec) encodeSpawnReq(id uint64, from term.Pid, fn string, args []any, hold bool) ([]byte, error) {
	if args == nil {
		args = []any{}
	}
	f := c.newFrame(opSpawnReq, 5)
	f.uint(id)
	f.pidField(from)
	f.str(fn)
	if err := f.termField(args); err != nil {
		return nil, err
	}
	var flags uint64
	if hold {
		flags |= spawnHold
	}
	f.uint(flags)
	return f.finish(), nil
}

func (c *Codec) encodeSpawnReply(id, status uint64, pid *term.Pid, text string) []byte {
	f := c.newFrame(opSpawnReply, 4)
	f.uint(id)
	f.uint(status)
	if pid != nil {
		f.pidField(*pid)
	} else {
		_ = f.enc.EncodeNil()
	}
	f.str(text)
	return f.finish()
}

func (c *Codec) encodeSpawnGo(id uint64, run bool) []byte {
	f := c.newFrame(opSpawnGo, 2)
	f.uint(id)
	f.boolean(run)
	return f.finish()
}

func (c *Codec) encodeSpawnFun(id uint64, from term.Pid, f Fun, args []any, hold bool, leader term.Pid) ([]byte, error) {
	if args == nil {
		args = []any{}
	}
	fr := c.newFrame(opSpawnFun, 6)
	fr.uint(id)
	fr.pidField(from)
	if err := fr.termField(f.funTerm()); err != nil {
		return nil, err
	}
	if err := fr.termField(args); err != nil {
		return nil, err
	}
	var flags uint64
	if hold {
		flags |= spawnHold
	}
	fr.uint(flags)
	if err := fr.termField(leaderTerm(leader)); err != nil {
		return nil, err
	}
	return fr.finish(), nil
}

// serveSpawn answers a SPAWN_REQ or a SPAWN_FUN on the connection's
// reader. A request that reuses the id of a spawn still held is a
// protocol error. Code is compiled by the new process itself, which
// answers once it knows whether the code runs here: the reader never
// waits for a compiler.
func (d *Dist) serveSpawn(c *conn, m message) error {
	reply := func(status uint64, pid *term.Pid, text string) {
		_ = c.send(context.Background(), d.codec.encodeSpawnReply(m.id, status, pid, text), false)
	}
	opts := node.SpawnOptions{Func: m.fn, GroupLeader: m.leader}
	var entry func(*node.Proc)
	if m.code == nil {
		fn, ok := d.lookupFunc(m.fn)
		if !ok {
			reply(statusNoFunc, nil, fmt.Sprintf("%s knows no function %q", d.name, m.fn))
			return nil
		}
		var err error
		if entry, err = node.EntryOnce(fn, m.args...); err != nil {
			reply(statusBadArgs, nil, err.Error())
			return nil
		}
	} else {
		opts.Func = "fun"
	}
	hold := m.flags&spawnHold != 0
	var gate chan bool
	if hold {
		gate = make(chan bool, 1)
		c.pmu.Lock()
		if c.down {
			c.pmu.Unlock()
			return nil
		}
		if _, dup := c.held[m.id]; dup {
			c.pmu.Unlock()
			return fmt.Errorf("%w: spawn request %d while one with that id is held", ErrMalformed, m.id)
		}
		c.held[m.id] = gate
		c.pmu.Unlock()
	}
	unhold := func() {
		if hold {
			c.pmu.Lock()
			delete(c.held, m.id)
			c.pmu.Unlock()
		}
	}
	body := func(p *node.Proc) {
		if m.code != nil {
			replied := false
			defer func() {
				if !replied { // killed while compiling (the node stops)
					unhold()
					reply(statusRefused, nil, fmt.Sprintf("%s stopped the process before it ran", d.name))
				}
			}()
			fn, status, text := d.resolve(Fun{Code: m.code})
			var err error
			if status == statusOK {
				if entry, err = node.EntryOnce(fn, m.args...); err != nil {
					status, text = statusBadArgs, err.Error()
				}
			}
			replied = true
			if status != statusOK {
				unhold()
				reply(status, nil, text)
				return
			}
			self := p.Self()
			reply(statusOK, &self, "")
		}
		if hold && !<-gate {
			p.ExitSelf(term.NoConnection)
		}
		entry(p)
	}
	pid, _, err := d.node.SpawnOpt(nil, opts, body)
	if err != nil {
		unhold()
		reply(statusRefused, nil, err.Error())
		return nil
	}
	if m.code == nil {
		reply(statusOK, &pid, "")
	}
	return nil
}
