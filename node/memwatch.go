package node

import (
	"fmt"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// MaxMemory is the first element of the exit reason of a process killed
// because the node's heap passed its limit while that process had the
// largest mailbox: {max_memory, Limit}.
const MaxMemory term.Atom = "max_memory"

// memWarnShare is the share of the limit past which the watch reports the
// processes with the largest mailboxes (at most once per warnEvery).
const (
	memWarnShare = 0.8
	warnEvery    = 10 * time.Second
	// floodMin is the smallest mailbox the watch kills a process for.
	floodMin = 1000
)

// WatchMemory watches the node's heap until the node stops, every
// interval: past 80% of limit bytes it logs a warning naming the
// processes with the largest mailboxes; past limit it kills the process
// with the largest mailbox (at least 1000 messages) with reason
// {max_memory, Limit}, as Erlang's max_heap_size kills the process that
// grew too large. It also sets the Go runtime's soft memory limit, so the
// collector works harder as the heap nears it. Memory a process holds in
// its own variables (a slice grown forever) cannot be charged to it: the
// warning then says so, and nothing is killed. Call it once; the watch
// ends when the node stops.
func (n *Node) WatchMemory(limit uint64, interval time.Duration) {
	debug.SetMemoryLimit(int64(limit))
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var warned time.Time
		for {
			select {
			case <-n.done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			heap := sample[0].Value.Uint64()
			if float64(heap) < memWarnShare*float64(limit) {
				continue
			}
			procs := n.Processes()
			slices.SortFunc(procs, func(a, b ProcInfo) int { return b.MailboxLen - a.MailboxLen })
			if heap >= limit && len(procs) > 0 && procs[0].MailboxLen >= floodMin {
				p := n.lookup(procs[0].Pid)
				if p != nil {
					n.log.Error("process killed: the node's memory passed its limit and its mailbox was the largest",
						"pid", procs[0].Pid.String(), "func", procs[0].Func, "mailbox", procs[0].MailboxLen,
						"heap", heap, "limit", limit)
					p.terminate(term.Tuple{MaxMemory, limit})
					warned = time.Time{}
					continue
				}
			}
			if time.Since(warned) < warnEvery {
				continue
			}
			warned = time.Now()
			n.log.Warn("the node's memory nears its limit (-max_memory)",
				"heap", heap, "limit", limit, "largest_mailboxes", largestMailboxes(procs, 5))
		}
	}()
}

// largestMailboxes describes the first k processes of procs, sorted by
// mailbox length.
func largestMailboxes(procs []ProcInfo, k int) string {
	var b strings.Builder
	for i, p := range procs[:min(k, len(procs))] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%s) %d messages", p.Pid, p.Func, p.MailboxLen)
	}
	if len(procs) > 0 && procs[0].MailboxLen < floodMin {
		b.WriteString("; no mailbox is flooded: the memory is held by a process's own data, which Go cannot charge to one process")
	}
	return b.String()
}
