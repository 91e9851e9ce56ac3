package hotload

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

// A module imports another by name; one on the code path is loaded first.
// Its types, constants and functions are usable, and calls follow reloads.
func TestModuleImportsModule(t *testing.T) {
	out := &testkit.Buffer{}
	h := newHarness(t, func(c *Config) { c.CodePath = []string{"lib"}; c.Stdout = out })
	h.write("lib/shapes/types.go", `package shapes

type Point struct{ X, Y int }

const Origin = "origin"

func Add(a, b Point) Point { return Point{a.X + b.X, a.Y + b.Y} }
`)
	h.write("lib/shapes/name.go", "package shapes\n\nfunc Name() string { return \"shapes v1\" }\n")
	h.write("app.go", `package app

import (
	"fmt"
	"shapes"
)

func Sum() int {
	p := shapes.Add(shapes.Point{X: 1, Y: 2}, shapes.Point{X: 10, Y: 20})
	return p.X + p.Y
}

func Which() string { return shapes.Name() + " " + shapes.Origin }

func init() { fmt.Println("app initialized") }
`)
	h.load("app")
	if got := h.call("app.Sum"); got != 33 {
		t.Fatalf("Sum() = %v", got)
	}
	if got := h.call("app.Which"); got != "shapes v1 origin" {
		t.Fatalf("Which() = %v", got)
	}
	if _, ok := h.srv.Module("shapes"); !ok {
		t.Fatal("shapes was not loaded with app")
	}
	if !strings.Contains(out.String(), "app initialized") {
		t.Fatalf("module output: %q", out.String())
	}
	h.write("lib/shapes/name.go", "package shapes\n\nfunc Name() string { return \"shapes v2\" }\n")
	if l, err := h.srv.Reload("shapes"); err != nil || l.Version != 2 {
		t.Fatalf("reload shapes: %+v %v", l, err)
	}
	if got := h.call("app.Which"); got != "shapes v2 origin" {
		t.Fatalf("after reloading shapes, Which() = %v", got)
	}

	// A version of shapes where Name changed its type: app, compiled
	// against the old type, gets ErrUndef (Erlang's undef), until it is
	// reloaded.
	h.write("lib/shapes/name.go", "package shapes\n\nfunc Name(n int) string { return \"shapes v3\" }\n")
	h.load("shapes")
	func() {
		defer func() {
			r := recover()
			err, _ := r.(error)
			if !errors.Is(err, ErrUndef) {
				t.Fatalf("old caller of a changed function: %v", r)
			}
		}()
		h.call("app.Which")
	}()
	h.write("app.go", "package app\n\nimport \"shapes\"\n\nfunc Which() string { return shapes.Name(1) }\n")
	h.load("app")
	if got := h.call("app.Which"); got != "shapes v3" {
		t.Fatalf("reloaded app: Which() = %v", got)
	}
	if _, ok := h.srv.Lookup("app.Sum"); ok {
		t.Fatal("a function the current version lacks is still resolved")
	}
}

// A process spawned by module code with a function value runs the
// version that spawned it; a qualified self-reference in a package-level
// initializer is a local one.
func TestSpawnedClosureRunsItsVersion(t *testing.T) {
	h := newHarness(t)
	src := func(v string) string {
		return strings.ReplaceAll(`package worker

import "gerl"

var name = worker.Tag() // a local reference: initializers run before the trampolines exist

func Tag() string { return "VER" }

// Start spawns a closure: the new process runs this version's code.
func Start() gerl.Pid {
	return gerl.Spawn(func(p *gerl.Proc) {
		for {
			req, ok := p.Receive().(gerl.Request)
			if ok {
				gerl.Reply(req, name+"/"+Tag())
			}
		}
	})
}
`, "VER", v)
	}
	h.write("worker.go", src("v1"))
	h.load("worker")
	pid := h.call("worker.Start").(term.Pid)
	if got := h.request(pid, "tag"); got != "v1/v1" {
		t.Fatalf("tag = %v", got)
	}
	if v, ok := h.srv.RunningVersion(pid, "worker"); !ok || v != 1 {
		t.Fatalf("spawned closure runs %d %v, want 1", v, ok)
	}
	ref := h.me.Monitor(pid)
	h.write("worker.go", src("v2"))
	h.load("worker")
	if got := h.request(pid, "tag"); got != "v1/v1" {
		t.Fatalf("after a reload the closure's process answers %v, want its own version's v1/v1", got)
	}
	h.write("worker.go", src("v3"))
	h.load("worker")
	if d := h.down(ref); d.Reason != term.Killed {
		t.Fatalf("closure process exited with %s, want killed", term.Format(d.Reason))
	}
}

// Closures created in a loop get their own copy of the loop's variables,
// as in Go 1.22 and at the prompt.
func TestLoopClosuresInModules(t *testing.T) {
	h := newHarness(t)
	h.write("fan.go", `package fan

import "gerl"

// Start spawns one process per i; each sends its own i.
func Start(to gerl.Pid) {
	for i := 0; i < 3; i++ {
		gerl.Spawn(func(p *gerl.Proc) { gerl.Send(to, i) })
	}
}
`)
	h.load("fan")
	h.fn("fan.Start").Call([]reflect.Value{reflect.ValueOf(h.me.Self())})
	seen := map[any]bool{}
	for len(seen) < 3 {
		m, ok := h.me.ReceiveTimeout(waitTime)
		if !ok {
			t.Fatalf("got %v only", seen)
		}
		if seen[m] {
			t.Fatalf("two processes sent %v: the closures share i", m)
		}
		seen[m] = true
	}
}

// TestGoStatementsInModules: a panic in a goroutine a module starts with a
// go statement is a crash report, not the end of the node; the statement's
// arguments arrive as the module passed them, in a file with or without an
// import of the gerl API.
func TestGoStatementsInModules(t *testing.T) {
	h := newHarness(t)
	h.write("bg/bg.go", `package bg // background work

import "gerl"

// Start starts a goroutine that panics, and one that reports to to.
func Start(to gerl.Pid) {
	go func() { panic("in a module goroutine") }()
	go report(to, 7, "seven")
}
`)
	h.write("bg/report.go", `package bg

import "fmt"

func report(to any, n int64, s string) { send(to, fmt.Sprint(n, s)) }
`)
	h.write("bg/send.go", `package bg

import "gerl"

func send(to any, m any) { gerl.Send(to, m) }
`)
	h.load("bg")
	h.fn("bg.Start").Call([]reflect.Value{reflect.ValueOf(h.me.Self())})
	if m, ok := h.me.ReceiveTimeout(waitTime); !ok || m != "7seven" {
		t.Fatalf("got %v, %v", m, ok)
	}
	testkit.Eventually(t, waitTime, "the crash report", func() bool {
		return strings.Contains(h.logs.String(), "goroutine crashed")
	})
}

// TestCodePathOnce: each directory is on the code path once (-pa . named
// the working directory twice), and a directory added again moves to the
// front, as erl's code:add_patha does.
func TestCodePathOnce(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.CodePath = []string{"lib", ".", "lib/"} })
	lib := filepath.Join(h.dir, "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		add  string
		want []string
	}{
		{"", []string{lib, h.dir}},
		{".", []string{h.dir, lib}},
		{lib, []string{lib, h.dir}},
	} {
		if step.add != "" {
			if err := h.srv.AddPath(step.add); err != nil {
				t.Fatal(err)
			}
		}
		if got := h.srv.CodePath(); !slices.Equal(got, step.want) {
			t.Errorf("after AddPath(%q): %q, want %q", step.add, got, step.want)
		}
	}
}
