// Package shell is gerl's command line: it starts a node as the flags say
// and runs the prompt on it — interactive on a terminal (line editing,
// history, completion, colors), or reading inputs from a pipe — or runs the
// node with no shell (-noshell, -detached), or opens a shell on another
// node (-remsh).
//
// The files: run.go (Run, the modes), options.go (the flags), system.go
// (starting the node, its distribution, code server and services),
// repl.go, complete.go, history.go and output.go (the terminal), piped.go
// (input from a pipe), remsh.go, remsh_server.go and remsh_client.go (the
// remote shell), detach.go (-detached), version.go.
//
// # Concurrency
//
// The prompt runs on the main goroutine; at the terminal, one goroutine per
// input turns SIGINT into the cancellation of that input's context; the
// piped reader and the remote shell's service have goroutines of their own.
// docs/architecture.md lists them all, and the lock order of the packages
// the shell drives (table "Locks, and their order"); this package holds no
// lock across a call into another.
package shell
