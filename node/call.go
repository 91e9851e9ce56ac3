package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// Errors a Call can return; test with errors.Is. A callee that exits makes
// Call return a *CallError whose Reason is the exit reason.
var (
	ErrTimeout = errors.New("timeout")
)

// CallError is returned by Call when the callee exits (or cannot be
// reached) before it replies.
type CallError struct {
	To     any // the pid or name called
	Reason any // the callee's exit reason: noproc, noconnection, {panic, V}...
}

func (e *CallError) Error() string {
	return fmt.Sprintf("call to %s: process exited: %s", term.Format(e.To), term.Format(e.Reason))
}

// Call sends request to a process (pid or name, as for Send) as a
// term.Request and waits up to timeout (Forever waits as long as it takes) for
// the callee's Reply. It is built on a monitor, as gen_server:call is: if
// the callee exits first, Call returns a *CallError with the exit reason; if
// the timeout passes, an error matching ErrTimeout. Either way the monitor
// is removed and a reply that arrives later is dropped, never delivered.
func (p *Proc) Call(to any, request any, timeout time.Duration) (any, error) {
	return p.CallContext(context.Background(), to, request, timeout)
}

// CallContext is Call that also gives up when ctx is done, returning ctx's
// error; the monitor is removed and a late reply dropped as for a timeout.
func (p *Proc) CallContext(ctx context.Context, to any, request any, timeout time.Duration) (any, error) {
	if _, _, err := p.node.resolve(to); err != nil {
		return nil, fmt.Errorf("call: %w", err) // as Send: an error, where Monitor would panic
	}
	ref := p.Monitor(to)
	p.mu.Lock()
	e := p.extLocked()
	if e.calls == nil {
		e.calls = make(map[term.Ref]struct{})
	}
	e.calls[ref] = struct{}{}
	p.mu.Unlock()
	// answers matches what ends the call: its Reply, or its monitor's Down.
	answers := func(m any) bool {
		switch x := m.(type) {
		case term.Reply:
			return x.Ref == ref
		case term.Down:
			return x.Ref == ref
		}
		return false
	}
	defer func() {
		// Once ref is out of calls, no Reply for it can be enqueued; one
		// that came before and was not taken goes now, with its Down.
		p.mu.Lock()
		if p.ext != nil {
			delete(p.ext.calls, ref)
		}
		p.mu.Unlock()
		if p.Alive() {
			p.Demonitor(ref, false)
			p.removeMatching(answers, nil)
		}
	}()
	if err := p.Send(to, term.Request{From: p.Self(), Ref: ref, Body: request}); err != nil {
		return nil, fmt.Errorf("call to %s: %w", term.Format(to), err)
	}
	msg, ok, err := p.ReceiveContext(ctx, answers, timeout)
	if err != nil {
		return nil, fmt.Errorf("call to %s: %w", term.Format(to), err)
	}
	if !ok {
		return nil, fmt.Errorf("call to %s: no reply within %v: %w", term.Format(to), timeout, ErrTimeout)
	}
	switch x := msg.(type) {
	case term.Reply:
		return x.Value, nil
	case term.Down:
		return nil, &CallError{To: to, Reason: x.Reason}
	}
	panic("unreachable")
}

// Reply answers a Call. It is a no-op if the caller stopped waiting.
func (p *Proc) Reply(call term.Request, value any) error {
	return p.Send(call.From, call.ReplyWith(value))
}
