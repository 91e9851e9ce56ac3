package eval

import "testing"

// BenchmarkPrepare is the cost of the rewrites of one input at the
// prompt, with the session's record of earlier declarations: a one-line
// process (no generic call), and a call of a generic function an
// earlier input declared (the check reads its declaration again).
func BenchmarkPrepare(b *testing.B) {
	ts := newTestShell(b)
	for _, in := range []string{
		`type P struct{ X int }`,
		`func Map[T, U any](xs []T, f func(T) U) []U { var out []U; for _, x := range xs { out = append(out, f(x)) }; return out }`,
	} {
		if got := ts.eval(in); got != "" {
			b.Fatalf("%s: %s", in, got)
		}
	}
	for _, c := range []struct{ name, in string }{
		{"process", `p := spawn(func() { for { switch receive() { case A("ping"): self() ! 1; default: return } } })`},
		{"generic", `ys := Map([]P{{1}, {2}}, func(p P) int { return p.X * 10 })`},
	} {
		b.Run(c.name, func(b *testing.B) {
			ts.s.evalMu.Lock()
			tag := ts.s.tagging()
			ts.s.evalMu.Unlock()
			for b.Loop() {
				if _, err := prepare(c.in, tag); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
