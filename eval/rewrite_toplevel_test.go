package eval

import (
	"strings"
	"testing"
)

var topLiteralCases = []struct{ in, want string }{
	{`spawn(func() { work() })`, `C(func() func() { return func() { work() } }).(func())`},
	{`spawn(func(p *Proc, n int) { p.Send(me, n) }, 1)`, `spawn(C(func() func(p *Proc, n int) { return func(p *Proc, n int) { p.Send(me, n) } }).(func(p *Proc, n int)), 1)`},
	{`for i := 0; i < 3; i++ { spawn(func() { receive() }) }`, `for i := 0; i < 3; i++ { spawn(C(func() func() { return func() { receive() } }).(func())) }`},
	{`sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })`, `sort.Slice(xs, C(func() func(i, j int) bool { return func(i, j int) bool { return xs[i] < xs[j] } }).(func(i, j int) bool))`},
	{"spawn(func(\n\tn int,\n) {\n\tuse(n)\n}, 1)", "spawn(C(func() func ( n int , ) { return func(\n\tn int,\n) {\n\tuse(n)\n} }).(func ( n int , )), 1)"},
	{`var pid = spawn(func() {})`, `var pid = spawn(C(func() func() { return func() {} }).(func()))`},
	// immediately invoked functions of one result (the loop rewrite's)
	{`spawn(func() func() { i := i; return func() { send(me, i) } }())`, `spawn(C(func() func() { i := i; return func() { send(me, i) } }).(func()))`},
	{`n := func() (n int) { return 1 }()`, `n := C(func() (n int) { return 1 }).(int)`},
	{`func() { x() }()`, `func() { x() }()`},
	{`func(a int) int { return a }(1)`, `func(a int) int { return a }(1)`},
	// untouched: not an argument, or inside a function
	{`f := func() {}`, `f := func() {}`},
	{`func() { spawn(func() {}) }()`, `func() { spawn(func() {}) }()`},
	{`run := func() { spawn(func() {}) }`, `run := func() { spawn(func() {}) }`},
	{`func run() { spawn(func() {}) }`, `func run() { spawn(func() {}) }`},
	{`x := 1 + 2`, `x := 1 + 2`},
}

func TestRewriteTopLiterals(t *testing.T) {
	for _, c := range topLiteralCases {
		got, m, err := RewriteTopLiteralsMap(c.in, "C")
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if c.in == `spawn(func() { work() })` {
			c.want = "spawn(" + c.want + ")"
		}
		if got != c.want {
			t.Errorf("%q\n got %q\nwant %q", c.in, got, c.want)
			continue
		}
		// An error inside the literal is shown where it was typed.
		if i := strings.Index(c.in, "use(n)"); i >= 0 {
			if o := m.Original(strings.Index(got, "use(n)")); o != i {
				t.Errorf("%q: use(n) maps back to %d, want %d", c.in, o, i)
			}
		}
	}
}

func FuzzRewriteTopLiterals(f *testing.F) {
	for _, c := range topLiteralCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, m, err := RewriteTopLiteralsMap(in, "C")
		if !strings.Contains(in, "func") {
			if out != in || err != nil {
				t.Fatalf("no literal, yet %q -> %q, %v", in, out, err)
			}
			return // not even parsed: prepare's earlier rewrites have
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		checkRewritten(t, in, out, m)
	})
}
