package server

import (
	"errors"
	"fmt"

	"github.com/gerl-dev/gerl/node/term"
)

// Behaviour is what a server's type implements: Erlang's gen_server
// callbacks init, handle_call and handle_cast, as methods of the value
// that holds the server's state. The server calls them one at a time, in
// its own process; a method that returns an error stops the server (see
// StopWith).
type Behaviour interface {
	// Init sets the state up from the arguments Start was given. An error
	// fails the start: Start returns it, and the process exits.
	Init(args any) error
	// HandleCall answers a request made with Call. The reply goes back to
	// the caller, unless it is NoReply: then the server answers later, with
	// Reply(from, value), from anywhere.
	HandleCall(req any, from From) (reply any, err error)
	// HandleCast handles a message sent with Cast.
	HandleCast(msg any) error
}

// InfoHandler is implemented by servers that handle the other messages
// they receive (Erlang's handle_info): plain sends, monitors' Downs, exits
// of linked processes when the server traps exits. Without it, such
// messages are logged and dropped.
type InfoHandler interface {
	HandleInfo(msg any) error
}

// Terminator is implemented by servers that clean up when they stop
// (Erlang's terminate): Terminate is called with the exit reason when a
// method returned an error or panicked, when Stop was called, and when the
// server traps exits and its parent (the process that started it linked:
// its supervisor) exits.
type Terminator interface {
	Terminate(reason any)
}

// Upgrader is implemented by servers that adapt their state to a new
// version of their code (Erlang's code_change). When a server started
// from a module's factory is upgraded (its module reloaded), it gets a
// fresh value of the new version's type, with every field of the old
// state that has the same name and a type it can take already copied in;
// CodeChange is then called on that value, with all the old fields by
// name, to do the rest. An error keeps the old version running.
type Upgrader interface {
	CodeChange(old map[string]any) error
}

// From is a request's caller, as HandleCall receives it: reply to it with
// Reply (it is the term.Request the caller sent).
type From = term.Request

// noReply is NoReply's type.
type noReply struct{}

// NoReply, returned by HandleCall, means: no answer now; the server (or
// any process) answers later with Reply(from, value).
var NoReply any = noReply{}

// Hibernate, returned as the error of Init, HandleCall, HandleCast or
// HandleInfo, is not a failure: the server goes on, and hibernates
// (node.Proc.Hibernate) until its next message, holding no goroutine
// while it waits: gen_server's {reply, Reply, State, hibernate} and
// {noreply, State, hibernate}. HandleCall's reply is sent first (unless
// NoReply). For a server that waits long after this message; the next one
// costs a new goroutine (a call about 3 µs, against 1 µs to a server
// awake: BenchmarkCallHibernating). Options.HibernateAfter does it after
// any quiet spell instead.
var Hibernate error = hibernateSignal{}

// hibernateSignal is Hibernate's type: a signal to the server's loop, not
// a failure.
type hibernateSignal struct{}

func (hibernateSignal) Error() string { return "hibernate" }

// StopError stops a server with a reason: a method returns StopWith(reason).
type StopError struct{ Reason any }

func (e *StopError) Error() string { return "stop: " + term.Format(e.Reason) }

// StopWith returns the error that stops a server with reason, after the
// reply HandleCall returned with it (unless NoReply): Erlang's
// {stop, Reason, Reply, State}. Reasons normal, shutdown and {shutdown, _}
// are a clean stop; any other is logged as a crash.
func StopWith(reason any) error { return &StopError{Reason: reason} }

// reasonOf returns the exit reason of a stopping error: StopWith's reason,
// or {error, Text} for any other error.
func reasonOf(err error) any {
	var se *StopError
	if errors.As(err, &se) {
		return se.Reason
	}
	return term.T(term.Atom("error"), term.ErrorText(err))
}

// Errors of the package.
var (
	// ErrAlreadyStarted is matched by the error of a start whose name is
	// registered already; StartError.Reason then holds {already_started,
	// Pid}.
	ErrAlreadyStarted = errors.New("already started")
)

// StartError is returned by Start and StartLink when the server did not
// start: its Init failed, or its name was taken. Reason is the exit reason
// of the process.
type StartError struct {
	Reason any
	Err    error // Init's error, or nil
}

func (e *StartError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("init failed: %v", e.Err)
	}
	return "did not start: " + term.Format(e.Reason)
}

func (e *StartError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	if t, ok := e.Reason.(term.Tuple); ok && t.Tag() == atomAlreadyStarted {
		return ErrAlreadyStarted
	}
	return nil
}
