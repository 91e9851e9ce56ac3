// Package cache is a key-value cache replicated on every node of a
// cluster. Each node keeps a whole copy in a process registered as "cache"
// there. A write goes to every copy and returns once they all have it; a
// read asks the copy of its own node, so it never leaves the node.
//
// Load it on every node (nl("cache")), start a copy on each
// (multicall("cache.Start")), then Put and Get from any of them.
package cache

import (
	"time"

	"gerl"
)

// timeout bounds how long a call waits for one copy.
const timeout = 2 * time.Second

// Start starts this node's copy, filled from the copy of a connected node
// so that a node joining late gets the keys written before it. It returns
// the copy's pid (the running one, if this node has one already).
func Start() gerl.Pid {
	if pid, ok := gerl.Whereis("cache"); ok {
		return pid
	}
	table := map[string]any{}
	for _, n := range gerl.Nodes() {
		v, err := gerl.Call(gerl.Name{Name: "cache", Node: n}, gerl.T(gerl.A("dump")), timeout)
		if err == nil {
			table = v.(map[string]any)
			break
		}
	}
	pid := gerl.Spawn("cache.Loop", table)
	gerl.Register("cache", pid)
	return pid
}

// Put stores value under key on every node: this one, then each connected
// node in turn. It returns the nodes that did not confirm (down, or
// without a copy); an empty list means every copy has it.
func Put(key string, value any) []gerl.Atom {
	return everywhere(gerl.T(gerl.A("put"), key, value))
}

// Delete removes key from every node, as Put stores it.
func Delete(key string) []gerl.Atom {
	return everywhere(gerl.T(gerl.A("delete"), key))
}

// Get reads key from this node's copy: its value, and whether it was there.
func Get(key string) (any, bool) {
	v, err := gerl.Call("cache", gerl.T(gerl.A("get"), key), timeout)
	if err != nil {
		panic(err)
	}
	t := v.(gerl.Tuple)
	return t[0], t[1].(bool)
}

// Keys returns the number of keys in this node's copy.
func Keys() int {
	v, err := gerl.Call("cache", gerl.T(gerl.A("size")), timeout)
	if err != nil {
		panic(err)
	}
	return v.(int)
}

// everywhere sends a request to the copy of every node, this one first,
// and returns the nodes that did not answer.
func everywhere(req gerl.Tuple) []gerl.Atom {
	failed := []gerl.Atom{}
	for _, n := range append([]gerl.Atom{gerl.Node()}, gerl.Nodes()...) {
		if _, err := gerl.Call(gerl.Name{Name: "cache", Node: n}, req, timeout); err != nil {
			failed = append(failed, n)
		}
	}
	return failed
}

// Loop is a copy: a server holding the table. Each request goes through
// cache.Handle, so a reloaded module serves the next one.
func Loop(p *gerl.Proc, table map[string]any) {
	for {
		if req, ok := p.Receive().(gerl.Request); ok {
			cache.Handle(req, table)
		}
	}
}

// Handle answers one request: {put, Key, Value}, {delete, Key},
// {get, Key} (answered {Value, Found}), {size}, or {dump} (the whole
// table, for a copy that starts).
func Handle(req gerl.Request, table map[string]any) {
	t, _ := req.Request.(gerl.Tuple)
	if len(t) == 0 {
		return
	}
	op, _ := t[0].(gerl.Atom)
	switch op {
	case "put":
		table[t[1].(string)] = t[2]
		gerl.Reply(req, gerl.OK)
	case "delete":
		delete(table, t[1].(string))
		gerl.Reply(req, gerl.OK)
	case "get":
		v, found := table[t[1].(string)]
		gerl.Reply(req, gerl.T(v, found))
	case "size":
		gerl.Reply(req, len(table))
	case "dump":
		gerl.Reply(req, table)
	}
}
