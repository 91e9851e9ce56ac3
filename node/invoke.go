package node

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/gerl-dev/gerl/node/term"
)

// Running a function by name in a process of its own and answering with
// its results is what rpc does, on this node (the shell's rpc without
// distribution, a cluster's call to itself) and for other nodes (the
// distribution layer serves their requests with it). Invoke is the one
// implementation: the function is called with Entry's semantics in a new
// process, and its results are shaped as Erlang's rpc:call answers:
//
//   - no results: the atom ok;
//   - one result: that value;
//   - several: a term.Tuple of them;
//   - a last result of type error is not part of the value: when it is
//     not nil, the call fails with it (ErrFuncFailed).
//
// A panic fails the call (ErrFuncPanicked) without crashing the process;
// a process that exits before the function returns (ExitSelf, a kill, a
// linked process's exit) fails it with the exit reason (ErrFuncExited).

// Errors an invoked function's outcome matches, with errors.Is.
var (
	// ErrFuncFailed: the function returned a non-nil error (its last
	// result); the *InvokeError also matches that error.
	ErrFuncFailed = errors.New("the function failed")
	// ErrFuncPanicked: the function panicked.
	ErrFuncPanicked = errors.New("the function panicked")
	// ErrFuncExited: the process running the function exited before the
	// function returned.
	ErrFuncExited = errors.New("the process running the function exited")
)

// InvokeError is why an invoked function gave no value.
type InvokeError struct {
	Kind   error // ErrFuncFailed, ErrFuncPanicked or ErrFuncExited
	Err    error // ErrFuncFailed: the error the function returned
	Reason any   // ErrFuncPanicked: the panic value; ErrFuncExited: the exit reason
}

// Detail says what went wrong without saying which kind of failure it was:
// the returned error's text, the panic's value or text, the exit reason.
func (e *InvokeError) Detail() string {
	switch {
	case e.Err != nil:
		return e.Err.Error()
	case e.Kind == ErrFuncPanicked:
		if err, ok := e.Reason.(error); ok {
			return err.Error()
		}
	}
	return term.Format(e.Reason)
}

func (e *InvokeError) Error() string {
	switch e.Kind {
	case ErrFuncPanicked:
		return "panic: " + e.Detail()
	case ErrFuncExited:
		return "its process exited: " + e.Detail()
	}
	return e.Detail()
}

// Unwrap makes errors.Is match the kind and, for ErrFuncFailed, the
// function's own error.
func (e *InvokeError) Unwrap() []error { return []error{e.Kind, e.Err} }

// Outcome is the answer of an invoked function: Value (a private copy of
// the shaped results, see above) when Err is nil. Err is an *InvokeError,
// or an error matching term.ErrUnsendable when the value cannot be copied
// out of the process (a channel, a pointer...).
type Outcome struct {
	Value any
	Err   error
}

// Invoke starts fn with args as a new process (Entry's argument rules;
// opts as for SpawnOpt without a parent: no link or monitor; opts.Func defaulting to fn's name) and calls done
// once with the outcome, on the new process's goroutine, however the
// process ends. It returns the new process's pid, or an error and no
// process: arguments that do not fit fn (the error says which), or
// ErrStopped. Safe for concurrent use.
func (n *Node) Invoke(opts SpawnOptions, fn any, args []any, done func(Outcome)) (term.Pid, error) {
	fv := reflect.ValueOf(fn)
	if fv.Kind() != reflect.Func || fv.IsNil() {
		return term.Pid{}, fmt.Errorf("%s is not a function", term.Format(fn))
	}
	ft := fv.Type()
	ins := make([]reflect.Type, ft.NumIn())
	for i := range ins {
		ins[i] = ft.In(i)
	}
	// fn behind a function of the same parameters and no results, so that
	// Entry converts the arguments exactly as it does for spawn and does
	// not treat a returned error as the process's exit.
	var out []reflect.Value
	finished := false
	wrapper := reflect.MakeFunc(reflect.FuncOf(ins, nil, ft.IsVariadic()), func(in []reflect.Value) []reflect.Value {
		if ft.IsVariadic() {
			out = fv.CallSlice(in)
		} else {
			out = fv.Call(in)
		}
		finished = true
		return nil
	})
	// The arguments are checked against fn's own type, so that an error
	// names it (not the wrapper's) and no operation of the caller's.
	withProc, in, err := entryArgs(ft, args)
	if err != nil {
		return term.Pid{}, err
	}
	run := entryFunc(wrapper, withProc, in, false)
	if opts.Func == "" {
		opts.Func = FuncName(fn)
	}
	pid, _, err := n.SpawnOpt(nil, opts, func(p *Proc) {
		defer func() {
			// Runs however the process ends: a return, a panic, or an
			// exit (ExitSelf, a kill, a link), which skips the rest.
			r := recover()
			switch {
			case r != nil:
				done(Outcome{Err: &InvokeError{Kind: ErrFuncPanicked, Reason: r}})
			case !finished:
				done(Outcome{Err: &InvokeError{Kind: ErrFuncExited, Reason: p.ExitReason()}})
			default:
				done(shape(ft, out))
			}
		}()
		run(p)
	})
	return pid, err
}

// shape turns the results of a function of type ft into an Outcome.
func shape(ft reflect.Type, out []reflect.Value) Outcome {
	if n := len(out); n > 0 && ft.Out(n-1) == errorType {
		if err, _ := out[n-1].Interface().(error); err != nil {
			return Outcome{Err: &InvokeError{Kind: ErrFuncFailed, Err: err}}
		}
		out = out[:n-1]
	}
	var v any
	switch len(out) {
	case 0:
		v = term.OK
	case 1:
		v = out[0].Interface()
	default:
		t := make(term.Tuple, len(out))
		for i, o := range out {
			t[i] = o.Interface()
		}
		v = t
	}
	c, err := term.Copy(v)
	if err != nil {
		return Outcome{Err: err}
	}
	return Outcome{Value: c}
}

// Apply is Invoke that waits for the outcome and returns it, as
// rpc:call(node(), M, F, A) does: the value, or the outcome's error. If
// ctx is done first, Apply returns ctx's error and the function goes on
// running, its outcome dropped, as Erlang's rpc leaves a call that timed
// out. Errors that kept the process from starting are returned as Invoke
// returns them.
func (n *Node) Apply(ctx context.Context, opts SpawnOptions, fn any, args ...any) (any, error) {
	ch := make(chan Outcome, 1)
	if _, err := n.Invoke(opts, fn, args, func(o Outcome) { ch <- o }); err != nil {
		return nil, err
	}
	select {
	case o := <-ch:
		return o.Value, o.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
