package cluster

import (
	"context"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The processes an Erlang node expects every node to run, which erl's
// tools talk to as soon as they connect (ERLANG-INTEROP.md §1.5). A gerl
// node starts them when its first Erlang connection is set up, so a
// cluster of gerl nodes alone never sees them:
//
//   - net_kernel answers {is_auth, Node} with yes (net_adm:ping). Its pid
//     is the node's system pid: the sender of sends and exit signals to
//     Erlang nodes made from outside any process, which Erlang's protocol
//     needs a pid for, and the group leader of the processes this node
//     spawns on Erlang nodes: it serves their output (io:format in an rpc)
//     and prints it to Config.Stdout.
//   - rex serves rpc's older path (rpc:block_call, and nodes without
//     remote spawn): {call | block_call, M, F, A, GL}, casts, and the
//     features request OTP 23 and later send on every connection.
//   - global_name_server takes part in Erlang's global (erlglobal.go).
//
// gerl's own pg scope server, registered as pg, speaks Erlang pg's
// protocol: Erlang's pg servers find it and share groups with it.

// erlServices starts the Erlang-facing processes, once.
func (d *Dist) erlServices() {
	d.erlOnce.Do(func() {
		if pid, err := d.spawnService("net_kernel", d.netKernel); err == nil {
			d.sysPid.Store(&pid)
		}
		_, _ = d.spawnService("rex", d.rex)
		_, _ = d.spawnService("global_name_server", d.globalServer)
	})
}

// systemPid returns the node's system pid (net_kernel's), or the zero pid
// before the first Erlang connection.
func (d *Dist) systemPid() term.Pid {
	if p := d.sysPid.Load(); p != nil {
		return *p
	}
	return term.Pid{}
}

// spawnService starts fn as a process registered as name; it returns once
// the name is registered.
func (d *Dist) spawnService(name term.Atom, fn func(p *node.Proc)) (term.Pid, error) {
	ready := make(chan error, 1)
	pid, _, err := d.node.SpawnOpt(nil, node.SpawnOptions{Func: string(name)}, func(p *node.Proc) {
		if err := p.Register(name); err != nil {
			ready <- err
			return
		}
		ready <- nil
		fn(p)
	})
	if err == nil {
		err = <-ready
	}
	if err != nil {
		d.log.Warn("could not start a process Erlang nodes expect; they may log errors", "name", string(name), "err", err)
		return term.Pid{}, err
	}
	return pid, nil
}

// netKernel is the net_kernel process (see above).
func (d *Dist) netKernel(p *node.Proc) {
	for {
		switch m := p.Receive().(type) {
		case term.Request:
			if t, ok := m.Body.(term.Tuple); ok && len(t) == 2 && t.Tag() == "is_auth" {
				_ = p.Reply(m, term.Atom("yes"))
			}
		case term.Tuple:
			if len(m) == 4 && m.Tag() == "io_request" {
				d.ioRequest(p, m)
			}
		}
	}
}

// ioRequest serves one request of Erlang's I/O protocol
// ({io_request, From, ReplyAs, Request}): output goes to Config.Stdout;
// text formatted by io_lib (io:format sends {put_chars, Enc, io_lib,
// format, [Format, Args]}) is formatted by the requester's node; input is
// not served.
func (d *Dist) ioRequest(p *node.Proc, m term.Tuple) {
	from, ok := m[1].(term.Pid)
	if !ok {
		return
	}
	reply := func(v any) { _ = p.Send(from, term.T(term.Atom("io_reply"), m[2], v)) }
	req, _ := m[3].(term.Tuple)
	switch {
	case len(req) == 3 && req.Tag() == "put_chars", len(req) == 2 && req.Tag() == "put_chars":
		d.ioWrite(req[len(req)-1])
		reply(term.OK)
	case (len(req) == 5 || len(req) == 4) && req.Tag() == "put_chars":
		// {put_chars, Enc, M, F, A}, or {put_chars, M, F, A} from a node
		// that converts requests to Latin-1: formatting is the
		// requester's node's business; ask it, without holding this
		// process up.
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			ctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
			defer cancel()
			n := len(req)
			args, _ := req[n-1].([]any)
			fn := fmt.Sprintf("%s:%s", term.Format(req[n-3]), term.Format(req[n-2]))
			v, err := d.Call(ctx, from.Node, fn, args...)
			if err != nil {
				reply(term.T(term.Atom("error"), term.Atom("put_chars")))
				return
			}
			d.ioWrite(v)
			reply(term.OK)
		}()
	case len(req) == 2 && req.Tag() == "requests":
		l, _ := req[1].([]any)
		for _, r := range l {
			if t, ok := r.(term.Tuple); ok && t.Tag() == "put_chars" && (len(t) == 2 || len(t) == 3) {
				d.ioWrite(t[len(t)-1])
			}
		}
		reply(term.OK)
	case m[3] == any(term.Atom("getopts")):
		reply([]any{term.T(term.Atom("binary"), false), term.T(term.Atom("encoding"), term.Atom("unicode"))})
	default:
		reply(term.T(term.Atom("error"), term.Atom("request")))
	}
}

// ioWrite writes Erlang chardata (binaries, characters, lists of them) to
// Config.Stdout.
func (d *Dist) ioWrite(chars any) {
	w := d.cfg.Stdout
	if w == nil {
		return
	}
	var b []byte
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > term.MaxDepth {
			return
		}
		switch x := v.(type) {
		case []byte:
			b = append(b, x...)
		case string:
			b = append(b, x...)
		case int:
			if x >= 0 && x <= utf8.MaxRune {
				b = utf8.AppendRune(b, rune(x))
			}
		case []any:
			for _, e := range x {
				walk(e, depth+1)
			}
		case term.Atom:
			b = append(b, x...)
		}
	}
	walk(chars, 0)
	_, _ = io.Writer(w).Write(b)
}

// rex is the rex process (see above).
func (d *Dist) rex(p *node.Proc) {
	for {
		switch m := p.Receive().(type) {
		case term.Tuple:
			switch {
			case len(m) == 2 && m[1] == any(term.Atom("features_request")):
				if from, ok := m[0].(term.Pid); ok {
					_ = p.Send(from, term.T(term.Atom("features_reply"), d.name, []any{term.Atom("erpc")}))
				}
			case len(m) == 2 && m.Tag() == "$gen_cast":
				if c, ok := m[1].(term.Tuple); ok && len(c) == 5 && c.Tag() == "cast" {
					d.rexRun(c, nil)
				}
			}
		case term.Request:
			if c, ok := m.Body.(term.Tuple); ok && len(c) == 5 && (c.Tag() == "call" || c.Tag() == "block_call") {
				d.rexRun(c, &m)
			}
		}
	}
}

// rexRun runs {call, M, F, A, GL} in a process of its own and, for a call,
// answers it as rpc:call does: the value, or {badrpc, Reason}.
func (d *Dist) rexRun(c term.Tuple, call *term.Request) {
	mod, ok1 := c[1].(term.Atom)
	fun, ok2 := c[2].(term.Atom)
	args, ok3 := c[3].([]any)
	answer := func(v any) {
		if call != nil {
			_ = d.node.Send(call.From, call.ReplyWith(v))
		}
	}
	if !ok1 || !ok2 || !ok3 {
		answer(term.T(term.Atom("badrpc"), term.Atom("badarg")))
		return
	}
	_, _, err := d.node.SpawnOpt(nil, node.SpawnOptions{Func: fmt.Sprintf("rpc %s:%s/%d", mod, fun, len(args))}, func(p *node.Proc) {
		r := d.erpcRun(p, nil, mod, fun, args)
		switch {
		case r[1] == any(term.Atom("return")):
			answer(r[2])
		case r[1] == any(term.Atom("error")) && len(r) == 4:
			answer(term.T(term.Atom("badrpc"), term.T(term.Atom("EXIT"), term.T(r[2], r[3]))))
		default:
			answer(term.T(term.Atom("badrpc"), term.T(term.Atom("EXIT"), r[2])))
		}
	})
	if err != nil {
		answer(term.T(term.Atom("badrpc"), term.Atom("nodedown")))
	}
}
