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
	if (opts.Link || opts.Monitor) && parent == nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: link or monitor needs a parent process", fn, nd)
	}
	if opts.Func == "" {
		opts.Func = fn
	}
	if nd == d.name {
		f, ok := d.lookupFunc(fn)
		if !ok {
			return term.Pid{}, term.Ref{}, &RemoteError{Node: string(nd), Func: fn, Status: statusNoFunc, Message: fmt.Sprintf("%s knows no function %q", nd, fn)}
		}
		pid, ref, err := d.node.SpawnFunc(parent, opts, f, args...)
		if err != nil {
			return pid, ref, &RemoteError{Node: string(nd), Func: fn, Status: statusBadArgs, Message: err.Error()}
		}
		return pid, ref, nil
	}
	c, err := d.connect(ctx, nd)
	if err != nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w", fn, nd, err)
	}
	if c.erl() != nil {
		return d.erlSpawn(ctx, c, parent, fn, args, opts)
	}
	if c.peer.flags&FlagSpawn == 0 {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w: the node does not serve remote spawn", fn, nd, ErrRefused)
	}
	id, ch, err := c.newCall()
	if err != nil {
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: %w", fn, err)
	}
	hold := opts.Link || opts.Monitor
	var from term.Pid
	if parent != nil {
		from = parent.Self()
	}
	frame, err := d.codec.encodeSpawnReq(id, from, fn, args, hold)
	if err != nil {
		c.cancelCall(id)
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: arguments: %w", fn, nd, err)
	}
	if err := c.send(ctx, frame, true); err != nil {
		c.cancelCall(id)
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s: %w: %w", fn, ErrNodeDown, err)
	}
	var m message
	select {
	case r, ok := <-ch:
		if !ok {
			return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w", fn, nd, ErrNodeDown)
		}
		m = r
	case <-ctx.Done():
		c.cancelCall(id)
		if hold {
			_ = c.send(context.Background(), d.codec.encodeSpawnGo(id, false), false)
		}
		return term.Pid{}, term.Ref{}, fmt.Errorf("spawn %s on %s: %w", fn, nd, ctx.Err())
	}
	if m.status != statusOK {
		return term.Pid{}, term.Ref{}, &RemoteError{Node: string(nd), Func: fn, Status: m.status, Message: m.text}
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
				return pid, ref, fmt.Errorf("spawn %s on %s: link: %w", fn, nd, err)
			}
		}
		if opts.Monitor {
			ref = parent.Monitor(pid)
		}
	}
	return pid, ref, nil
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

// serveSpawn answers a SPAWN_REQ on the connection's reader. A request
// that reuses the id of a spawn still held is a protocol error.
func (d *Dist) serveSpawn(c *conn, m message) error {
	reply := func(status uint64, pid *term.Pid, text string) {
		_ = c.send(context.Background(), d.codec.encodeSpawnReply(m.id, status, pid, text), false)
	}
	fn, ok := d.lookupFunc(m.fn)
	if !ok {
		reply(statusNoFunc, nil, fmt.Sprintf("%s knows no function %q", d.name, m.fn))
		return nil
	}
	entry, err := node.EntryOnce(fn, m.args...)
	if err != nil {
		reply(statusBadArgs, nil, err.Error())
		return nil
	}
	body := entry
	if m.flags&spawnHold != 0 {
		gate := make(chan bool, 1)
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
		body = func(p *node.Proc) {
			if !<-gate {
				p.ExitSelf(term.NoConnection)
			}
			entry(p)
		}
	}
	pid, _, err := d.node.SpawnOpt(nil, node.SpawnOptions{Func: m.fn}, body)
	if err != nil {
		c.pmu.Lock()
		delete(c.held, m.id)
		c.pmu.Unlock()
		reply(statusRefused, nil, err.Error())
		return nil
	}
	reply(statusOK, &pid, "")
	return nil
}
