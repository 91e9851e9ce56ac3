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
		// a function declared with func goes into a literal of Tuple as
		// the interpreter's syntax node, so those stay (or become) calls
		{"a declared function", `func g() {}; T(g, 1); T((g)); T(1, earlier); T(x, g2)`, `func g() {}; T(g, 1); T((g)); T(1, earlier); (Tuple{x, g2})`, ""},
		{"an instance of a generic function", `func G[X any]() {}; T(G[int], 1); T(earlier[int, string])`, `func G[X any]() {}; T(G[int], 1); T(earlier[int, string])`, ""},
		{"a Tuple literal with a declared function", `func g() {}; Tuple{g, 1}; gerl.Tuple{earlier}`, `func g() {}; T(g, 1); gerl.T(earlier)`, ""},
		{"a call of a declared function, a method", `func g() int { return 1 }; T(g(), 1); T(x.g, 1)`, `func g() int { return 1 }; (Tuple{g(), 1}); (Tuple{x.g, 1})`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			known := func(n string) bool { return n != "zzz" }
			names := TermNames{
				Shadowed: func(n string) bool { return n == tc.shadowed },
				Known:    known,
				Func:     func(n string) bool { return n == "earlier" },
			}
			got, _, err := RewriteTermsMap(tc.in, names)
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
		// a function declared with func, in a tuple: a func value, not
		// the interpreter's syntax node (T(g, 1) printed its fields,
		// and sending it said "cannot send *interp.node")
		{`func g() int { return 7 }`, ``},
		{`fmt.Sprintf("%T %T", T(g, 1)[0], Tuple{g}[0])`, `"func() int func() int"`},
		{`T(g, 1)`, `{#Fun<func() int>,1}`},
		{`T(g, 1)[0].(func() int)()`, `7`},
		{`func h[X any](x X) X { return x }`, ``},
		{`Tuple{h[string]}[0].(func(string) string)("s")`, `"s"`},
		{`self() ! T(A("f"), g)`, "functions cannot be copied to another process"},
		{`func T(a int) int { return 2 * a }`, ``},
		{`T(21)`, `42`},
	} {
		if got := ts.eval(tc.in); !strings.Contains(got, tc.want) {
			t.Errorf("%s\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
