package observer

import (
	"context"
	"testing"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/supervisor"
)

// BenchmarkPageTick measures what an open page costs the cluster each
// second: one tick of the watcher (the connection table, every node's
// summary by rpc, the cluster view, the trees of the node the page shows)
// and half a refresh of the process table (the page fetches it every 2 s),
// for a node with 10,000 processes and a supervisor. One op is one second
// of an open page: ns/op divided by 1e9 is the share of one core it takes
// (an upper bound: the time includes the rpc round trips' waits).
func BenchmarkPageTick(b *testing.B) {
	ns := startCluster(b, "a@mem", "b@mem")
	a, peer := ns[0], ns[1]
	for i := 0; i < 10000; i++ {
		if _, err := peer.node.Spawn(func(p *node.Proc) { p.Receive() }); err != nil {
			b.Fatal(err)
		}
	}
	sup, err := supervisor.Start(peer.node, supervisor.Spec{Children: []supervisor.Child{
		{ID: "w", Start: func(p *node.Proc) { p.Receive() }}}})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = sup.Stop(waitTime) }()
	if _, err := a.obs.Serve("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	cv := a.obs.srv.cv
	st := &stream{node: "b@mem", out: make(chan sseMsg, 1<<20)}
	a.obs.mu.Lock()
	a.obs.streams[st] = struct{}{}
	a.obs.mu.Unlock()
	ctx := context.Background()
	query := `{"sort":"pid","limit":100}`
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cv.update(ctx)
		cv.push(ctx)
		if i%2 == 0 {
			if _, err := a.obs.rpc(ctx, "b@mem", fnProcesses, query); err != nil {
				b.Fatal(err)
			}
		}
		for len(st.out) > 0 {
			<-st.out
		}
	}
}
