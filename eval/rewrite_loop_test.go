package eval

import (
	"fmt"
	"strings"
	"testing"
)

// loopCases are inputs and the expected FixLoopClosures outputs; an out
// starting with "error: " is the expected start of the error text instead.
var loopCases = []struct {
	name, in, out string
}{
	{"three-clause for",
		"for k := 0; k < 3; k++ { fs = append(fs, func() int { return k }) }",
		"for k := 0; k < 3; k++ { fs = append(fs, func() func() int { k := k; return func() int { return k } }()) }"},
	{"range value",
		"for _, v := range xs { fs = append(fs, func() string { return v }) }",
		"for _, v := range xs { fs = append(fs, func() func() string { v := v; return func() string { return v } }()) }"},
	{"range key and value",
		"for k, v := range m { spawn(func(p *Proc) { use(k, v, p) }) }",
		"for k, v := range m { spawn(func() func(p *Proc) { k, v := k, v; return func(p *Proc) { use(k, v, p) } }()) }"},
	{"multi-line body keeps lines",
		"for i := 0; i < 10; i++ {\n\tspawn(func(p *Proc) {\n\t\tsend(parent, i)\n\t})\n}",
		"for i := 0; i < 10; i++ {\n\tspawn(func() func(p *Proc) { i := i; return func(p *Proc) {\n\t\tsend(parent, i)\n\t} }())\n}"},
	{"body variable",
		"for i := 0; i < 3; i++ { sq := i * i; fs = append(fs, func() int { return sq }) }",
		"for i := 0; i < 3; i++ { sq := i * i; fs = append(fs, func() func() int { sq := sq; return func() int { return sq } }()) }"},
	{"v := v idiom",
		"for i := 0; i < 3; i++ { i := i; fs = append(fs, func() int { return i }) }",
		"for i := 0; i < 3; i++ { i := i; fs = append(fs, func() func() int { i := i; return func() int { return i } }()) }"},
	{"nested block variable",
		"for i := 0; i < 3; i++ { if x := i; x > 0 { fs = append(fs, func() int { return x }) } }",
		"for i := 0; i < 3; i++ { if x := i; x > 0 { fs = append(fs, func() func() int { x := x; return func() int { return x } }()) } }"},
	{"nested loops",
		"for i := 0; i < 3; i++ { for j := 0; j < 2; j++ { fs = append(fs, func() int { return i*10 + j }) } }",
		"for i := 0; i < 3; i++ { for j := 0; j < 2; j++ { fs = append(fs, func() func() int { i, j := i, j; return func() int { return i*10 + j } }()) } }"},
	{"go literal is bound first",
		"for _, v := range xs { go func() { ch <- v }() }",
		"for _, v := range xs { { _gerlFn := func() func() { v := v; return func() { ch <- v } }(); go _gerlFn() } }"},
	{"defer literal with args",
		"func f() { for i := 0; i < 3; i++ { defer func(x int) { ch <- i + x }(1) } }",
		"func f() { for i := 0; i < 3; i++ { { _gerlFn := func() func(x int) { i := i; return func(x int) { ch <- i + x } }(); defer _gerlFn(1) } } }"},
	{"go literal in parens",
		"for i := 0; i < 3; i++ { go (func() { use(i) })() }",
		"for i := 0; i < 3; i++ { { _gerlFn := (func() func() { i := i; return func() { use(i) } }()); go _gerlFn() } }"},
	{"go with a literal argument",
		"for i := 0; i < 3; i++ { go run(func() { use(i) }) }",
		"for i := 0; i < 3; i++ { go run(func() func() { i := i; return func() { use(i) } }()) }"},
	{"invoked literal",
		"for i := 0; i < 3; i++ { func() { use(i) }() }",
		"for i := 0; i < 3; i++ { func() func() { i := i; return func() { use(i) } }()() }"},
	{"literal in a literal in the loop",
		"for i := 0; i < 3; i++ { f := func() func() int { return func() int { return i } }; _ = f }",
		"for i := 0; i < 3; i++ { f := func() func() func() int { i := i; return func() func() int { return func() int { return i } } }(); _ = f }"},
	{"loop inside a literal inside a loop",
		"for i := range xs { f := func() { for j := range ys { g := func() { use(i, j) }; _ = g } }; _ = f }",
		"for i := range xs { f := func() func() { i := i; return func() { for j := range ys { g := func() func() { j := j; return func() { use(i, j) } }(); _ = g } } }(); _ = f }"},
	{"multi-line type",
		"func g() {\n\tfor i := 0; i < 3; i++ {\n\t\tgo func(\n\t\t\ta int, // the arg\n\t\t) {\n\t\t\tuse(i, a)\n\t\t}(1)\n\t}\n}",
		"func g() {\n\tfor i := 0; i < 3; i++ {\n\t\t{ _gerlFn := func() func ( a int , ) { i := i; return func(\n\t\t\ta int, // the arg\n\t\t) {\n\t\t\tuse(i, a)\n\t\t} }(); go _gerlFn(1) }\n\t}\n}"},
	{"go keyword on its own line",
		"for i := 0; i < 3; i++ {\n\tgo\n\tfunc() { use(i) }()\n}",
		"for i := 0; i < 3; i++ {\n\t{ _gerlFn := \nfunc() func() { i := i; return func() { use(i) } }(); go _gerlFn() }\n}"},
	{"results",
		"for i := 0; i < 3; i++ { fs = append(fs, func(a, b int) (s string, err error) { return fmt.Sprint(a + b + i), nil }) }",
		"for i := 0; i < 3; i++ { fs = append(fs, func() func(a, b int) (s string, err error) { i := i; return func(a, b int) (s string, err error) { return fmt.Sprint(a + b + i), nil } }()) }"},
	{"header write before the body is fine",
		"for i := 0; i < 3; i += step { fs = append(fs, func() int { return i }) }",
		"for i := 0; i < 3; i += step { fs = append(fs, func() func() int { i := i; return func() int { return i } }()) }"},
	{"write before the literal is fine",
		"for i := 0; i < 3; i++ { x := i; x++; fs = append(fs, func() int { return x }) }",
		"for i := 0; i < 3; i++ { x := i; x++; fs = append(fs, func() func() int { x := x; return func() int { return x } }()) }"},
	{"map literal key is a variable",
		"for _, p := range ps { spawn(func() { _ = map[string]int{p: 1} }) }",
		"for _, p := range ps { spawn(func() func() { p := p; return func() { _ = map[string]int{p: 1} } }()) }"},
	{"in a method",
		"func (s *S) Start() {\n\tfor _, p := range s.peers {\n\t\tgo func() { s.ping(p) }()\n\t}\n}",
		"func (s *S) Start() {\n\tfor _, p := range s.peers {\n\t\t{ _gerlFn := func() func() { p := p; return func() { s.ping(p) } }(); go _gerlFn() }\n\t}\n}"},
	{"mixed declarations and statements",
		"func f() {}\nfor i := 0; i < 2; i++ { defer func() { use(i) }() }\nf()",
		"func f() {}\nfor i := 0; i < 2; i++ { { _gerlFn := func() func() { i := i; return func() { use(i) } }(); defer _gerlFn() } }\nf()"},
	{"type switch variable",
		"for _, x := range xs { switch y := x.(type) { case int: fs = append(fs, func() int { return y }) } }",
		"for _, x := range xs { switch y := x.(type) { case int: fs = append(fs, func() func() int { y := y; return func() int { return y } }()) } }"},
	{"select variable",
		"for { select { case v := <-ch: go func() { use(v) }() } }",
		"for { select { case v := <-ch: { _gerlFn := func() func() { v := v; return func() { use(v) } }(); go _gerlFn() } } }"},

	// Left alone.
	{"outer variable shared", "n := 0\nfor i := 0; i < 3; i++ { fs = append(fs, func() { n++ }) }",
		"n := 0\nfor i := 0; i < 3; i++ { fs = append(fs, func() { n++ }) }"},
	{"own parameter", "for i := 0; i < 3; i++ { spawn(func(i int) { use(i) }, i) }",
		"for i := 0; i < 3; i++ { spawn(func(i int) { use(i) }, i) }"},
	{"own local", "for i := 0; i < 3; i++ { f := func() int { i := 5; return i }; _ = f }",
		"for i := 0; i < 3; i++ { f := func() int { i := 5; return i }; _ = f }"},
	{"shadowed in a block", "for i := 0; i < 3; i++ { f := func() int { { i := 1; return i } }; _ = f }",
		"for i := 0; i < 3; i++ { f := func() int { { i := 1; return i } }; _ = f }"},
	{"range expression is outside", "for i := 0; i < 3; i++ { xs := f(); for range xs { g(func() { println(len(xs)) }) }; _ = i }",
		"for i := 0; i < 3; i++ { xs := f(); for range xs { g(func() func() { xs := xs; return func() { println(len(xs)) } }()) }; _ = i }"},
	{"const in loop", "for i := 0; i < 3; i++ { const c = 2; fs = append(fs, func() int { return c }) }",
		"for i := 0; i < 3; i++ { const c = 2; fs = append(fs, func() int { return c }) }"},
	{"struct field key", "for _, p := range ps { spawn(func() { Msg{p: 1}.Send() }) }",
		"for _, p := range ps { spawn(func() { Msg{p: 1}.Send() }) }"},
	{"selector is not a variable", "for _, p := range ps { spawn(func() { x.p = 1 }) }",
		"for _, p := range ps { spawn(func() { x.p = 1 }) }"},
	{"no loop", "x := 1\nf := func() int { return x }", "x := 1\nf := func() int { return x }"},
	{"literal outside the loop", "f := func() {}\nfor i := 0; i < 3; i++ { f() }", "f := func() {}\nfor i := 0; i < 3; i++ { f() }"},
	{"empty", "", ""},

	// Refused.
	{"closure writes", "for i := 0; i < 3; i++ {\n\ttotal := 0\n\tspawn(func() { total++ })\n}",
		"error: line 3:17: this closure writes loop variable total, which the interpreter cannot give each iteration its own copy of; pass it as an argument instead (spawn(f, total)) or declare it outside the loop"},
	{"closure assigns", "for i := 0; i < 3; i++ { fs = append(fs, func() { i = 7 }) }",
		"error: line 1:51: this closure writes loop variable i,"},
	{"closure op-assigns field", "for _, s := range ss { fs = append(fs, func() { s.n += 1 }) }",
		"error: line 1:49: this closure writes loop variable s,"},
	{"closure takes address", "for _, s := range ss { fs = append(fs, func() { p := &s; _ = p }) }",
		"error: line 1:54: this closure takes the address of loop variable s,"},
	{"nested closure writes", "for i := 0; i < 3; i++ { f := func() { g := func() { i-- }; g() }; _ = f }",
		"error: line 1:54: this closure writes loop variable i,"},
	{"changed after", "for i := 0; i < 3; i++ { x := i; fs = append(fs, func() int { return x }); x++ }",
		"error: line 1:76: loop variable x changes here after the closure at line 1:50 is created in the same iteration"},
	{"changed after in a later statement", "for i := 0; i < 3; i++ {\n\tx := i\n\tspawn(func() { use(x) })\n\tif cond {\n\t\tx = 0\n\t}\n}",
		"error: line 5:3: loop variable x changes here after the closure at line 3:8"},
	{"changed in an inner loop", "for i := 0; i < 3; i++ { x := 0; for j := 0; j < 2; j++ { x++; fs = append(fs, func() int { return x }) } }",
		"error: line 1:59: loop variable x changes here after the closure at line 1:80"},
	{"changed by an inner loop header", "for i := 0; i < 3; i++ { x := 0; for ; x < 2; x++ { fs = append(fs, func() int { return x }) } }",
		"error: line 1:47: loop variable x changes here after the closure at line 1:69"},
	{"redeclared after", "for i := 0; i < 3; i++ { x, err := 1, e; fs = append(fs, func() int { return x }); x, err2 := 2, e; _, _ = err, err2 }",
		"error: line 1:84: loop variable x changes here"},
	{"recursive closure", "for i := 0; i < 3; i++ {\n\tvar walk func(n int)\n\twalk = func(n int) { if n > 0 { walk(n - i) } }\n}",
		"error: line 3:2: loop variable walk changes here after the closure at line 3:9"},
	{"assigned before, in the same statement", "for i := 0; i < 3; i++ { x := 0; x, f := 1, func() int { return x }; _ = f }",
		"error: line 1:34: loop variable x changes here after the closure at line 1:45"},
	{"address taken in the loop", "for i := 0; i < 3; i++ { p := &i; f := func() int { return i }; _, _ = p, f }",
		"error: line 1:31: this takes the address of loop variable i, which the closure at line 1:40 uses"},
	{"range assigns", "var k int\nfor i := 0; i < 3; i++ { x := 0; for x = range ys { fs = append(fs, func() int { return x }) }; _ = k }",
		"error: line 2:38: loop variable x changes here"},
	{"syntax error", "for i := 0; i < 3; i++ {\n\tx := )\n}", "error: line 2:7: expected operand, found ')'"},
	{"send not rewritten", "for {\n\tp ! 1\n}", "error: line 2:4: expected ';', found '!'"},
}

func TestFixLoopClosures(t *testing.T) {
	for _, c := range loopCases {
		t.Run(c.name, func(t *testing.T) {
			out, changed, err := FixLoopClosures(c.in)
			if want, ok := strings.CutPrefix(c.out, "error: "); ok {
				if err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("FixLoopClosures(%q) = %q, %v; want error %q", c.in, out, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("FixLoopClosures(%q): %v", c.in, err)
			}
			if out != c.out || changed != (c.in != c.out) {
				t.Fatalf("FixLoopClosures(%q) =\n%q, %v; want\n%q, %v", c.in, out, changed, c.out, c.in != c.out)
			}
			if strings.Count(out, "\n") != strings.Count(c.in, "\n") {
				t.Fatalf("line count changed")
			}
		})
	}
}

func TestFixLoopClosuresOffsets(t *testing.T) {
	src := "for i := 0; i < 3; i++ {\n\tgo func() { use(i, nope) }()\n}"
	out, m, err := FixLoopClosuresMap(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"nope", "use(", "for i", "\n}"} {
		o := m.Original(strings.Index(out, sub))
		if !strings.HasPrefix(src[o:], sub) {
			t.Errorf("%q in the output maps to %q", sub, src[o:])
		}
	}
	// Inserted text maps to the literal it belongs to.
	if o := m.Original(strings.Index(out, "_gerlFn :=")); o != strings.Index(src, "go func") {
		t.Errorf("inserted binding maps to %q", src[o:])
	}
}

// TestFixLoopClosuresInYaegi evaluates programs that create closures in
// loops, before and after the rewrite, in a real yaegi interpreter: before,
// the closures share the loop variables; after, each has its own.
func TestFixLoopClosuresInYaegi(t *testing.T) {
	// Names used here are not reused by the programs: yaegi v0.16.1 treats a
	// top-level variable redeclared in an inner block as the same variable.
	const collect = "\nr := []int{}\nfor ci := 0; ci < len(fs); ci++ {\n\tr = append(r, fs[ci]())\n}\nfmt.Sprint(r)"
	const drain = "\nr := []int{}\nfor ci := 0; ci < 10; ci++ {\n\tr = append(r, <-ch)\n}\nsort.Ints(r)\nfmt.Sprint(r)"
	cases := []struct {
		name, src, want string
		sharedBefore    bool // yaegi gets it wrong without the rewrite
	}{
		{"three-clause for",
			"import \"fmt\"\nvar fs []func() int\nfor i := 0; i < 10; i++ {\n\tfs = append(fs, func() int { return i })\n}" + collect,
			"[0 1 2 3 4 5 6 7 8 9]", true},
		{"range over slice",
			"import \"fmt\"\nvar fs []func() int\nxs := []int{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}\nfor _, x := range xs {\n\tfs = append(fs, func() int { return x })\n}" + collect,
			"[10 11 12 13 14 15 16 17 18 19]", true},
		{"range over map keys sorted",
			"import (\"fmt\"; \"sort\")\nm := map[int]bool{}\nfor k := 0; k < 10; k++ {\n\tm[k*k] = true\n}\nvar fs []func() int\nfor key := range m {\n\tfs = append(fs, func() int { return key })\n}" +
				"\nr := []int{}\nfor ci := 0; ci < len(fs); ci++ {\n\tr = append(r, fs[ci]())\n}\nsort.Ints(r)\nfmt.Sprint(r)",
			"[0 1 4 9 16 25 36 49 64 81]", true},
		{"nested loops",
			"import \"fmt\"\nvar fs []func() int\nfor i := 0; i < 2; i++ {\n\tfor j := 0; j < 5; j++ {\n\t\tfs = append(fs, func() int { return i*10 + j })\n\t}\n}" + collect,
			"[0 1 2 3 4 10 11 12 13 14]", true},
		{"body variable",
			"import \"fmt\"\nvar fs []func() int\nfor i := 0; i < 10; i++ {\n\tsq := i * i\n\tfs = append(fs, func() int { return sq })\n}" + collect,
			"[0 1 4 9 16 25 36 49 64 81]", false},
		{"v := v idiom in a function",
			"import \"fmt\"\nfunc mk() []func() int {\n\tvar fs []func() int\n\tfor i := 0; i < 10; i++ {\n\t\ti := i\n\t\tfs = append(fs, func() int { return i })\n\t}\n\treturn fs\n}\nfs := mk()" + collect,
			"[0 1 2 3 4 5 6 7 8 9]", false},
		{"type switch variable",
			"import \"fmt\"\nvar fs []func() int\nfunc mk() {\n\tfor _, v := range []any{0, 1, 2, 3, 4, 5, 6, 7, 8, 9} {\n\t\tswitch y := v.(type) {\n\t\tcase int:\n\t\t\tfs = append(fs, func() int { return y })\n\t\t}\n\t}\n}\nmk()" + collect,
			"[0 1 2 3 4 5 6 7 8 9]", true},
		{"select variable",
			"import \"fmt\"\nvar fs []func() int\nfunc mk() {\n\tsrc := make(chan int, 10)\n\tfor k := 0; k < 10; k++ {\n\t\tsrc <- k\n\t}\n\tfor k := 0; k < 10; k++ {\n\t\tselect {\n\t\tcase v := <-src:\n\t\t\tfs = append(fs, func() int { return v })\n\t\t}\n\t}\n}\nmk()" + collect,
			"[0 1 2 3 4 5 6 7 8 9]", true},
		{"outer counter stays shared",
			"import \"fmt\"\nvar fs []func() int\ncount := 0\nfor i := 0; i < 10; i++ {\n\tfs = append(fs, func() int { count++; return count*100 + i })\n}" + collect,
			"[100 201 302 403 504 605 706 807 908 1009]", true},
		{"goroutines",
			"import (\"fmt\"; \"sort\")\nch := make(chan int, 10)\nstart := make(chan bool)\nfor i := 0; i < 10; i++ {\n\tgo func() {\n\t\t<-start\n\t\tch <- i\n\t}()\n}\nclose(start)" + drain,
			"[0 1 2 3 4 5 6 7 8 9]", true},
		{"deferred in a function",
			"import (\"fmt\"; \"sort\")\nch := make(chan int, 10)\nfunc run(ch chan int) {\n\tfor i := 0; i < 10; i++ {\n\t\tdefer func() { ch <- i }()\n\t}\n}\nrun(ch)" + drain,
			"[0 1 2 3 4 5 6 7 8 9]", true},
		{"deferred with a body variable",
			"import (\"fmt\"; \"sort\")\nch := make(chan int, 10)\nfunc run(ch chan int) {\n\tfor i := 0; i < 10; i++ {\n\t\tx := i\n\t\tdefer func() { ch <- x }()\n\t}\n}\nrun(ch)" + drain,
			"[0 1 2 3 4 5 6 7 8 9]", true},
		{"spawn with sends",
			"import (\"fmt\"; \"sort\")\ntype Proc struct{ id int }\nfunc send(to chan int, m int) int { to <- m; return m }\n" +
				"func spawn(f func(p *Proc)) { go f(&Proc{}) }\nparent := make(chan int, 10)\nstart := make(chan bool)\n" +
				"for i := 0; i < 10; i++ {\n\tspawn(func(p *Proc) {\n\t\t<-start\n\t\tparent ! i * 2\n\t})\n}\nclose(start)\nch := parent" + drain,
			"[0 2 4 6 8 10 12 14 16 18]", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plain, _, err := RewriteSend(c.src, "send")
			if err != nil {
				t.Fatal(err)
			}
			fixed, changed, err := FixLoopClosures(plain)
			if err != nil || !changed {
				t.Fatalf("FixLoopClosures: %v, changed %v", err, changed)
			}
			v, err := evalSegments(t, newYaegi(t), fixed)
			if err != nil {
				t.Fatalf("%s\n%v", fixed, err)
			}
			if got := fmt.Sprint(v); got != c.want {
				t.Errorf("after the rewrite got %s, want %s\n%s", got, c.want, fixed)
			}
			if !c.sharedBefore {
				return
			}
			// The same program without the rewrite: the closures share.
			v, err = evalSegments(t, newYaegi(t), plain)
			if err == nil && fmt.Sprint(v) == c.want {
				t.Errorf("without the rewrite yaegi already gives %s; is the rewrite still needed?", c.want)
			}
		})
	}
}

func FuzzFixLoopClosures(f *testing.F) {
	for _, c := range loopCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, m, err := FixLoopClosuresMap(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		if len(m.stages) == 0 {
			if out != in {
				t.Fatalf("unchanged but %q != %q", out, in)
			}
			return
		}
		checkRewritten(t, in, out, m)
	})
}

func ExampleFixLoopClosures() {
	src := "for i := 0; i < 10; i++ {\n\tspawn(func(p *Proc) {\n\t\tgerl.Send(parent, i)\n\t})\n}"
	out, changed, err := FixLoopClosures(src)
	fmt.Println(changed, err)
	fmt.Println(out)
	// Output:
	// true <nil>
	// for i := 0; i < 10; i++ {
	// 	spawn(func() func(p *Proc) { i := i; return func(p *Proc) {
	// 		gerl.Send(parent, i)
	// 	} }())
	// }
}
