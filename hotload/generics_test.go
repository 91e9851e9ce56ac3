package hotload

import "testing"

// TestRenameGenerics: the exported generic names of a module are
// compiled under names of their own where they are referred to, and
// nowhere else.
func TestRenameGenerics(t *testing.T) {
	generic := map[string]bool{"Map": true, "Stack": true}
	for _, c := range []struct{ name, in, want string }{
		{"declarations and calls",
			"package g\nfunc Map[T any](xs []T) []T { return xs }\nfunc F() []int { return Map([]int{1}) }\n",
			"package g\nfunc gerl_generic_Map[T any](xs []T) []T { return xs }\nfunc F() []int { return gerl_generic_Map([]int{1}) }\n"},
		{"a generic type and its methods",
			"package g\ntype Stack[T any] struct{ items []T }\nfunc (s *Stack[T]) Push(v T) {}\nfunc N() *Stack[int] { return &Stack[int]{} }\n",
			"package g\ntype gerl_generic_Stack[T any] struct{ items []T }\nfunc (s *gerl_generic_Stack[T]) Push(v T) {}\nfunc N() *gerl_generic_Stack[int] { return &gerl_generic_Stack[int]{} }\n"},
		{"declared in another file",
			"package g\nfunc F() []int { return Map([]int{1}) }\n",
			"package g\nfunc F() []int { return gerl_generic_Map([]int{1}) }\n"},
		{"fields, methods, selectors, locals and keys keep the name",
			"package g\ntype C struct{ Map int }\nfunc (C) Stack() {}\nfunc F(c C) int { Map := 2; d := C{Map: 1}; c.Stack(); return c.Map + d.Map + Map }\n",
			"package g\ntype C struct{ Map int }\nfunc (C) Stack() {}\nfunc F(c C) int { Map := 2; d := C{Map: 1}; c.Stack(); return c.Map + d.Map + Map }\n"},
		{"does not parse", "package g\nfunc (", "package g\nfunc ("},
	} {
		if got := renameGenerics(c.in, generic); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
