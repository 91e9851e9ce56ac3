package eval

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
)

var goCases = []struct{ in, want string }{
	{`go f(a, b)`, `G(f, a, b)`},
	{`go f()`, `G(f)`},
	{`go f(a, xs...)`, `S(f, a, xs)`},
	{`go obj.Method(1)`, `G(obj.Method, 1)`},
	{`go (f)(x)`, `G((f), x)`},
	{`go f[int](x)`, `G(f[int], x)`},
	{`go func() { panic("x") }()`, `G(func() { panic("x") })`},
	{`go func(n int) { use(n) }(i)`, `G(func(n int) { use(n) }, i)`},
	{`go close(ch)`, `G(func() { close(ch) })`},
	{`go panic("x")`, `G(func() { panic("x") })`},
	{"go f(\n\ta,\n)", "G(f, \n\ta,\n)"},
	{`func run() { for { go work() } }`, `func run() { for { G(work) } }`},
	{`go func() { go g() }()`, `G(func() { G(g) })`},
	// untouched
	{`x := 1; f(x)`, `x := 1; f(x)`},
	{`s := "go f(x)" // go f(x)`, `s := "go f(x)" // go f(x)`},
	{`defer f(x)`, `defer f(x)`},
}

func TestRewriteGo(t *testing.T) {
	for _, c := range goCases {
		got, _, err := RewriteGoMap(c.in, "G", "S")
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func FuzzRewriteGo(f *testing.F) {
	for _, c := range goCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, m, err := RewriteGoMap(in, "G", "S")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		if !strings.Contains(in, "go") && out != in {
			t.Fatalf("no go statement, yet %q -> %q", in, out)
		}
		checkRewritten(t, in, out, m)
	})
}

func TestCallArgs(t *testing.T) {
	var got []any
	record := func(a int64, b float32, s string, p *int, e error) { got = []any{a, b, s, p, e} }
	variadic := func(prefix string, xs ...uint8) { got = []any{prefix, xs} }
	tests := []struct {
		name    string
		fn      any
		args    []any
		spread  bool
		want    string // fmt of got, or the panic's text
		panics  bool
		wantErr string
	}{
		{name: "untyped constants converted", fn: record, args: []any{1, 2.5, "x", nil, nil}, want: "[1 2.5 x <nil> <nil>]"},
		{name: "variadic", fn: variadic, args: []any{"p", 1, 2}, want: "[p [1 2]]"},
		{name: "spread", fn: variadic, args: []any{"p", []uint8{3}}, spread: true, want: "[p [3]]"},
		{name: "wrong kind", fn: record, args: []any{"1", 2.5, "x", nil, nil}, panics: true, wantErr: "argument 1: cannot use string as int64"},
		{name: "too many", fn: func() {}, args: []any{1}, panics: true, wantErr: "too many arguments"},
		{name: "not a function", fn: 42, panics: true, wantErr: "int is not a function"},
		{name: "nil function", fn: (func())(nil), panics: true, wantErr: "the function is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			var perr any
			func() {
				defer func() { perr = recover() }()
				callArgs(tt.fn, tt.args, tt.spread)
			}()
			if tt.panics {
				if perr == nil || !strings.Contains(perr.(error).Error(), tt.wantErr) {
					t.Fatalf("panic %v, want one containing %q", perr, tt.wantErr)
				}
				return
			}
			if perr != nil {
				t.Fatalf("panic: %v", perr)
			}
			if s := fmtAny(got); s != tt.want {
				t.Fatalf("called with %s, want %s", s, tt.want)
			}
		})
	}
}

func fmtAny(v []any) string {
	var b strings.Builder
	b.WriteString("[")
	for i, x := range v {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(fmt.Sprint(x))
	}
	b.WriteString("]")
	return b.String()
}

// newLoggedSession is a session on a node whose log is returned (its
// crash reports), stopped when t ends.
func newLoggedSession(t *testing.T) (*Session, *testkit.Buffer) {
	t.Helper()
	env := NewEnv()
	logs := &testkit.Buffer{}
	n := node.New(node.Config{Name: "sh@host", OnGoroutine: env.OnGoroutine, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	env.Attach(n)
	var out bytes.Buffer
	s, err := NewSession(SessionConfig{Env: env, Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if err := n.StopTimeout(waitTime); err != nil {
			t.Error(err)
		}
	})
	return s, logs
}

// TestSessionGoStatementPanic: a panic in a goroutine started at the
// prompt is a crash report, and the node and the shell go on.
func TestSessionGoStatementPanic(t *testing.T) {
	s, logs := newLoggedSession(t)
	// The go statement and the receive are one input, and the crash report
	// is awaited before the next: a panic unwinding prompt code while an
	// input compiles is a race inside yaegi (testkit.SkipYaegiRace).
	for _, c := range []struct{ in, want string }{
		{`me := self()`, "<sh@host.1.0>"},
		{`go func() { defer func() { me ! A("deferred ran") }(); panic("in goroutine") }(); receive(5000)`, "'deferred ran'"},
	} {
		o, err := s.Eval(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		got := ""
		if o.HasValue {
			got = FormatValue(o.Values[0])
		}
		if got != c.want {
			t.Fatalf("%s => %q, want %q", c.in, got, c.want)
		}
	}
	// The deferred send ran before the goroutine's crash report is logged:
	// wait for the report.
	testkit.Eventually(t, waitTime, "the crash report in the log", func() bool {
		return strings.Contains(logs.String(), "goroutine crashed") && strings.Contains(logs.String(), `{panic,\"in goroutine\"}`)
	})
	for _, c := range []struct{ in, want string }{
		{`go func(n int64) { me ! n }(7); receive(5000)`, "7"},
		{`receive(0)`, "timeout"},
	} {
		o, err := s.Eval(c.in)
		if err != nil || !o.HasValue || FormatValue(o.Values[0]) != c.want {
			t.Fatalf("%s => %v %v, want %s", c.in, o.Values, err, c.want)
		}
	}
}

// TestSessionGoStatementArguments: each goroutine a loop starts gets the
// arguments of its own iteration (yaegi shared them through the frame of
// the loop, which overwrote them).
func TestSessionGoStatementArguments(t *testing.T) {
	ts := newTestShell(t)
	ts.eval(`me := self()`)
	ts.eval(`for i := 0; i < 50; i++ { go func(n int) { me ! n }(i) }`)
	if got := ts.eval(`count := func() int { seen := map[int]bool{}; for k := 0; k < 50; k++ { seen[receive(5000).(int)] = true }; return len(seen) }; count()`); got != "50" {
		t.Fatalf("50 goroutines got %s different arguments", got)
	}
}

// TestSessionAfterFuncPanic: a panic in the function of time.AfterFunc or
// context.AfterFunc typed at the prompt is a crash report, as in a go
// statement; Go's own AfterFunc let it end the node.
func TestSessionAfterFuncPanic(t *testing.T) {
	s, logs := newLoggedSession(t)
	// Each input waits for its function's message, and the test for its
	// crash report, before the next input: no panic unwinds prompt code
	// while a later input compiles (a race inside yaegi,
	// testkit.SkipYaegiRace).
	if _, err := s.Eval(`me := self()`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ in, want, of, reason string }{
		{`_ = time.AfterFunc(time.Millisecond, func() { defer func() { me ! A("timer") }(); panic("in timer") }); receive(5000)`,
			"timer", "of=time.AfterFunc", `{panic,\"in timer\"}`},
		{`ctx, cancel := context.WithCancel(context.Background()); _ = context.AfterFunc(ctx, func() { defer func() { me ! A("ctx") }(); var m map[int]int; m[1] = 1 }); cancel(); receive(5000)`,
			"ctx", "of=context.AfterFunc", "assignment to entry in nil map"},
	} {
		o, err := s.Eval(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := FormatValue(o.Values[len(o.Values)-1]); got != c.want {
			t.Fatalf("%s => %q, want %q", c.in, got, c.want)
		}
		testkit.Eventually(t, waitTime, "the crash report "+c.of, func() bool {
			l := logs.String()
			return strings.Contains(l, c.of) && strings.Contains(l, c.reason)
		})
	}
	if o, err := s.Eval(`1 + 1`); err != nil || FormatValue(o.Values[0]) != "2" {
		t.Fatalf("after the panics: %v %v", o.Values, err)
	}
}
