// Package detach starts a program as a background process that outlives
// its parent (a new session, no terminal, standard input from /dev/null,
// output appended to a log file) and waits for the process to report, on
// a pipe, whether it started. Both the port mapper daemon (gerl
// portmapper -daemon) and detached nodes (gerl -detached) start this way.
//
// The parent calls Start; the child calls FromEnv once, early, and Report
// once it knows the outcome.
package detach
