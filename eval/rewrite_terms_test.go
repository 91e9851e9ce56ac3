package eval

import (
	"strings"
	"testing"
)

func TestRewriteTerms(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		shadowed       string // a name an earlier input declared
	}{
		{"tuple and atoms", `send(p, T(A("ping"), self(), i))`, `send(p, (Tuple{Atom("ping"), self(), i}))`, ""},
		{"nested", `T(1, T(2, 3))`, `(Tuple{1, (Tuple{2, 3})})`, ""},
		{"in an if header", `if m == T(1) { x() }`, `if m == (Tuple{1}) { x() }`, ""},
		{"over lines", "T(1,\n\t2,\n)", "(Tuple{1,\n\t2,\n})", ""},
		{"no argument", `T()`, `T()`, ""},
		{"spaces", `T (1, A ("a")); Tuple {zzz}`, `(Tuple{1, Atom ("a")}); T(zzz)`, ""},
		{"nothing to build", `x := 1 + 2; fmt.Println(x)`, `x := 1 + 2; fmt.Println(x)`, ""},
		{"a spread", `T(xs...)`, `T(xs...)`, ""},
		{"one call: maybe several values", `T(f())`, `T(f())`, ""},
		{"one call among others", `T(f(), 1)`, `(Tuple{f(), 1})`, ""},
		{"a value", `T(x)`, `(Tuple{x})`, ""},
		{"an atom of a variable", `A(s)`, `A(s)`, ""},
		{"a raw string", "A(`x`)", "Atom(`x`)", ""},
		{"a function value", `f := T; g := A`, `f := T; g := A`, ""},
		{"a method", `x.T(1); y.A("a")`, `x.T(1); y.A("a")`, ""},
		{"T declared in the input", `func T(a int) int { return a }; T(1); A("a")`, `func T(a int) int { return a }; T(1); Atom("a")`, ""},
		{"a parameter named A", `f := func(A func(string) int) { A("x") }; T(1)`, `f := func(A func(string) int) { A("x") }; (Tuple{1})`, ""},
		{"Tuple declared", `type Tuple []int; T(1)`, `type Tuple []int; T(1)`, ""},
		{"Atom declared earlier", `A("x"); T(1)`, `A("x"); (Tuple{1})`, "Atom"},
		{"T declared earlier", `T(1)`, `T(1)`, "T"},
		{"a range variable", `for _, A := range fs { A("x") }`, `for _, A := range fs { A("x") }`, ""},
		{"an unknown name", `T(x, zzz); T(x, *zzz); T(x, zzz.F)`, `T(x, zzz); T(x, *zzz); T(x, zzz.F)`, ""},
		{"an unknown name declared in the input", `zzz := 1; T(x, zzz)`, `zzz := 1; (Tuple{x, zzz})`, ""},
		{"a selected name", `T(x, y.zzz)`, `(Tuple{x, y.zzz})`, ""},
		{"a Tuple literal with an unknown name", `Tuple{x, zzz}; gerl.Tuple{zzz}`, `T(x, zzz); gerl.T(zzz)`, ""},
		{"a Tuple literal with known names", `Tuple{x, 1}; Tuple{}`, `Tuple{x, 1}; Tuple{}`, ""},
		{"a Tuple literal of a call", `Tuple{zzz()}`, `Tuple{zzz()}`, ""},
		{"a Tuple literal, Tuple declared", `type Tuple []int; _ = Tuple{zzz}`, `type Tuple []int; _ = Tuple{zzz}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			known := func(n string) bool { return n != "zzz" }
			got, _, err := RewriteTermsMap(tc.in, func(n string) bool { return n == tc.shadowed }, known)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

// The rewritten terms are the same values, and errors are still located
// in what was typed.
func TestRewrittenTermsAtThePrompt(t *testing.T) {
	ts := newTestShell(t)
	for _, tc := range []struct{ in, want string }{
		{`t := T(A("a"), 2, "s"); t`, `{a,2,"s"}`},
		{`fmt.Sprintf("%T %T", T(1), A("x"))`, `"term.Tuple term.Atom"`},
		{`T(1, 2)[1]`, `2`},
		{`T(1)[5]`, "index 5 out of range for a tuple of length 1"},
		{`x := 1`, "1"},
		{`T(x, zzz)`, "1:6: undefined: zzz"},
		{`T(x, *zzz)`, "1:7: undefined: zzz"},
		{`Tuple{x, zzz}`, "1:10: undefined: zzz"},
		{`gerl.Tuple{x, zzz}`, "1:15: undefined: zzz"},
		{`Tuple{x, 2}`, "{1,2}"},
		{`T(x, strings.ToUpper("a"), fmt.Sprint(x))`, `{1,"A","1"}`},
		{`func T(a int) int { return 2 * a }`, ``},
		{`T(21)`, `42`},
	} {
		if got := ts.eval(tc.in); !strings.Contains(got, tc.want) {
			t.Errorf("%s\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
