package term

import "testing"

func TestMatch(t *testing.T) {
	ref := Ref{Node: "a@h", ID: 7}
	other := Ref{Node: "a@h", ID: 8}
	pid := Pid{Node: "a@h", ID: 3}
	isInt := func(v any) bool { _, ok := v.(int); return ok }
	for _, c := range []struct {
		name       string
		pattern, v any
		want       bool
	}{
		{"any", Any, T(1, 2), true},
		{"atom", A("ping"), A("ping"), true},
		{"atom is not a string", A("ping"), "ping", false},
		{"int is not int64", 1, int64(1), false},
		{"int", 1, 1, true},
		{"tuple by shape", T(A("reply"), ref, Any), T(A("reply"), ref, "v"), true},
		{"tuple, other ref", T(A("reply"), ref, Any), T(A("reply"), other, "v"), false},
		{"tuple, other size", T(A("reply"), Any), T(A("reply"), ref, "v"), false},
		{"tuple is not a list", T(1), []any{1}, false},
		{"list", []any{Any, 2}, []any{1, 2}, true},
		{"nested", T(Any, T(A("x"), Any)), T(1, T(A("x"), 2)), true},
		{"down by ref", Down{Ref: ref}, Down{Ref: ref, Pid: pid, Reason: A("normal")}, true},
		{"down, other ref", Down{Ref: ref}, Down{Ref: other, Pid: pid}, false},
		{"any down", Down{}, Down{Ref: other}, true},
		{"down is not an exit", Down{}, ExitSignal{From: pid}, false},
		{"guard", isInt, 5, true},
		{"guard false", isInt, "5", false},
		{"nil", nil, nil, true},
		{"nil is not zero", nil, 0, false},
		{"string", "hi", "hi", true},
		{"map", map[string]any{"k": 1}, map[string]any{"k": 1}, true},
	} {
		if got := Match(c.pattern, c.v); got != c.want {
			t.Errorf("%s: Match(%v, %v) = %v, want %v", c.name, c.pattern, c.v, got, c.want)
		}
	}
}
