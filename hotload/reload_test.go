package hotload

import (
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

func TestLoadAndCall(t *testing.T) {
	h := newHarness(t)
	h.write("counter.go", counterSrc("v1", 1))
	l := h.load("counter")
	if l.Module != "counter" || l.Version != 1 || !l.Changed {
		t.Fatalf("loaded %+v", l)
	}
	if got := h.call("counter.Version"); got != "v1" {
		t.Fatalf("Version() = %v", got)
	}
	pid, _ := h.spawn("counter.Loop", 0)
	if got := h.request(pid, "inc"); got != 1 {
		t.Fatalf("inc = %v", got)
	}
}

// A server process survives a reload and answers with the new code after
// its next qualified call.
func TestServerSurvivesReload(t *testing.T) {
	h := newHarness(t)
	h.write("counter.go", counterSrc("v1", 1))
	h.load("counter")
	loop, _ := h.spawn("counter.Loop", 0)
	rec, _ := h.spawn("counter.Rec", 0)
	if got := h.request(loop, "inc"); got != 1 {
		t.Fatalf("loop: inc = %v", got)
	}
	h.waitRunning(loop, "counter", 1)
	h.waitRunning(rec, "counter", 1)

	h.write("counter.go", counterSrc("v2", 10))
	if l, err := h.srv.Reload("counter"); err != nil || l.Version != 2 {
		t.Fatalf("reload: %+v %v", l, err)
	}
	if got := h.call("counter.Version"); got != "v2" {
		t.Fatalf("Version() after reload = %v", got)
	}
	// Loop handles every message through counter.Handle: new code at once.
	if got := h.request(loop, "inc"); got != 11 {
		t.Fatalf("loop: inc after reload = %v, want 11", got)
	}
	if got := h.request(loop, "version"); got != "v2" {
		t.Fatalf("loop: version = %v", got)
	}
	// Rec was waiting in version 1's Rec: that message is handled by the
	// old code, whose qualified self-call then enters version 2.
	if got := h.request(rec, "inc"); got != 1 {
		t.Fatalf("rec: first inc after reload = %v, want 1 (old code)", got)
	}
	if got := h.request(rec, "inc"); got != 11 {
		t.Fatalf("rec: second inc after reload = %v, want 11 (new code)", got)
	}
	for _, pid := range []term.Pid{loop, rec} {
		if v, _ := h.srv.RunningVersion(pid, "counter"); v != 2 {
			t.Fatalf("%s runs version %d, want 2", pid, v)
		}
	}
}

// Loading a third version ends the processes still in the oldest, with
// reason killed and a log line naming them; the others live on.
func TestThirdLoadKillsOldest(t *testing.T) {
	h := newHarness(t)
	h.write("counter.go", counterSrc("v1", 1))
	h.load("counter")
	stuck, stuckRef := h.spawn("counter.Stuck")
	loop, loopRef := h.spawn("counter.Loop", 0)
	h.request(loop, "inc")
	h.waitRunning(stuck, "counter", 1)

	h.write("counter.go", counterSrc("v2", 1))
	if l, err := h.srv.Reload("counter"); err != nil || len(l.Killed) != 0 {
		t.Fatalf("second load: %+v %v", l, err)
	}
	h.request(loop, "inc") // moves loop to version 2
	info, _ := h.srv.Module("counter")
	if info.Version != 2 || info.OldVersion != 1 || len(info.Running[1]) != 1 || info.Running[1][0] != stuck {
		t.Fatalf("module info %+v", info)
	}

	h.write("counter.go", counterSrc("v3", 1))
	l, err := h.srv.Reload("counter")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Killed) != 1 || l.Killed[0] != stuck {
		t.Fatalf("killed %v, want [%s]", l.Killed, stuck)
	}
	if d := h.down(stuckRef); d.Reason != term.Killed {
		t.Fatalf("stuck exited with %v, want killed", term.Format(d.Reason))
	}
	if !strings.Contains(h.logs.String(), stuck.String()) || !strings.Contains(h.logs.String(), "killed") {
		t.Fatalf("no log line naming %s:\n%s", stuck, h.logs)
	}
	if got := h.request(loop, "version"); got != "v3" {
		t.Fatalf("loop: version = %v", got)
	}
	if _, ok := h.me.ReceiveMatch(func(m any) bool { d, ok := m.(term.Down); return ok && d.Ref == loopRef }, 0); ok {
		t.Fatal("loop died")
	}
}
