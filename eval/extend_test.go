package eval

import (
	"reflect"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
)

// Built-ins and packages other packages add (hot loading's c and the
// modules it loads) are usable at the prompt: added before the session
// started, after, and from an input's own evaluation, which must not
// wait for itself.
func TestEnvExtensions(t *testing.T) {
	env := NewEnv()
	n := node.New(node.Config{Name: "sh@host", OnGoroutine: env.OnGoroutine})
	env.Attach(n)
	env.AddBuiltin("before", Builtin{Fn: func() int { return 1 }, Doc: Doc{Sig: "before()", Group: "code"}})
	out := &testkit.Buffer{}
	s, err := NewSession(SessionConfig{Env: env, Stdout: out, Stderr: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if err := n.StopTimeout(waitTime); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	ts := &testShell{t: t, n: n, env: env, s: s, out: out}
	if got := ts.eval("before()"); got != "1" {
		t.Fatalf("before() = %v", got)
	}
	env.AddBuiltin("after", Builtin{Fn: func() int { return 2 }})
	if got := ts.eval("after()"); got != "2" {
		t.Fatalf("after() = %v", got)
	}
	env.AddBuiltin("load", Builtin{Fn: func(v int) int {
		env.AddPackage("mod", map[string]reflect.Value{"V": reflect.ValueOf(func() int { return v })})
		return v
	}})
	done := make(chan string, 1)
	go func() { done <- ts.eval("load(3)") }()
	select {
	case got := <-done:
		if got != "3" {
			t.Fatalf("load(3) = %v", got)
		}
	case <-time.After(waitTime):
		t.Fatal("a built-in adding a package waits for the input that calls it")
	}
	if got := ts.eval("mod.V()"); got != "3" {
		t.Fatalf("the next input: mod.V() = %v", got)
	}
	ts.eval("load(4)")
	if got := ts.eval("mod.V()"); got != "4" {
		t.Fatalf("a package added again: mod.V() = %v", got)
	}
}
