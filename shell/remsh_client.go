package shell

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// The client side of a remote shell (see remsh.go): gerl -remsh foo@host
// reads input here and has it evaluated on foo.

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
	if kind, _ := sys.dist.Kind(target); kind == cluster.KindErlang {
		// A gerl shell runs gerl's code (Go, interpreted): an Erlang node
		// has neither. Say so, rather than how spawning "gerl.shell" there
		// failed.
		fmt.Fprintf(stdio.Err, "gerl: -remsh %s: %s is an Erlang node: -remsh opens gerl's shell on a gerl node; "+
			"for an Erlang shell there, run erl -sname NAME -setcookie COOKIE -remsh %s\n", target, target, target)
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
	defer func() {
		// end kills the client process: its receive unwinds with
		// *node.ExitError, the normal way out of this loop.
		if x := recover(); x != nil {
			if ee, ok := x.(*node.ExitError); !ok || ee.Pid != r.proc.Self() {
				panic(x)
			}
			r.end("")
		}
	}()
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

// request sends msg with a fresh ref and waits for the reply carrying it,
// answering the remote node's questions meanwhile. Cancelling ctx sends
// {interrupt} once; the reply still ends the wait.
func (r *remoteEvaluator) request(ctx context.Context, msg term.Tuple) (term.Tuple, bool) {
	ref := r.proc.Node().MakeRef()
	ch := make(chan term.Tuple, 2)
	r.mu.Lock()
	r.pending[ref] = ch
	r.mu.Unlock()
	msg = append(term.Tuple{msg[0], ref}, msg[1:]...)
	if err := r.proc.Node().Send(r.service, msg); err != nil {
		return nil, false
	}
	interrupt := ctx.Done()
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
		case <-interrupt:
			_ = r.proc.Node().Send(r.service, term.Tuple{term.Atom("interrupt")})
			interrupt = nil
		case <-r.ended:
			return nil, false
		}
	}
}

// EvalContext implements evaluator: the input is evaluated on the remote
// node, and cancelling ctx interrupts it there.
func (r *remoteEvaluator) EvalContext(ctx context.Context, src string) (eval.Outcome, error) {
	reply, ok := r.request(ctx, term.Tuple{term.Atom("eval"), src})
	if !ok {
		return eval.Outcome{}, &eval.EvalError{Kind: eval.ExitException, Msg: "the remote shell ended"}
	}
	o, err := decodeOutcome(reply)
	r.mu.Lock()
	r.count = o.N
	r.mu.Unlock()
	return o, err
}

// Count implements evaluator.
func (r *remoteEvaluator) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count
}

func (r *remoteEvaluator) complete(line string, pos int) ([]string, string) {
	reply, ok := r.request(context.Background(), term.Tuple{term.Atom("complete"), line[:pos]})
	if !ok {
		return nil, ""
	}
	return reply[2].([]string), reply[3].(string)
}
