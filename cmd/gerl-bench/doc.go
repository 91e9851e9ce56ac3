// Command gerl-bench runs gerl's benchmark workloads (docs/performance.md)
// and prints one JSON line per result, in the shape of Erlang/OTP's
// harness so that the two compare line by line. Users run it as
// "gerl bench", which executes gerl-bench found beside the gerl executable
// or on PATH and names itself in GERL_BENCH_GERL as the gerl binary the
// workloads start; run alone, gerl-bench measures the gerl found beside it
// or on PATH, or the one given with -gerl.
//
//	gerl-bench [-quick] [-list] [-pin LIST] [-gerl PATH] [NAME...]
//	gerl-bench peer FLAGS   the bare node the remote workloads start
//	gerl-bench report [-svg DIR] FILE...
//	                        medians, spreads and gerl/Erlang ratios of the
//	                        JSON lines in FILEs; the scaling curves as SVG
//
// It is a program of its own so that the gerl binary carries none of the
// benchmark code, and it runs with gerl's runtime settings
// (internal/tuning), since most workloads measure gerl's runtime in this
// process and in its peer nodes.
package main
