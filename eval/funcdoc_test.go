package eval

import "testing"

// TestFuncDoc: h("pkg.Fun") shows the signature and doc comment of a
// standard package's function (from Go's sources) or a module's, and says
// clearly what is wrong with a name it cannot document.
func TestFuncDoc(t *testing.T) {
	ts := newTestShell(t)
	ts.env.SetModuleSource("greet", map[string]string{
		"b.go": "package greet\n\n// Hello says hello\n// to name.\nfunc Hello(name string) string { self() ! name; return name }\n",
		"a.go": "package greet\n\nfunc Pick[T any](xs []T, i int) T { return xs[i] }\n\nfunc (g G) Method() {}\n\ntype G int\n",
	})
	for _, c := range []struct{ in, want, out string }{
		{`h("strings.ToUpper")`, "ok", "func strings.ToUpper(s string) string\n    ToUpper returns s with all Unicode letters mapped to their upper case.\n"},
		{`h(strings.ToUpper)`, "ok", "func strings.ToUpper(s string) string\n    ToUpper returns s with all Unicode letters mapped to their upper case.\n"},
		{`h(utf8.RuneLen)`, "ok", "func unicode/utf8.RuneLen(r rune) int\n    RuneLen returns the number of bytes in the UTF-8 encoding of the rune.\n    It returns -1 if the rune is not a valid value to encode in UTF-8.\n"},
		{`h("os.Getpid")`, "ok", "func os.Getpid() int\n    Getpid returns the process id of the caller.\n"},
		{`h("unicode/utf8.RuneLen")`, "ok", "func unicode/utf8.RuneLen(r rune) int\n    RuneLen returns the number of bytes in the UTF-8 encoding of the rune.\n    It returns -1 if the rune is not a valid value to encode in UTF-8.\n"},
		{`h("greet.Hello")`, "ok", "func greet.Hello(name string) string\n    Hello says hello\n    to name.\n"},
		{`h("greet.Pick")`, "ok", "func greet.Pick[T any](xs []T, i int) T\n    (no doc comment)\n"},
		{`h("greet.Method")`, "error", "module greet has no function Method\n"},
		{`h("strings.Nope")`, "error", "package strings has no function Nope\n"},
		{`h("strings.Builder")`, "error", "strings.Builder is not a function; h documents functions\n"},
		{`h("nope.Nope")`, "error", "no module or standard package named nope (a module is documented once loaded: c, l or nl)\n"},
		{`h("no/such.Fun")`, "error", "no module or standard package named no/such\n"},
		{`h("nope")`, "error", "no built-in named nope; help() lists the built-ins, h(\"mod.Fun\") documents a function of a module or a standard package\n"},
		{`h("strings.")`, "error", "no built-in named strings.; help() lists the built-ins, h(\"mod.Fun\") documents a function of a module or a standard package\n"},
		{`h(3)`, "error", "no documentation for that value; help() lists the built-ins, h(\"gerl.Spawn\") documents the gerl API, h(\"mod.Fun\") a function of a module or a standard package\n"},
		// Built-ins and the gerl API keep their own documentation.
		{`h("cancel_timer")`, "ok", "cancel_timer(ref) bool\n    stop a timer; true if it was still running\n"},
		{`h("f")`, "ok", "f() / f(\"x\", ...)\n    forget every variable of the shell, or the ones named\n" +
			"    As erl's f() and f(X): the name is free to bind again, with any type. Functions typed\n" +
			"    earlier that use a forgotten variable keep its last value. An input that fails binds nothing:\n" +
			"    after x := g() fails, x is as it was before, or undefined.\n"},
	} {
		ts.out.Reset()
		if got := ts.eval(c.in); got != c.want {
			t.Errorf("%s => %s, want %s", c.in, got, c.want)
		}
		if out := ts.out.String(); out != c.out {
			t.Errorf("%s printed %q, want %q", c.in, out, c.out)
		}
	}
}
