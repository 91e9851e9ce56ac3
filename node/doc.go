// Package node is gerl's process runtime: lightweight processes with
// mailboxes, links, monitors, a name registry and request/reply, with
// Erlang's semantics.
//
// A process is a goroutine with a pid and an unbounded mailbox. It is
// started from a function that receives its own *Proc:
//
//	n := node.New(node.Config{Name: "foo@vm"})
//	pong, _ := n.Spawn(func(p *node.Proc) {
//		for {
//			m := p.Receive().(term.Tuple) // {ping, From}
//			p.Send(m[1], term.A("pong"))
//		}
//	})
//
// Sending never blocks on the receiver and copies the message (see package
// term for what can be sent), so processes share no memory. A send to a pid
// that has exited does nothing. Receive takes the oldest message;
// ReceiveMatch takes the oldest one a predicate accepts and leaves the rest
// in order (selective receive); both can time out. Hibernate
// (erlang:hibernate/3) gives up the process's goroutine until a message
// arrives, for processes that wait long between messages.
//
// A process ends when its function returns (reason normal), when it panics
// (reason {panic, Value}, logged with its stack; the node carries on), when
// it calls ExitSelf, or when it receives an exit signal it does not trap.
// Links propagate abnormal exits both ways; TrapExit turns exit signals into
// term.ExitSignal messages; monitors deliver a term.Down with the reason (noproc
// for a process that was already gone). SpawnLink and SpawnMonitor set the
// link or monitor up before the child runs. Call is request/reply on top of
// a monitor, as gen_server:call; package supervisor restarts crashed
// children.
//
// Processes on other nodes are addressed the same way: a pid names its
// node, and a term.Name{Name, Node} names a registered process anywhere. The
// distribution layer plugs in through the Remote interface and the Deliver
// methods; without it, other nodes are unreachable. As in Erlang, nothing
// a process does to another node waits for the connection: a link or
// monitor across a connection that cannot be made or is lost fires with
// reason noconnection.
//
// Invoke and Apply run a function in a process of its own and shape its
// results as Erlang's rpc:call answers (ok, the value, or a tuple): the one
// implementation behind rpc, on this node and for other nodes.
//
// # What the package owns, by file
//
// proc.go (processes, spawning), mailbox.go (the mailbox, receive),
// send.go, signals.go (exit signals and their propagation), links.go,
// monitor.go, registry.go, call.go (request/reply), spawnargs.go (Entry:
// a Go function and arguments as a process), invoke.go, remote.go (the
// Remote interface and the Deliver methods), nodedown.go (what a lost node
// fires, node monitors), proctable.go, info.go, node.go (the Node, Stop).
//
// # Tracing
//
// Trace and TraceAll make the node report what chosen processes do (each
// message sent, each message delivered, the exit) to the Tracer given to
// SetTracer; package observer prints and draws it. When nothing is traced,
// sending and delivering check one atomic flag (trace.go).
//
// # Concurrency
//
// Every method of Node, and every Proc method that acts on another process
// (Send, Exit, Link, Monitor...), is safe for concurrent use. The receive
// methods of a Proc must be called by one goroutine at a time, normally the
// process's own. Locks are never held across user code; lock order is
// Node.spawnMu, procTable.mu, registry.mu, Proc.mu, remoteLinks.mu (a
// goroutine holds at most one Proc.mu), and nodeMonitors.mu alone. The
// lock order of all packages is in docs/architecture.md ("Locks, and their
// order").
package node
