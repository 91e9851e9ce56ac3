package global

import (
	"errors"

	"github.com/gerl-dev/gerl/node/term"
)

// ServerName is the name each node's global name server is registered
// under.
const ServerName = term.Atom("gerl_global")

// The name servers of a cluster, one per node, speak this protocol (see
// docs/concepts.md for the rules it implements). Requests are made with
// node.Proc.Call; W is the registrar, the process registering or
// unregistering a name, which holds the name's lock on every node while it
// changes the name.
//
//	{trylock, Name, W, Pid}   -> {granted, NameTaken, PidNamed} | busy
//	{lock, Name, W, Pid}      -> {granted, NameTaken, PidNamed}, once W holds
//	                             the lock (W waits in line behind the holder)
//	{commit, Name, W, {register, Pid, ResNode}}
//	{commit, Name, W, unregister}
//	                          -> ok | no (the owner refuses: Pid exited, or
//	                             has a name already); only W's commit is applied
//	{resolve, Name, Pid1, Pid2} -> the pid to keep, or undefined: the
//	                             resolver that node keeps for Name decides
//	{ping, Server}            -> ok, for Sync; first, if Server is new here, a
//	                             discover and a sync to it
//
// and these messages are sent without a reply:
//
//	{unlock, Name, W}
//	{discover, Server}        a new peer: answer with your sync (and a
//	                          discover of your own if Server is new to you)
//	{sync, Server, [{Name, Pid, ResNode}]}
//	                          the names the sender's node owns (those of its
//	                          processes), added to what it said before
//	{registered, Name, Pid, ResNode}
//	{unregistered, Name, Pid} the owner's news: a name of one of its processes,
//	                          sent to every connected node
//	{drop, Name, Pid}         to the owner: a name conflict was decided
//	                          against Pid; unregister it
//
// A name is owned by the node of its process, which monitors the process
// and is the authority on its names; every node keeps a copy of every
// owner's names. ResNode is the node that keeps the name's resolver (a Go
// function cannot travel), or ” for the default rule.
const (
	tagTrylock      = term.Atom("trylock")
	tagLock         = term.Atom("lock")
	tagCommit       = term.Atom("commit")
	tagResolve      = term.Atom("resolve")
	tagPing         = term.Atom("ping")
	tagUnlock       = term.Atom("unlock")
	tagDiscover     = term.Atom("discover")
	tagSync         = term.Atom("sync")
	tagRegistered   = term.Atom("registered")
	tagUnregistered = term.Atom("unregistered")
	tagDrop         = term.Atom("drop")
	tagRegister     = term.Atom("register")
	tagUnregister   = term.Atom("unregister")
	atomGranted     = term.Atom("granted")
	atomBusy        = term.Atom("busy")
	atomNo          = term.Atom("no")
	atomConflict    = term.Atom("global_name_conflict")
)

// Errors of the package; test with errors.Is.
var (
	// ErrTaken: the name is registered (on some node of the cluster).
	ErrTaken = errors.New("name is taken")
	// ErrAlreadyNamed: the process has a global name already (a process
	// has at most one, as in Erlang).
	ErrAlreadyNamed = errors.New("process has a global name already")
	// ErrNoProc: the process is not alive.
	ErrNoProc = errors.New("no such process")
	// ErrUnreachable: the process's node is not connected to this one, or
	// runs no name server.
	ErrUnreachable = errors.New("the process's node is not reachable")
	// ErrNotRegistered: no process has that name (Send).
	ErrNotRegistered = errors.New("name not registered")
	// ErrNotRunning: the node runs no global name server (global.Start).
	ErrNotRunning = errors.New("no global name server on this node (start it with global.Start)")
	// ErrBadName: not a name that can be registered.
	ErrBadName = errors.New("a global name is 1-255 bytes, no NUL, not undefined")
)

// entry is one owner's registration of a name.
type entry struct {
	pid term.Pid
	res term.Atom // the node keeping the resolver, or ""
}

// readEntries reads a sync's names: [{Name, Pid, ResNode}], every pid on
// node.
func readEntries(v any, node term.Atom) (map[term.Atom]entry, bool) {
	list, ok := v.([]any)
	if !ok && v != nil {
		return nil, false
	}
	out := make(map[term.Atom]entry, len(list))
	for _, e := range list {
		t, ok := e.(term.Tuple)
		if !ok || len(t) != 3 {
			return nil, false
		}
		name, ok1 := t[0].(term.Atom)
		pid, ok2 := t[1].(term.Pid)
		res, ok3 := t[2].(term.Atom)
		if !ok1 || !ok2 || !ok3 || !term.Registrable(name) || pid.Node != node {
			return nil, false
		}
		out[name] = entry{pid: pid, res: res}
	}
	return out, true
}
