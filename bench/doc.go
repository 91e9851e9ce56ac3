// Package bench implements the benchmark workloads of gerl's performance
// targets (shared/bench/WORKLOADS.md): each workload measures one thing the
// same way the Erlang/OTP reference implementation does, and reports a
// Result that prints as one JSON line in the same shape as Erlang's, so the
// two can be compared line by line.
//
// It owns the workloads (local ones in this process: local.go, interp.go,
// hotload.go; remote ones between peer nodes started as processes:
// remote.go, whose peer is PeerMain in remote_peer.go; the gerl command
// line: node_start, shell_start, ship_closure (closure.go) and the port
// mapper daemon), the command line of the benchmark program (Main), and
// the port mapper's load generator (PortMapperLoad). Only the program cmd/gerl-bench imports it,
// which "gerl bench" runs: none of it is in the gerl binary. The package's
// Go benchmarks run the workloads and the port mapper at smaller sizes;
// its tests check that every workload runs and reports its figures, never
// how fast.
//
// A workload function runs on the caller's goroutine and returns when the
// workload is over; workloads are not meant to run concurrently with one
// another (they measure the machine).
package bench
