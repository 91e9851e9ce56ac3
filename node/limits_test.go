package node

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

// A process whose mailbox passes its limit is killed with reason
// {max_mailbox, Limit}; its monitor sees it; the sender carries on.
func TestMailboxLimit(t *testing.T) {
	n := New(Config{Name: "lim@host"})
	defer n.StopTimeout(waitTime)
	ready := make(chan struct{})
	pid, err := n.Spawn(func(p *Proc) {
		p.SetMaxMailbox(100)
		close(ready)
		p.ReceiveMatch(func(any) bool { return false }, Forever) // never takes one
	})
	if err != nil {
		t.Fatal(err)
	}
	<-ready
	watcher, err := n.Attach("watcher")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Exit(watcher.Self(), term.Kill)
	ref := watcher.Monitor(pid)
	for i := 0; i < 101; i++ {
		if err := watcher.Send(pid, i); err != nil {
			t.Fatal(err)
		}
	}
	d, ok := watcher.ReceiveTimeout(waitTime)
	down, isDown := d.(term.Down)
	if !ok || !isDown || down.Ref != ref {
		t.Fatalf("want the Down of the flooded process, got %v", d)
	}
	if got := term.Format(down.Reason); got != "{max_mailbox,100}" {
		t.Errorf("reason %s, want {max_mailbox,100}", got)
	}
}

// RELIABILITY 4: the memory of a dead process's flooded mailbox goes back
// at once, not at the collector's next cycle.
func TestFloodedMailboxFreedAtDeath(t *testing.T) {
	n := New(Config{Name: "flood@host"})
	defer n.StopTimeout(waitTime)
	pid, err := n.Spawn(func(p *Proc) { p.ReceiveMatch(func(any) bool { return false }, Forever) })
	if err != nil {
		t.Fatal(err)
	}
	sender, err := n.Attach("sender")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Exit(sender.Self(), term.Kill)
	// Without automatic collections, only the node's release can bring
	// the heap back down.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const msgs, size = 200_000, 512 // ~100 MB
	for i := 0; i < msgs; i++ {
		if err := sender.Send(pid, make([]byte, size)); err != nil {
			t.Fatal(err)
		}
	}
	testkit.Eventually(t, waitTime, "the messages to arrive", func() bool {
		info, ok := n.Info(pid)
		return ok && info.MailboxLen == msgs
	})
	if err := n.Exit(pid, term.Kill); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, waitTime, "the flooded mailbox's memory to be collected", func() bool {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc < before.HeapAlloc+msgs*size/4
	})
}

// Past the node's memory limit, the process with the largest mailbox is
// killed with {max_memory, Limit}; the node and the sender carry on.
func TestNodeMemoryLimit(t *testing.T) {
	n := New(Config{Name: "mem@host"})
	defer n.StopTimeout(waitTime)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	limit := heapAfterGC() + 32<<20
	n.WatchMemory(limit, 5*time.Millisecond)
	pid, err := n.Spawn(func(p *Proc) { p.ReceiveMatch(func(any) bool { return false }, Forever) })
	if err != nil {
		t.Fatal(err)
	}
	sender, err := n.Attach("sender")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Exit(sender.Self(), term.Kill)
	ref := sender.Monitor(pid)
	for n.Alive(pid) {
		if err := sender.Send(pid, make([]byte, 1024)); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := sender.ReceiveMatch(func(m any) bool { d, ok := m.(term.Down); return ok && d.Ref == ref }, waitTime)
	if got := term.Format(d.(term.Down).Reason); !strings.HasPrefix(got, "{max_memory,") {
		t.Errorf("reason %s, want {max_memory, Limit}", got)
	}
	if !sender.Alive() {
		t.Error("the sender died too")
	}
}

// Near the node's memory limit with no mailbox flooded, the warning names
// the process whose code has been running longest: the one growing its
// own data, which Go cannot charge to it.
func TestMemoryWarningNamesRunningLongest(t *testing.T) {
	logs := &testkit.Buffer{}
	n := New(Config{Name: "grow@host", Logger: slog.New(slog.NewTextHandler(logs, nil))})
	defer n.StopTimeout(waitTime)
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	limit := heapAfterGC() + 64<<20
	idle, err := n.Spawn(func(p *Proc) { p.ReceiveMatch(func(any) bool { return false }, Forever) })
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	grower, err := n.Spawn(func(p *Proc) {
		var held [][]byte
		for {
			select {
			case <-stop:
				return
			default:
			}
			if len(held) < 56 { // 56 MiB: past 80% of the limit, not past it
				held = append(held, make([]byte, 1<<20))
			}
			runtime.Gosched()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	n.WatchMemory(limit, 5*time.Millisecond)
	testkit.Eventually(t, waitTime, "the warning naming the growing process", func() bool {
		return strings.Contains(logs.String(), "running_longest=\""+grower.String()+" ")
	})
	if strings.Contains(logs.String(), "running_longest=\""+idle.String()) {
		t.Errorf("the warning names the idle process:\n%s", logs.String())
	}
	if !n.Alive(grower) || !n.Alive(idle) {
		t.Error("a process was killed")
	}
}

// heapAfterGC is the heap in use just after a collection: the base of a
// memory limit a test sets.
func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
