package eval

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go/token"

	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

func TestIncomplete(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		// More lines can complete these.
		{"func f() {", true},
		{"f(", true},
		{"x := []int{", true},
		{"x := []int{\n\t1,\n\t2,", true},
		{"s := `abc", true},
		{"s := `abc\ndef", true},
		{"/* a comment", true},
		{"x := 1 +", true},
		{"x := 1 +\n", true},
		{"a &&", true},
		{"f(a,", true},
		{"x, y :=", true},
		{"x :=", true},
		{"x =", true},
		{"n +=", true},
		{"x.", true},
		{"ch <-", true},
		{"pid !", true},
		{"x := !", true},
		{"func f() int", true},
		{"func (t T) M()", true},
		{"if x {", true},
		{"if x {\n} else {", true},
		{"for i := 0; i < 3; i++ {\n\tfmt.Println(i)", true},
		{"switch {\ncase x:", true},
		{"type T struct", true},
		{"var x map[string]", false},
		{"import (", true},
		{"import (\n\t\"fmt\"", true},
		{"go", true},
		{"L:", true},
		{"spawn(func(p *Proc) {\n\tparent ! p.Self()", true},

		// Complete.
		{"", false},
		{"  \n", false},
		{"// just a comment", false},
		{"x := 1", false},
		{"x := 1 // comment", false},
		{"f()", false},
		{"x++", false},
		{"return", false},
		{"func f() {}", false},
		{"func f() int {\n\treturn 1\n}", false},
		{"if x {\n} else {\n}", false},
		{"import \"fmt\"", false},
		{"pid ! msg", false},
		{"s := `a\nb`", false},
		{"func f(xs ...int)", true},

		// Errors that more lines cannot fix.
		{`s := "abc`, false},
		{`r := 'a`, false},
		{"x := )", false},
		{"f(]", false},
		{"}", false},
		{"x := 1 1", false},
		{"x := 1 @", false},
		{"if x {} else", true},
		{"! ", true},
	}
	for _, c := range cases {
		if got := Incomplete(c.in); got != c.want {
			t.Errorf("Incomplete(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestSplit(t *testing.T) {
	type seg struct {
		kind   SegmentKind
		text   string
		offset int
	}
	cases := []struct {
		name string
		in   string
		want []seg
		err  string
	}{
		{"empty", "", nil, ""},
		{"comment only", "// nothing", nil, ""},
		{"open comment", "x := 1 /* more", nil, "line 1:8: comment not terminated"},
		{"only an open comment", "/* more", nil, "line 1:1: comment not terminated"},
		{"statements", "x := 1\ny := x", []seg{{Stmts, "x := 1\ny := x", 0}}, ""},
		{"func", "func f() int { return 1 }", []seg{{Decl, "func f() int { return 1 }", 0}}, ""},
		{"brief example", "var a = 1; func f() int { return a }; f()", []seg{
			{Stmts, "var a = 1; ", 0},
			{Decl, "func f() int { return a }; ", 11},
			{Stmts, "f()", 38},
		}, ""},
		{"two funcs", "func a() {}\nfunc b() {}\nb()", []seg{
			{Decl, "func a() {}\nfunc b() {}\n", 0},
			{Stmts, "b()", 24},
		}, ""},
		{"method", "type T int\nfunc (t T) M() int { return int(t) }\nT(2).M()", []seg{
			{Stmts, "type T int\n", 0},
			{Decl, "func (t T) M() int { return int(t) }\n", 11},
			{Stmts, "T(2).M()", 48},
		}, ""},
		{"generic func", "func Map[T any](xs []T) {}", []seg{{Decl, "func Map[T any](xs []T) {}", 0}}, ""},
		{"func literal statement", "func() { f() }()", []seg{{Stmts, "func() { f() }()", 0}}, ""},
		{"literal with params", "func(x int) int { return x }(1)", []seg{{Stmts, "func(x int) int { return x }(1)", 0}}, ""},
		{"literal with receiver-like params", "func (x int) { g(x) }(1)", []seg{{Stmts, "func (x int) { g(x) }(1)", 0}}, ""},
		{"imports first", "x := 1\nimport \"fmt\"\nfmt.Println(x)", []seg{
			{Decl, "import \"fmt\"\n", 7},
			{Stmts, "x := 1\n", 0},
			{Stmts, "fmt.Println(x)", 20},
		}, ""},
		{"adjacent imports", "import \"fmt\"; import (\n\t\"os\"\n)\nos.Exit(0)", []seg{
			{Decl, "import \"fmt\"; import (\n\t\"os\"\n)\n", 0},
			{Stmts, "os.Exit(0)", 31},
		}, ""},
		{"separate imports", "import \"fmt\"\nf()\nimport \"os\"", []seg{
			{Decl, "import \"fmt\"\n", 0},
			{Decl, "import \"os\"", 17},
			{Stmts, "f()\n", 13},
		}, ""},
		{"var then statements", "var x int; x = 5", []seg{
			{Stmts, "var x int; ", 0},
			{Stmts, "x = 5", 11},
		}, ""},
		{"declarations only", "const c = 1; type T int; var v T", []seg{{Stmts, "const c = 1; type T int; var v T", 0}}, ""},
		{"var after statement", "x := 1; var y = x", []seg{{Stmts, "x := 1; var y = x", 0}}, ""},
		{"doc comment", "x := 1\n// f doubles\nfunc f() {}", []seg{
			{Stmts, "x := 1\n// f doubles\n", 0},
			{Decl, "func f() {}", 20},
		}, ""},
		{"multi-line func", "func f(\n\ta int,\n) int {\n\treturn a\n}\nf(1)", []seg{
			{Decl, "func f(\n\ta int,\n) int {\n\treturn a\n}\n", 0},
			{Stmts, "f(1)", 36},
		}, ""},
		{"whole file", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(1) }\n", []seg{
			{Decl, "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(1) }\n", 0},
		}, ""},
		{"whole file with a statement", "package main\nx := 1", nil, "line 2:1: expected declaration, found x"},
		{"syntax error", "x := 1\nfunc f( {", nil, "line 2:9: expected ')', found '{'"},
		{"stray paren", "x := )", nil, "line 1:6: expected operand, found ')'"},
		{"stray brace", "x := 1\n}; func g() {", nil, "line 2:1: unexpected }"},
		{"error in statements", "x := 1\ny := 2 + / 3\n", nil, "line 2:10: expected operand, found '/'"},
		{"error at end", "for {", nil, "line 1:6: expected '}', found 'EOF'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			segs, err := Split(c.in)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("Split(%q) error = %v, want %q", c.in, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Split(%q): %v", c.in, err)
			}
			var got []seg
			for _, s := range segs {
				got = append(got, seg{s.Kind, s.Text, s.Offset})
				if c.in[s.Offset:s.Offset+len(s.Text)] != s.Text {
					t.Errorf("segment %q is not the input at offset %d", s.Text, s.Offset)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Split(%q) =\n%v\nwant\n%v", c.in, got, c.want)
			}
		})
	}
}

func TestSegmentInputOffset(t *testing.T) {
	cases := []struct {
		seg       Segment
		line, col int
		want      int
	}{
		{Segment{Stmts, "f()", 30}, 1, 28, 30},
		{Segment{Stmts, "x := 1\ny := z", 10}, 2, 6, 22},
		{Segment{Stmts, "var x = z", 0}, 1, 22, 8},
		{Segment{Decl, "func f() { z }", 5}, 1, 25, 16},
		{Segment{Decl, "import \"fmt\"", 5}, 1, 14, 5},
		{Segment{Stmts, "func() { z }()", 0}, 1, 37, 8}, // after stmtsText's ";"
		{Segment{Stmts, "x", 0}, 1, 1, 0},               // a column inside the prefix clamps to the start
	}
	for _, c := range cases {
		if got := c.seg.InputOffset(c.line, c.col); got != c.want {
			t.Errorf("%+v.InputOffset(%d, %d) = %d, want %d", c.seg, c.line, c.col, got, c.want)
		}
	}
}

func TestLineCol(t *testing.T) {
	src := "ab\ncd\n"
	for _, c := range []struct{ off, line, col int }{
		{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {6, 3, 1}, {99, 3, 1}, {-1, 1, 1},
	} {
		if l, col := LineCol(src, c.off); l != c.line || col != c.col {
			t.Errorf("LineCol(%d) = %d:%d, want %d:%d", c.off, l, col, c.line, c.col)
		}
	}
}

// newYaegi returns a fresh interpreter with the standard library.
func newYaegi(t *testing.T) *yaegi.Interpreter {
	t.Helper()
	i := yaegi.New(yaegi.Options{})
	if err := i.Use(stdlib.Symbols); err != nil {
		t.Fatal(err)
	}
	return i
}

// eval runs src in i, turning a panic into an error, and gives up with an
// error after 10 s (yaegi hangs on some inputs; the goroutine is left behind).
func eval(t *testing.T, i *yaegi.Interpreter, src string) (reflect.Value, error) {
	t.Helper()
	type result struct {
		v   reflect.Value
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("panic: %v", r)}
			}
		}()
		v, err := i.Eval(src)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-time.After(10 * time.Second):
		return reflect.Value{}, fmt.Errorf("Eval(%q) did not return within 10s", src)
	}
}

// evalSegments splits src and evaluates the segments in order, returning
// the value of the last one.
func evalSegments(t *testing.T, i *yaegi.Interpreter, src string) (reflect.Value, error) {
	t.Helper()
	segs, err := Split(src)
	if err != nil {
		return reflect.Value{}, err
	}
	var v reflect.Value
	for _, s := range segs {
		if v, err = eval(t, i, s.Text); err != nil {
			return v, fmt.Errorf("segment %q: %w", s.Text, err)
		}
	}
	return v, nil
}

func TestSplitEvaluatesInYaegi(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"var a = 1; func f() int { return a + 1 }; f()", "2"},
		{"import \"strings\"; func up(s string) string { return strings.ToUpper(s) }; up(\"x\")", "X"},
		{"x := 2\nfunc sq(n int) int { return n * n }\nimport \"fmt\"\nfmt.Sprint(sq(x))", "4"},
		{"type T int\nfunc (t T) Double() T { return 2 * t }\nvar t T = 21\nint(t.Double())", "42"},
		{"var n int; n = 5; n * 2", "10"},
		{"const c = 3; type U int; var u U = c\nint(u) + 1", "4"},
		{"func a() int { return 1 }\nfunc b() int { return a() + 1 }\nb() + a()", "3"},
		{"x := func() int { return 7 }(); x", "7"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			v, err := evalSegments(t, newYaegi(t), c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(v); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
	// Without Split, yaegi rejects a declaration followed by statements.
	if _, err := eval(t, newYaegi(t), "func f() int { return 1 }; f()"); err == nil {
		t.Errorf("yaegi now accepts a func declaration with statements; Split may no longer be needed")
	}
}

// yaegiPos matches the line:col of a yaegi error.
var yaegiPos = regexp.MustCompile(`(\d+):(\d+): `)

// TestInputOffsetMapsYaegiErrors checks that a position in a yaegi error
// leads back to the right place in the user's input, through Split and the
// rewrite of sends.
func TestInputOffsetMapsYaegiErrors(t *testing.T) {
	cases := []struct{ in, at string }{
		{"x := 1\ny := x + \"a\"", "x + \"a\""},
		{"x := 1; y := len(x)", "x)"},
		{"func f() int { return 1 }\n  x := 1\n  x ! len(x)", "x)"},
		{"x := 1 ! len(1)", "1)"},
		{"var s = \"a\"\nfunc g() {}\n\tn := s + 1", "s + 1"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			plain, m, err := RewriteSendMap(c.in, "send")
			if err != nil {
				t.Fatal(err)
			}
			segs, err := Split(plain)
			if err != nil {
				t.Fatal(err)
			}
			i := newYaegi(t)
			if _, err := eval(t, i, "func send(p, m any) any { return m }"); err != nil {
				t.Fatal(err)
			}
			for _, s := range segs {
				_, err := eval(t, i, s.Text)
				if err == nil {
					continue
				}
				sub := yaegiPos.FindStringSubmatch(err.Error())
				if sub == nil {
					t.Fatalf("no position in %v", err)
				}
				line, _ := strconv.Atoi(sub[1])
				col, _ := strconv.Atoi(sub[2])
				off := m.Original(s.InputOffset(line, col))
				if !strings.HasPrefix(c.in[off:], c.at) {
					l, col := LineCol(c.in, off)
					t.Fatalf("error %v maps to %d:%d %q, want %q", err, l, col, c.in[off:], c.at)
				}
				return
			}
			t.Fatalf("no error from %q", c.in)
		})
	}
}

// FuzzSplit checks that Split and Incomplete never panic, and that the
// segments of a successful Split tile the input and parse on their own.
func FuzzSplit(f *testing.F) {
	for _, c := range sendCases {
		f.Add(c.in)
	}
	for _, c := range loopCases {
		f.Add(c.in)
	}
	f.Add("package main\nfunc main() {}")
	f.Add("A:")  // a label waits for its statement, yet parses
	f.Add("/*0") // an open comment and nothing else
	f.Add("x := 1\nimport \"fmt\"\nfunc f() {}\nvar y = 2; y++")
	f.Fuzz(func(t *testing.T, in string) {
		incomplete := Incomplete(in)
		segs, err := Split(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		// Complete Go is not Incomplete, except a func without a body and a
		// label without its statement, which more lines can finish.
		if toks := scanTokens(in); incomplete && (len(segs) == 0 ||
			toks[lastToken(toks)].tok != token.COLON && segs[len(segs)-1].Kind != Decl) {
			t.Errorf("Incomplete(%q) but Split accepts it", in)
		}
		sorted := append([]Segment(nil), segs...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Offset < sorted[j].Offset })
		next := 0
		for _, s := range sorted {
			if s.Offset != next || in[s.Offset:s.Offset+len(s.Text)] != s.Text {
				t.Fatalf("segments of %q do not tile it: %+v", in, segs)
			}
			next += len(s.Text)
		}
		if len(segs) > 0 && next != len(in) {
			t.Fatalf("segments of %q stop at %d: %+v", in, next, segs)
		}
		if err := parsesAsSegments(in); err != nil {
			t.Fatalf("segment of %q does not parse: %v", in, err)
		}
	})
}

// Example shows the order in which the shell uses this file's functions and
// how it maps a position in an interpreter error back to the user's input.
func Example() {
	src := "func double(n int) int { return n * 2 }\nfor i := 0; i < 3; i++ {\n\tgo func() { parent ! double(i) }()\n}"
	if Incomplete(src) {
		return // read another line first
	}
	plain, sendMap, err := RewriteSendMap(src, "gerl.Send")
	if err != nil {
		fmt.Println(err)
		return
	}
	looped, loopMap, err := FixLoopClosuresMap(plain)
	if err != nil {
		fmt.Println(err)
		return
	}
	fixed, goMap, err := RewriteGoMap(looped, "gerl.GoStatement", "gerl.GoStatementSpread")
	if err != nil {
		fmt.Println(err)
		return
	}
	segs, err := Split(fixed)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range segs {
		fmt.Printf("%v %q\n", s.Kind, s.Text)
	}
	// Suppose yaegi reports "2:65: undefined: parent" for the second
	// segment: find the place in what the user typed.
	m := sendMap.Then(loopMap).Then(goMap)
	line, col := LineCol(src, m.Original(segs[1].InputOffset(2, 65)))
	fmt.Printf("%d:%d %q\n", line, col, strings.Split(src, "\n")[line-1][col-1:])
	// Output:
	// Decl "func double(n int) int { return n * 2 }\n"
	// Stmts "for i := 0; i < 3; i++ {\n\t{ _gerlFn := func() func() { i := i; return func() { gerl.Send(parent, double(i)) } }(); gerl.GoStatement(_gerlFn) }\n}"
	// 3:14 "parent ! double(i) }()"
}
