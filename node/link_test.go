package node

import (
	"errors"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

func TestLinkPropagatesAbnormalExit(t *testing.T) {
	tests := []struct {
		name      string
		reason    any
		wantOther any // exit reason of the linked process, nil if it survives
	}{
		{"panic", "crash", term.T(term.PanicTag, "crash")},
		{"custom", term.A("boom"), term.A("boom")},
		{"normal does not propagate", term.Normal, nil},
		{"killed propagates as killed", term.Kill, term.Killed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := newTestNode(t)
			me := testProc(t, n)
			other, otherRef := me.SpawnMonitor(waitForever)
			victim, victimRef := me.SpawnMonitor(func(p *Proc) {
				if err := p.Link(other); err != nil {
					panic(err)
				}
				p.Receive() // wait for the go-ahead
				switch r := tc.reason.(type) {
				case string:
					panic(r)
				default:
					if r == term.Kill {
						p.Exit(p.Self(), term.Kill)
					}
					p.ExitSelf(r)
				}
			})
			me.Send(victim, "go")
			expectDown(t, me, victimRef)
			if tc.wantOther == nil {
				me.Exit(other, term.A("cleanup"))
				sameTerm(t, expectDown(t, me, otherRef), term.A("cleanup"))
				return
			}
			sameTerm(t, expectDown(t, me, otherRef), tc.wantOther)
		})
	}
}

func TestLinkIsBidirectional(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	me.TrapExit(true)
	child := me.SpawnLink(waitForever)
	me.Exit(child, term.A("stop"))
	sameTerm(t, expectExit(t, me, child), term.A("stop"))
}

func TestTrapExitTurnsSignalsIntoMessages(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	me.TrapExit(true)
	crasher := me.SpawnLink(func(p *Proc) { p.Receive(); panic("bad") })
	me.Send(crasher, "go")
	sameTerm(t, expectExit(t, me, crasher), term.T(term.PanicTag, "bad"))
	normal := me.SpawnLink(func(p *Proc) {})
	sameTerm(t, expectExit(t, me, normal), term.Normal)
}

func TestLinkToDeadProcess(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	dead, ref := me.SpawnMonitor(func(p *Proc) {})
	expectDown(t, me, ref)
	if err := me.Link(dead); !errors.Is(err, ErrNoProc) {
		t.Fatalf("link to dead: %v, want ErrNoProc", err)
	}
	me.TrapExit(true)
	if err := me.Link(dead); err != nil {
		t.Fatalf("trapping link to dead: %v", err)
	}
	sameTerm(t, expectExit(t, me, dead), term.NoProc)
	if len(me.Links()) != 0 {
		t.Fatalf("links after failed link: %v", me.Links())
	}
}

func TestUnlinkStopsPropagation(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	other, otherRef := me.SpawnMonitor(waitForever)
	victim, victimRef := me.SpawnMonitor(func(p *Proc) {
		p.Link(other)
		p.Unlink(other)
		p.Receive()
		panic("crash")
	})
	me.Send(victim, "go")
	expectDown(t, me, victimRef)
	me.Exit(other, term.A("done"))
	sameTerm(t, expectDown(t, me, otherRef), term.A("done"))
}

func TestSpawnLinkChainDiesTogether(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	// A chain of 10000 linked processes: killing the head ends them all
	// (signals are propagated iteratively, not by recursion).
	const length = 10000
	var build func(p *Proc, left int)
	build = func(p *Proc, left int) {
		if left > 0 {
			p.SpawnLink(func(c *Proc) { build(c, left-1) })
		} else {
			p.Send(me.Self(), "built") // the last link is in place
		}
		waitForever(p)
	}
	head, ref := me.SpawnMonitor(func(p *Proc) { build(p, length) })
	// 10000 spawns one after the other: under the race detector on a
	// loaded machine that takes longer than waitTime.
	built, ok := me.ReceiveTimeout(10 * waitTime)
	if !ok {
		t.Fatalf("the chain was not built within %v", 10*waitTime)
	}
	sameTerm(t, built, "built")
	if c := n.ProcessCount(); c != length+2 {
		t.Fatalf("%d processes, want the chain of %d, its head and the test's", c, length)
	}
	me.Exit(head, term.A("cascade")) // the signals spread before it returns
	if c := n.ProcessCount(); c != 1 {
		t.Fatalf("%d processes after the head's exit, want only the test's", c)
	}
	sameTerm(t, expectDown(t, me, ref), term.A("cascade"))
}

func TestSpawnLinkIsAtomic(t *testing.T) {
	// A child that dies at once still reaches its parent.
	n, _ := newTestNode(t)
	me := testProc(t, n)
	me.TrapExit(true)
	for i := 0; i < 200; i++ {
		child := me.SpawnLink(func(p *Proc) { panic("instant") })
		sameTerm(t, expectExit(t, me, child), term.T(term.PanicTag, "instant"))
	}
}
