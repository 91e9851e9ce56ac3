package eval

import (
	"strings"
	"testing"
)

// guardTestNames are short names, so the cases read.
var guardTestNames = GuardNames{Enter: "E", Tick: "T", Counter: "n", Top: "top", Safe: func(name string) bool { return name == "B" }}

const tickText = "n++; if n > 127 { n = 0; T() };"

var guardCases = []struct{ in, want string }{
	// a function that calls another: an entry check, named
	{`func f(n int) int { return f(n+1) }`, `func f(n int) int {E("f"); return f(n+1) }`},
	{`func (t *T) M() { t.M() }`, `func (t *T) M() {E("(*T).M"); t.M() }`},
	{`func (t T) String() string { return fmt.Sprint(t) }`, `func (t T) String() string {E("T.String"); return fmt.Sprint(t) }`},
	{`func (l List[T]) Len() int { return l.next.Len() + 1 }`, `func (l List[T]) Len() int {E("List.Len"); return l.next.Len() + 1 }`},
	// literals take the name they are assigned to, or where they are
	{`var loop func(); loop = func() { loop() }`, `var loop func(); loop = func() {E("loop"); loop() }`},
	{`f := func() { g() }`, `f := func() {E("f"); g() }`},
	{`var h = func() { g() }`, `var h = func() {E("h"); g() }`},
	{`s.handler = func() { g() }`, `s.handler = func() {E("s.handler"); g() }`},
	{`m := map[string]func(){"run": func() { g() }}`, `m := map[string]func(){"run": func() {E("run"); g() }}`},
	{"spawn(func() {\n\tg()\n})", "spawn(func() {E(\"fun at line 1\");\n\tg()\n})"},
	{`func outer() { defer func() { g() }() }`, `func outer() {E("outer"); defer func() {E("fun in outer at line 1"); g() }() }`},
	// leaves: built-ins, conversions and safe calls only
	{`func add(a, b int) int { return a + b }`, `func add(a, b int) int { return a + b }`},
	{`func f(s []int) int { return len(append(s, int(3.0))) + cap([]byte("x")) }`, `func f(s []int) int { return len(append(s, int(3.0))) + cap([]byte("x")) }`},
	{`func f() { B(1, 2) }`, `func f() { B(1, 2) }`},
	{`less := func(i, j int) bool { return s[i] < s[j] }`, `less := func(i, j int) bool { return s[i] < s[j] }`},
	// a conversion to a type gerl cannot see is a call, to be safe
	{`func f(x int) MyInt { return MyInt(x) }`, `func f(x int) MyInt {E("f"); return MyInt(x) }`},
	// loops: a local counter, a tick every 128 iterations
	{`func f() { for { k++ } }`, `func f() {var n int; for {` + tickText + ` k++ } }`},
	{`func f(xs []int) { for _, x := range xs { use(x) } }`, `func f(xs []int) {E("f"); var n int; for _, x := range xs {` + tickText + ` use(x) } }`},
	{`func f() { for i := 0; i < 3; i++ { for {} } }`, `func f() {var n int; for i := 0; i < 3; i++ {` + tickText + ` for {` + tickText + `} } }`},
	{"func f() {\nL:\n\tk++\n\tgoto L\n}", "func f() {var n int;\nL:\n\tk++\n\t" + tickText + " goto L\n}"},
	// statements outside any function count with the caller's global
	{`for { k++ }`, `for {top++; if top > 127 { top = 0; T() }; k++ }`},
	{`p := spawn(func() { for { k++ } })`, `p := spawn(func() {var n int; for {` + tickText + ` k++ } })`},
	// a loop at the prompt that makes closures runs in a function of its own
	{`for i := 0; i < 3; i++ { spawn(func() { g() }) }`, `{ func() { for i := 0; i < 3; i++ {top++; if top > 127 { top = 0; T() }; spawn(func() {E("fun at line 1"); g() }) } }() }`},
	{`L: for { go func() {}() }`, `{ func() { L: for {top++; if top > 127 { top = 0; T() }; go func() {}() } }() }`},
	// nested literals are functions of their own
	{`func f() { go func() { for {} }() }`, `func f() {E("f"); go func() {var n int; for {` + tickText + `} }() }`},
	// untouched
	{`x := 1; y := x + 2`, `x := 1; y := x + 2`},
	{`g()`, `g()`},
	{`s := "func f() { f() }" // for {}`, `s := "func f() { f() }" // for {}`},
	{`type T struct{ f func() }`, `type T struct{ f func() }`},
}

func TestRewriteGuards(t *testing.T) {
	for _, c := range guardCases {
		got, m, err := RewriteGuardsMap(c.in, guardTestNames)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q\n got %q\nwant %q", c.in, got, c.want)
			continue
		}
		checkRewritten(t, c.in, got, m)
	}
}

func TestRewriteGuardsFile(t *testing.T) {
	src := "package counter\n\nfunc Loop(n int) {\n\tfor {\n\t\tLoop(n + 1)\n\t}\n}\n"
	got, _, err := RewriteGuardsMap(src, GuardNames{Enter: "g.Enter", Tick: "g.Tick", Counter: "__n", Prefix: "counter."})
	if err != nil {
		t.Fatal(err)
	}
	want := "package counter\n\nfunc Loop(n int) {g.Enter(\"counter.Loop\"); var __n int;\n\tfor {__n++; if __n > 127 { __n = 0; g.Tick() };\n\t\tLoop(n + 1)\n\t}\n}\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Errors are located in the user's text, not in the inserted checks.
func TestRewriteGuardsMapsPositions(t *testing.T) {
	src := "func f() { g(); bad }"
	out, m, err := RewriteGuardsMap(src, guardTestNames)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Original(strings.Index(out, "bad")); got != strings.Index(src, "bad") {
		t.Errorf("bad is at %d of the input, mapped to %d", strings.Index(src, "bad"), got)
	}
}

func TestHideGuards(t *testing.T) {
	in := `func f() {__gerl_enter("f"); var __gerl_n int; for {__gerl_n++; if __gerl_n > 127 { __gerl_n = 0; __gerl_tick() }; k++ } }`
	if got, want := hideGuards(in), `func f() { for { k++ } }`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func FuzzRewriteGuards(f *testing.F) {
	for _, c := range guardCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, m, err := RewriteGuardsMap(in, guardTestNames)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		if !strings.Contains(in, "func") && !strings.Contains(in, "for") && !strings.Contains(in, "goto") && out != in {
			t.Fatalf("no function and no loop, yet %q -> %q", in, out)
		}
		checkRewritten(t, in, out, m)
	})
}
