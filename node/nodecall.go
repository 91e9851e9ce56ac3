package node

import (
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// Call is Proc.Call made from outside any process: from a goroutine of the
// embedding program, or by a package's function that must not consume the
// caller's messages. It runs the request in a short-lived process (see
// WithProcess), so a late reply is never left behind.
func (n *Node) Call(to any, request any, timeout time.Duration) (reply any, err error) {
	err = n.WithProcess("call", func(p *Proc) error {
		var err error
		reply, err = p.Call(to, request, timeout)
		return err
	})
	return reply, err
}

// WithProcess runs f in a new process attached to the calling goroutine
// (funcName names it in process listings), and ends that process when f
// returns, or panics: whatever it monitored, linked or held goes with it.
// If the process is ended while f waits in it (the node is stopping), the
// wait unwinds and WithProcess returns that process's *ExitError. It is
// how a library function acts as a process of its own (node.Call,
// registrations, stop requests) without a process of the caller's.
func (n *Node) WithProcess(funcName string, f func(p *Proc) error) (err error) {
	p, err := n.Attach(funcName)
	if err != nil {
		return err
	}
	defer func() {
		_ = n.Exit(p.Self(), term.Kill) // first: also when f panics
		if r := recover(); r != nil {
			ee, ok := r.(*ExitError)
			if !ok || ee.Pid != p.Self() {
				panic(r)
			}
			err = ee
		}
	}()
	return f(p)
}
