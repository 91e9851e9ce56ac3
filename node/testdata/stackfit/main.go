// Command stackfit measures whether processes woken from hibernation send
// on their new goroutine's first stack; TestWakeSendFitsTheFirstStack
// (node/hibernate_test.go) builds it without the race detector, which
// enlarges every frame, and runs it with GODEBUG=adaptivestackstart=0, as
// the gerl command runs. It prints the stack memory that k processes took
// to wake, send and park again, and that of k bare parked goroutines:
//
//	woken <bytes> bare <bytes>
//
// Go keeps an ended goroutine's stack for the next one, so processes that
// wake take the stacks their hibernation left and need almost no new
// stack memory, unless their stacks grew: then a new, larger one each.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

const (
	k    = 2000
	wait = time.Minute
)

func main() {
	woken, bare, err := measure()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stackfit:", err)
		os.Exit(1)
	}
	fmt.Printf("woken %d bare %d\n", woken, bare)
}

func stacks() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.StackInuse)
}

func measure() (woken, bare int64, err error) {
	debug.SetGCPercent(-1) // a collection could shrink a grown stack

	release := make(chan struct{})
	var parked sync.WaitGroup
	s0 := stacks()
	for range k {
		parked.Add(1)
		go func() { parked.Done(); <-release }()
	}
	parked.Wait()
	bare = stacks() - s0
	close(release)

	n := node.New(node.Config{})
	defer n.StopTimeout(wait)
	me, err := n.Attach("stackfit")
	if err != nil {
		return 0, 0, err
	}
	resume := func(p *node.Proc) {
		var own [128]byte // the resumed function's own locals
		sink(own[:])
		p.Send(me.Self(), p.Receive())
		p.Receive() // park, holding the stack it sent on
	}
	pids := make([]term.Pid, k)
	for i := range pids {
		if pids[i], err = n.Spawn(func(p *node.Proc) { p.Hibernate(resume) }); err != nil {
			return 0, 0, err
		}
	}
	if err := until(n, pids, "hibernated"); err != nil {
		return 0, 0, err
	}
	s1 := stacks()
	for _, pid := range pids {
		me.Send(pid, 1)
	}
	for range k {
		if _, ok := me.ReceiveTimeout(wait); !ok {
			return 0, 0, fmt.Errorf("a woken process did not answer within %v", wait)
		}
	}
	if err := until(n, pids, "waiting"); err != nil {
		return 0, 0, err
	}
	return stacks() - s1, bare, nil
}

// until waits for every process of pids to have the status, polling with a
// deadline.
func until(n *node.Node, pids []term.Pid, status string) error {
	deadline := time.Now().Add(wait)
	for _, pid := range pids {
		for {
			if info, ok := n.Info(pid); ok && info.Status == status {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%v is not %s after %v", pid, status, wait)
			}
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// sink keeps a buffer on its caller's stack.
//
//go:noinline
func sink(b []byte) { b[0] = 1 }
