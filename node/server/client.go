package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Caller makes a request and waits for the answer: a process
// (*node.Proc), or a node (*node.Node, which calls from a short-lived
// process of its own).
type Caller interface {
	Call(to any, request any, timeout time.Duration) (any, error)
}

// Sender sends a message: a process, or a node (no sender).
type Sender interface {
	Send(to any, msg any) error
}

// Call sends req to the server to (a pid, a registered name, a
// term.Name{Name, Node} on another node) and waits at most timeout for
// its reply (node.Forever: as long as it takes). A server that exits
// first makes it return a *node.CallError with the exit reason; a timeout
// an error matching node.ErrTimeout (the late reply is dropped).
func Call(c Caller, to any, req any, timeout time.Duration) (any, error) {
	return c.Call(to, req, timeout)
}

// Cast sends msg to the server's HandleCast without waiting, as Erlang's
// cast: it succeeds even if no server is there. Only a message that cannot
// be sent is an error.
func Cast(s Sender, to any, msg any) error {
	if err := s.Send(to, term.T(tagCast, msg)); errors.Is(err, term.ErrUnsendable) {
		return fmt.Errorf("server: cast to %s: %w", term.Format(to), err)
	}
	return nil
}

// Reply answers a request HandleCall left unanswered (NoReply), from any
// process (or none: s may be the node).
func Reply(s Sender, from From, value any) error {
	if err := s.Send(from.From, from.ReplyWith(value)); err != nil {
		return fmt.Errorf("server: reply to %s: %w", from.From, err)
	}
	return nil
}

// Stop stops the server to with reason (Erlang's gen_server:stop): it
// calls Terminate and exits. Stop waits at most timeout for it to be gone,
// and returns an error matching node.ErrTimeout if it is not, or a
// *node.CallError if it had exited already (noproc) or exited with another
// reason.
func Stop(n *node.Node, to any, reason any, timeout time.Duration) error {
	err := n.WithProcess("server stop", func(p *node.Proc) error {
		ref := p.Monitor(to)
		if err := p.Send(to, term.T(tagStop, reason, ref)); err != nil {
			p.Demonitor(ref, true)
			return err
		}
		m, ok := p.ReceiveMatch(func(m any) bool {
			d, ok := m.(term.Down)
			return ok && d.Ref == ref
		}, timeout)
		if !ok {
			p.Demonitor(ref, true)
			return fmt.Errorf("not stopped within %v: %w", timeout, node.ErrTimeout)
		}
		if d := m.(term.Down); !sameReason(d.Reason, reason) {
			return &node.CallError{To: to, Reason: d.Reason}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("server: stop %s: %w", term.Format(to), err)
	}
	return nil
}

func sameReason(a, b any) bool { return term.Format(a) == term.Format(b) }
