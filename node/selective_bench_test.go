package node

import (
	"testing"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// selectiveBacklog is the backlog of bench's selective_newest workload.
const selectiveBacklog = 100_000

// BenchmarkSelectiveNewest is bench's selective_newest: take the newest
// of 100,000 queued {seq, I}, then queue a newer one. ns/msg is the cost
// per message looked at.
func BenchmarkSelectiveNewest(b *testing.B) {
	nd := New(Config{})
	defer nd.StopTimeout(10 * time.Second)
	me, err := nd.Attach("bench")
	if err != nil {
		b.Fatal(err)
	}
	seq := term.Atom("seq")
	for i := 1; i <= selectiveBacklog; i++ {
		me.Send(me.Self(), term.Tuple{seq, i})
	}
	newest := selectiveBacklog
	b.ResetTimer()
	for range b.N {
		want := newest
		if _, ok := me.ReceiveMatch(func(m any) bool {
			t, ok := m.(term.Tuple)
			return ok && len(t) == 2 && t[0] == seq && t[1] == want
		}, time.Minute); !ok {
			b.Fatalf("no {seq, %d}", want)
		}
		newest++
		me.Send(me.Self(), term.Tuple{seq, newest})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/selectiveBacklog, "ns/msg")
}

// BenchmarkFloorScan is Go's floor under BenchmarkSelectiveNewest: the
// same match run over a plain slice of the same messages (copies, as a
// mailbox holds them), with no process or mailbox. Each message is an
// interface pointing to a slice header pointing to its elements: the
// scan follows pointers that Erlang's flat process heap does not have.
func BenchmarkFloorScan(b *testing.B) {
	seq := term.Atom("seq")
	msgs := make([]any, selectiveBacklog)
	for i := range msgs {
		c, err := term.Copy(term.Tuple{seq, i + 1})
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = c
	}
	found := 0
	b.ResetTimer()
	for range b.N {
		want := selectiveBacklog
		for _, m := range msgs {
			if t, ok := m.(term.Tuple); ok && len(t) == 2 && t[0] == seq && t[1] == want {
				found++
				break
			}
		}
	}
	if found != b.N {
		b.Fatalf("found %d of %d", found, b.N)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/selectiveBacklog, "ns/msg")
}
