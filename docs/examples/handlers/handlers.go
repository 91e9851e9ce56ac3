// Package handlers is a registry of session handlers across a cluster,
// on global names (gerl/global).
//
// A session's handler is a process, on whichever node the session came
// in. Add registers it under the global name "session:ID", which every
// node of the cluster knows: Find looks it up on the calling node, without
// asking anyone. The name goes when the handler's process exits or its
// node goes down, and global guarantees that a session has one handler in
// the whole cluster: two nodes adding the same session at the same moment
// cannot both succeed.
//
// There is nothing to start: every gerl node runs global's name server.
// Load the module where you call it (c, or nl for every node).
package handlers

import (
	"sort"
	"strings"

	"gerl"
	"gerl/global"
)

// prefix keeps the sessions' names apart from other global names.
const prefix = "session:"

func name(session string) gerl.Atom { return gerl.A(prefix + session) }

// Add registers pid as the handler of session, for the whole cluster. It
// returns false, and changes nothing, if the session has a handler
// already (on any node), or if pid has another global name.
func Add(session string, pid gerl.Pid) bool {
	return global.RegisterName(name(session), pid)
}

// Remove forgets the handler of session.
func Remove(session string) {
	global.UnregisterName(name(session))
}

// Find returns the handler of session, wherever it runs, or the atom
// undefined, as whereis does for names.
func Find(session string) any {
	if pid, ok := global.WhereisName(name(session)); ok {
		return pid
	}
	return gerl.A("undefined")
}

// Send sends msg to the handler of session and returns its pid; it raises
// if the session has no handler.
func Send(session string, msg any) gerl.Pid {
	return global.Send(name(session), msg)
}

// Sessions returns the sessions that have a handler, on any node, sorted.
func Sessions() []string {
	out := []string{}
	for _, n := range global.RegisteredNames() {
		if s, ok := strings.CutPrefix(string(n), prefix); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
