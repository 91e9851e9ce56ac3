// Package server is Erlang's gen_server: a process that holds a state and
// answers requests, written as a Go type whose methods are the callbacks.
//
//	type Counter struct{ n int }
//
//	func (c *Counter) Init(args any) error { c.n = args.(int); return nil }
//	func (c *Counter) HandleCall(req any, from server.From) (any, error) {
//		c.n++
//		return c.n, nil
//	}
//	func (c *Counter) HandleCast(msg any) error { return nil }
//
//	pid, err := server.Start(n, &Counter{}, 0, server.Options{Name: "counter"})
//	v, err := server.Call(p, "counter", "inc", time.Second)   // 1
//	server.Cast(p, "counter", "reset")
//	server.Stop(n, "counter", term.Normal, time.Second)
//
// A server runs Init in its own process before Start returns (a failing
// Init fails the start), then handles one message at a time: requests
// made with Call go to HandleCall, whose reply goes back to the caller
// (or later, with Reply, when it returns NoReply); messages sent with Cast
// go to HandleCast; anything else (a plain send, a monitor's Down, an exit
// it traps) to HandleInfo if the type has it. A method that returns an
// error stops the server: StopWith(reason) is a clean stop (after its
// reply), any other error or a panic a crash, which is logged. Terminate,
// if the type has it, runs before the process exits. StartLink links the
// server to its parent; Child makes a supervisor child of it, with a fresh
// state at each restart.
//
// # Hibernation
//
// A method that returns Hibernate instead of nil keeps the server going
// and hibernates it (node.Proc.Hibernate) until its next message: it then
// holds no goroutine, only its state, pid, mailbox and name.
// Options.HibernateAfter does the same whenever the server has waited
// that long.
//
// # State and code changes
//
// The Behaviour value is the state. Package sys reads a copy of it
// (sys.GetState) and replaces it (sys.ReplaceState), between two messages.
// A server started with Options.Upgrade can take new code while it runs
// (sys.ChangeCode): Upgrade returns a value of the new version's type,
// the old state's fields move into it by name, and its CodeChange, if it
// has one, adapts the rest (Erlang's code_change). gerl's shell starts
// servers of hot-loaded modules this way, so reloading the module upgrades
// them, keeping their state.
//
// # Types of the interpreter
//
// Types written at gerl's prompt or in a hot-loaded module implement
// Behaviour too: interp.go has the wrappers the interpreter needs to call
// their methods, optional ones included.
//
// # Concurrency
//
// The package's functions may be called from any goroutine. A server's
// methods run only in its process, one at a time, so they need no lock.
package server
