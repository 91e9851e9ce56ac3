// Package eval is gerl's interpreter side: what Go typed at a prompt, or
// loaded as a module, reaches, and how a prompt runs it.
//
// It owns:
//
//   - Env (env.go), one per node: the gerl API that interpreted code
//     imports as "gerl" (api.go, exports.go) and the shell's erl-named
//     built-ins (builtins.go, docs.go), acting as the calling process
//     (goroutines.go maps goroutines to processes); the cluster view
//     (cluster.go); named functions; the built-ins and packages other
//     packages add (hot loading's c, l, nl and its modules).
//   - Session (session.go), one per prompt: a yaegi interpreter
//     (interpreter.go, globalframe.go) and the shell process
//     (processes.go). EvalContext (evaluate.go) runs one input: it is
//     rewritten (pid ! msg, closures in loops, go statements, top-level
//     closures: prepare.go, rewrite_*.go), cut into segments (input.go) and
//     run (segments.go) on a goroutine acting as the shell process;
//     cancelling its context interrupts it (Ctrl-C), stopping and resuming
//     the interpreter's code if it must (control.go; processes.go for the
//     processes running prompt code). Timeouts (timeout.go), v(n)
//     (history.go), completion (complete.go), the printing of values
//     (format.go).
//
// # Concurrency
//
// An Env is safe for concurrent use. A Session runs one input at a time;
// its EvalContext, Bindings and Complete are called from one goroutine at a
// time, and other packages change it from any goroutine through the Env
// (extend.go). Locks are taken in the order docs/architecture.md's table
// "Locks, and their order" gives: Session.evalMu → Session.mu, and Env.mu →
// Proc.mu. Interpreted code runs on process goroutines and on the goroutine
// of the input. The data races inside yaegi between a new input and code
// already running, those gerl avoids (rewrite_toplevel.go, globalframe.go)
// and those it cannot, are listed in internal/testkit/yaegirace.go.
//
// yaegi's package is imported as yaegi everywhere (its name, interp, was
// this package's).
package eval
