package eval

import "github.com/gerl-dev/gerl/node"

// CurrentProc returns the process the calling goroutine acts as: the
// process whose goroutine it is, or the shell process for the goroutine
// evaluating a shell's input. ok is false on any other goroutine (one
// started with go). It is how native code called from interpreted code
// (hot loading's trampolines) knows which process calls it; it costs a
// goroutine id lookup (a few tens of nanoseconds). Safe for concurrent use.
func (e *Env) CurrentProc() (p *node.Proc, ok bool) {
	a, ok := e.gor.current()
	if !ok {
		return nil, false
	}
	return a.proc, true
}
