package node

import (
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// Call is Proc.Call made from outside any process: from a goroutine of the
// embedding program, or by a package's function that must not consume the
// caller's messages. It runs the request in a short-lived process attached
// to the calling goroutine and ends that process afterwards, so a late
// reply is never left behind. If the node stops meanwhile, the error is the
// *ExitError of that process.
func (n *Node) Call(to any, request any, timeout time.Duration) (reply any, err error) {
	p, err := n.Attach("call")
	if err != nil {
		return nil, err
	}
	defer func() {
		_ = n.Exit(p.Self(), term.Kill) // first: also when the call panics
		if r := recover(); r != nil {
			ee, ok := r.(*ExitError)
			if !ok || ee.Pid != p.Self() {
				panic(r)
			}
			reply, err = nil, ee
		}
	}()
	return p.Call(to, request, timeout)
}
