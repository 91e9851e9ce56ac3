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
	// memTrackShare is the share past which the watch follows which
	// processes are running code, to name the one running longest.
	memTrackShare = 0.5
	warnEvery     = 10 * time.Second
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
// warning then says so and names the processes whose code (or the shell's
// input, see SetBusy) has been running longest, and nothing is killed. Call it once; the watch
// ends when the node stops.
func (n *Node) WatchMemory(limit uint64, interval time.Duration) {
	debug.SetMemoryLimit(int64(limit))
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var warned time.Time
		since := map[term.Pid]time.Time{} // see trackRunning
		for {
			select {
			case <-n.done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			heap := sample[0].Value.Uint64()
			if float64(heap) < memTrackShare*float64(limit) {
				clear(since)
				continue
			}
			procs := n.Processes()
			now := time.Now()
			n.trackRunning(since, procs, now)
			if float64(heap) < memWarnShare*float64(limit) {
				continue
			}
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
			if len(procs) > 0 && procs[0].MailboxLen < floodMin {
				// No mailbox to blame: name whose code has run longest,
				// the likeliest to be growing its own data.
				n.log.Warn("the node's memory nears its limit (-max_memory)",
					"heap", heap, "limit", limit, "largest_mailboxes", largestMailboxes(procs, 5),
					"running_longest", runningLongest(procs, since, now, 3))
				continue
			}
			n.log.Warn("the node's memory nears its limit (-max_memory)",
				"heap", heap, "limit", limit, "largest_mailboxes", largestMailboxes(procs, 5))
		}
	}()
}

// SetBusy marks an attached process (the shell's) as running code, an
// input, or as idle between inputs: the memory watch names the process
// whose code has run longest, and an attached process is not parked in a
// receive while it waits for the next input. Safe for concurrent use.
func (p *Proc) SetBusy(on bool) {
	p.mu.Lock()
	if on {
		p.extLocked().busySince = time.Now()
	} else if p.ext != nil {
		p.ext.busySince = time.Time{}
	}
	p.mu.Unlock()
}

// trackRunning updates since, the time each process was first seen
// running code (not parked in a receive) and has been running since, from
// procs: an attached process counts from SetBusy, others from the first
// tick of the watch that saw them running.
func (n *Node) trackRunning(since map[term.Pid]time.Time, procs []ProcInfo, now time.Time) {
	running := make(map[term.Pid]bool, len(procs))
	for _, info := range procs {
		if info.Status != "running" {
			continue
		}
		if info.Attached {
			p := n.lookup(info.Pid)
			if p == nil {
				continue
			}
			p.mu.Lock()
			var busy time.Time
			if p.ext != nil {
				busy = p.ext.busySince
			}
			p.mu.Unlock()
			if busy.IsZero() {
				continue
			}
			since[info.Pid] = busy
		} else if _, ok := since[info.Pid]; !ok {
			since[info.Pid] = now
		}
		running[info.Pid] = true
	}
	for pid := range since {
		if !running[pid] {
			delete(since, pid)
		}
	}
}

// runningLongest describes the k processes of procs whose code has been
// running longest, from since (see trackRunning).
func runningLongest(procs []ProcInfo, since map[term.Pid]time.Time, now time.Time, k int) string {
	var list []ProcInfo
	for _, p := range procs {
		if _, ok := since[p.Pid]; ok {
			list = append(list, p)
		}
	}
	slices.SortFunc(list, func(a, b ProcInfo) int { return since[a.Pid].Compare(since[b.Pid]) })
	var b strings.Builder
	for i, p := range list[:min(k, len(list))] {
		if i > 0 {
			b.WriteString(", ")
		}
		what := p.Func
		if p.Attached {
			what = "shell input"
		}
		fmt.Fprintf(&b, "%s (%s) running for %s", p.Pid, what, now.Sub(since[p.Pid]).Round(time.Second))
	}
	return b.String()
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
		b.WriteString("; no mailbox is flooded: the memory is held by a process's own data, which Go cannot charge to one process (see running_longest)")
	}
	return b.String()
}
