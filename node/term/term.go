package term

import (
	"strings"
)

// Atom is a constant name, as in Erlang: ping, ok, normal. Atoms compare by
// value and print without quotes when they are simple lowercase names.
type Atom string

// Tuple is a fixed group of values, written T(A("ping"), self, 1) or
// Tuple{Atom("ping"), self, 1}. Tuples are slices: they cannot be map keys.
type Tuple []any

// T builds a tuple from its elements. It is the terse form of Tuple{...}.
func T(elems ...any) Tuple { return Tuple(elems) }

// A converts a string to an Atom. It is the terse form of Atom(s).
func A(s string) Atom { return Atom(s) }

// AtomOf accepts an Atom, or a string as the atom of that name, where a
// name is expected (a registered name, a node, a child id). ok is false
// for any other value.
func AtomOf(v any) (a Atom, ok bool) {
	switch x := v.(type) {
	case Atom:
		return x, true
	case string:
		return Atom(x), true
	}
	return "", false
}

// Tag returns the first element of t when it is an atom, and "" otherwise.
// It makes matching on tagged tuples short: t.Tag() == "ping".
func (t Tuple) Tag() Atom {
	if len(t) == 0 {
		return ""
	}
	a, _ := t[0].(Atom)
	return a
}

// Well-known atoms: exit reasons and the values the runtime uses.
const (
	// Normal is the exit reason of a process whose function returned.
	Normal Atom = "normal"
	// Kill is the untrappable exit reason: Exit(pid, Kill) always ends pid.
	Kill Atom = "kill"
	// Killed is the exit reason of a process ended by Kill.
	Killed Atom = "killed"
	// NoProc is the reason reported for a process that does not exist.
	NoProc Atom = "noproc"
	// NoConnection is the reason reported when the node of a linked or
	// monitored process becomes unreachable.
	NoConnection Atom = "noconnection"
	// Shutdown is the reason supervisors and node shutdown use.
	Shutdown Atom = "shutdown"
	// Undefined is returned where erl returns undefined.
	Undefined Atom = "undefined"
	// OK is the atom ok.
	OK Atom = "ok"
)

// PanicTag tags the exit reason of a process that panicked: {panic, Value}.
const PanicTag Atom = "panic"

// Name addresses a process registered under Name on node Node:
// Name{"pong", "bar@vm"}. It is the Go form of Erlang's {Name, Node}.
type Name struct {
	Name Atom
	Node Atom
}

// Down is the message a monitor delivers when the monitored process exits
// or cannot be reached: Erlang's {'DOWN', Ref, process, Pid, Reason}. Name is
// set when the monitor was taken on a registered name.
type Down struct {
	Ref    Ref
	Pid    Pid
	Name   Atom
	Reason any
}

// ExitSignal is the message a process that traps exits receives instead of
// being ended by an exit signal: Erlang's {'EXIT', From, Reason}.
type ExitSignal struct {
	From   Pid
	Reason any
}

// NodeUp is delivered to node monitors when a connection to Node comes up.
type NodeUp struct {
	Node Atom
}

// NodeDown is delivered to node monitors when the connection to Node goes
// down; Reason says why (connection_closed, net_tick_timeout, disconnect).
type NodeDown struct {
	Node   Atom
	Reason any
}

// Request is a request made with Proc.Call: the callee answers it with
// Proc.Reply(req, value). It is Erlang's {'$gen_call', {From, Ref}, Body}.
//
// Tag is set only for a request from an Erlang process whose tag is not a
// plain ref: gen_server:call tags its requests [alias|Ref] (an
// ImproperList), and waits for a reply carrying that tag back. Ref is then
// the ref inside it. Reply (and ReplyWith) echo it unchanged.
type Request struct {
	From Pid
	Ref  Ref
	Body any
	Tag  any
}

// ReplyWith returns the Reply that answers r with value: what Proc.Reply
// sends to r.From.
func (r Request) ReplyWith(value any) Reply { return Reply{Ref: r.Ref, Value: value, Tag: r.Tag} }

// Reply carries the answer to a Request back to the caller. The runtime only
// delivers a Reply while its caller still waits for it, so a late reply never
// lands in a mailbox. Tag is the Erlang caller's tag when its Request had
// one (see Request); an Erlang process receives {Tag, Value}, else {Ref,
// Value}.
type Reply struct {
	Ref   Ref
	Value any
	Tag   any
}

// PanicReason returns the exit reason of a process that panicked with v:
// the tuple {panic, V}, where V is v itself when it can be sent, and the
// panic's text otherwise (an error's message, or fmt's rendering).
func PanicReason(v any) Tuple {
	if err, ok := v.(error); ok {
		return Tuple{PanicTag, PanicText(ErrorText(err))}
	}
	if s, ok := v.(string); ok {
		return Tuple{PanicTag, PanicText(s)}
	}
	if c, err := Copy(v); err == nil {
		return Tuple{PanicTag, c}
	}
	return Tuple{PanicTag, Format(v)}
}

// IsNormal reports whether reason is the atom normal.
func IsNormal(reason any) bool {
	a, ok := reason.(Atom)
	return ok && a == Normal
}

// validAtomName reports whether name may be used as a registered name or
// node-name part: non-empty, at most 255 bytes, no NUL.
func validAtomName(name string) bool {
	return name != "" && len(name) <= 255 && !strings.ContainsRune(name, 0)
}

// ValidName reports whether name can be used as the name part of a node
// or as a child id: non-empty, at most 255 bytes, no NUL byte.
func ValidName(name Atom) bool { return validAtomName(string(name)) }

// Registrable reports whether a process can be registered as name: a
// ValidName other than undefined (which whereis answers for "nobody").
func Registrable(name Atom) bool { return ValidName(name) && name != Undefined }

// IsShutdown reports whether an exit reason is a normal end in OTP's sense:
// normal, shutdown, or {shutdown, Term}. Supervisors do not restart a
// transient child that ended so, and servers do not report it as a crash.
func IsShutdown(reason any) bool {
	switch r := reason.(type) {
	case Atom:
		return r == Normal || r == Shutdown
	case Tuple:
		return len(r) == 2 && r.Tag() == Shutdown
	}
	return false
}
