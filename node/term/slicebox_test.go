package term

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestNewSlice checks the tuples and lists made in one allocation: the
// interface holds the slice that was filled, of the right type, length
// and capacity, in one allocation up to maxInline elements and two above,
// and the elements survive garbage collections.
func TestNewSlice(t *testing.T) {
	for n := 0; n <= maxInline+2; n++ {
		for _, kind := range []string{"tuple", "list"} {
			t.Run(fmt.Sprintf("%s/%d", kind, n), func(t *testing.T) {
				make1 := func() (s []any, v any) {
					if kind == "tuple" {
						tu, v := NewTuple(n)
						return tu, v
					}
					return NewList(n)
				}
				const many = 1000
				vs := make([]any, many)
				for i := range vs {
					s, v := make1()
					if len(s) != n || cap(s) != n {
						t.Fatalf("len %d cap %d, want %d", len(s), cap(s), n)
					}
					for j := range s {
						s[j] = strings.Repeat("x", i+j) // a heap pointer the GC must keep
					}
					vs[i] = v
				}
				runtime.GC()
				runtime.GC()
				want := reflect.TypeOf([]any(nil))
				if kind == "tuple" {
					want = reflect.TypeOf(Tuple(nil))
				}
				for i, v := range vs {
					if got := reflect.TypeOf(v); got != want {
						t.Fatalf("type %v, want %v", got, want)
					}
					s := reflect.ValueOf(v)
					if s.Len() != n {
						t.Fatalf("len %d, want %d", s.Len(), n)
					}
					for j := range n {
						if e := s.Index(j).Interface(); e != strings.Repeat("x", i+j) {
							t.Fatalf("element %d of %d: %v", j, i, e)
						}
					}
				}
				allocs := testing.AllocsPerRun(100, func() { make1() })
				want1 := 1.0 // one object, or the header alone when n is 0
				if n > maxInline {
					want1 = 2 // the elements, the header an interface points to
				}
				if allocs > want1 {
					t.Errorf("%v allocations, want %v", allocs, want1)
				}
			})
		}
	}
}

// TestCopyTupleIsOneAllocation checks that Copy of a small tuple of
// scalars allocates once (the tuple), whatever its size up to maxInline.
func TestCopyTupleIsOneAllocation(t *testing.T) {
	for n := 1; n <= maxInline; n++ {
		tu := make(Tuple, n)
		for i := range tu {
			tu[i] = Atom("a")
		}
		var v any = tu
		if allocs := testing.AllocsPerRun(100, func() { Copy(v) }); allocs != 1 {
			t.Errorf("copy of a %d-tuple: %v allocations, want 1", n, allocs)
		}
	}
}
