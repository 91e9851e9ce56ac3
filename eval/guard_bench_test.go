package eval

import "testing"

// The cost of the guards (docs/performance.md): an interpreted call and
// an interpreted loop iteration, per call and per iteration. Run the same
// benchmarks on a build without the guards to compare.

func BenchmarkInterpretedCall(b *testing.B) {
	ts := newTestShell(b)
	ts.eval(`func fib(n int) int { if n < 2 { return n }; return fib(n-1) + fib(n-2) }`)
	const calls = 21891 // fib(20)
	b.ResetTimer()
	for range b.N {
		if got := ts.eval(`fib(20)`); got != "6765" {
			b.Fatal(got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/calls, "ns/call")
}

func BenchmarkInterpretedLoop(b *testing.B) {
	ts := newTestShell(b)
	ts.eval(`func spin(n int) int { k := 0; for i := 0; i < n; i++ { k += i }; return k }`)
	const iters = 1000000
	b.ResetTimer()
	for range b.N {
		if got := ts.eval(`spin(1000000)`); got != "499999500000" {
			b.Fatal(got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/iters, "ns/iter")
}

// BenchmarkInterpretedIndex is a loop that reads a slice: the index check
// (rewrite_index_loop.go) is an if before the statement,
// if i%len(xs) >= len(xs) { ... }, which costs about a third of the
// iteration (docs/performance.md). Run it on main to compare.
func BenchmarkInterpretedIndex(b *testing.B) {
	ts := newTestShell(b)
	ts.eval(`func sum(xs []int, n int) int { k := 0; for i := 0; i < n; i++ { k += xs[i%len(xs)] }; return k }`)
	const iters = 1000000
	b.ResetTimer()
	for range b.N {
		if got := ts.eval(`sum([]int{1, 2, 3, 4}, 1000000)`); got != "2500000" {
			b.Fatal(got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/iters, "ns/iter")
}

// BenchmarkInterpretedRangeIndex reads a slice by the keys of a range over
// it: always in range, so it gets no check and must cost what it cost
// before the loop checks.
func BenchmarkInterpretedRangeIndex(b *testing.B) {
	ts := newTestShell(b)
	ts.eval(`func total(xs []int, n int) int { k := 0; for j := 0; j < n; j++ { for i := range xs { k += xs[i] } }; return k }`)
	const iters = 1000000
	b.ResetTimer()
	for range b.N {
		if got := ts.eval(`total([]int{1, 2, 3, 4}, 250000)`); got != "2500000" {
			b.Fatal(got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/iters, "ns/iter")
}

// BenchmarkInterpretedMake makes a buffer in a loop: the size check
// (rewrite_make.go) is an if before the statement, if n > 67108864
// { ... }. Run it on main to compare.
func BenchmarkInterpretedMake(b *testing.B) {
	benchMakes(b, `func bufs(n, size int) int { k := 0; for i := 0; i < n; i++ { k += len(make([]byte, size)) }; return k }`)
}

// BenchmarkInterpretedMakeCall makes a buffer whose size a call gives, in
// a loop: the size cannot be read twice, so the check is the native call.
func BenchmarkInterpretedMakeCall(b *testing.B) {
	benchMakes(b, `func sized(n int) int { return n }; func bufs(n, size int) int { k := 0; for i := 0; i < n; i++ { k += len(make([]byte, sized(size))) }; return k }`)
}

// benchMakes times bufs, declared by decl, making 200,000 buffers of 16
// bytes, per buffer.
func benchMakes(b *testing.B, decl string) {
	ts := newTestShell(b)
	ts.env.SetMaxAlloc(1 << 30)
	ts.eval(decl)
	const iters = 200000
	b.ResetTimer()
	for range b.N {
		if got := ts.eval(`bufs(200000, 16)`); got != "3200000" {
			b.Fatal(got)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/iters, "ns/iter")
}
