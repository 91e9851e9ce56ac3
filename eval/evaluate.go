package eval

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	yaegi "github.com/traefik/yaegi/interp"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Outcome is the result of evaluating one input.
type Outcome struct {
	// N is the input's number (the prompt showed N).
	N int
	// Values holds the value(s) of the input's last expression; HasValue
	// is false for statements and calls without results.
	Values   []any
	HasValue bool
	// Notices are things the shell must tell the user, such as a new shell
	// process after the old one exited.
	Notices []string

	shown []string // Format's text of values it cannot format alone
}

// Format returns the text the shell shows for Values[i]: FormatValue's,
// or for a value of a type typed at the prompt with a String, Error or
// Format method, what fmt prints of it (those methods are interpreted:
// FormatValue cannot call them).
func (o Outcome) Format(i int) string {
	if i < len(o.shown) && o.shown[i] != "" {
		return o.shown[i]
	}
	return FormatValue(o.Values[i])
}

// ErrorKind classifies an EvalError.
type ErrorKind int

// Kinds of EvalError.
const (
	CompileError  ErrorKind = iota + 1 // syntax or type error: nothing ran
	Exception                          // a panic: ** exception error
	ExitException                      // the shell process exited: ** exception exit
	Interrupted                        // the input's context was cancelled (Ctrl-C)
)

// EvalError is an input that failed. Line and Col locate compile errors in
// the input (1-based; 0 when unknown).
type EvalError struct {
	Kind      ErrorKind
	Msg       string
	Line, Col int
	Value     any // the panic value or exit reason
	// Where are the functions of the user's own code an exception passed
	// through, innermost first ("at at line 1 of the input"), shown as
	// erl shows "in function"; empty when it was raised by the input's
	// statements themselves.
	Where []string
}

func (e *EvalError) Error() string {
	switch e.Kind {
	case CompileError:
		if e.Line > 0 {
			return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
		}
		return e.Msg
	case Exception:
		msg := "** exception error: " + e.Msg
		for _, w := range e.Where {
			msg += "\n     in function  " + w
		}
		return msg
	case ExitException:
		return "** exception exit: " + e.Msg
	case Interrupted:
		return "** interrupted" + e.Msg
	}
	return e.Msg
}

// Eval is EvalContext with a context that is never cancelled.
func (s *Session) Eval(src string) (Outcome, error) {
	return s.EvalContext(context.Background(), src)
}

// EvalContext evaluates one complete input (see Incomplete) as the shell
// process: statements, expressions and declarations, in any mix. Send
// expressions (pid ! msg) and closures created in loops are rewritten
// first. Errors are *EvalError; the session stays usable after any of
// them, with its variables intact.
//
// Cancelling ctx interrupts the input, as Ctrl-C does at the terminal:
// what it waits on in gerl (receive, sleep, call, and every remote
// operation: connecting, ping, rpc, remote spawn, nl) gives up at once; an
// input still running after the grace period (a busy loop) is stopped by
// stopping the interpreter's code, and the code is resumed once the input
// has returned, so functions and closures defined by earlier inputs keep
// working. EvalContext then returns an Interrupted EvalError. Only an
// input blocked in a call outside gerl that never returns is left behind,
// with the interpreter (see abandon).
func (s *Session) EvalContext(ctx context.Context, src string) (Outcome, error) {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()
	// The input's own context ends when it returns, and with it what the
	// input started on it (an rpc in flight).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.setEvaluating(true)
	defer s.setEvaluating(false)
	s.applyPending()
	var out Outcome
	out.Notices = s.renewProc()
	_ = s.startLeader() // the node is stopping if it fails: the input will say so
	prep, err := prepare(s.unshadow(src), s.tagging())
	if err != nil {
		return out, err
	}
	if len(prep.segments) == 0 {
		return out, nil
	}
	s.mu.Lock()
	s.n++
	out.N = s.n
	proc := s.proc
	s.captured, s.shown, s.didSet = nil, nil, false
	s.mu.Unlock()
	// The memory watch names the shell while its input runs.
	proc.SetBusy(true)
	defer proc.SetBusy(false)
	if ctx.Err() != nil {
		// Interrupted before it started (Ctrl-C right after Enter).
		return out, &EvalError{Kind: Interrupted, Value: ErrInterrupted}
	}

	// An input that fails binds nothing, as in erl: its variables are put
	// back as they were (bindings.go).
	syms := s.syms
	before := syms.save()
	in := s.newInput(ctx, prep)
	done := make(chan error, 1)
	go s.run(in, proc, done)
	returned, err := s.wait(in, done)
	if returned && err != nil {
		syms.restoreVars(before)
	}
	if returned {
		s.imported = in.imported
		s.mu.Lock()
		s.importsView = maps.Clone(in.imported)
		s.mu.Unlock()
	}
	if ee, ok := err.(*EvalError); returned && (!ok || ee.Kind != CompileError) {
		s.addDecls(prep.decls)
	}
	s.noteInstantiated(prep.generics) // compiled in part, perhaps: instances may exist

	s.mu.Lock()
	if err == nil && s.didSet {
		out.Values, out.HasValue, out.shown = s.captured, true, s.shown
		s.history.add(out.N, s.captured)
	}
	s.mu.Unlock()
	if ee, ok := err.(*EvalError); ok && ee.Kind == ExitException {
		out.Notices = append(out.Notices, s.renewProc()...)
	}
	return out, err
}

func (s *Session) setEvaluating(on bool) {
	s.mu.Lock()
	s.evaluating = on
	if !on && s.exitCounted {
		s.exitCounted = false
		s.env.guard.shellExits.Add(-1)
	}
	s.mu.Unlock()
}

// run runs the input on the calling goroutine, acting as the shell
// process with the input's context, and reports on done.
func (s *Session) run(in *input, proc *node.Proc, done chan<- error) {
	id := s.env.gor.enter(s, proc, in)
	defer s.env.gor.leave(id)
	in.ctl.begin()
	returned := false
	defer func() {
		if !returned {
			// runtime.Goexit: a guard ended the input (input.exitInput),
			// or the input's code called Goexit itself.
			if err := in.exit.Load(); err != nil {
				done <- err
			} else {
				done <- &EvalError{Kind: Exception, Msg: "the input ended its goroutine (runtime.Goexit)"}
			}
		}
	}()
	err := in.runSegments()
	// The user's functions the panic unwound, taken on the goroutine
	// that panicked (userframes.go).
	if where := s.env.frames.takeFuncs(); len(where) > 0 {
		if ee, ok := err.(*EvalError); ok && ee.Kind == Exception {
			ee.Where = where
		}
	}
	returned = true
	done <- err
}

// wait waits for the input's goroutine, and when ctx is cancelled, ends
// the input: first what it waits on in gerl gives up (it watches ctx); if
// it is still running after the grace period, the interpreter's code is
// stopped, and resumed once the input has returned, so code defined
// earlier keeps working. An input that does not return even then is left
// behind (abandon); returned is false then.
func (s *Session) wait(in *input, done <-chan error) (returned bool, err error) {
	select {
	case err := <-done:
		return true, err
	case <-in.ctx.Done():
	}
	grace := time.NewTimer(s.grace)
	defer grace.Stop()
	select {
	case err := <-done:
		return true, interruptedErr(err, "")
	case <-grace.C:
	}
	s.stopping.Store(true)
	old := in.ctl.stop()
	giveUp := time.NewTimer(s.giveUp)
	defer giveUp.Stop()
	select {
	case err := <-done:
		s.settleShellProcesses()
		in.ctl.resume(old)
		s.stopping.Store(false)
		note := ""
		if victims := s.env.stopInputProcesses(s, s.Count()); len(victims) > 0 {
			note = fmt.Sprintf(" (the processes this input started were stopped with it: %s)", term.Format(victims))
		}
		return true, interruptedErr(err, note)
	case <-giveUp.C:
	}
	return false, interruptedErr(nil, s.abandon())
}

// abandon leaves behind an input blocked in a call gerl cannot interrupt
// (a sync.WaitGroup's Wait, a read from a socket without a deadline). Its
// goroutine stays in the stopped interpreter, and ends when that call
// returns; the session goes on in a fresh interpreter, because yaegi's
// interpreter is not safe for concurrent use and the blocked input may
// wake up at any time. Everything defined at the prompt lived in the old
// interpreter and is gone; processes running its code exit with reason
// interrupted. Packages imported, loaded modules, processes started by
// name and registered names are not affected. It returns the note for
// the user.
func (s *Session) abandon() string {
	victims := s.env.stopShellProcesses(s)
	s.stopping.Store(false)
	note := " (the input is blocked in a call the shell cannot interrupt; it stops when that call returns." +
		" The shell goes on in a fresh interpreter: the variables, functions and types defined at the prompt before now are gone"
	if len(victims) > 0 {
		note += fmt.Sprintf(", and %d processes spawned from the shell exited with reason interrupted: %s", len(victims), term.Format(victims))
	}
	note += ")"
	builtins := s.env.addedBuiltins()
	packages := s.env.addedPackages()
	if err := s.newInterpreter(builtins, packages); err != nil {
		// It worked when the session started; say what broke.
		return note + fmt.Sprintf(" (and no fresh interpreter could start: %v)", err)
	}
	s.applyPending()
	return note
}

// settleShellProcesses keeps the interpreter stopped until each process
// running this shell's code has noticed: a busy one returns (and exits
// with reason interrupted), a parked one stays parked. It waits at most
// 200 ms; a process blocked in a call outside gerl keeps running.
func (s *Session) settleShellProcesses() {
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		if !s.env.shellCodeRunning(s) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func interruptedErr(err error, note string) error {
	var ee *EvalError
	if errors.As(err, &ee) && ee.Kind != Exception && ee.Kind != Interrupted {
		return err // it finished, or failed, before noticing
	}
	return &EvalError{Kind: Interrupted, Msg: note, Value: ErrInterrupted}
}

var runtimePos = regexp.MustCompile(`^\d+:\d+: `)

// runtimeError turns what Execute returned into an EvalError.
func runtimeError(err error) error {
	var p yaegi.Panic
	if !errors.As(err, &p) {
		return &EvalError{Kind: Exception, Msg: err.Error(), Value: err}
	}
	switch v := p.Value.(type) {
	case *node.ExitError:
		return &EvalError{Kind: ExitException, Msg: term.Format(v.Reason), Value: v.Reason}
	case error:
		if errors.Is(v, ErrInterrupted) {
			return &EvalError{Kind: Interrupted, Value: v}
		}
		// yaegi's failed type assertions end in an empty "missing method",
		// and its runtime errors start with a position in its own wrapping
		// of the input.
		msg := strings.TrimSuffix(term.ErrorText(v), ": missing method ")
		msg = gerlNames(term.PanicText(runtimePos.ReplaceAllString(msg, "")))
		return &EvalError{Kind: Exception, Msg: msg, Value: v}
	case string:
		return &EvalError{Kind: Exception, Msg: gerlNames(term.PanicText(v)), Value: v}
	}
	return &EvalError{Kind: Exception, Msg: term.Format(p.Value), Value: p.Value}
}
