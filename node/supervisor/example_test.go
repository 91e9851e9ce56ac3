package supervisor_test

import (
	"fmt"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/supervisor"
	"github.com/gerl-dev/gerl/node/term"
)

// A worker that crashes on bad input, and the supervisor that restarts it
// under the same name.
func Example() {
	n := node.New(node.Config{Name: "demo@localhost"})
	defer n.StopTimeout(node.Forever)

	// doubler answers each call with twice its number. It does not check
	// its input: anything but an int makes it crash.
	doubler := func(p *node.Proc) {
		for {
			if c, ok := p.Receive().(term.Request); ok {
				p.Reply(c, 2*c.Body.(int))
			}
		}
	}
	sup, err := supervisor.Start(n, supervisor.Spec{
		Strategy: supervisor.OneForOne, Intensity: 3, Period: 5 * time.Second,
		Children: []supervisor.Child{
			{ID: "doubler", Start: doubler, Name: "doubler", Restart: supervisor.Permanent},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	me, _ := n.Attach("example") // a process for this goroutine

	v, _ := me.Call("doubler", 21, node.Forever)
	fmt.Println("doubler(21) =", v)

	kids, _ := sup.WhichChildren()
	before := kids[0].Pid
	_, err = me.Call("doubler", "21", node.Forever)
	fmt.Println("doubler(\"21\"):", err)

	// The supervisor has the crash in its mailbox before this request, so
	// it answers with the new child in place.
	kids, _ = sup.WhichChildren()
	fmt.Println("restarted:", kids[0].Pid != before)

	v, _ = me.Call("doubler", 4, node.Forever)
	fmt.Println("doubler(4) =", v)

	fmt.Println("stop:", sup.Stop(node.Forever))
	// Output:
	// doubler(21) = 42
	// doubler("21"): call to "doubler": process exited: {panic,"interface conversion: interface {} is string, not int"}
	// restarted: true
	// doubler(4) = 8
	// stop: <nil>
}
