package eval

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// mistakes are what students type in a workshop: each must end with a
// clear error in gerl's words and leave the session and node answering.
var mistakes = []struct{ in, want string }{
	// nil maps, nil pointers, indexes
	{`var m map[string]int; m["a"] = 1`, "assignment to entry in nil map"},
	{`var p *struct{ X int }; p.X`, "nil pointer"},
	{`var s []int; s[3]`, "index 3 out of range for a slice of length 0"},
	{`s := []int{1, 2, 3}; s[5]`, "index 5 out of range for a slice of length 3"},
	{`t3 := []int{1, 2, 3}`, "[1,2,3]"},
	{`t3[6]`, "index 6 out of range for a slice of length 3"},
	{`type idx int; var jx idx = 5`, ""},
	{`k := 0; for n := 0; n < 2; n++ { k += t3[jx] }; k`, "index 5 out of range for a slice of length 3"},
	{`d := 4 * time.Nanosecond`, "4ns"},
	{`k := 0; for n := 0; n < 2; n++ { k += t3[d] }; k`, "index 4 out of range for a slice of length 3"},
	{`func at(xs []int, i int) int { return xs[i] }; at([]int{1}, 4)`, "index 4 out of range for a slice of length 1\n     in function  at (line 1 of the input)"},
	{`n := -1; []string{"a"}[0] + "abc"[:1] + []string{"b"}[0:1][n+1]`, `"aab"`},
	{`m := map[string]int{"a": 1}; m["a"] + m["b"]`, "1"},
	{`s := []int{1, 2, 3}; i := 7; s[i] = 1`, "index 7 out of range for a slice of length 3"},
	{`s := []int{1, 2, 3}; s[2:1]`, "invalid index values"},
	{`a := [3]int{}; i := 4; a[i]`, "index 4 out of range for an array of length 3"},
	{`str := "abc"; i := 10; str[i]`, "index 10 out of range for a string of length 3"},
	{`x := 0; 1 / x`, "integer divide by zero"},
	// indexes in loops: the classic off-by-ones
	{`s := []int{1, 2, 3}; for i := 0; i <= len(s); i++ { s[i] = i }`, "index 3 out of range for a slice of length 3"},
	{`s := []int{1, 2, 3}; k := 0; for i := range s { k += s[i+1] }`, "index 3 out of range for a slice of length 3"},
	{`s := []int{1, 2, 3}; for i := range s { if s[i-1] > 0 { break } }`, "index -1 out of range for a slice of length 3"},
	{`str := "abc"; for i := len(str); i >= 0; i-- { println(str[i]) }`, "index 3 out of range for a string of length 3"},
	{`func last(xs []int) int { k := 0; for i := 0; i <= len(xs); i++ { k = xs[i] }; return k }; last([]int{1})`, "index 1 out of range for a slice of length 1\n     in function  last (line 1 of the input)"},
	{`_, ref := spawn_monitor(func() { s := make([]int, 2); for i := 0; ; i++ { s[i] = i } }); receive(10000).(Down).Reason`, `{panic,"index 2 out of range for a slice of length 2"}`},
	{`s := []int{1, 2}; for i := 0; i < 5 && s[i] > 0; i++ { }`, "index out of range"},
	{`func walk(xs []int) int { k := 0; for i := 0; i < len(xs); i++ { switch { case xs[i] > 2: k += xs[i]; default: k -= xs[i] }; if i > 0 && xs[i-1] == 1 { k++ } }; return k }; walk([]int{1, 2, 3, 4})`, "5"},
	{`s := []int{1, 2, 3}; k := 0; for i := range s { s = s[:1]; k += s[i] }`, "index 1 out of range for a slice of length 1"},
	// channels
	{`c := make(chan int); close(c); c <- 1`, "send on closed channel"},
	{`c := make(chan int); close(c); close(c)`, "close of closed channel"},
	{`var c chan int; close(c)`, "close of nil channel"},
	// type assertions and conversions on messages
	{`self() ! "hi"; receive(1000).(int)`, "string is not int"},
	{`var x any = A("ok"); x.(Tuple)`, "is gerl.Atom, not gerl.Tuple"},
	{`self() ! T(A("x")); receive(1000).(Tuple)[3]`, "index 3 out of range for a tuple of length 1"},
	{`self() ! T(A("x")); m := receive(1000).(Tuple); m[3]`, "index 3 out of range for a tuple of length 1"},
	{`self() ! T(A("x"), 1); m := receive(1000).(Tuple); for i := 0; i < 3; i++ { println(m[i]) }`, "index 2 out of range for a tuple of length 2"},
	// a typo in a message: the name is undefined, not nil
	{`self() ! T(A("x"), cuont)`, "undefined: cuont"},
	{`self() ! Tuple{A("x"), cuont}`, "undefined: cuont"},
	{`msg := Tuple{A("x"), *cuont}`, "undefined: cuont"},
	{`xs := []int{1, cuont}`, "1:16: undefined: cuont (or not a value)"},
	{`ps := []Pid{self(), cuont}`, "1:21: undefined: cuont (or not a value)"},
	// built-ins given the wrong thing
	{`i(whereis("nobody"))`, "undefined"},
	{`link(whereis("nobody"))`, "undefined"},
	{`monitor(42)`, "monitor"},
	{`exit(A("nope"), A("kill"))`, "exit"},
	{`send(42, "x")`, ""},
	{`receive(-5)`, "negative"},
	{`sleep(-1)`, "negative"},
	{`call(self(), "x", -3)`, "negative"},
	{`register("me", 42)`, "cannot convert untyped int to gerl.Pid"},
	// recursion, loops, deadlocks
	{`var f func(int) int; f = func(n int) int { return f(n+1) }; f(0)`, "stack overflow in f"},
	{`func fact(n int) int { return n * fact(n-1) }; fact(5)`, "stack overflow in fact"},
	{`_, ref := spawn_monitor(func() { var g func(); g = func() { g() }; g() }); receive(10000).(Down).Reason`, `{stack_overflow,"g"}`},
	{`receive(50)`, "timeout"},
	{`p := spawn(func() { for { } }); exit(p, A("kill"))`, "true"},
	{`c := make(chan int); select { case <-c: case <-time.After(10 * time.Millisecond): }; "ok"`, `"ok"`},
	// panics in processes are reported as the process's exit reason
	{`_, ref := spawn_monitor(func() { var m map[int]int; m[1] = 1 }); receive(10000).(Down).Reason`, "assignment to entry in nil map"},
	{`_, ref := spawn_monitor(func() { var s []int; _ = s[2] }); receive(10000).(Down).Reason`, `{panic,"index 2 out of range for a slice of length 0"}`},
	// (the process fails at once, and its DOWN is taken here: a later
	// receive at the prompt must not get it, and no process of this test
	// may panic while a later input compiles)
	{`_, ref := spawn_monitor(func() { self() ! 1; _ = receive(1000).(string) }); ref2 := ref; receive(10000).(Down).Ref == ref2`, "true"},
	// floods
	{`me := self(); fp, _ := spawn_monitor(func() { process_flag(A("max_mailbox"), 10); me ! A("ready"); sleep(A("infinity")) }); receive(10000); for i := 0; i < 20; i++ { fp ! i }; receive(10000).(Down).Reason`, "{max_mailbox,10}"},
	// the blank identifier outside functions, after _, ref := spawn_monitor
	// above made it a Pid in the interpreter's global scope
	{`_ = make([]byte, 3); _ = len("ab") + 1; _ = "s"; "ok"`, `"ok"`},
	{`for i := 0; i < 2; i++ { _ = map[int]int{}; _ = i + 1 }; "ok"`, `"ok"`},
	{`c2 := 0; _, c2 = len("ab"), 5; c2`, "5"},
	// range over an integer (Go 1.22) and range loops that assign, which
	// yaegi cannot run as Go does
	{`s := 0; for i := range 4 { s += i }; s`, "6"},
	{`fs := []func() int{}; for i := range 3 { fs = append(fs, func() int { return i }) }; T(fs[0](), fs[1](), fs[2]())`, "{0,1,2}"},
	{`var j int; for j = range []int{4, 5} {}; j`, "1"},
	{`var kv, vv int; for kv, vv = range []int{4, 5} {}; T(kv, vv)`, "{1,5}"},
	{`func upTo(n int64) (s int64) { for i := range n { s += i }; return }; upTo(5)`, "10"},
	// a switch on a message (an interface value), which yaegi could not
	// compare, and a case list, of which yaegi looked at the first only
	{`self() ! A("ping"); r := ""; switch receive(1000) { case A("ping"): r = "pong"; default: r = "?" }; r`, `"pong"`},
	{`self() ! T(A("add"), 2); switch m := receive(1000).(Tuple); m[0] { case A("sub"): r = "sub"; case A("mul"), A("add"): r = "arith" }; r`, `"arith"`},
	{`yes, no := true, false; switch { case no, yes: r = "listed" }; r`, `"listed"`},
	// Go 1.21's min, max and clear
	{`lo, hi := 3, 9; T(min(lo, hi, 5), max(2.5, 1), min("b", "a"))`, `{3,2.5,"a"}`},
	{`mm := map[int]int{1: 1}; clear(mm); len(mm)`, "0"},
	{`import "math"`, ""},
	{`min(math.Pi, 1)`, "min works at the prompt where gerl knows its arguments' types"},
	// the two-value forms outside functions, which yaegi could not compile
	// there ("nil type")
	{`self() ! T(A("a")); msg, ok := receive(1000).(Tuple); T(msg, ok)`, "{{a},true}"},
	{`mp := map[string]int{"a": 1}`, ""},
	{`vv, found := mp["b"]; T(vv, found)`, "{0,false}"},
	{`var anyv any = 3; kind := ""; if n, ok := anyv.(int); ok && n == 3 { kind = "three" }; kind`, `"three"`},
	{`tc := make(chan time.Time, 1); tc <- time.Now()`, ""},
	{`tt, tok := <-tc`, "write it inside a function, or declare the value with its type first"},
	// a type switch that binds its value, outside functions
	{`self() ! T(A("hi"), 2); kind := ""; switch m := receive(1000).(type) { case Tuple: kind = fmt.Sprint("tuple of ", len(m)); default: kind = "other" }; kind`, `"tuple of 2"`},
	// select cases that receive two values or assign what they receive
	{`sc := make(chan int, 1); sc <- 4; var sv int; var sok bool; select { case sv, sok = <-sc: }; T(sv, sok)`, "{4,true}"},
	{`close(sc); shut := false; select { case _, open := <-sc: shut = !open }; shut`, "true"},
	// huge allocations
	{`make([]byte, 1<<62)`, "make: 4 EiB asked for (4611686018427387904 bytes), more than the node's memory limit of 1 GiB"},
	{`n := 1 << 40; make([]int, n)`, "make: 8 TiB asked for (1099511627776 elements of 8 bytes), more than the node's memory limit of 1 GiB"},
	{`n := 1 << 40; for i := 0; i < 3; i++ { println(len(make([]byte, n))) }`, "make: 1 TiB asked for (1099511627776 bytes), more than"},
	{`n := -1; make([]int, n)`, "negative"},
	// a pid from a negative id (it was a pid of id 2^64-1)
	{`pid(-1)`, "pid: -1 is not a process id (ids are 0 or more)"},
	// a multicall of a function that fails, on a node without
	// distribution: the node answered (it was listed as one that could
	// not be reached)
	{`multicall("nosuch.F")`, `[{badrpc,"rpc nosuch.F on sh@host: no such function"}], []`},
	{`multicall("strings.ToUpper", 1)`, `[{badrpc,"rpc strings.ToUpper: argument 1: cannot use 1 (int) as string"}], []`},
	// a function literal called at once, typed first in an input: yaegi
	// declared it as a function main and ran it again after every later
	// input (a panic in it failed every input after)
	{`runs := 0`, "0"},
	{`func() { runs++ }()`, ""},
	{`runs`, "1"},
	{`func() { panic("once") }()`, "** exception error: once"},
	// log.Fatal ends the input or the process, not the node (Go's exits)
	{`log.Fatal("bye ", 1)`, "** exception error: bye 1"},
	{`_, fref := spawn_monitor(func() { log.Fatalf("worker %d: %v", 2, io.EOF) }); receive(Down{Ref: fref}, 5000).(Down).Reason`, `{panic,"worker 2: EOF"}`},
	// a value alone in a block: Go refuses it, yaegi did nothing (erl's if
	// has a value the shell prints; Go's if has none)
	{`xv := 3; if xv > 0 { "pos" } else { "neg" }`, `1:22: "pos" is not used: a value alone is a statement only as the input's last`},
	{`spawn(func() { for { receive(); 5 } })`, "1:33: 5 is not used"},
	{`func addOne(n int) { n + 1 }`, "1:22: n + 1 is not used"},
	{`xv := 4; xv`, "4"}, // the input's own last value is printed
	{`if true { fmt.Sprint(1) }; ch1 := make(chan int, 1); ch1 <- 1; if true { <-ch1 }; len(ch1)`, "0"}, // calls and receives are statements
	// return and defer outside functions: yaegi crashed compiling the
	// return, and ran the defer again after every later input
	{`return 5`, "1:1: return works inside a function only: at the prompt, the value of an input's last expression is printed, so write the value alone"},
	{`for i := 0; i < 2; i++ { if i > 0 { defer fmt.Println("late") } }`, "1:37: defer works inside a function only"},
	{`fd := func() (s string) { defer func() { s += "!" }(); return "f" }; fd()`, `"f!"`},
	// big integers: a *big.Int is a pointer, BigInt the term (and the
	// types of Erlang's terms are gerl's, to assert them)
	{`self() ! big.NewInt(3)`, "cannot send *big.Int at msg: send the integer as a BigInt, which is exact and immutable: NewBigInt(x)"},
	{`self() ! NewBigInt(big.NewInt(3)); receive(1000).(BigInt).Big().Int64()`, "3"},
	{`self() ! gerl.Improper(A("t"), 1); receive(1000).(gerl.ImproperList).Tail`, "t"},
	// server.Call's timeout is a time.Duration, not milliseconds
	{`server.Call(self(), 1, 100)`, "no reply within 100ns: timeout (the timeout is a time.Duration, so 100 is 100ns; write 100*time.Millisecond for milliseconds)"},
	// a function where a pid goes: named by its type, not an address,
	// in gerl's names (an error value said term.Pid)
	{`sys.GetState(pid)`, "sys: get_state #Fun<func(interface {}) gerl.Pid>: "},
	{`server.Call(pid, 1, 100)`, `error("call: a value of type func(interface {}) gerl.Pid is not a pid`},
	// compile errors
	{`undefinedThing + 1`, "undefined"},
	{`x := 1; x = "s"`, "cannot convert"},
	{`exit(self(), A("kill")) && true`, ""},
	// built-ins that answer erl's true answer Go's: && and if take them
	{`p := spawn(func() { for { } }); exit(p, A("kill")) && true`, "true"},
	{`p := spawn(func() { receive() }); link(p) && exit(p, A("normal"))`, "true"},
	{`ping(A("nobody@nohost")) && true`, "need a bool, not a string"},
}

// internals are what must never show: reflect, Go's runtime, yaegi, and
// gerl's own package names for the types the prompt calls gerl.X.
var internals = regexp.MustCompile(`reflect[.:]|runtime[.:]|goroutine \d|\.go:\d+ \+0x|github\.com/|yaegi|\b(?:term|node|eval)\.[A-Z]`)

func TestStudentMistakes(t *testing.T) {
	ts := newTestShell(t)
	// A 4 MiB stack limit: the recursions end fast, even under -race.
	if err := ts.env.SetMaxStack(4 << 20); err != nil {
		t.Fatal(err)
	}
	ts.env.SetMaxAlloc(1 << 30) // as gerl -max_memory 1024
	show := os.Getenv("SHOW_MISTAKES") != ""
	for _, c := range mistakes {
		got := ts.eval(c.in)
		if show {
			t.Logf("%s\n    => %s", c.in, got)
		}
		if internals.MatchString(got) {
			t.Errorf("%s\n  printed Go internals: %s", c.in, got)
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%s\n  => %q, want it to contain %q", c.in, got, c.want)
		}
		if got := ts.eval(`1 + 1`); got != "2" {
			t.Fatalf("after %s the session answers %q", c.in, got)
		}
	}
}
