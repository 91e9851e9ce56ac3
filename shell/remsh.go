package shell

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// A remote shell (-remsh foo@host) reads input here and evaluates it on
// foo: this node spawns gerl.shell there, a process that runs a shell
// session on foo and talks to this node's client process with messages:
//
//	client -> service: {eval, Ref, Src}  {interrupt}  {complete, Ref, Line}
//	                   {halt_answer, Ref, Bool}
//	service -> client: {ready, Node, Count}  {out, Text}
//	                   {result, Ref, N, Values, Notices, ErrKind, ErrText, HasValue}
//	                   {completion, Ref, Candidates, Prefix}
//	                   {confirm_halt, Ref}  {bye}
//
// Each side monitors the other. Unlike erl, q() ends the remote shell and
// leaves foo running; halt() asks before stopping foo.

const shellService = "gerl.shell"

// registerShellService makes this node able to serve remote shells.
func registerShellService(sys *system) error {
	return sys.env.RegisterFunc(shellService, func(p *node.Proc, client term.Pid) {
		serveShell(sys, p, client)
	})
}

// outWriter sends what a remote session prints to its client.
type outWriter struct {
	p      *node.Proc
	client term.Pid
}

func (w outWriter) Write(b []byte) (int, error) {
	if err := w.p.Node().Send(w.client, term.Tuple{term.Atom("out"), string(b)}); err != nil {
		return 0, err
	}
	return len(b), nil
}

func serveShell(sys *system, p *node.Proc, client term.Pid) {
	out := outWriter{p: p, client: client}
	var quitMode int // 0 keep going, 1 q(), 2 halt()
	var mu sync.Mutex
	sess, err := eval.NewSession(eval.SessionConfig{
		Env: sys.env, Stdout: out, Stderr: out, Name: "remote shell",
		OnQuit: func(halt bool) {
			mu.Lock()
			defer mu.Unlock()
			quitMode = 1
			if halt {
				quitMode = 2
			}
		},
	})
	if err != nil {
		panic(err)
	}
	defer sess.Close()
	self := p.Self()
	p.Monitor(client)
	p.Send(client, term.Tuple{term.Atom("ready"), p.Node().Name(), sess.Count()})
	for {
		m := p.Receive()
		switch x := m.(type) {
		case term.Down:
			return // the client went away
		case term.Tuple:
			switch x.Tag() {
			case "eval":
				ref, src := x[1], x[2].(string)
				go func() {
					var result term.Tuple
					defer func() {
						// Whatever happens here must not take this node
						// down: report it to the client instead.
						if r := recover(); r != nil {
							result = term.Tuple{0, []string{}, []string{}, int(eval.Exception), fmt.Sprintf("** exception error: %v", r), false}
						}
						_ = p.Node().Send(self, term.Tuple{term.Atom("evaluated"), ref, result})
					}()
					o, err := sess.Eval(src)
					result = encodeOutcome(o, err)
				}()
				// Serve interrupts until the evaluation is done.
				var result term.Tuple
				for result == nil {
					m := p.Receive()
					if t, ok := m.(term.Tuple); ok && t.Tag() == "evaluated" {
						result = append(term.Tuple{term.Atom("result"), t[1]}, t[2].(term.Tuple)...)
						break
					}
					if t, ok := m.(term.Tuple); ok && t.Tag() == "interrupt" {
						sess.Interrupt()
					}
					if _, ok := m.(term.Down); ok {
						sess.Interrupt()
						return
					}
				}
				mu.Lock()
				mode := quitMode
				quitMode = 0
				mu.Unlock()
				if mode == 2 {
					// halt(): ask the user before stopping this node, while
					// the client still waits for this input's result.
					hr := p.Node().MakeRef()
					p.Send(client, term.Tuple{term.Atom("confirm_halt"), ref, hr})
					answer, ok := p.ReceiveMatch(func(m any) bool {
						t, ok := m.(term.Tuple)
						return ok && t.Tag() == "halt_answer" && t[1] == hr
					}, 5*time.Minute)
					if ok && answer.(term.Tuple)[2] == true {
						p.Send(client, result)
						p.Send(client, term.Tuple{term.Atom("bye")})
						sys.Halt()
						return
					}
				}
				p.Send(client, result)
				if mode == 1 {
					p.Send(client, term.Tuple{term.Atom("bye")})
					return
				}
			case "complete":
				cands, prefix := sess.Complete(x[2].(string), len(x[2].(string)))
				if cands == nil {
					cands = []string{}
				}
				p.Send(client, term.Tuple{term.Atom("completion"), x[1], cands, prefix})
			case "interrupt":
				// Between inputs: nothing to interrupt.
			}
		}
	}
}

// encodeOutcome turns an evaluation's outcome into terms:
// {N, Values, Notices, ErrKind, ErrText, HasValue}.
func encodeOutcome(o eval.Outcome, err error) term.Tuple {
	vals := make([]string, len(o.Values))
	for i, v := range o.Values {
		vals[i] = eval.FormatValue(v)
	}
	notices := append([]string{}, o.Notices...)
	kind, text := 0, ""
	if err != nil {
		text = err.Error()
		if ee, ok := err.(*eval.EvalError); ok {
			kind = int(ee.Kind)
		}
	}
	return term.Tuple{o.N, vals, notices, kind, text, o.HasValue}
}

// remoteEvaluator is the client side: it implements evaluator over the
// messages above. Its process's mailbox is read by one goroutine (loop).
type remoteEvaluator struct {
	proc    *node.Proc
	service term.Pid
	t       *terminal

	mu      sync.Mutex
	count   int
	pending map[term.Ref]chan term.Tuple
	ended   chan struct{}
	endOnce sync.Once
	why     string
}

func runRemsh(sys *system, opts Options, stdio Stdio, sink *logSink) int {
	target := term.Atom(opts.Remsh)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := sys.dist.PingErr(ctx, target); err != nil {
		fmt.Fprintf(stdio.Err, "gerl: -remsh %s: %v\n", target, err)
		return 1
	}
	proc, err := sys.node.Attach("remote shell client")
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: %v\n", err)
		return 1
	}
	r := &remoteEvaluator{proc: proc, pending: map[term.Ref]chan term.Tuple{}, ended: make(chan struct{})}
	service, _, err := sys.dist.SpawnOpt(ctx, proc, target, node.SpawnOptions{Monitor: true}, shellService, proc.Self())
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: -remsh %s: cannot start a shell there: %v\n", target, err)
		return 1
	}
	r.service = service
	ready, ok := proc.ReceiveMatch(func(m any) bool {
		t, ok := m.(term.Tuple)
		return ok && t.Tag() == "ready"
	}, 15*time.Second)
	if !ok {
		fmt.Fprintf(stdio.Err, "gerl: -remsh %s: the remote shell did not start\n", target)
		return 1
	}
	r.count = ready.(term.Tuple)[2].(int)
	t, err := newTerminal(terminalConfig{
		stdin: stdio.In, stdout: stdio.Out, colors: colorsOn(opts.Color, stdio.Out),
		completer: completer{complete: r.complete},
	})
	if err != nil {
		fmt.Fprintf(stdio.Err, "gerl: %v\n", err)
		return 1
	}
	defer t.close()
	sink.set(t.pr)
	sys.out.set(t.pr.out)
	sys.errOut.set(t.pr.err)
	r.t, t.ev, t.nodeName = t, r, string(target)
	go r.loop()
	fmt.Fprintln(t.pr.out, banner(Version, string(target))+" (remote shell: q() leaves it; the node keeps running)")
	go func() {
		<-r.ended
		t.quit.Store(true)
		t.close()
	}()
	t.run(r.ended)
	r.end("")
	if r.why != "" {
		t.pr.noticef("%s", r.why)
	}
	return 0
}

// loop reads the client process's mailbox: output, results, questions.
func (r *remoteEvaluator) loop() {
	for {
		select {
		case <-r.ended:
			return
		default:
		}
		m, ok := r.proc.ReceiveTimeout(time.Second)
		if !ok {
			continue
		}
		switch x := m.(type) {
		case term.Down:
			r.end(fmt.Sprintf("the remote shell on %s ended: %s", r.service.Node, term.Format(x.Reason)))
			return
		case term.Tuple:
			switch x.Tag() {
			case "out":
				fmt.Fprint(r.t.pr.out, x[1].(string))
			case "result", "completion", "confirm_halt":
				ref := x[1].(term.Ref)
				r.mu.Lock()
				ch := r.pending[ref]
				if x.Tag() != "confirm_halt" {
					delete(r.pending, ref)
				}
				r.mu.Unlock()
				if ch != nil {
					ch <- x
				}
			case "bye":
				r.end("")
				return
			}
		}
	}
}

func (r *remoteEvaluator) end(why string) {
	r.endOnce.Do(func() {
		r.why = why
		close(r.ended)
		_ = r.proc.Node().Exit(r.proc.Self(), term.Kill)
	})
}

func (r *remoteEvaluator) confirm(question string) bool {
	r.t.rl.SetPrompt(question)
	line, err := r.t.rl.ReadLine()
	if err != nil {
		return false
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

func (r *remoteEvaluator) request(msg term.Tuple) (term.Tuple, bool) {
	ref := r.proc.Node().MakeRef()
	ch := make(chan term.Tuple, 2)
	r.mu.Lock()
	r.pending[ref] = ch
	r.mu.Unlock()
	msg = append(term.Tuple{msg[0], ref}, msg[1:]...)
	if err := r.proc.Node().Send(r.service, msg); err != nil {
		return nil, false
	}
	for {
		select {
		case reply := <-ch:
			if reply.Tag() == "confirm_halt" {
				// Asked on the evaluating goroutine: the prompt is not
				// reading, so the answer cannot go anywhere else.
				yes := r.confirm(fmt.Sprintf("Stop node %s? It keeps running if you answer no. [y/N] ", r.service.Node))
				_ = r.proc.Node().Send(r.service, term.Tuple{term.Atom("halt_answer"), reply[2], yes})
				continue
			}
			return reply, true
		case <-r.ended:
			return nil, false
		}
	}
}

// Eval implements evaluator.
func (r *remoteEvaluator) Eval(src string) (eval.Outcome, error) {
	reply, ok := r.request(term.Tuple{term.Atom("eval"), src})
	if !ok {
		return eval.Outcome{}, &eval.EvalError{Kind: eval.ExitException, Msg: "the remote shell ended"}
	}
	// {result, Ref, N, Values, Notices, ErrKind, ErrText, HasValue}
	o := eval.Outcome{N: reply[2].(int), HasValue: reply[7].(bool)}
	for _, v := range reply[3].([]string) {
		o.Values = append(o.Values, rawText(v))
	}
	o.Notices = reply[4].([]string)
	r.mu.Lock()
	r.count = o.N
	r.mu.Unlock()
	if kind := eval.ErrorKind(reply[5].(int)); kind != 0 {
		text := reply[6].(string)
		if kind == eval.CompileError {
			text = "* " + text
		}
		return o, &remoteError{kind: kind, text: text}
	}
	return o, nil
}

// Interrupt implements evaluator.
func (r *remoteEvaluator) Interrupt() {
	_ = r.proc.Node().Send(r.service, term.Tuple{term.Atom("interrupt")})
}

// Count implements evaluator.
func (r *remoteEvaluator) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

func (r *remoteEvaluator) complete(line string, pos int) ([]string, string) {
	reply, ok := r.request(term.Tuple{term.Atom("complete"), line[:pos]})
	if !ok {
		return nil, ""
	}
	return reply[2].([]string), reply[3].(string)
}

// rawText is a value already formatted on the remote node.
type rawText string

func (t rawText) String() string { return string(t) }

// remoteError is an EvalError that happened on the remote node, already
// rendered there.
type remoteError struct {
	kind eval.ErrorKind
	text string
}

func (e *remoteError) Error() string { return e.text }
