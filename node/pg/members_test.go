package pg

import (
	"reflect"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

func TestSortGroups(t *testing.T) {
	got := sortGroups([]any{10, term.Atom("b"), 9, term.Atom("a"), 2.5, true})
	want := []any{true, 2.5, 9, 10, term.Atom("a"), term.Atom("b")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestMembers checks the membership state's operations one by one.
func TestMembers(t *testing.T) {
	a := term.Pid{Node: "a@h", ID: 1}
	b := term.Pid{Node: "a@h", ID: 2}
	peer := term.Pid{Node: "p@h", ID: 1}
	r := term.Pid{Node: "p@h", ID: 5}
	m := newMembers()
	if fresh := m.joinLocal("g", []term.Pid{a, a, b}); !reflect.DeepEqual(fresh, []term.Pid{a, b}) {
		t.Fatalf("fresh %v", fresh)
	}
	if _, missing := m.notJoined("g", []term.Pid{a, a}); missing {
		t.Fatal("a is in twice")
	}
	if p, missing := m.notJoined("g", []term.Pid{b, b}); !missing || p != b {
		t.Fatal("b is in once")
	}
	if gone := m.leaveLocal("g", []term.Pid{a}); len(gone) != 0 {
		t.Fatalf("gone %v", gone)
	}
	m.setPeer(peer, nil)
	ch := m.setPeer(peer, map[any][]term.Pid{"g": {r, r}, "h": {r}})
	if len(ch) != 2 {
		t.Fatalf("changes %v", ch)
	}
	if got := m.views["g"].all; !reflect.DeepEqual(got, []term.Pid{a, b, r, r}) {
		t.Fatalf("g: %v", got)
	}
	if left := m.peerLeave(peer, "g", []term.Pid{r, r, r}); len(left) != 2 {
		t.Fatalf("left %v", left)
	}
	if gs := m.localDown(a); len(gs) != 1 || gs[0].n != 1 {
		t.Fatalf("local down %v", gs)
	}
	if ch := m.peerDown(peer); len(ch) != 1 || ch[0].group != "h" {
		t.Fatalf("peer down %v", ch)
	}
	if _, ok := m.views["h"]; ok {
		t.Fatal("an empty group kept its view")
	}
	if got := m.views["g"].all; !reflect.DeepEqual(got, []term.Pid{b}) {
		t.Fatalf("g at the end: %v", got)
	}
}
