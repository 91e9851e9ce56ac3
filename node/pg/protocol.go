package pg

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/gerl-dev/gerl/node/term"
)

// The scope servers of one scope, one per node and registered under the
// scope's name, keep each other informed with these messages, the ones
// of Erlang's pg (the scope server's pid is Peer):
//
//	{discover, Peer}                   a new peer: answer with a sync (and a
//	                                   discover of your own if Peer is new to you)
//	{'$gen_cast', {sync, Peer, [{Group, [Pid]}]}}
//	                                   Peer's local members, all of them: they
//	                                   replace what Peer announced before (a
//	                                   gen_server cast, as Erlang's pg sends it)
//	{join, Peer, Group, [Pid]}         Peer's processes joined Group
//	{leave, Peer, [Pid], [Group]}      Peer's processes left the groups (once
//	                                   for each group named)
//
// (where Erlang's pg sends one pid, [Pid] may be that pid alone). So a
// gerl node's scope server and an Erlang node's pg server of the same
// scope share their groups; Erlang's crashes on any other message, which
// gerl's never sends it (Sync asks Options.SyncNodes only).
//
// A peer is trusted as far as the distribution connection is (the cookie),
// but a message that does not have this shape, or that names a process of
// another node than the peer's, is dropped.
//
// Local processes ask their node's scope server with node.Proc.Call:
//
//	{join, Group, [Pid]}               -> ok | {error, Reason}
//	{leave, Group, [Pid]}              -> ok | not_joined | {error, Reason}
//	{monitor, Group}                   -> {Ref, [Pid]}
//	monitor_scope                      -> {Ref, [{Group, [Pid]}]}
//	{demonitor, Ref}                   -> true | false
//	ping                               -> ok (Sync, on this node)
//	{ping, Server}                     -> ok (Sync, from another node: first, if
//	                                   Server is new here, a discover and a sync to it)
//
// and subscribers receive {Ref, join, Group, [Pid]} and {Ref, leave,
// Group, [Pid]}.
const (
	tagDiscover     = term.Atom("discover")
	tagSync         = term.Atom("sync")
	tagCast         = term.Atom("$gen_cast")
	tagJoin         = term.Atom("join")
	tagLeave        = term.Atom("leave")
	tagMonitor      = term.Atom("monitor")
	tagMonitorScope = term.Atom("monitor_scope")
	tagDemonitor    = term.Atom("demonitor")
	tagPing         = term.Atom("ping")
	atomNotJoined   = term.Atom("not_joined")
	atomError       = term.Atom("error")
)

// Errors of the package; test with errors.Is.
var (
	// ErrNotJoined is returned by Leave for a process that is not in the
	// group (as many times as it is named).
	ErrNotJoined = errors.New("not joined")
	// ErrNotLocal is returned by Join and Leave for a process of another
	// node: a process joins through its own node's scope server.
	ErrNotLocal = errors.New("not a process of this node")
	// ErrNoScope is returned when the node runs no server for the scope.
	ErrNoScope = errors.New("no such scope on this node (start it with pg.Start)")
	// ErrBadGroup is returned for a group that is not a scalar term.
	ErrBadGroup = errors.New("a group is an atom, a string, a number, a bool, a pid or a ref")
	// ErrEmpty is returned by SendRandom and SendNearest for a group
	// without members.
	ErrEmpty = errors.New("no members")
)

// Group checks a group name and returns it as the scope keeps it: a
// string becomes the atom of that name (as registered names do), so
// Join("room", ...) and Join(A("room"), ...) are the same group. Groups
// are scalar terms: atoms, numbers, bools, pids and refs (they are map
// keys on every node).
func Group(g any) (any, error) {
	switch x := g.(type) {
	case string:
		if !term.ValidName(term.Atom(x)) {
			return nil, fmt.Errorf("group %q: %w (atoms are 1-255 bytes, no NUL)", x, ErrBadGroup)
		}
		return term.Atom(x), nil
	case term.Atom:
		if !term.ValidName(x) {
			return nil, fmt.Errorf("group %q: %w (atoms are 1-255 bytes, no NUL)", string(x), ErrBadGroup)
		}
		return x, nil
	case term.Pid, term.Ref, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return x, nil
	case nil:
		return nil, fmt.Errorf("group nil: %w", ErrBadGroup)
	}
	return nil, fmt.Errorf("group %s (%T): %w", term.Format(g), g, ErrBadGroup)
}

// pidList reads a list of pids as a message carries it: []term.Pid, or a
// []any of pids.
func pidList(v any) ([]term.Pid, bool) {
	switch x := v.(type) {
	case term.Pid: // Erlang's pg sends a single pid on its own
		return []term.Pid{x}, true
	case []term.Pid:
		return x, true
	case []any:
		out := make([]term.Pid, 0, len(x))
		for _, e := range x {
			p, ok := e.(term.Pid)
			if !ok {
				return nil, false
			}
			out = append(out, p)
		}
		return out, true
	}
	return nil, false
}

// onNode reports whether every pid is on node.
func onNode(pids []term.Pid, node term.Atom) bool {
	for _, p := range pids {
		if p.Node != node {
			return false
		}
	}
	return true
}

// groupList reads a list of groups.
func groupList(v any) ([]any, bool) {
	rv := reflect.ValueOf(v)
	if v == nil || rv.Kind() != reflect.Slice {
		return nil, false
	}
	out := make([]any, 0, rv.Len())
	for i := 0; i < rv.Len(); i++ {
		g, err := Group(rv.Index(i).Interface())
		if err != nil {
			return nil, false
		}
		out = append(out, g)
	}
	return out, true
}

// syncGroups reads the groups of a sync: [{Group, [Pid]}], every pid on
// node (unless node is empty).
func syncGroups(v any, node term.Atom) (map[any][]term.Pid, bool) {
	list, ok := v.([]any)
	if !ok && v != nil {
		return nil, false
	}
	out := make(map[any][]term.Pid, len(list))
	for _, e := range list {
		t, ok := e.(term.Tuple)
		if !ok || len(t) != 2 {
			return nil, false
		}
		g, err := Group(t[0])
		if err != nil {
			return nil, false
		}
		pids, ok := pidList(t[1])
		if !ok || (node != "" && !onNode(pids, node)) {
			return nil, false
		}
		out[g] = append(out[g], pids...)
	}
	return out, true
}

// syncList builds the groups of a sync, sorted by group.
func syncList(groups map[any][]term.Pid) []any {
	keys := make([]any, 0, len(groups))
	for g := range groups {
		keys = append(keys, g)
	}
	sortGroups(keys)
	out := make([]any, 0, len(keys))
	for _, g := range keys {
		out = append(out, term.T(g, groups[g]))
	}
	return out
}
