// Package tuning gives a gerl process the Go runtime settings gerl is
// measured with (docs/performance.md): the gerl command, and the
// benchmark command whose workloads run gerl's runtime in its own process
// and in its peer nodes, call Apply first thing in main, so that both run
// the same runtime. Both also run Compact, the scheduler compactor, on a
// goroutine of its own: it runs the program with one P while its work is
// a chain of hand-offs that one P runs faster (compact.go).
package tuning
