package cluster_test

import (
	"context"
	"fmt"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// Two nodes on an in-memory network: a registered process on one, a send
// by name and an rpc from the other.
func Example() {
	ctx := context.Background()
	net := cluster.NewMemNetwork()
	start := func(name term.Atom) *cluster.Dist {
		d, err := cluster.Start(ctx, cluster.Config{Name: name, Cookie: "secret", Transport: net.Transport(), Registrar: cluster.NoRegistrar{}})
		if err != nil {
			panic(err)
		}
		return d
	}
	foo, bar := start("foo@mem"), start("bar@mem")
	defer foo.Stop(ctx)
	defer bar.Stop(ctx)

	pong, _ := bar.Node().Spawn(func(p *node.Proc) {
		for {
			m := p.Receive().(term.Tuple) // {ping, From}
			p.Send(m[1], term.A("pong"))
		}
	})
	bar.Node().Register("pong", pong)
	bar.RegisterFunc("add", func(a, b int) int { return a + b })

	me, _ := foo.Node().Attach("example")
	me.Send(term.Name{Name: "pong", Node: "bar@mem"}, term.T(term.A("ping"), me.Self()))
	fmt.Println(me.Receive())
	fmt.Println(foo.Nodes())
	sum, err := foo.Call(ctx, "bar@mem", "add", 2, 3)
	fmt.Println(sum, err)
	// Output:
	// pong
	// [bar@mem]
	// 5 <nil>
}
