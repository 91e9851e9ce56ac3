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
	_, name, err := p.node.resolve(to)
	if err != nil {
		return nil, fmt.Errorf("call: %w", err) // as Send: an error, where Monitor would panic
	}
	callee := to
	if name.Name != "" && name.Node == p.node.name {
		// As gen_server:call: a local name is looked up once, and the
		// process found is the one monitored and sent to (a process
		// registered under the name a moment later gets no request whose
		// answer nobody reads); none: ErrNotRegistered, as Send says.
		pid, ok := p.node.Whereis(name.Name)
		if !ok {
			return nil, fmt.Errorf("call to %s: %w", targetText(to), ErrNotRegistered)
		}
		callee = pid
	}
	body, err := term.Copy(request)
	if err != nil {
		return nil, fmt.Errorf("call to %s: %w", targetText(to), err)
	}
	// Erlang's receive optimization: the answer can only come after the
	// monitor exists, so the receive below, and the clean-up after it, look
	// only at messages that arrived after this mark. A call costs the same
	// whatever waits in the caller's mailbox.
	mark, ref, ok := p.monitorLocalCallee(callee)
	if !ok {
		mark = p.mailboxMark()
		ref = p.Monitor(callee)
		p.mu.Lock()
		p.startCallLocked(pendingCall{ref: ref, on: true})
		p.mu.Unlock()
	}
	var got any // the answer taken, if any
	defer p.endCall(ref, mark, &got)
	// The request is p's own fresh value (its body a copy): it is sent
	// without another copy.
	if err := p.node.send(ctx, p.Self(), callee, term.Request{From: p.Self(), Ref: ref, Body: body}, true); err != nil {
		return nil, fmt.Errorf("call to %s: %w", targetText(to), err)
	}
	msg, ok, cancelled := p.receive(ctx, answersTo(ref), timeout, mark)
	if cancelled {
		return nil, fmt.Errorf("call to %s: %w", targetText(to), ctx.Err())
	}
	if !ok {
		return nil, fmt.Errorf("call to %s: no reply within %v: %w", targetText(to), timeout, ErrTimeout)
	}
	got = msg
	switch x := msg.(type) {
	case term.Reply:
		return x.Value, nil
	case term.Down:
		return nil, &CallError{To: targetCopy(to), Reason: x.Reason}
	}
	panic("unreachable")
}

// pendingCall is the Call a process waits in, if any (a process makes one
// call at a time): its ref, and how many replies were enqueued for it.
// A call to a local process keeps the caller's side of its monitor here,
// not in procExt.watching (monitorLocalCallee): callee is the process
// monitored, and watched is true until the monitor fires or is dropped.
// Guarded by Proc.mu.
type pendingCall struct {
	ref     term.Ref
	on      bool
	local   bool // the monitor is held here (callee, watched)
	watched bool
	replies int32
	callee  term.Pid
}

// monitorLocalCallee starts a Call to callee if it is a local pid: it
// marks p's mailbox, records the call, and monitors callee with the
// monitor's caller side kept in the call, all under one lock of p and with
// no map of p's touched, which is most of what a monitor costs. It returns
// ok false, having done nothing, for any other callee.
func (p *Proc) monitorLocalCallee(callee any) (mark int, ref term.Ref, ok bool) {
	pid, isPid := callee.(term.Pid)
	n := p.node
	if !isPid || !n.IsLocal(pid) {
		return 0, term.Ref{}, false
	}
	p.checkAlive()
	ref = n.MakeRef()
	self := p.Self()
	p.mu.Lock()
	mark = p.mailboxMarkLocked()
	p.startCallLocked(pendingCall{ref: ref, on: true, local: true, watched: true, callee: pid})
	p.mu.Unlock()
	if q := n.lookup(pid); q == nil || !q.addMonitor(ref, self) {
		n.propagate([]signal{{kind: sigDown, from: pid, to: self, ref: ref, reason: term.NoProc}})
	}
	if !p.Alive() {
		// As in Monitor: p's exit may have missed the new monitor.
		n.dropWatch(self, ref, watchTarget{pid: pid})
		p.unwind()
	}
	return mark, ref, true
}

// startCallLocked records c as the call p waits in. Called with p.mu held;
// a call already in progress means a second goroutine calls as p, a misuse
// reported as such.
func (p *Proc) startCallLocked(c pendingCall) {
	e := p.extLocked()
	if e.call.on {
		p.mu.Unlock()
		p.concurrentReceive()
	}
	e.call = c
}

// callingLocked reports whether p waits for the reply to the call ref.
// Called with p.mu held.
func (p *Proc) callingLocked(ref term.Ref) bool {
	return p.ext != nil && p.ext.call.on && p.ext.call.ref == ref
}

// awaitsLocked reports whether p waits for the reply to the call ref, and
// counts one more reply if it does. Called with p.mu held.
func (p *Proc) awaitsLocked(ref term.Ref) bool {
	if !p.callingLocked(ref) {
		return false
	}
	p.ext.call.replies++
	return true
}

// answersTo matches what ends the call ref: its Reply, or its monitor's
// Down.
func answersTo(ref term.Ref) func(any) bool {
	return func(m any) bool {
		switch x := m.(type) {
		case term.Reply:
			return x.Ref == ref
		case term.Down:
			return x.Ref == ref
		}
		return false
	}
}

// endCall ends the call ref, whose answer got is (nil if none came): once
// the call is off, no Reply for it can be enqueued; one that came before
// and was not taken goes now, with a Down that the monitor delivered
// (Demonitor reports whether it could still stop it). Nothing is left to
// remove in the common case, and what is looks only past mark.
func (p *Proc) endCall(ref term.Ref, mark int, got *any) {
	p.mu.Lock()
	var c pendingCall
	if p.ext != nil {
		c = p.ext.call
		p.ext.call = pendingCall{}
	}
	p.mu.Unlock()
	if !p.Alive() {
		return
	}
	var downLeft bool
	if c.local {
		// A monitor no longer watched has delivered its Down, under the
		// same lock that unwatched it.
		downLeft = !c.watched
		if c.watched {
			p.node.dropWatch(p.Self(), ref, watchTarget{pid: c.callee})
		}
	} else {
		downLeft = !p.Demonitor(ref, false)
	}
	replies := c.replies
	switch (*got).(type) {
	case term.Reply:
		replies--
	case term.Down:
		downLeft = false
	}
	if replies > 0 || downLeft {
		p.removeMatching(mark, answersTo(ref), nil)
	}
}

// Reply answers a Call. It is a no-op if the caller stopped waiting.
func (p *Proc) Reply(call term.Request, value any) error {
	// The reply is made here around a copy of value (and of the tag, if
	// an Erlang caller gave one): it is sent without another.
	r := call.ReplyWith(nil)
	var err error
	if r.Value, err = term.Copy(value); err == nil && r.Tag != nil {
		r.Tag, err = term.Copy(r.Tag)
	}
	if err != nil {
		return fmt.Errorf("reply to %s: %w", call.From, err)
	}
	p.checkAlive()
	return p.node.sendToPid(context.Background(), p.Self(), call.From, r, true)
}
