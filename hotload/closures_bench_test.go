package hotload

import (
	"reflect"
	"testing"
)

// What tagging a module's closures costs (closures.go): make is a
// function that returns a closure, which is tagged; loop1000 makes a
// thousand closures it only calls, which are not; call1000 calls a
// tagged closure a thousand times.
func BenchmarkModuleClosureMake(b *testing.B) {
	h := newHarness(b)
	h.write("mk.go", `package mk

import "sort"

func Make(k int) func() int { return func() int { return k } }

func Loop(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		f := func() int { return i }
		s += f()
	}
	return s
}

func Calls(n int) int {
	f := Make(1)
	s := 0
	for i := 0; i < n; i++ {
		s += f()
	}
	return s
}

func Sort(xs []int) { sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] }) }
`)
	h.load("mk")
	mk := h.fn("mk.Make")
	loop := h.fn("mk.Loop")
	b.Run("make", func(b *testing.B) {
		in := []reflect.Value{reflect.ValueOf(3)}
		for b.Loop() {
			mk.Call(in)
		}
	})
	calls := h.fn("mk.Calls")
	b.Run("call1000", func(b *testing.B) {
		in := []reflect.Value{reflect.ValueOf(1000)}
		for b.Loop() {
			calls.Call(in)
		}
	})
	b.Run("loop1000", func(b *testing.B) {
		in := []reflect.Value{reflect.ValueOf(1000)}
		for b.Loop() {
			loop.Call(in)
		}
	})
}
