package supervisor

import (
	"errors"
	"fmt"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// The supervisor answers requests made with node.Proc.Call. Requests and
// replies are terms, so a supervisor can be asked from another node; the
// methods of Sup wrap them in typed Go functions. They follow OTP's
// supervisor module:
//
//	which_children          -> [{Id, Child, Restart, Name, Type}]  (start order)
//	                           Child: a pid, restarting or undefined
//	                           Name: the child's registered name or undefined
//	                           Type: worker or supervisor
//	count_children          -> [{specs,N}, {active,N}, {supervisors,N}, {workers,N}]
//	{terminate_child, Id}   -> ok | {error, not_found}
//	{restart_child, Id}     -> {ok, Pid} | {error, running | restarting | not_found}
//	                           | {error, {failed_to_start_child, Id, Reason}}
//	{delete_child, Id}      -> ok | {error, running | restarting | not_found}
//	{start_child, Ref}      -> {ok, Pid} | {error, already_present}
//	                           | {error, {already_started, Pid}}
//	                           | {error, {failed_to_start_child, Id, Reason}}
//	stop                    -> the supervisor terminates its children and exits
//	                           with reason normal (watch it with a monitor)
//
// Anything else is answered {error, {bad_request, Request}}. Ids may be
// sent as atoms or strings. start_child is the one request that cannot
// cross nodes: a Go function cannot travel in a message, so the caller
// leaves the child spec with the supervisor (see pending) and sends a ref.
const (
	reqWhichChildren  = term.Atom("which_children")
	reqCountChildren  = term.Atom("count_children")
	reqTerminateChild = term.Atom("terminate_child")
	reqRestartChild   = term.Atom("restart_child")
	reqDeleteChild    = term.Atom("delete_child")
	reqStartChild     = term.Atom("start_child")
	reqStop           = term.Atom("stop")
)

// Atoms of replies and reports.
const (
	atomError          = term.Atom("error")
	atomRestarting     = term.Atom("restarting")
	atomNotFound       = term.Atom("not_found")
	atomRunning        = term.Atom("running")
	atomAlreadyPresent = term.Atom("already_present")
	atomAlreadyStarted = term.Atom("already_started")
	atomFailedToStart  = term.Atom("failed_to_start_child")
	atomBadRequest     = term.Atom("bad_request")
	atomWorker         = term.Atom("worker")
	atomSupervisor     = term.Atom("supervisor")
)

// Messages a supervisor sends itself or receives from a child it starts.
// Their tags start with $ so they cannot be mistaken for a user's.
const (
	// {'$supervisor_try_again', Id}: retry a restart that failed, after the
	// messages that arrived meanwhile (OTP's try_again_restart cast).
	tagTryAgain = term.Atom("$supervisor_try_again")
	// {'$supervisor_started', Ref}: a named child has registered its name.
	tagStarted = term.Atom("$supervisor_started")
)

// Errors the methods of Sup return for the supervisor's answers; test with
// errors.Is.
var (
	// ErrNotFound: the supervisor has no child with that id.
	ErrNotFound = errors.New("no such child")
	// ErrRunning: the child has a running process (RestartChild,
	// DeleteChild).
	ErrRunning = errors.New("child is running")
	// ErrRestarting: a restart of the child failed and is being retried.
	ErrRestarting = errors.New("child is restarting")
	// ErrAlreadyPresent: StartChild with the id of a child that is not
	// running; RestartChild it, or DeleteChild it first.
	ErrAlreadyPresent = errors.New("child id already present")
	// ErrAlreadyStarted: StartChild with the id of a running child.
	ErrAlreadyStarted = errors.New("child already started")
	// ErrNoSpecHandle: StartChild on a Sup made by At. A child's start
	// function is Go code, which cannot travel in a message, so only the
	// handle returned by Start or StartLink (or made from it by Sub) can
	// hand it over.
	ErrNoSpecHandle = errors.New("StartChild needs the handle Start or StartLink returned (or Sub made from it)")
)

// StartError reports a child that could not be started. Start and
// StartLink return it (wrapped) when a child of the spec fails to start;
// RestartChild and StartChild when the child they start does.
//
// A start in gerl is a spawn, which cannot fail while the node runs; what
// can fail is a named child's registration: Reason is then
// {already_started, Pid} (the name's owner) and the error matches
// node.ErrNameTaken. A named child that exits before its name is
// registered fails with its exit reason; on a stopping node the reason is
// shutdown. A child that crashes after it started has started: its crash
// is handled as any other exit.
type StartError struct {
	ID     term.Atom
	Reason any
}

func (e *StartError) Error() string {
	return fmt.Sprintf("failed to start child %s: %s", term.FormatAtom(e.ID), term.Format(e.Reason))
}

// Is makes errors.Is(err, node.ErrNameTaken) true for a child whose
// registered name was taken.
func (e *StartError) Is(target error) bool {
	t, ok := e.Reason.(term.Tuple)
	return target == node.ErrNameTaken && ok && t.Tag() == atomAlreadyStarted
}

func failedToStart(id term.Atom, reason any) term.Tuple {
	return term.T(atomFailedToStart, id, reason)
}

// replyError turns the {error, What} replies into Go errors.
func replyError(reply any) error {
	t, ok := reply.(term.Tuple)
	if !ok || len(t) != 2 || t.Tag() != atomError {
		return fmt.Errorf("unexpected reply %s", term.Format(reply))
	}
	switch what := t[1].(type) {
	case term.Atom:
		switch what {
		case atomNotFound:
			return ErrNotFound
		case atomRunning:
			return ErrRunning
		case atomRestarting:
			return ErrRestarting
		case atomAlreadyPresent:
			return ErrAlreadyPresent
		}
	case term.Tuple:
		switch {
		case what.Tag() == atomAlreadyStarted && len(what) == 2:
			return fmt.Errorf("%w as %s", ErrAlreadyStarted, term.Format(what[1]))
		case what.Tag() == atomFailedToStart && len(what) == 3:
			id, _ := term.AtomOf(what[1])
			return &StartError{ID: id, Reason: what[2]}
		}
	}
	return fmt.Errorf("supervisor answered %s", term.Format(reply))
}

// okPid decodes {ok, Pid}, or the error reply.
func okPid(reply any) (term.Pid, error) {
	if t, ok := reply.(term.Tuple); ok && len(t) == 2 && t.Tag() == term.OK {
		if pid, ok := t[1].(term.Pid); ok {
			return pid, nil
		}
	}
	return term.Pid{}, replyError(reply)
}

// okAtom decodes ok, or the error reply.
func okAtom(reply any) error {
	if a, ok := reply.(term.Atom); ok && a == term.OK {
		return nil
	}
	return replyError(reply)
}

func intOf(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case int32:
		return int(x), true
	case uint64:
		return int(x), true
	case uint32:
		return int(x), true
	case int8:
		return int(x), true
	case uint8:
		return int(x), true
	case int16:
		return int(x), true
	case uint16:
		return int(x), true
	}
	return 0, false
}
