// Package stats holds the one percentile rule gerl's benchmarks report
// with, the nearest-rank rule of Erlang's benchmark harness, so that
// figures from different workloads (and from Erlang's) compare.
package stats
