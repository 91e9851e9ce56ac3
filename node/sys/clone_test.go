package sys

import (
	"reflect"
	"testing"
)

type link struct {
	Name  string
	Next  *link
	Tags  map[string][]int
	Any   any
	fn    func() // unexported: copied as it is
	Array [2][]string
}

func TestClone(t *testing.T) {
	loop := &link{Name: "loop"}
	loop.Next = loop
	shared := []int{1, 2}
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"nil", nil},
		{"int", 3},
		{"string", "s"},
		{"slice", []any{1, "a", []int{2}}},
		{"map", map[string]any{"a": []int{1}, "b": map[int]bool{1: true}}},
		{"struct pointer", &link{Name: "n", Tags: map[string][]int{"x": shared, "y": shared}, Any: []byte("b"), Array: [2][]string{{"a"}, nil}}},
		{"cycle", loop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Clone(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name != "cycle" && !reflect.DeepEqual(got, tc.v) {
				t.Fatalf("Clone(%#v) = %#v", tc.v, got)
			}
		})
	}
	// Deep: changing the copy changes nothing of the original.
	orig := &link{Name: "n", Tags: map[string][]int{"x": shared, "y": shared}, fn: func() {}}
	c, _ := Clone(orig)
	cp := c.(*link)
	if cp.fn == nil {
		t.Fatal("an unexported field was not copied")
	}
	cp.Tags["x"][0] = 99
	if orig.Tags["x"][0] != 1 {
		t.Fatal("the copy shares a slice with the original")
	}
	// Shared stays shared, inside the copy (pointers; slices are values).
	cl, _ := Clone(loop)
	if n := cl.(*link); n.Next != n || n == loop {
		t.Fatal("the cycle was not kept, or not copied")
	}
}
