// Package sys is Erlang's sys for gerl's special processes (the servers of
// package server): look at a running server's state, replace it, and ask
// it to take new code, through system requests it answers between two
// messages of its own.
//
//	st, err := sys.GetState(n, "counter", time.Second)
//	_, err = sys.ReplaceState(n, "counter", func(s any) any { s.(*Counter).n = 0; return s }, time.Second)
//
// A state is a Go value, often a pointer, which no message can carry: the
// functions work on servers of the caller's node only, and hand values
// over through the node (node.Extension), never through a mailbox.
// GetState returns a deep copy, so the caller never shares memory with
// the server.
//
// A special process answers with Handle, called from its receive loop on
// every term.Request it receives; Handle reports whether the call was a
// system request.
//
// # Concurrency
//
// The functions may be called from any goroutine. The functions given to
// ReplaceState run in the server's process, between two of its messages.
package sys

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Tag marks system requests: term.Request requests {'$gerl_system', Op, Ref}
// and the message {'$gerl_system', code_change}.
const Tag = term.Atom("$gerl_system")

const (
	opGetState     = term.Atom("get_state")
	opReplaceState = term.Atom("replace_state")
	opCodeChange   = term.Atom("code_change")
)

// ErrRemote is returned for a server of another node.
var ErrRemote = errors.New("a server of another node: sys works on this node's servers (rpc there to inspect one)")

// ErrNotSpecial is returned when the process does not answer system
// requests (it is not a server).
var ErrNotSpecial = errors.New("not a server (it does not answer system requests)")

// Special is what a process answering system requests provides. Its
// methods run in the process itself.
type Special interface {
	// SystemState returns the state (GetState copies it).
	SystemState() any
	// SystemReplaceState runs fn on the state and keeps what it returns.
	SystemReplaceState(fn func(state any) any) (any, error)
	// SystemCodeChange takes the newest code, keeping the state.
	SystemCodeChange() error
}

// pending holds what a request hands over, by the request's ref.
type pending struct {
	mu sync.Mutex
	m  map[term.Ref]*handover
}

type handover struct {
	fn     func(any) any // ReplaceState's
	result any
	err    error
}

type pendingKey struct{}

func table(n *node.Node) *pending {
	return n.Extension(pendingKey{}, func() any { return &pending{m: map[term.Ref]*handover{}} }).(*pending)
}

func (t *pending) put(ref term.Ref, h *handover) {
	t.mu.Lock()
	t.m[ref] = h
	t.mu.Unlock()
}

func (t *pending) take(ref term.Ref) *handover {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := t.m[ref]
	delete(t.m, ref)
	return h
}

// GetState returns a deep copy of the state of the server to (a pid or a
// registered name of this node), waiting at most timeout.
func GetState(n *node.Node, to any, timeout time.Duration) (any, error) {
	h, err := request(n, to, opGetState, &handover{}, timeout)
	if err != nil {
		return nil, fmt.Errorf("sys: get_state %s: %w", term.Format(to), err)
	}
	return h.result, h.err
}

// ReplaceState runs fn in the server to, on its state, and makes what fn
// returns the new state (for a server whose state is a pointer to a
// struct, a value of the same type, whose contents replace the state's);
// it returns the new state. A panic in fn is an error, and the state is
// left as it was.
func ReplaceState(n *node.Node, to any, fn func(state any) any, timeout time.Duration) (any, error) {
	if fn == nil {
		return nil, fmt.Errorf("sys: replace_state %s: a nil function", term.Format(to))
	}
	h, err := request(n, to, opReplaceState, &handover{fn: fn}, timeout)
	if err == nil {
		err = h.err
	}
	if err != nil {
		return nil, fmt.Errorf("sys: replace_state %s: %w", term.Format(to), err)
	}
	return h.result, nil
}

// ChangeCode asks the server to to take the newest version of its code
// (see package server: a server started from a module's factory), and
// waits until it has.
func ChangeCode(n *node.Node, to any, timeout time.Duration) error {
	h, err := request(n, to, opCodeChange, &handover{}, timeout)
	if err == nil {
		err = h.err
	}
	if err != nil {
		return fmt.Errorf("sys: change_code %s: %w", term.Format(to), err)
	}
	return nil
}

// NotifyCodeChange sends the server the same request without waiting: it
// takes the new code before its next message (errors go to its log).
func NotifyCodeChange(n *node.Node, to term.Pid) {
	_ = n.Send(to, term.T(Tag, opCodeChange))
}

func request(n *node.Node, to any, op term.Atom, h *handover, timeout time.Duration) (*handover, error) {
	switch x := to.(type) {
	case term.Pid:
		if !n.IsLocal(x) {
			return nil, ErrRemote
		}
	case term.Name:
		if x.Node != n.Name() {
			return nil, ErrRemote
		}
	}
	ref := n.MakeRef()
	t := table(n)
	t.put(ref, h)
	defer t.take(ref) // if the server never took it
	r, err := n.Call(to, term.T(Tag, op, ref), timeout)
	if err != nil {
		return nil, err
	}
	if r != term.OK {
		return nil, ErrNotSpecial
	}
	return h, nil
}

// IsCodeChange reports whether msg is the message NotifyCodeChange sends.
func IsCodeChange(msg any) bool {
	t, ok := msg.(term.Tuple)
	return ok && len(t) == 2 && t.Tag() == Tag && t[1] == opCodeChange
}

// Handle answers c if it is a system request, acting on sp in the calling
// process (sp's), and reports whether it was one.
func Handle(p *node.Proc, c term.Request, sp Special) bool {
	t, ok := c.Body.(term.Tuple)
	if !ok || len(t) != 3 || t.Tag() != Tag {
		return false
	}
	op, _ := t[1].(term.Atom)
	ref, _ := t[2].(term.Ref)
	h := table(p.Node()).take(ref)
	if h == nil {
		// Not from this node, or the caller gave up: nothing to hand over.
		_ = p.Reply(c, term.T(term.Atom("error"), term.Atom("no_request")))
		return true
	}
	switch op {
	case opGetState:
		h.result, h.err = Clone(sp.SystemState())
	case opReplaceState:
		h.result, h.err = sp.SystemReplaceState(h.fn)
	case opCodeChange:
		h.err = sp.SystemCodeChange()
	default:
		h.err = fmt.Errorf("unknown system request %s", term.FormatAtom(op))
	}
	_ = p.Reply(c, term.OK)
	return true
}
