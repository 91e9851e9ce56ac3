package node

import (
	"errors"
	"reflect"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

func TestRegistry(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	a, aRef := me.SpawnMonitor(func(p *Proc) {
		for {
			m := p.Receive()
			if m == "stop" {
				return
			}
			p.Send(m, "pong")
		}
	})
	b, _ := n.Spawn(waitForever)

	if err := n.Register("pinger", a); err != nil {
		t.Fatal(err)
	}
	if pid, ok := n.Whereis("pinger"); !ok || pid != a {
		t.Fatalf("whereis = %v, %v", pid, ok)
	}
	me.Send("pinger", me.Self())
	sameTerm(t, recv(t, me), "pong")
	me.Send(term.Name{Name: "pinger", Node: n.Name()}, me.Self())
	sameTerm(t, recv(t, me), "pong")
	me.Send(term.T(term.A("pinger"), n.Name()), me.Self())
	sameTerm(t, recv(t, me), "pong")

	cases := []struct {
		name string
		err  error
		do   func() error
	}{
		{"taken", ErrNameTaken, func() error { return n.Register("pinger", b) }},
		{"second name", nil, func() error { return n.Register("other", a) }},
		{"empty", ErrBadName, func() error { return n.Register("", b) }},
		{"nul", ErrBadName, func() error { return n.Register("a\x00b", b) }},
		{"undefined", ErrBadName, func() error { return n.Register("undefined", b) }},
		{"unknown unregister", ErrNotRegistered, func() error { return n.Unregister("ghost") }},
	}
	for _, c := range cases {
		err := c.do()
		if err == nil || (c.err != nil && !errors.Is(err, c.err)) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.err)
		}
	}
	if err := me.Send("ghost", 1); !errors.Is(err, ErrNotRegistered) {
		t.Errorf("send to unregistered name: %v", err)
	}

	n.Register("b", b)
	if got := n.Registered(); !reflect.DeepEqual(got, []term.Atom{"b", "pinger"}) {
		t.Errorf("registered = %v", got)
	}
	if err := n.Unregister("b"); err != nil {
		t.Fatal(err)
	}
	if err := n.Register("b2", b); err != nil {
		t.Fatalf("re-register after unregister: %v", err)
	}

	// The name is released when its process exits.
	me.Send(a, "stop")
	expectDown(t, me, aRef)
	if _, ok := n.Whereis("pinger"); ok {
		t.Fatal("name survived its process")
	}
	if err := n.Register("pinger", b); err == nil {
		t.Fatal("b already has a name, so registering it again must fail")
	}
	me.Exit(b, term.Kill)
}

func TestRegisterDeadProcess(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	pid, ref := me.SpawnMonitor(func(*Proc) {})
	expectDown(t, me, ref)
	if err := n.Register("late", pid); !errors.Is(err, ErrNoProc) {
		t.Fatalf("register dead: %v", err)
	}
}
