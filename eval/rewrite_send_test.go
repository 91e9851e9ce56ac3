package eval

import (
	"fmt"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// sendCases are inputs and the expected RewriteSend(in, "send") outputs; an
// out starting with "error: " is the expected error text instead.
var sendCases = []struct {
	name, in, out string
}{
	// Where a send may appear.
	{"statement", "pid ! msg", "send(pid, msg)"},
	{"define", "x := pid ! msg", "x := send(pid, msg)"},
	{"assign", "x = pid ! msg", "x = send(pid, msg)"},
	{"op assign", "n += p ! 1", "n += send(p, 1)"},
	{"multi assign", "x, y := p ! 1, q ! 2", "x, y := send(p, 1), send(q, 2)"},
	{"call arg", "f(pid ! m, 2)", "f(send(pid, m), 2)"},
	{"return", "func f() int { return p ! m }", "func f() int { return send(p, m) }"},
	{"return two", "func f() (int, error) { return p ! m, nil }", "func f() (int, error) { return send(p, m), nil }"},
	{"go arg", "go f(p ! m)", "go f(send(p, m))"},
	{"defer arg", "defer f(p ! m, x)", "defer f(send(p, m), x)"},
	{"func literal", "f := func() { p ! 1 }", "f := func() { send(p, 1) }"},
	{"spawned literal", "spawn(func(p *Proc) { parent ! T(A(\"hi\"), p.Self()) })", "spawn(func(p *Proc) { send(parent, T(A(\"hi\"), p.Self())) })"},
	{"composite elem", "xs := []any{p ! 1, 2}", "xs := []any{send(p, 1), 2}"},
	{"composite value", "m := map[string]any{\"k\": p ! 1}", "m := map[string]any{\"k\": send(p, 1)}"},
	{"index value", "m[k] = p ! v", "m[k] = send(p, v)"},
	{"case", "switch x {\ncase p ! 1:\n}", "switch x {\ncase send(p, 1):\n}"},
	{"select body", "select {\ncase v := <-ch:\n\tp ! v\n}", "select {\ncase v := <-ch:\n\tsend(p, v)\n}"},
	{"if header", "if p ! m == nil {\n}", "if send(p, m == nil) {\n}"},
	{"if init", "if x := p ! m; x != nil {\n}", "if x := send(p, m); x != nil {\n}"},
	{"switch header", "switch p ! m {\n}", "switch send(p, m) {\n}"},
	{"for header", "for i := 0; i < 3; i++ {\n\tp ! i\n}", "for i := 0; i < 3; i++ {\n\tsend(p, i)\n}"},
	{"range header", "for _, p := range ps {\n\tp ! 1\n}", "for _, p := range ps {\n\tsend(p, 1)\n}"},
	{"label", "L:\n\tp ! 1", "L:\n\tsend(p, 1)"},
	{"top-level var", "var x = p ! 1", "var x = send(p, 1)"},
	{"decl and stmts", "var a = 1; func f() { q ! a }; f()", "var a = 1; func f() { send(q, a) }; f()"},
	{"method", "func (s *S) Ping() { s.peer ! 1 }", "func (s *S) Ping() { send(s.peer, 1) }"},

	// Associativity and precedence.
	{"right assoc", "a ! b ! c", "send(a, send(b, c))"},
	{"right assoc 3", "a ! b ! c ! d", "send(a, send(b, send(c, d)))"},
	{"plus", "p ! n + 1", "send(p, n + 1)"},
	{"eq left", "a == b ! c", "send(a == b, c)"},
	{"neq left", "a != b ! c", "send(a != b, c)"},
	{"oror", "a || b ! c || d", "send(a || b, c || d)"},
	{"andand", "a && b ! c && d", "send(a && b, c && d)"},
	{"parens", "(a ! b) ! c", "send((send(a, b)), c)"},
	{"paren message", "p ! (a ! b)", "send(p, (send(a, b)))"},
	{"nested call", "p ! f(q ! m)", "send(p, f(send(q, m)))"},
	{"receive target", "<-ch ! m", "send(<-ch, m)"},
	{"send stmt", "ch <- p ! m", "ch <- send(p, m)"},
	{"unary message", "p ! -1", "send(p, -1)"},
	{"not message", "p ! !x", "send(p, !x)"},
	{"not target", "!done ! m", "send(!done, m)"},
	{"func message", "p ! func() {}", "send(p, func() {})"},

	// Targets.
	{"index target", "pids[0] ! m", "send(pids[0], m)"},
	{"call target", "whereis(\"x\") ! m", "send(whereis(\"x\"), m)"},
	{"name target", `gerl.Name{Name: "pong", Node: "bar@vm"} ! m`, `send(gerl.Name{Name: "pong", Node: "bar@vm"}, m)`},
	{"tuple message", `Name{"pong", "bar@vm"} ! T(A("ping"), self())`, `send(Name{"pong", "bar@vm"}, T(A("ping"), self()))`},
	{"selector target", "s.peers[i].pid ! m", "send(s.peers[i].pid, m)"},
	{"assert target", "x.(Pid) ! m", "send(x.(Pid), m)"},
	{"literal target", "1 ! 2", "send(1, 2)"},

	// Lines and spacing.
	{"two lines", "p ! m\nq ! n", "send(p, m)\nsend(q, n)"},
	{"semicolons", "p ! m; q ! n", "send(p, m); send(q, n)"},
	{"message next line", "p !\n\tm", "send(p,\n\tm)"},
	{"multi-line message", "p ! T(\n\t1,\n\t2,\n)", "send(p, T(\n\t1,\n\t2,\n))"},
	{"no spaces", "p!m", "send(p, m)"},
	{"comment before", "p /* to */ ! m", "send(p /* to */, m)"},
	{"comment after", "p ! m // done", "send(p, m) // done"},
	{"newline is unary", "x\n!y", "error: line 2:1: missing target before ! (a send is written target ! message)"},

	// Left alone.
	{"unary", "x := !y", "x := !y"},
	{"unary call", "if !ok(x) {\n}", "if !ok(x) {\n}"},
	{"neq", "if a != b {\n}", "if a != b {\n}"},
	{"string", `s := "a ! b"`, `s := "a ! b"`},
	{"rune", `r := '!'`, `r := '!'`},
	{"raw string", "s := `a ! b\nc ! d`", "s := `a ! b\nc ! d`"},
	{"line comment", "x := 1 // a ! b", "x := 1 // a ! b"},
	{"block comment", "x := 1 /* a ! b */", "x := 1 /* a ! b */"},
	{"empty", "", ""},
	{"plain", "fmt.Println(1)", "fmt.Println(1)"},
	{"invalid without send", "x := (", "x := ("},

	// Errors.
	{"missing message", "pid !", "error: line 1:5: missing message after ! (a send is written target ! message)"},
	{"missing message paren", "f(pid !)", "error: line 1:7: missing message after ! (a send is written target ! message)"},
	{"missing message comma", "f(pid !, 2)", "error: line 1:7: missing message after ! (a send is written target ! message)"},
	{"missing message line 2", "x := 1\ny := p ! ;", "error: line 2:8: missing message after ! (a send is written target ! message)"},
	{"missing target", "! m", "error: line 1:1: missing target before ! (a send is written target ! message)"},
	{"missing target in func", "func f() {\n\t!m\n}", "error: line 2:2: missing target before ! (a send is written target ! message)"},
	{"syntax error", "p ! m +", "error: line 1:8: expected operand, found 'EOF'"},
	{"syntax error before", "x := ) ; p ! m", "error: line 1:6: expected operand, found ')'"},
	{"bang after block", "if x { } ! y", "error: line 1:10: expected ';', found '!'"},
}

func TestRewriteSend(t *testing.T) {
	for _, c := range sendCases {
		t.Run(c.name, func(t *testing.T) {
			out, changed, err := RewriteSend(c.in, "send")
			if want, ok := strings.CutPrefix(c.out, "error: "); ok {
				if err == nil || err.Error() != want {
					t.Fatalf("RewriteSend(%q) = %q, %v; want error %q", c.in, out, err, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("RewriteSend(%q): %v", c.in, err)
			}
			if out != c.out || changed != (c.in != c.out) {
				t.Fatalf("RewriteSend(%q) = %q, %v; want %q, %v", c.in, out, changed, c.out, c.in != c.out)
			}
			if changed {
				if err := parsesAsSegments(out); err != nil {
					t.Fatalf("output %q does not parse: %v", out, err)
				}
			}
		})
	}
}

func TestRewriteSendQualifiedFunc(t *testing.T) {
	out, _, err := RewriteSend("p ! m", "gerl.Send")
	if err != nil || out != "gerl.Send(p, m)" {
		t.Fatalf("got %q, %v", out, err)
	}
	for _, fn := range []string{"", "1", "f()", " send", "_", "a b"} {
		if _, _, err := RewriteSend("p ! m", fn); err == nil {
			t.Errorf("RewriteSend with fn %q: want an error", fn)
		}
	}
}

func TestOffsetMap(t *testing.T) {
	src := "x := p ! m\ny :=  a ! b ! c"
	out, m, err := RewriteSendMap(src, "send")
	if err != nil {
		t.Fatal(err)
	}
	if want := "x := send(p, m)\ny :=  send(a, send(b, c))"; out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
	// Each byte of the output, and the original offset it comes from.
	checks := []struct {
		sub  string // first occurrence in out, after skip bytes
		skip int
		orig int
	}{
		{"x", 0, 0},
		{"send(p", 0, 5},    // inserted "send(" maps to the target
		{"p,", 0, 5},        // the target itself
		{", m", 0, 7},       // the comma maps to the "!"
		{"m)", 0, 9},        // the message
		{")\n", 0, 10},      // the closing paren maps to the end of the message
		{"\n", 0, 10},       // the newline
		{"a,", 0, 17},       // line 2 target
		{", send(b", 0, 19}, // first "!"
		{"send(b", 0, 21},   // inner send maps to b
		{"c))", 0, 25},
	}
	for _, c := range checks {
		i := strings.Index(out, c.sub) + c.skip
		if got := m.Original(i); got != c.orig {
			t.Errorf("Original(%d) (%q) = %d, want %d (%q)", i, c.sub, got, c.orig, src[c.orig:])
		}
	}
	if got := m.Original(len(out)); got != len(src) {
		t.Errorf("Original(end) = %d, want %d", got, len(src))
	}
	var id OffsetMap
	if id.Original(7) != 7 {
		t.Errorf("zero OffsetMap is not the identity")
	}
	// Then composes: a second rewrite on top of the first.
	out2, m2, err := RewriteSendMap(out+"\nz ! 1", "send")
	if err != nil {
		t.Fatal(err)
	}
	both := m.Then(m2)
	i := strings.Index(out2, "c))")
	if got := both.Original(i); got != 25 {
		t.Errorf("composed Original = %d, want 25", got)
	}
}

// parsesAsGo reports whether src parses as Go statements in a function body
// or as a Go file.
func parsesAsGo(src string) bool {
	fset := token.NewFileSet()
	if _, err := parser.ParseFile(fset, "", "package p;"+src, parser.SkipObjectResolution); err == nil {
		return true
	}
	_, err := parser.ParseFile(fset, "", "package p; func _() {"+src+"\n}", parser.SkipObjectResolution)
	return err == nil
}

// parsesAsSegments checks src the way the shell will use it: Split must
// succeed, and every segment must parse on its own with go/parser.
func parsesAsSegments(src string) error {
	segs, err := Split(src)
	if err != nil {
		return err
	}
	for _, s := range segs {
		text := "package p\n" + s.Text
		if toks := scanTokens(s.Text); len(toks) > 0 && toks[0].tok == token.PACKAGE {
			text = s.Text
		} else if s.Kind == Stmts {
			text = "package p\nfunc _() {\n" + s.Text + "\n}"
		}
		if _, err := parser.ParseFile(token.NewFileSet(), "", text, parser.SkipObjectResolution); err != nil {
			return err
		}
	}
	return nil
}

func FuzzRewriteSend(f *testing.F) {
	for _, c := range sendCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, m, err := RewriteSendMap(in, "send")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a position: %v", err)
			}
			if parsesAsGo(in) && !strings.Contains(err.Error(), "missing target before !") {
				t.Fatalf("valid Go %q: %v", in, err)
			}
			return
		}
		changed := len(m.stages) > 0
		if parsesAsGo(in) && (changed || out != in) {
			t.Fatalf("valid Go %q changed to %q", in, out)
		}
		if !changed {
			if out != in {
				t.Fatalf("unchanged but %q != %q", out, in)
			}
			return
		}
		checkRewritten(t, in, out, m)
	})
}

// checkRewritten checks what every rewrite promises of a changed input:
// the same lines, Go that parses, and offsets that map back into the input.
func checkRewritten(t *testing.T, in, out string, m OffsetMap) {
	t.Helper()
	if strings.Count(out, "\n") != strings.Count(in, "\n") {
		t.Fatalf("%q -> %q changed the number of lines", in, out)
	}
	if err := parsesAsSegments(out); err != nil {
		t.Fatalf("%q -> %q, which does not parse: %v", in, out, err)
	}
	for i := 0; i <= len(out); i++ {
		if o := m.Original(i); o < 0 || o > len(in) {
			t.Fatalf("%q -> %q: Original(%d) = %d is outside the input", in, out, i, o)
		}
	}
}

func ExampleRewriteSendMap() {
	src := `pong ! T(A("ping"), self())`
	out, m, err := RewriteSendMap(src, "gerl.Send")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out)
	// An error the interpreter reports at the T of the output is shown at
	// the T the user typed.
	line, col := LineCol(src, m.Original(strings.Index(out, "T(")))
	fmt.Printf("%d:%d\n", line, col)
	// Output:
	// gerl.Send(pong, T(A("ping"), self()))
	// 1:8
}
