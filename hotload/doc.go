// Package hotload is gerl's code server: Erlang's hot code loading for
// modules written in Go and run by the interpreter.
//
// A module is Go source, one file (counter.go, package counter) or one
// directory (counter/), found by name on the code path or given by path.
// New starts a node's code server and adds the shell's code built-ins (c,
// l, nl, lm, m, purge, soft_purge, watch); the same operations are methods:
//
//	srv, err := hotload.New(hotload.Config{Env: env, CodePath: []string{"lib"}})
//	...
//	srv.Load("counter")                         // c("counter")
//	pid := env.Spawn("counter.Loop", 0)          // spawn("counter.Loop", 0)
//	// edit counter.go
//	srv.Reload("counter")                       // l("counter"): pid keeps running,
//	                                            // its next counter.X call runs the new code
//	srv.NetLoad(ctx, "counter")                 // nl("counter"): every connected node
//
// # Semantics
//
// A module has at most two versions: current, entered by every qualified
// call (counter.F at the prompt, from another module or from the module
// itself, spawn and rpc by name), and old, still run by the processes that
// were in it. Loading a third version kills the processes still running the
// oldest (exit reason killed, logged); SoftPurge refuses while processes
// run the old version, Purge kills them. Which version a process runs is
// defined in version.go; docs/hotload.md explains it with a worked example
// that its test runs.
//
// Loading has two phases: prepare (parse, check the package name, resolve
// imports, type-check with go/types, compile in a fresh interpreter and run
// the package's initialization) changes nothing; commit makes the version
// current atomically. A module that fails to prepare is reported as a
// *LoadError with file:line:col problems, matching one of ErrNotFound,
// ErrBadName, ErrSyntax, ErrPackageName, ErrImport, ErrType, ErrInit, and
// the running version keeps running.
//
// # Concurrency
//
// A Server's methods are safe for concurrent use; loads, reloads and purges
// are serialized, and calls into modules never wait for them. Each version
// has its own yaegi interpreter, which is not safe for concurrent Eval: the
// server evaluates in it only while preparing, on the loading goroutine;
// afterwards only the version's functions are called, from any number of
// processes. While watching, the server owns one goroutine, the watcher
// (watch.go), which Close ends. Locks are taken in the order of
// docs/architecture.md's table "Locks, and their order": Server.loadMu →
// Server.mu → procCode.mu; a commit releases Server.mu before it kills
// purged processes and before it calls into eval (Env.AddPackage).
//
// The files: server.go (the Server, its module table), loader.go (prepare
// and commit), source.go and check.go (parsing, rewriting, type-checking a
// module), codepath.go (finding it), version.go (versions, and which
// process runs which), trampoline.go (the functions the prompt and other
// modules call), netload.go (nl), watch.go, builtins.go (c, l, nl...),
// errors.go.
package hotload
