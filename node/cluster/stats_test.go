package cluster

import (
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

func TestPeersCountTraffic(t *testing.T) {
	ns := memNodes(t, 2, nil)
	a, b := ns[0], ns[1]
	if got := a.Peers(); len(got) != 0 {
		t.Fatalf("peers before any connection: %+v", got)
	}
	me := proc(t, a.Dist)
	echo(t, b.Dist, "echo")
	const n = 50
	for i := 0; i < n; i++ {
		if err := me.Send(term.Name{Name: "echo", Node: b.Name()}, term.T(me.Self(), i)); err != nil {
			t.Fatal(err)
		}
		recv(t, me, "echo", func(m any) bool { return m == i })
	}
	pa := a.Peers()
	if len(pa) != 1 || pa[0].Node != b.Name() || pa[0].State != "up" || !pa[0].Outgoing {
		t.Fatalf("a's peers: %+v", pa)
	}
	if pa[0].FramesOut < n || pa[0].FramesIn < n || pa[0].BytesOut == 0 || pa[0].BytesIn == 0 {
		t.Fatalf("a's traffic: %+v", pa[0])
	}
	// What a sent, b read: the counters agree once the frames are read.
	testkit.Eventually(t, waitTime, "b to count a's frames", func() bool {
		pb := b.Peers()
		return len(pb) == 1 && pb[0].FramesIn == a.Peers()[0].FramesOut
	})
}
