package term

import "testing"

func TestPanicText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"reflect: slice index out of range", "index out of range (of a slice)"},
		{"reflect: array index out of range", "index out of range (of an array)"},
		{"reflect: call of reflect.Value.Field on zero Value", "invalid memory address or nil pointer dereference (a field or method of a nil pointer)"},
		{"reflect.MakeSlice: negative len", "make: negative length"},
		{"reflect: call of reflect.Value.Bool on string Value", `&&, || and ! need a bool, not a string (an atom such as pong? compare it: x == A("pong"))`},
		{"reflect: Call using interface {} as type term.Pid", "a built-in was given a value of the wrong type: want term.Pid"},
		{"reflect: something new", "something new"},
		{"assignment to entry in nil map", "assignment to entry in nil map"},
	} {
		if got := PanicText(c.in); got != c.want {
			t.Errorf("PanicText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
