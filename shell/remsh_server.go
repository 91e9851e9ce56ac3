package shell

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The served side of a remote shell (see remsh.go): the process gerl.shell
// runs on the node that evaluates.

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
				ctx, cancel := context.WithCancel(context.Background())
				go func() {
					var result term.Tuple
					defer func() {
						// Whatever happens here must not take this node
						// down: report it to the client instead.
						if r := recover(); r != nil {
							result = term.Tuple{0, []string{}, []string{}, int(eval.Exception), "** exception error: " + term.PanicText(fmt.Sprint(r)), false}
						}
						_ = p.Node().Send(self, term.Tuple{term.Atom("evaluated"), ref, result})
					}()
					o, err := sess.EvalContext(ctx, src)
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
						cancel()
					}
					if _, ok := m.(term.Down); ok {
						cancel() // the client went away: so does its input
						return
					}
				}
				cancel()
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
