package shell

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/gstack"
	"github.com/gerl-dev/gerl/internal/testkit"
)

// recModule is a module whose function recurses without a base case.
const recModule = `package rec

// Down never stops calling itself.
func Down(n int) int { return Down(n+1) + 1 }

// At reads xs[i].
func At(xs []int, i int) int { return xs[i] }

// Spin never returns and calls nothing.
func Spin() int {
	k := 0
	for {
		k++
	}
}

// SumTo sums xs[0] to xs[n], in a loop.
func SumTo(xs []int, n int) int {
	k := 0
	for i := 0; i <= n; i++ {
		k += xs[i]
	}
	return k
}

// Third is the third element of the tuple m.
func Third(m any) any { return m.(Tuple)[2] }

// Buf makes a buffer of n bytes.
func Buf(n int) []byte { return make([]byte, n) }

// Sum is 0 + 1 + ... + n-1, and the last index of xs.
func Sum(n int, xs []int) (int, int) {
	s, last := 0, -1
	for i := range n {
		s += i
	}
	for last = range xs {
	}
	return s, last
}

// Kind says what the message m is.
func Kind(m any) string {
	switch m {
	case A("ping"):
		return "ping"
	case 1, 2:
		return "small"
	}
	return "other"
}
`

// TestRunawayCodeThroughTheBinary: a recursion without a base case at the
// prompt, in a spawned process and in a module function ends that input
// or process with {stack_overflow, F}; a busy loop killed with exit(p,
// kill) stops, its goroutine gone and the node's CPU back to idle; a make
// past the node's memory limit says so where Go's runtime would end the
// node; and a second node connected throughout sees no nodedown.
func TestRunawayCodeThroughTheBinary(t *testing.T) {
	if !gstack.Supported {
		t.Skip("no stack measurement on this architecture")
	}
	e := newTestEnv(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rec.go"), []byte(recModule), 0o644); err != nil {
		t.Fatal(err)
	}
	// 8 MiB of stack: a runaway recursion reaches it in milliseconds.
	b := e.startNode(t, "-name", "rb@127.0.0.1", "-setcookie", "rc", "-pa", dir, "-max_stack", "8388608", "-max_memory", "1024")
	b.expect("1", "1")
	a := e.startNode(t, "-name", "ra@127.0.0.1", "-setcookie", "rc")
	a.expect(`ping("rb@127.0.0.1")`, "pong")
	a.expect(`monitor_node("rb@127.0.0.1", true)`, "true")

	// At the prompt: the input ends with a clear error, the session goes on.
	b.expect(`x := 7`, "")
	b.expect(`var loop func(n int) int; loop = func(n int) int { return loop(n+1) }`, "")
	out := b.expect(`loop(0)`,
		"stack overflow in loop: the stack reached its limit of 8.0 MiB")
	if strings.Contains(out, "goroutine ") || strings.Contains(out, "runtime.") {
		t.Errorf("the report shows Go's runtime:\n%s", out)
	}
	b.expect(`x`, "7")
	// In a process: its monitor sees the reason.
	b.expect(`_, ref := spawn_monitor(func() { loop(0) }); receive(10000).(Down).Reason`, `{stack_overflow,"loop"}`)
	// In a module function.
	b.expect(`c("rec")`, "{ok,rec}")
	b.expect(`_, ref2 := spawn_monitor(func() { rec.Down(0) }); receive(10000).(Down).Reason`, `{stack_overflow,"rec.Down"}`)
	b.expect(`rec.Down(0)`, "stack overflow in rec.Down")
	// An index out of range says which index and which length, in a
	// module function, at the prompt and in a process's exit reason.
	out = b.expect(`rec.At([]int{1, 2}, 5)`, "index 5 out of range for a slice of length 2")
	// The report shows the user's own line first: the module's file:line.
	if want := "in function  rec.At (rec/rec.go:7)"; !strings.Contains(out, want) {
		t.Errorf("the report does not say where in the module:\n%s\nwant %s", out, want)
	}
	b.expect(`s := []int{1, 2, 3}; s[7]`, "index 7 out of range for a slice of length 3")
	// In loops, at the prompt and in a module, and in a Tuple.
	b.expect(`s3 := []int{1, 2, 3}`, "")
	b.expect(`for i := 0; i <= len(s3); i++ { s3[i]++ }`, "index 3 out of range for a slice of length 3")
	b.expect(`rec.SumTo([]int{1, 2}, 2)`, "index 2 out of range for a slice of length 2")
	b.expect(`rec.SumTo([]int{1, 2}, 1)`, "3")
	b.expect(`rec.Third(T(1, 2, 3))`, "3")
	b.expect(`rec.Third(T(A("ok")))`, "index 2 out of range for a tuple of length 1")
	b.expect(`_, ref3 := spawn_monitor(func() { rec.At(nil, 1) }); receive(10000).(Down).Reason`, `{panic,"index 1 out of range for a slice of length 0"}`)

	// A make past the memory limit (-max_memory 1024: 1 GiB), at the
	// prompt, in a loop, in a module function and in a process; and past
	// the default limit (a share of the machine's memory) on a. Nothing
	// here allocates much: the node's memory watch would print its
	// warning between the outputs.
	const tooMuch = "make: 64 GiB asked for (68719476736 bytes), more than the node's memory limit of 1 GiB (-max_memory)"
	b.expect(`big := 1 << 36`, "68719476736")
	b.expect(`make([]byte, big)`, tooMuch)
	b.expect(`k := 0; for i := big; i > 0; i /= 2 { k += len(make([]byte, i)) }`, tooMuch)
	b.expect(`rec.Buf(big)`, tooMuch+"\n     in function  rec.Buf (rec/rec.go:")
	b.expect(`_, ref4 := spawn_monitor(func() { rec.Buf(big) }); receive(10000).(Down).Reason`, `{panic,"`+tooMuch+`"}`)
	b.expect(`len(rec.Buf(1 << 20))`, "1048576")
	// Go that yaegi cannot run as Go does, in a module: range over an
	// integer, a range loop that assigns,
	b.expect(`rec.Sum(4, []int{7, 8, 9})`, "6, 2")
	// and a switch on an interface value.
	b.expect(`rec.Kind(A("ping")) + rec.Kind(2) + rec.Kind("x")`, `"pingsmallother"`)
	a.expect(`make([]int, 1<<50)`, "make: 8 PiB asked for (1125899906842624 elements of 8 bytes), more than the node's memory limit of ")

	// A busy loop killed: its goroutine ends and the CPU goes back to idle.
	pid, err := strconv.Atoi(strings.TrimSpace(b.eval(`os.Getpid()`)))
	if err != nil {
		t.Fatal(err)
	}
	goroutines := func() int {
		n, err := strconv.Atoi(strings.TrimSpace(b.eval(`runtime.NumGoroutine()`)))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	b.expect(`bp := spawn(func() { k := 0; for { k++ } }); bq := spawn(func() { for { _ = strings.Repeat("x", 8) } }); bm := spawn(func() { rec.Spin() })`, "")
	// More than the idle bound below, not a core: under a loaded CI the
	// node may get well under one CPU for its three busy goroutines.
	testkit.Eventually(t, waitTime, "the busy processes to use CPU", func() bool { return cpuShare(t, pid) > 0.3 })
	// Counted with the three busy goroutines; the node's own come and go
	// (timers, connections), so the test waits for three fewer, not for
	// the count before the spawn.
	busy := goroutines()
	b.expect(`exit(bp, A("kill")); exit(bq, A("kill")); exit(bm, A("kill"))`, "true")
	testkit.Eventually(t, waitTime, "the killed processes' goroutines to end", func() bool { return goroutines() <= busy-3 })
	testkit.Eventually(t, waitTime, "the node's CPU to go back to idle", func() bool { return cpuShare(t, pid) < 0.2 })

	// The peer saw no nodedown all along, and the node still answers.
	a.expect(`receive(0)`, "timeout")
	a.expect(`nodes()`, "['rb@127.0.0.1']")
	b.expect(`1 + 1`, "2")
}

// cpuShare is the share of one CPU process pid used over the next 200 ms,
// from /proc/pid/stat.
func cpuShare(t *testing.T, pid int) float64 {
	t.Helper()
	ticks := func() int64 {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			t.Fatal(err)
		}
		// The fields after the command's ")": utime is the 12th, stime the 13th.
		f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		return u + s
	}
	const window = 200 * time.Millisecond
	before, start := ticks(), time.Now()
	time.Sleep(window)                    // a measurement window, not a synchronization
	used := float64(ticks()-before) / 100 // USER_HZ is 100 on Linux
	return used / time.Since(start).Seconds()
}

// TestRemoteShellEnds: Ctrl-D and q() end -remsh cleanly, and a killed
// node ends it with a one-line message, never a Go panic.
func TestRemoteShellEnds(t *testing.T) {
	e := newTestEnv(t)
	b := e.startNode(t, "-name", "eb@127.0.0.1", "-setcookie", "ec")
	b.expect("1", "1")
	for _, end := range []string{"C-d", "q()"} {
		tm := e.startTmux(t, "-remsh", "eb@127.0.0.1", "-setcookie", "ec")
		tm.waitFor("(eb@127.0.0.1)1>")
		if end == "C-d" {
			tm.send("C-d")
		} else {
			tm.line(end)
		}
		if code := tm.waitExit(); code != 0 {
			t.Errorf("%s in a remote shell: exit status %d\n%s", end, code, tm.screen())
		}
		if s := tm.screen(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
			t.Errorf("%s in a remote shell printed a Go panic:\n%s", end, s)
		}
		b.expect("2 + 2", "4")
	}
	tm := e.startTmux(t, "-remsh", "eb@127.0.0.1", "-setcookie", "ec")
	tm.waitFor("(eb@127.0.0.1)1>")
	b.kill()
	tm.waitExit()
	if s := tm.screen(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") || !strings.Contains(s, "remote shell on eb@127.0.0.1 ended") {
		t.Errorf("a killed node printed in its remote shell:\n%s", s)
	}
}
