package hotload

import (
	"testing"

	"github.com/gerl-dev/gerl/node/server"
	"github.com/gerl-dev/gerl/node/sys"
	"github.com/gerl-dev/gerl/node/term"
)

// A server type in a module: version 1 counts in count; version 2 renames
// it total, counts by a step, and has an upgrade hook that moves count to
// total and says it ran.
const counterV1 = `package counter

import (
	"gerl"
	"gerl/server"
)

type Counter struct {
	count int
	seen  []string
}

func New() server.Behaviour { return &Counter{} }

func Start() gerl.Pid {
	pid, err := server.Start(server.Factory("counter.New"), 100, server.Options{Name: "counter"})
	if err != nil {
		panic(err)
	}
	return pid
}

func (c *Counter) Init(args any) error { c.count = args.(int); return nil }

func (c *Counter) HandleCall(req any, from server.From) (any, error) {
	c.count++
	c.seen = append(c.seen, req.(string))
	return gerl.T("v1", c.count), nil
}

func (c *Counter) HandleCast(msg any) error { return nil }
`

const counterV2 = `package counter

import (
	"gerl"
	"gerl/server"
)

type Counter struct {
	total int
	step  int
	seen  []string
	hook  string
}

func New() server.Behaviour { return &Counter{} }

func Start() gerl.Pid {
	pid, err := server.Start(server.Factory("counter.New"), 100, server.Options{Name: "counter"})
	if err != nil {
		panic(err)
	}
	return pid
}

func (c *Counter) Init(args any) error { c.total, c.step = args.(int), 10; return nil }

func (c *Counter) HandleCall(req any, from server.From) (any, error) {
	if req == "hook" {
		return c.hook, nil
	}
	c.total += c.step
	c.seen = append(c.seen, req.(string))
	return gerl.T("v2", c.total, len(c.seen)), nil
}

func (c *Counter) HandleCast(msg any) error { return nil }

// CodeChange runs on the new version, with the old state's fields.
func (c *Counter) CodeChange(old map[string]any) error {
	c.total = old["count"].(int)
	c.step = 10
	c.hook = "ran on v2, old count " + gerl.Format(old["count"])
	return nil
}
`

// TestServerStateSurvivesReload: a server started from a module's factory
// takes the new version when the module is reloaded: its state is kept
// (fields of the same name move, the upgrade hook maps the others), the
// hook runs on the new version, and the same process serves on.
func TestServerStateSurvivesReload(t *testing.T) {
	h := newHarness(t)
	h.write("counter.go", counterV1)
	h.load("counter")
	pid := h.call("counter.Start").(term.Pid)
	for i, want := range []term.Tuple{term.T("v1", 101), term.T("v1", 102)} {
		v, err := server.Call(h.me, "counter", "a", waitTime)
		if err != nil || !equalTerms(v, want) {
			t.Fatalf("call %d: %v %v, want %v", i, term.Format(v), err, term.Format(want))
		}
	}
	h.write("counter.go", counterV2)
	if _, err := h.srv.Reload("counter"); err != nil {
		t.Fatal(err)
	}
	v, err := server.Call(h.me, "counter", "b", waitTime)
	if err != nil || !equalTerms(v, term.T("v2", 112, 3)) {
		t.Fatalf("after the reload: %v %v, want {v2,112,3}", term.Format(v), err)
	}
	if v, _ := server.Call(h.me, "counter", "hook", waitTime); v != "ran on v2, old count 102" {
		t.Fatalf("the upgrade hook: %v", v)
	}
	if w, _ := h.node.Whereis("counter"); w != pid {
		t.Fatalf("the server is %v, was %v", w, pid)
	}
	if _, err := sys.GetState(h.node, pid, waitTime); err != nil {
		t.Fatalf("get_state after the upgrade: %v", err)
	}
	// A broken version does not load; the server keeps the one it runs.
	h.write("counter.go", "package counter\n\nfunc Broken( {\n")
	if _, err := h.srv.Reload("counter"); err == nil {
		t.Fatal("a broken module loaded")
	}
	if v, _ := server.Call(h.me, "counter", "c", waitTime); !equalTerms(v, term.T("v2", 122, 4)) {
		t.Fatalf("after a failed reload: %v", term.Format(v))
	}
}

func equalTerms(a, b any) bool { return term.Format(a) == term.Format(b) }
