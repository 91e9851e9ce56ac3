// Command gerl starts an erl-like interactive shell on a gerl node (package
// shell has the flags), or runs one of its tools:
//
//	gerl portmapper ...   the host's port mapper daemon and its client
//	                      commands (package portmapper/daemon)
//	gerl bench ...        the benchmark workloads, run by the separate
//	                      program gerl-bench (cmd/gerl-bench), which gerl
//	                      finds beside itself or on PATH
//
// The gerl binary holds the product only: the benchmarks, the test
// fixtures and their dependencies stay out of its import graph
// (TestProductImportGraph checks it). main applies gerl's runtime settings
// (package internal/tuning) before anything else.
package main
