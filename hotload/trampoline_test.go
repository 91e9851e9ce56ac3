package hotload

import (
	"reflect"
	"testing"

	"github.com/gerl-dev/gerl/node"
)

// BenchmarkQualifiedCall compares a call through the trampoline (what
// counter.F costs from the prompt, another module or a qualified
// self-call), from a process, with a call of the version's function
// itself.
func BenchmarkQualifiedCall(b *testing.B) {
	h := newHarness(b)
	h.write("counter.go", "package counter\n\nfunc Add(a, b int) int { return a + b }\n")
	h.load("counter")
	h.srv.mu.RLock()
	m := h.srv.mods["counter"]
	h.srv.mu.RUnlock()
	for _, bc := range []struct {
		name string
		fn   reflect.Value
	}{
		{"trampoline", m.tramps["Add"].fn},
		{"direct", m.current.Load().funcs["Add"]},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := bc.fn.Interface().(func(int, int) int)
			done := make(chan struct{})
			h.node.Spawn(func(p *node.Proc) {
				defer close(done)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					f(i, 1)
				}
			})
			<-done
		})
	}
}
