package eval

import (
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// BenchmarkShipClosure measures what shipping a closure adds to a remote
// spawn on each side, without the network: pack (the caller: copies of
// the captured variables, the source, the prompt's declarations it uses)
// and run (the receiver: the maker found compiled by the code's hash, and
// applied to the copies). docs/performance.md reports the figures with
// the end-to-end medians.
func BenchmarkShipClosure(b *testing.B) {
	ts := newTestShell(b)
	ts.eval(`me := self(); n := 21; word := "hi"`)
	o, err := ts.s.Eval(`func() { me ! T(word, n) }`)
	if err != nil || len(o.Values) != 1 {
		b.Fatalf("closure: %v %v", o, err)
	}
	f := o.Values[0]
	to := term.Atom("other@host")
	code, err := ts.env.codeOf("spawn", to, f)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ts.env.RunCode(code); err != nil {
		b.Fatal(err)
	}
	b.Run("pack", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.env.codeOf("spawn", to, f); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("run", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.env.RunCode(code); err != nil {
				b.Fatal(err)
			}
		}
	})
}
