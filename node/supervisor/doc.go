// Package supervisor keeps processes running: a supervisor starts child
// processes, watches them, and restarts them when they exit, following
// OTP's supervisor. It is how gerl programs "let it crash": a worker does
// not defend itself against every bad input; it crashes, and its
// supervisor starts a fresh one, with fresh state, under the same name.
//
//	worker := func(p *node.Proc) {
//		for {
//			c := p.Receive().(term.Request)
//			p.Reply(c, 2*c.Body.(int)) // anything but an int: crash
//		}
//	}
//	sup, err := supervisor.Start(n, supervisor.Spec{
//		Strategy: supervisor.OneForOne, Intensity: 3, Period: 5 * time.Second,
//		Children: []supervisor.Child{
//			{ID: "doubler", Start: worker, Name: "doubler"},
//			{ID: "adder", Fn: adder, Args: []any{10}, Restart: supervisor.Transient},
//		},
//	})
//
// Clients address the child by its registered name, which follows it from
// one incarnation to the next: me.Call("doubler", 21, time.Second).
//
// # Children
//
// A Child has an ID, unique in its supervisor, and starts from Start (a
// process function) or from Fn and Args (any function and its arguments,
// as node.Entry). Children start in spec order; a named child has its name
// registered before the next child starts. Each child is linked to the
// supervisor, which traps exits. When a child exits, its Restart type
// decides: Permanent children are always restarted; Transient ones only
// after an abnormal exit (not normal, shutdown or {shutdown, _}); Temporary
// ones never, and are forgotten.
//
// The Strategy decides what else restarts with it: OneForOne restarts the
// child alone; OneForAll terminates all the others (in reverse start order)
// and starts them all again (in start order); RestForOne does the same for
// the children started after it. A child is terminated with the exit
// signal shutdown and given its Shutdown time to exit (5 s by default)
// before it is killed; BrutalKill kills at once, Infinity waits.
//
// # Supervision trees
//
// A child can itself be a supervisor: give it Supervisor, a Spec, instead
// of a start function. Workers under it are its business (its strategy,
// its intensity); when it gives up, it exits with shutdown and its parent
// restarts it like any child, with the children of its spec. Terminating a
// tree goes depth first: a nested supervisor takes its children down
// before it exits, and its Shutdown is Infinity unless set.
//
//	workers := supervisor.Spec{Name: "workers", Strategy: supervisor.OneForAll, Children: ...}
//	top, err := supervisor.Start(n, supervisor.Spec{Children: []supervisor.Child{
//		{ID: "cache", Start: cache, Name: "cache"},
//		{ID: "workers", Supervisor: &workers},
//	}})
//	top.Sub("workers").StartChild(supervisor.Child{...})
//
// # Restart intensity
//
// A supervisor that restarts children over and over is not helping. If
// more than Intensity restarts happen within Period (by default 1 in 5 s),
// the supervisor logs a report with reason reached_max_restart_intensity,
// terminates all its children in reverse start order, and exits with
// reason shutdown, passing the problem up: to its parent (StartLink), or to
// whoever monitors it.
//
// # Asking the supervisor
//
// Start and StartLink return a *Sup; At makes one from a pid or a name,
// and Sub one for a nested supervisor of the same tree.
// Its methods (WhichChildren, CountChildren, TerminateChild, RestartChild,
// DeleteChild, StartChild, Stop) are requests the supervisor process
// answers itself, between two child exits, with node.Proc.Call; requests
// and replies are terms, so a supervisor on another node can be asked too
// (except StartChild, whose Go function cannot travel). Stop terminates
// the children in reverse start order and ends the supervisor with reason
// normal, as OTP's gen_server:stop, so a linked parent carries on. Exit
// signals from anyone but the parent are ignored, as in OTP; kill is not.
//
// # Reports
//
// Every child start (level info, "supervisor progress"), crash, failed
// start, failed termination and intensity stop (level error, "supervisor
// report", with the context, reason, child, pid and action) is logged
// through the node's logger, as OTP's supervisor reports. Nothing is
// printed.
//
// # Concurrency
//
// A supervisor is one process: it handles one message at a time, in order
// of arrival, and while it terminates or starts a child it waits for that
// child only, leaving every other message queued. All functions and
// methods of the package may be called from any goroutine, except
// StartLink, which the parent's own goroutine calls. The package takes no
// lock of its own: a supervisor's state belongs to its process. The
// runtime's lock order is in docs/architecture.md ("Locks, and their
// order").
//
// # Not (yet) here
//
// simple_one_for_one (use StartChild), auto_shutdown and significant
// children, get_childspec, and hot code change of the spec.
package supervisor
