package hotload

import (
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/internal/testkit"
)

// shell is a session on a harness's node.
type shell struct {
	h   *harness
	s   *eval.Session
	out *testkit.Buffer
}

// newShell starts a shell session with the code built-ins.
func newShell(h *harness) *shell {
	h.t.Helper()
	out := &testkit.Buffer{}
	s, err := eval.NewSession(eval.SessionConfig{Env: h.env, Stdout: out, Stderr: out})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(s.Close)
	return &shell{h: h, s: s, out: out}
}

// eval evaluates one input and returns what the shell prints for it: the
// values, erl style, or the error.
func (sh *shell) eval(src string) string {
	o, err := sh.s.Eval(src)
	if err != nil {
		if ee, ok := err.(*eval.EvalError); ok && ee.Kind == eval.CompileError {
			return "* " + err.Error()
		}
		return err.Error()
	}
	if !o.HasValue {
		return ""
	}
	parts := make([]string, len(o.Values))
	for i, v := range o.Values {
		parts[i] = eval.FormatValue(v)
	}
	return strings.Join(parts, ", ")
}

func (sh *shell) expect(src, want string) {
	sh.h.t.Helper()
	if got := sh.eval(src); got != want {
		sh.h.t.Fatalf("%s\n got: %s\nwant: %s", src, got, want)
	}
}

// The built-ins at the prompt: a module loaded with c is a package there,
// calls compiled at the prompt follow reloads, spawn by name works.
func TestPrompt(t *testing.T) {
	h := newHarness(t)
	sh := newShell(h)
	h.write("counter.go", counterSrc("v1", 1))
	sh.expect(`c("counter")`, "{ok,counter}")
	sh.expect(`counter.Version()`, `"v1"`)
	sh.expect(`f := func() string { return counter.Version() }`, "#Fun<func() string>")
	sh.expect(`pid := spawn("counter.Loop", 0); _ = pid`, "")
	sh.expect(`call(pid, "inc")`, "1")
	h.write("counter.go", counterSrc("v2", 10))
	sh.expect(`l("counter")`, "{module,counter}")
	sh.expect(`call(pid, "inc")`, "11")
	sh.expect(`f()`, `"v2"`)
	sh.expect(`c("nosuch")`, "load nosuch: module not found: nosuch is not on the code path "+h.dir+"\nerror")
	h.write("counter.go", "package counter\n\nfunc Version() int { return \"v3\" }\n")
	sh.expect(`l("counter")`, "counter.go:3:29: cannot use \"v3\" (untyped string constant) as int value in return statement\nerror")
	sh.expect(`counter.Version()`, `"v2"`)
	sh.expect(`soft_purge("counter")`, "true")
	sh.expect(`purge("counter")`, "false")
	sh.expect(`watch(true)`, "false")
	sh.expect(`watch(false)`, "true")
	h.write("counter.go", counterSrc("v3", 1))
	sh.expect(`lm()`, "[{module,counter}]")
	sh.expect(`nl("counter")`, "hot@host: unchanged, counter version 3\nok")
	sh.expect(`m()`, "Module   Version  Old  Processes  Source\ncounter  3        2    1          "+h.dir+"/counter.go\nok")
	sh.expect(`c("fmt")`, "load fmt: invalid module name: \"fmt\" is reserved: the import path of a standard or gerl package, main, or a code built-in\nerror")
	// A module's variable is not exported; what is not there says so in
	// Go's words (yaegi's: package counter "counter" has no symbol state).
	h.write("vars.go", "package vars\n\nvar State = 0\n\nconst Max = 10\n")
	sh.expect(`c("vars")`, "{ok,vars}")
	sh.expect(`vars.Max`, "10")
	sh.expect(`vars.State`, "* 1:1: undefined: vars.State (module vars exports its functions, types and constants; not its variables, which each version has its own of: keep state in a process)")
	sh.expect(`strings.Nope("a")`, "* 1:1: undefined: strings.Nope")
	sh.expect(`h("soft_purge")`, "ok")
	if out := sh.out.String(); !strings.Contains(out, "soft_purge(\"counter\") bool") {
		t.Fatalf("h(\"soft_purge\") printed %q", out)
	}
	// h takes the built-in itself too, not only its name.
	sh.expect(`h(nl)`, "ok")
	if out := sh.out.String(); !strings.Contains(out, "load a module here and on every connected node") {
		t.Fatalf("h(nl) printed %q", out)
	}
}

// TestPromptFuncDoc: h("mod.Fun") shows the signature and doc comment of
// a loaded module's function, from its current version.
func TestPromptFuncDoc(t *testing.T) {
	h := newHarness(t)
	sh := newShell(h)
	greet := func(doc string) string {
		return "package greet\n\n// Hello greets name\n// " + doc + ".\nfunc Hello(name string) string { return \"hello \" + name }\n\nfunc bare() {}\n"
	}
	h.write("greet.go", greet("politely"))
	sh.expect(`h("greet.Hello")`, "error") // not loaded yet
	if out := sh.out.String(); out != "no module or standard package named greet (a module is documented once loaded: c, l or nl)\n" {
		t.Fatalf("h of a module not loaded printed %q", out)
	}
	sh.expect(`c("greet")`, "{ok,greet}")
	for _, c := range []struct{ in, want, out string }{
		{`h("greet.Hello")`, "ok", "func greet.Hello(name string) string\n    Hello greets name\n    politely.\n"},
		{`h("greet.bare")`, "ok", "func greet.bare()\n    (no doc comment)\n"},
		{`h("greet.Nope")`, "error", "module greet has no function Nope\n"},
	} {
		sh.out.Reset()
		sh.expect(c.in, c.want)
		if out := sh.out.String(); out != c.out {
			t.Errorf("%s printed %q, want %q", c.in, out, c.out)
		}
	}
	h.write("greet.go", greet("loudly"))
	sh.expect(`l("greet")`, "{module,greet}")
	sh.out.Reset()
	sh.expect(`h("greet.Hello")`, "ok")
	if out := sh.out.String(); out != "func greet.Hello(name string) string\n    Hello greets name\n    loudly.\n" {
		t.Errorf("h after a reload printed %q, want the new version's doc", out)
	}
}

// TestModuleDialect: a module file speaks the prompt's dialect: pid !
// msg, receive, self, spawn, T, A; a name the module declares or imports
// itself hides the built-in; errors keep their lines.
func TestModuleDialect(t *testing.T) {
	h := newHarness(t)
	sh := newShell(h)
	h.write("echo.go", `package echo

import "fmt"

// Loop answers {From, Msg} with {echo, Msg} until Msg is stop.
func Loop() {
	for {
		m := receive(T(Any, Any)).(Tuple)
		m[0].(Pid) ! T(A("echo"), m[1])
		if m[1] == A("stop") {
			return
		}
	}
}

// Start spawns Loop.
func Start() Pid { return spawn(Loop) }

// Me is the caller.
func Me() Pid { return self() }

// call is the module's own: it hides the built-in.
func call() string { return "mine" }

// Mine calls it.
func Mine() string { return call() }

// Node has a local variable named like a built-in.
func Node() string { node := "local"; return fmt.Sprint(node, " ", !false && 1 != 2) }
`)
	sh.expect(`c("echo")`, "{ok,echo}")
	sh.expect(`p := echo.Start(); _ = p`, "")
	sh.expect(`p ! A("stray")`, "stray")
	sh.expect(`_ = p ! T(self(), 42)`, "")
	sh.expect(`receive(5000)`, "{echo,42}")
	sh.expect(`echo.Me() == self()`, "true")
	sh.expect(`echo.Mine()`, `"mine"`)
	sh.expect(`echo.Node()`, `"local true"`)
	h.write("bad.go", "package bad\n\n// F sends.\nfunc F(p Pid) int {\n\tp ! 1\n\treturn \"x\"\n}\n")
	sh.expect(`c("bad")`, "bad.go:6:9: cannot use \"x\" (untyped string constant) as int value in return statement\nerror")
	h.write("bad.go", "package bad\n\nfunc F(p Pid) {\n\tp !\n}\n")
	if got := sh.eval(`c("bad")`); !strings.HasPrefix(got, "bad.go:4:") {
		t.Errorf("c of a send without a message => %q, want an error at bad.go:4", got)
	}
}
