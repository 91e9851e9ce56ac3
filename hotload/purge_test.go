package hotload

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

func TestSoftPurgeAndPurge(t *testing.T) {
	h := newHarness(t)
	h.write("counter.go", counterSrc("v1", 1))
	h.load("counter")
	if ok, err := h.srv.SoftPurge("counter"); ok || err != nil {
		t.Fatalf("soft purge without old code: %v %v", ok, err)
	}
	stuck, ref := h.spawn("counter.Stuck")
	h.waitRunning(stuck, "counter", 1)
	h.write("counter.go", counterSrc("v2", 1))
	h.load("counter")

	// Soft purge refuses while a process runs version 1.
	ok, err := h.srv.SoftPurge("counter")
	if ok || !errors.Is(err, ErrInUse) {
		t.Fatalf("soft purge with a process in old code: %v %v", ok, err)
	}
	if info, _ := h.srv.Module("counter"); info.OldVersion != 1 {
		t.Fatalf("refused soft purge removed the old version: %+v", info)
	}
	if !h.node.Alive(stuck) {
		t.Fatal("soft purge killed")
	}
	if got := h.srv.softPurge("counter"); got {
		t.Fatal("soft_purge() answered true")
	}

	killed, err := h.srv.Purge("counter")
	if err != nil || len(killed) != 1 || killed[0] != stuck {
		t.Fatalf("purge: %v %v", killed, err)
	}
	if d := h.down(ref); d.Reason != term.Killed {
		t.Fatalf("exit reason %s", term.Format(d.Reason))
	}
	if info, _ := h.srv.Module("counter"); info.OldVersion != 0 || info.Version != 2 {
		t.Fatalf("after purge: %+v", info)
	}

	// With nobody in the old code, soft purge removes it.
	h.write("counter.go", counterSrc("v3", 1))
	h.load("counter")
	if ok, err := h.srv.SoftPurge("counter"); !ok || err != nil {
		t.Fatalf("soft purge of unused old code: %v %v", ok, err)
	}
	if _, err := h.srv.Purge("nosuch"); !errors.Is(err, ErrNotLoaded) {
		t.Fatalf("purge of an unknown module: %v", err)
	}
}

// A process that left the module (its qualified call returned into code
// that is not the module's) runs no version and survives any number of
// loads; one that sits in a version's code is killed when it is purged.
func TestWhoRunsWhat(t *testing.T) {
	h := newHarness(t)
	h.write("counter.go", counterSrc("v1", 1))
	h.load("counter")
	// A native server loop calling counter.Handle by name is a process
	// that is in the module only during each call.
	pid, err := h.node.Spawn(func(p *node.Proc) {
		for {
			req := p.Receive()
			handle, _ := h.env.Lookup("counter.Handle") // by name: the current version
			reflect.ValueOf(handle).Call([]reflect.Value{reflect.ValueOf(req), reflect.ValueOf(0)})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	h.request(pid, "inc")
	// It replied from inside Handle; it leaves the module when Handle
	// returns.
	testkit.Eventually(t, waitTime, "the native loop leaves the module", func() bool {
		_, ok := h.srv.RunningVersion(pid, "counter")
		return !ok
	})
	for i := 2; i <= 4; i++ {
		h.write("counter.go", counterSrc("v", i))
		h.load("counter")
	}
	if got := h.request(pid, "inc"); got != 4 {
		t.Fatalf("native loop after three loads: %v", got)
	}
}
