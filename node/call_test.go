package node

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// server answers {add, A, B} with A+B, answers {slow} only once it is sent
// "go", and panics on crash.
func server(p *Proc) {
	for {
		c, ok := p.Receive().(term.Request)
		if !ok {
			continue
		}
		req := c.Body.(term.Tuple)
		switch req.Tag() {
		case "add":
			p.Reply(c, req[1].(int)+req[2].(int))
		case "slow":
			p.ReceiveMatch(func(m any) bool { return m == "go" }, Forever)
			p.Reply(c, "late")
		case "crash":
			panic("asked to crash")
		}
	}
}

func TestCall(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	srv, _ := n.Spawn(server)
	if err := n.Register("calc", srv); err != nil {
		t.Fatal(err)
	}

	v, err := me.Call(srv, term.T(term.A("add"), 2, 3), time.Second*10)
	if err != nil || v != 5 {
		t.Fatalf("call = %v, %v", v, err)
	}
	v, err = me.Call("calc", term.T(term.A("add"), 1, 1), Forever)
	if err != nil || v != 2 {
		t.Fatalf("call by name = %v, %v", v, err)
	}

	// Timeout: a clear error, and the late reply never lands.
	_, err = me.Call(srv, term.T(term.A("slow")), time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("slow call: %v, want ErrTimeout", err)
	}
	// The server answers late; a second call proves the late reply was
	// dropped, because it is sent before the second one's.
	_ = me.Send(srv, "go")
	v, err = me.Call(srv, term.T(term.A("add"), 3, 4), waitTime)
	if err != nil || v != 7 {
		t.Fatalf("call after timeout = %v, %v", v, err)
	}
	noMessage(t, me)

	// Callee dies: CallError with the reason.
	_, err = me.Call(srv, term.T(term.A("crash")), waitTime)
	var ce *CallError
	if !errors.As(err, &ce) {
		t.Fatalf("call to crashing server: %v", err)
	}
	sameTerm(t, ce.Reason, term.T(term.PanicTag, "asked to crash"))
	noMessage(t, me)

	// Dead callee: noproc.
	_, err = me.Call(srv, term.T(term.A("add"), 1, 2), waitTime)
	if !errors.As(err, &ce) || ce.Reason != term.NoProc {
		t.Fatalf("call to dead server: %v", err)
	}
	_, err = me.Call("calc", 1, waitTime)
	if !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("call to a name whose process died: %v, want ErrNotRegistered", err)
	}
	noMessage(t, me)

	// Not a pid or a name: an error, as Send gives, not a panic.
	if _, err := me.Call(42, 1, waitTime); err == nil || !strings.Contains(err.Error(), "not a pid or a name") {
		t.Fatalf("call to 42: %v", err)
	}
	noMessage(t, me)
}
