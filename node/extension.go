package node

// Extensions: services built on top of the runtime (global names, process
// groups, servers) keep one Go object per node, which their functions find
// from the node alone, as Erlang's global and pg keep ETS tables any process
// reads. A node holds them in a sync.Map: the table is read on hot paths
// (a whereis) and written once per service.

// Extension returns the value the node keeps under key; the first caller
// for a key stores make() there (make runs at most once per key unless two
// callers race, and then only one result is kept and returned to both).
// A nil make only looks: it returns nil when nothing is kept under key.
// Keys follow context.WithValue's advice: an unexported type of the
// package that owns the extension. Safe for concurrent use.
func (n *Node) Extension(key any, make func() any) any {
	if v, ok := n.ext.Load(key); ok {
		return v
	}
	if make == nil {
		return nil
	}
	v, _ := n.ext.LoadOrStore(key, make())
	return v
}
