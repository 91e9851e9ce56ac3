package node

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/term"
)

// TestStopLeavesNoGoroutine stops a node whose processes are in every
// state the runtime can be stopped in, and checks no goroutine is left.
func TestStopLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	n := New(Config{Name: "stop@host"})
	me, _ := n.Attach("test")
	var pids []term.Pid
	for i := 0; i < 100; i++ {
		pids = append(pids, me.SpawnLink(waitForever))
	}
	me.TrapExit(true)
	n.Spawn(func(p *Proc) { p.Sleep(time.Hour) })
	n.Spawn(func(p *Proc) { p.ReceiveTimeout(time.Hour) })
	n.Spawn(func(p *Proc) { p.TrapExit(true); waitForever(p) })
	n.Spawn(func(p *Proc) { p.Monitor(pids[0]); p.Call(pids[1], "hi", Forever) })
	for i := 0; i < 100; i++ {
		n.Spawn(func(p *Proc) { p.Spawn(waitForever); waitForever(p) })
	}
	n.Register("x", pids[2])
	if err := n.StopTimeout(waitTime); err != nil {
		t.Fatal(err)
	}
	if c := n.ProcessCount(); c != 0 {
		t.Fatalf("%d processes after stop", c)
	}
	if len(n.Registered()) != 0 {
		t.Fatalf("names after stop: %v", n.Registered())
	}
	if err := n.StopTimeout(waitTime); err != nil {
		t.Fatalf("second stop: %v", err)
	}
}

// TestStopReportsStuckProcess: Go cannot preempt a goroutine; Stop must say
// so rather than hang.
func TestStopReportsStuckProcess(t *testing.T) {
	n := New(Config{})
	release := make(chan struct{})
	started := make(chan struct{})
	n.Spawn(func(p *Proc) { close(started); <-release })
	<-started
	if err := n.StopTimeout(20 * time.Millisecond); err == nil {
		t.Fatal("stop with a stuck process reported success")
	}
	close(release)
	if err := n.StopTimeout(waitTime); err != nil {
		t.Fatalf("stop after release: %v", err)
	}
}

func TestIntrospection(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	pid, _, _ := n.SpawnOpt(me, SpawnOptions{Link: true, Func: "demo.Loop"}, waitForever)
	n.Register("demo", pid)
	me.Send(pid, 1)
	me.Send(pid, 2)
	testkit.Eventually(t, waitTime, "the process waits in receive", func() bool {
		info, _ := n.Info(pid)
		return info.Status == "waiting"
	})
	info, ok := n.Info(pid)
	if !ok || info.Name != "demo" || info.Func != "demo.Loop" || len(info.Links) != 1 || info.Links[0] != me.Self() {
		t.Fatalf("info = %+v", info)
	}
	other, _ := n.Spawn(func(p *Proc) { p.Receive() })
	info, _ = n.Info(other)
	if info.Func == "" || info.Func == "unknown" {
		t.Fatalf("func name of a native process: %q", info.Func)
	}
	me.Send(me.Self(), "queued")
	all := n.Processes()
	if len(all) != 3 || all[0].Pid != me.Self() || all[0].MailboxLen != 1 || !all[0].Attached {
		t.Fatalf("processes = %+v", all)
	}
	if m := n.Memory(); m.Processes != 3 || m.Total == 0 || m.Goroutines < 2 {
		t.Fatalf("memory = %+v", m)
	}
	me.Exit(other, term.Kill)
	me.TrapExit(true)
	me.Exit(pid, term.Kill)
}
