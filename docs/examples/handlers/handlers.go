// Package handlers is a registry of session handlers across a cluster.
//
// Each node keeps its own registry: a process registered as "handlers"
// that maps session ids to the processes handling them on that node. A
// process anywhere finds a session's handler with Find, which asks every
// node's registry (multicall). The registry monitors every handler it
// holds and forgets it when it exits, so it never answers with a process
// that is gone.
//
// Load it on every node (nl("handlers")) and start a registry on each
// (multicall("handlers.Start")).
package handlers

import (
	"sort"
	"time"

	"gerl"
)

// timeout bounds how long a call to the registry waits.
const timeout = 2 * time.Second

// Start starts this node's registry and returns its pid (the running
// one, if this node has one already).
func Start() gerl.Pid {
	if pid, ok := gerl.Whereis("handlers"); ok {
		return pid
	}
	pid := gerl.Spawn("handlers.Loop")
	gerl.Register("handlers", pid)
	return pid
}

// Add registers pid, a process of this node, as the handler of session.
// It returns false, and changes nothing, if session has a handler here
// already.
func Add(session string, pid gerl.Pid) bool {
	if pid.Node != gerl.Node() {
		panic("handlers.Add: " + gerl.Format(pid) + " is not a process of this node")
	}
	return call(gerl.T(gerl.A("add"), session, pid)).(bool)
}

// Remove forgets the handler of session on this node, if any.
func Remove(session string) {
	call(gerl.T(gerl.A("remove"), session))
}

// Lookup returns the handler of session on this node, or the atom
// undefined, as whereis does for names.
func Lookup(session string) any {
	return call(gerl.T(gerl.A("lookup"), session))
}

// Sessions returns the sessions that have a handler on this node, sorted.
func Sessions() []string {
	return call(gerl.T(gerl.A("sessions"))).([]string)
}

// Find returns the handler of session on any node, or the atom undefined:
// it asks every connected node's registry, this node's included. A node
// that does not answer is skipped.
func Find(session string) any {
	answers, _ := gerl.MultiCall("handlers.Lookup", session)
	for _, a := range answers {
		if pid, ok := a.(gerl.Pid); ok {
			return pid
		}
	}
	return gerl.A("undefined")
}

// call sends a request to this node's registry and returns its answer; it
// raises, as the call built-in does, if the registry does not answer.
func call(req gerl.Tuple) any {
	v, err := gerl.Call("handlers", req, timeout)
	if err != nil {
		panic(err)
	}
	return v
}

// Loop is the registry. Its state is two maps: the handler of each
// session, and the session of each monitor. Each message goes through
// handlers.Handle, so a reloaded module handles the next one.
func Loop(p *gerl.Proc) {
	pids := map[string]gerl.Pid{}
	sessions := map[gerl.Ref]string{}
	for {
		handlers.Handle(p.Receive(), pids, sessions)
	}
}

// Handle handles one message of the registry: a request ({add, Session,
// Pid}, {remove, Session}, {lookup, Session}, {sessions}), or the Down of
// a handler that exited.
func Handle(msg any, pids map[string]gerl.Pid, sessions map[gerl.Ref]string) {
	switch m := msg.(type) {
	case gerl.Down:
		// A handler exited: forget it. (Its Down arrives before any request
		// sent after it exited, so no answer names it afterwards.)
		if s, ok := sessions[m.Ref]; ok {
			delete(sessions, m.Ref)
			delete(pids, s)
		}
	case gerl.Request:
		t, _ := m.Request.(gerl.Tuple)
		if len(t) == 0 {
			return
		}
		op, _ := t[0].(gerl.Atom)
		switch op {
		case "add":
			s, pid := t[1].(string), t[2].(gerl.Pid)
			if _, taken := pids[s]; taken {
				gerl.Reply(m, false)
				return
			}
			pids[s] = pid
			sessions[gerl.Monitor(pid)] = s
			gerl.Reply(m, true)
		case "remove":
			s := t[1].(string)
			for ref, rs := range sessions {
				if rs == s {
					gerl.Demonitor(ref)
					delete(sessions, ref)
				}
			}
			delete(pids, s)
			gerl.Reply(m, gerl.OK)
		case "lookup":
			if pid, ok := pids[t[1].(string)]; ok {
				gerl.Reply(m, pid)
				return
			}
			gerl.Reply(m, gerl.A("undefined"))
		case "sessions":
			list := []string{}
			for s := range pids {
				list = append(list, s)
			}
			sort.Strings(list)
			gerl.Reply(m, list)
		}
	}
}
