// Package cache is a key-value cache replicated on every node of a
// cluster that starts a copy. Each copy is a server (gerl/server) holding
// the whole table, registered as "cache" on its node and a member of the
// process group "cache" (gerl/pg): the group is how a copy finds the
// others, and it forgets a copy the moment its process or its node dies.
// A write goes to every member and returns once they all have it; a read
// asks the copy of its own node, so it never leaves the node.
//
// Load it on every node (nl("cache")), start a copy on each
// (multicall("cache.Start")), then Put and Get from any of them.
package cache

import (
	"time"

	"gerl"
	"gerl/pg"
	"gerl/server"
)

// group is the process group of the copies.
const group = "cache"

// timeout bounds how long a call waits for one copy.
const timeout = 2 * time.Second

// Copy is one node's copy of the cache: the server's state.
type Copy struct {
	table map[string]any
}

// New makes a copy for server.Start; started through its name
// (server.Factory("cache.New")), a copy takes a reloaded module's code
// at once, keeping its table.
func New() server.Behaviour { return &Copy{} }

// Start starts this node's copy and returns its pid (the running one, if
// this node has one already).
func Start() gerl.Pid {
	if pid, ok := gerl.Whereis("cache"); ok {
		return pid
	}
	pid, err := server.Start(server.Factory("cache.New"), nil, server.Options{Name: "cache"})
	if err != nil {
		panic(err)
	}
	return pid
}

// Init fills the new copy from another member's, so that a node joining
// late gets the keys written before it, then joins the group.
func (c *Copy) Init(args any) error {
	c.table = map[string]any{}
	pg.Sync() // every copy the connected nodes have, in this node's view
	for _, m := range pg.GetMembers(group) {
		if t, err := server.Call(m, gerl.A("dump"), timeout); err == nil {
			c.table = t.(map[string]any)
			break
		}
	}
	pg.Join(group, gerl.Self())
	return nil
}

// HandleCall answers {put, Key, Value}, {delete, Key}, {get, Key}
// ({Value, Found}), size, and dump (the whole table, for a copy that
// starts).
func (c *Copy) HandleCall(req any, from server.From) (any, error) {
	if op, ok := req.(gerl.Atom); ok {
		switch op {
		case "size":
			return len(c.table), nil
		case "dump":
			return c.table, nil
		}
	}
	t, _ := req.(gerl.Tuple)
	switch t.Tag() {
	case "put":
		c.table[t[1].(string)] = t[2]
		return gerl.OK, nil
	case "delete":
		delete(c.table, t[1].(string))
		return gerl.OK, nil
	case "get":
		v, found := c.table[t[1].(string)]
		return gerl.T(v, found), nil
	}
	return gerl.T(gerl.A("error"), gerl.A("bad_request")), nil
}

// HandleCast: the cache takes no casts.
func (c *Copy) HandleCast(msg any) error { return nil }

// Put stores value under key in every copy; it returns the copies that
// did not confirm (an empty list: all did).
func Put(key string, value any) []gerl.Pid {
	return everywhere(gerl.T(gerl.A("put"), key, value))
}

// Delete removes key from every copy, as Put stores it.
func Delete(key string) []gerl.Pid {
	return everywhere(gerl.T(gerl.A("delete"), key))
}

// Get reads key from this node's copy: its value, and whether it was there.
func Get(key string) (any, bool) {
	v, err := server.Call("cache", gerl.T(gerl.A("get"), key), timeout)
	if err != nil {
		panic(err)
	}
	t := v.(gerl.Tuple)
	return t[0], t[1].(bool)
}

// Keys returns the number of keys in this node's copy.
func Keys() int {
	v, err := server.Call("cache", gerl.A("size"), timeout)
	if err != nil {
		panic(err)
	}
	return v.(int)
}

// Copies returns the copies the group has, on every node, once this node
// has heard from the others (pg.Sync: a group's view on each node is
// eventually consistent).
func Copies() []gerl.Pid {
	pg.Sync()
	return pg.GetMembers(group)
}

// everywhere sends a request to every member of the group and returns
// those that did not answer.
func everywhere(req gerl.Tuple) []gerl.Pid {
	failed := []gerl.Pid{}
	for _, m := range pg.GetMembers(group) {
		if _, err := server.Call(m, req, timeout); err != nil {
			failed = append(failed, m)
		}
	}
	return failed
}
