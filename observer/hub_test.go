package observer

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

func TestHubRateLimit(t *testing.T) {
	h := newHub("a@mem", 10)
	pid := term.Pid{Node: "a@mem", ID: 1, Creation: 1}
	const t0 = int64(1e18)
	for i := 0; i < 100; i++ {
		h.trace(&node.TraceEvent{Kind: node.TraceSend, Time: t0, Pid: pid, To: pid, Msg: i})
	}
	evs := h.drain(t0)
	if len(evs) != 11 || evs[10].Kind != "dropped" || evs[10].N != 90 || evs[9].Msg != "9" {
		t.Fatalf("a burst of 100 at 10/s: %+v", evs)
	}
	// Half a second later, five tokens are back.
	for i := 0; i < 10; i++ {
		h.trace(&node.TraceEvent{Kind: node.TraceReceive, Time: t0 + 5e8, Pid: pid, From: pid, Msg: i})
	}
	if evs := h.drain(t0 + 5e8); len(evs) != 6 || evs[5].N != 5 || evs[0].Peer != pid.String() {
		t.Fatalf("half a second later: %+v", evs)
	}
	// The ring is bounded too.
	h = newHub("a@mem", 10*ringSize)
	for i := 0; i < ringSize+7; i++ {
		h.trace(&node.TraceEvent{Kind: node.TraceExit, Time: t0, Pid: pid, Msg: term.Atom("normal")})
	}
	if evs := h.drain(t0); len(evs) != ringSize+1 || evs[ringSize].N != 7 {
		t.Fatalf("past the ring: %d events, last %+v", len(evs), evs[len(evs)-1])
	}
}

// A flood of traced messages is cut, the shell is told how much, and the
// traced process is not held up: it sends all its messages.
func TestTraceFloodPrintsDropped(t *testing.T) {
	ns := startCluster(t, "a@mem")
	a := ns[0]
	a.obs.hub.rate, a.obs.hub.tokens = 50, 50
	out := &testkit.Buffer{}
	a.obs.AddPrinter(out)
	me, err := a.node.Attach("test")
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	flooder, err := a.node.Spawn(func(p *node.Proc) {
		p.Receive()
		for i := 0; i < n; i++ {
			_ = p.Send(p.Self(), i)
		}
		_ = p.Send(me.Self(), "done")
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.node.Trace(flooder, true); err != nil {
		t.Fatal(err)
	}
	_ = me.Send(flooder, "go")
	if m, ok := me.ReceiveTimeout(waitTime); !ok || m != "done" {
		t.Fatalf("the flooder did not finish: %v", m)
	}
	// 2n+3 events: the go, n sends and n deliveries, the done, the exit;
	// what was not printed was counted as dropped.
	re := regexp.MustCompile(`\*\*\* (\d+) trace events dropped on a@mem \(rate limit\)`)
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("printed:\n%.3000s", last)
		}
	}()
	testkit.Eventually(t, waitTime, "every event printed or counted", func() bool {
		text := out.String()
		last = text
		total := 0
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			k, _ := strconv.Atoi(m[1])
			total += k
		}
		lines := regexp.MustCompile(`(?m)^\(<`).FindAllStringIndex(text, -1)
		return total > 0 && total+len(lines) == 2*n+3
	})
	_ = a.node.Exit(me.Self(), term.Kill)
}
