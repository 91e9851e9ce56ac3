// Package global is Erlang's global: names that mean the same process on
// every node of a cluster.
//
//	g, err := global.Start(n, global.Options{Nodes: dist.Nodes})
//	err = g.RegisterName("db", pid, nil)     // nil: the default conflict rule
//	pid, ok := g.WhereisName("db")           // on any node
//	g.Send(nil, "db", msg)
//	g.UnregisterName("db")
//
// Every node runs a name server (ServerName), which gerl starts with the
// node. A name belongs to the node of its process (its owner), which
// monitors the process: the name goes when the process exits, and on every
// other node when the owner goes down or becomes unreachable. Every node
// keeps a copy of every name, so WhereisName and Send do not leave the
// node.
//
// # One winner
//
// Registering and unregistering a name take the name's lock on every
// connected node (register.go): two registrations of one name, from any
// two nodes of a connected cluster, never both succeed, and a registration
// that returns has been recorded on every node it locked. A process has at
// most one global name (ErrAlreadyNamed), as in Erlang.
//
// # Partitions
//
// Nodes that cannot see each other can each register the same name. When
// they connect again, their name servers exchange their names, and the
// owner of one of the two processes (the one whose node name sorts first)
// decides the conflict: with the resolver given when the name was
// registered, if any (a Resolver runs on the node that registered it), or
// else with Erlang's default rule, random_exit_name: one process keeps the
// name, the other is ended with the exit reason {global_name_conflict,
// Name}, and the conflict is logged. docs/concepts.md states the rules.
//
// # Concurrency
//
// A Service's methods are safe for concurrent use. Reads take a shared
// lock on the node's copy of the names; registrations run in a
// short-lived process of their own (the registrar), so they need no
// process of the caller's and consume none of its messages.
package global
