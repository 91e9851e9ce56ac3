package term

import "testing"

func TestPanicText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"reflect: slice index out of range", "index out of range (of a slice)"},
		{"reflect: array index out of range", "index out of range (of an array)"},
		{"reflect: call of reflect.Value.Field on zero Value", "invalid memory address or nil pointer dereference (a field or method of a nil pointer)"},
		{"reflect.MakeSlice: negative len", "make: negative length"},
		{"reflect: call of reflect.Value.Bool on string Value", `&&, || and ! need a bool, not a string (an atom such as pong? compare it: x == A("pong"))`},
		{"reflect: Call using interface {} as type term.Pid", "a built-in was given a value of the wrong type: want gerl.Pid"},
		{"reflect: something new", "something new"},
		{"reflect.Value.Convert: value of type interface {} cannot be converted to type term.Atom", "a value of type interface {} cannot be converted to gerl.Atom"},
		{"reflect.Value.Call: call of nil function", "call of a nil function"},
		{"reflect: Method on nil interface value", "a method called on a nil interface value"},
		{"reflect: Call using zero Value argument", "a nil value was used where a value is needed (a nil pointer or interface?)"},
		{"interface conversion: interface {} is term.Tuple, not term.Pid", "interface conversion: interface {} is gerl.Tuple, not gerl.Pid"},
		{"determ.Foo stays", "determ.Foo stays"},
		{"assignment to entry in nil map", "assignment to entry in nil map"},
	} {
		if got := PanicText(c.in); got != c.want {
			t.Errorf("PanicText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
