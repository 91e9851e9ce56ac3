package daemon

import (
	"errors"
	"testing"

	"github.com/gerl-dev/gerl/portmapper"
)

func newReg(name string, highest uint16) *registration {
	return &registration{info: portmapper.NodeInfo{Name: name, Highest: highest, Lowest: 5}}
}

func TestCreation(t *testing.T) {
	tests := []struct {
		name    string
		seed    uint32
		highest uint16
		want    []uint32 // creations of successive registrations of one name
	}{
		{"version 6 counts up from the seed", 1000, 6, []uint32{1001, 1002, 1003}},
		{"version 6 skips 0..3 on wrap-around", 0xfffffffe, 6, []uint32{0xffffffff, 4, 5}},
		{"a seed below 4 starts at 4", 0, 6, []uint32{4, 5, 6}},
		{"version 5 cycles through 1..3", 1000, 5, []uint32{1001%3 + 1, 1002%3 + 1, 1003%3 + 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newRegistry(0)
			g.seed = func() uint32 { return tt.seed }
			for i, want := range tt.want {
				r := newReg("foo", tt.highest)
				got, err := g.register(r)
				if err != nil || got != want {
					t.Fatalf("registration %d: creation %d, %v; want %d", i, got, err, want)
				}
				if tt.highest >= 6 && got < 4 {
					t.Fatalf("creation %d < 4 for a version 6 node", got)
				}
				if !g.unregister(r) {
					t.Fatal("unregister failed")
				}
			}
		})
	}
}

func TestRegistryRules(t *testing.T) {
	g := newRegistry(2)
	a := newReg("a", 6)
	if _, err := g.register(a); err != nil {
		t.Fatalf("first registration refused: %v", err)
	}
	if _, err := g.register(newReg("a", 6)); !errors.Is(err, portmapper.ErrNameTaken) {
		t.Fatalf("duplicate name: %v, want ErrNameTaken", err)
	}
	if _, err := g.register(newReg("b", 6)); err != nil {
		t.Fatalf("second name refused: %v", err)
	}
	if _, err := g.register(newReg("c", 6)); !errors.Is(err, portmapper.ErrTableFull) {
		t.Fatalf("registration beyond MaxNodes: %v, want ErrTableFull", err)
	}
	// Full, and the name taken: the name is the reason given.
	if _, err := g.register(newReg("b", 6)); !errors.Is(err, portmapper.ErrNameTaken) {
		t.Fatalf("taken name in a full table: %v, want ErrNameTaken", err)
	}
	if got := g.snapshot(); len(got) != 2 || got[0].info.Name != "b" || got[1].info.Name != "a" {
		t.Fatalf("snapshot not newest first: %+v", got)
	}
	if g.unregister(newReg("a", 6)) {
		t.Fatal("unregistered a registration that is not the live one")
	}
	if r := g.remove("a"); r != a {
		t.Fatalf("remove returned %v", r)
	}
	if g.unregister(a) {
		t.Fatal("unregistered twice")
	}
	if r := g.remove("a"); r != nil {
		t.Fatal("removed an unknown name")
	}
	if _, ok := g.lookup("a"); ok {
		t.Fatal("removed name still found")
	}
	if _, err := g.register(newReg("c", 6)); err != nil {
		t.Fatalf("registration refused after a slot freed: %v", err)
	}
}

// TestRegistryForgetsOldNames checks that the memory of unregistered names
// is bounded, and that a remembered name continues its counter.
func TestRegistryForgetsOldNames(t *testing.T) {
	g := newRegistry(0)
	seeds := 0
	g.seed = func() uint32 { seeds++; return 100 }
	for i := range maxRemembered + 1 {
		r := newReg("n"+itoa(i), 6)
		g.register(r)
		g.unregister(r)
	}
	if len(g.counter) != maxRemembered || g.unused.Len() != maxRemembered || len(g.unusedE) != maxRemembered {
		t.Fatalf("remembers %d/%d/%d names, want %d", len(g.counter), g.unused.Len(), len(g.unusedE), maxRemembered)
	}
	seeds = 0
	if c, _ := g.register(newReg("n1", 6)); c != 102 || seeds != 0 {
		t.Fatalf("remembered name: creation %d, %d new seeds", c, seeds)
	}
	if c, _ := g.register(newReg("n0", 6)); c != 101 || seeds != 1 {
		t.Fatalf("forgotten name: creation %d, %d new seeds", c, seeds)
	}
}
