package eval

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// indexGlobals are the prompt's variables the index rewrite tests see.
var indexGlobals = map[string]reflect.Type{
	"g": reflect.TypeOf([]string{}), "n": reflect.TypeOf(0), "f": reflect.TypeOf(func() {}),
	"tup": reflect.TypeOf(term.T(1)), "receive": reflect.TypeOf(func(...any) any { return nil }),
}

func indexGlobalType(name string) reflect.Type { return indexGlobals[name] }

// checkIndexRewrites rewrites each case's input with the check named ix
// and compares with its want; no line may move.
func checkIndexRewrites(t *testing.T, cases []struct{ in, want string }) {
	t.Helper()
	for _, c := range cases {
		got, _, err := RewriteIndexesMap(c.in, "ix", indexGlobalType)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s\n  => %s\n want %s", c.in, got, c.want)
		}
		if strings.Count(got, "\n") != strings.Count(c.in, "\n") {
			t.Errorf("%s: lines moved", c.in)
		}
	}
}

func TestRewriteIndexes(t *testing.T) {
	checkIndexRewrites(t, []struct{ in, want string }{
		// slices, arrays, strings, pointers to arrays
		{`s := []int{1}; s[n]`, `s := []int{1}; s[ix(int(n), len(s), 0)]`},
		{`s := []int{1}; s[undefinedIndex]`, `s := []int{1}; s[undefinedIndex]`},
		{`var a [3]int; j := 2; a[j] = 1`, `var a [3]int; j := 2; a[ix(int(j), len(a), 1)] = 1`},
		{`str := "abc"; str[n]`, `str := "abc"; str[ix(int(n), len(str), 2)]`},
		{`p := &[2]int{}; p[n]`, `p := &[2]int{}; p[ix(int(n), len(p), 1)]`},
		// the prompt's variables from earlier inputs
		{`g[n]`, `g[ix(int(n), len(g), 0)]`},
		{`var s []int; s[3]`, `var s []int; s[ix(int(3), len(s), 0)]`},
		// inside functions and closures
		{`func at(xs []byte, k int) byte { return xs[k] }`, `func at(xs []byte, k int) byte { return xs[ix(int(k), len(xs), 0)] }`},
		{`h := func(xs []int) int { return xs[0] }`, `h := func(xs []int) int { return xs[ix(int(0), len(xs), 0)] }`},
		// gerl's Tuple: unqualified, from package gerl, a prompt variable
		{`m := receive(1000).(Tuple); m[3]`, `m := receive(1000).(Tuple); m[ix(int(3), len(m), 3)]`},
		{`tup[n]`, `tup[ix(int(n), len(tup), 3)]`},
		{"package m\nimport \"gerl\"\nfunc F(x any) any { return x.(gerl.Tuple)[0] }\nfunc G(t gerl.Tuple) any { return t[1] }",
			"package m\nimport \"gerl\"\nfunc F(x any) any { return ixTuple(x.(gerl.Tuple), int(0)) }\nfunc G(t gerl.Tuple) any { return t[ix(int(1), len(t), 3)] }"},
		// a Tuple that is not a variable: read once, by ixTuple
		{`receive(1000).(Tuple)[3]`, `ixTuple(receive(1000).(Tuple), int(3))`},
		{`x := receive().(Tuple)[len(g[n])].(Tuple)[n+1]`, `x := ixTuple(ixTuple(receive().(Tuple), int(len(g[ix(int(n), len(g), 0)]))).(Tuple), int(n+1))`},
		{`for { x := receive().(Tuple)[0]; _ = x }`, `for { x := ixTuple(receive().(Tuple), int(0)); _ = x }`},
		{`receive().(Tuple)[0] = 1`, `receive().(Tuple)[0] = 1`},
		{`p := &receive().(Tuple)[0]`, `p := &receive().(Tuple)[0]`},
		{`type Tuple [2]int; var x Tuple; x[n]`, `type Tuple [2]int; var x Tuple; x[ix(int(n), len(x), 1)]`},
		// not checked: maps, constant array indexes,
		// operands with effects, values of unknown type, instantiations
		{`m := map[int]int{}; m[n]`, `m := map[int]int{}; m[n]`},
		{`var a [3]int; a[1]`, `var a [3]int; a[1]`},
		{`mk := func() []int { return nil }; mk()[n]`, `mk := func() []int { return nil }; mk()[n]`},
		{`fmt.Sprint(1)[n]`, `fmt.Sprint(1)[n]`},
		{`unknown[n]`, `unknown[n]`},
		{`f[n]`, `f[n]`},
		// not Go yet: left to the compiler
		{`type T struct{}; func (T) M() {}`, `type T struct{}; func (T) M() {}`},
	})
}

// TestRewriteIndexesInLoops: in a loop's body, the check is an if before
// the statement, only where it fails exactly when the index would.
func TestRewriteIndexesInLoops(t *testing.T) {
	const fail = "if i < 0 || i >= len(g) { ix(int(i), len(g), 0) }; "
	checkIndexRewrites(t, []struct{ in, want string }{
		// checked: the statement kinds, a loop variable that stays >= 0
		// needs no "< 0"
		{`for i := n; ; { x := g[i]; _ = x }`, `for i := n; ; { ` + fail + `x := g[i]; _ = x }`},
		{`for i := n; ; { g[i] = "a" }`, `for i := n; ; { ` + fail + `g[i] = "a" }`},
		{`for i := n; ; { println(g[i]) }`, `for i := n; ; { ` + fail + `println(g[i]) }`},
		{`for i := n; ; { if g[i] == "" { break } }`, `for i := n; ; { ` + fail + `if g[i] == "" { break } }`},
		{`for i := n; ; { switch g[i] { case "a": } }`, `for i := n; ; { ` + fail + `switch g[i] { case "a": } }`},
		{`for i := n; ; { var x = g[i]; _ = x }`, `for i := n; ; { ` + fail + `var x = g[i]; _ = x }`},
		{`c := make(chan string); for i := n; ; { c <- g[i] }`, `c := make(chan string); for i := n; ; { ` + fail + `c <- g[i] }`},
		{`func h(i int) string { for { return g[i] } }`, `func h(i int) string { for { ` + fail + `return g[i] } }`},
		{`s := []int{}; for i := n; ; { s[i]++ }`, `s := []int{}; for i := n; ; { if i < 0 || i >= len(s) { ix(int(i), len(s), 0) }; s[i]++ }`},
		{`for i := 0; i < 9; i++ { x := g[i+1]; _ = x }`, `for i := 0; i < 9; i++ { if i+1 >= len(g) { ix(int(i+1), len(g), 0) }; x := g[i+1]; _ = x }`},
		{`for i := range 9 { x := g[i%len(g)]; _ = x }`, `for i, __gerl_rn0 := int(0), 9; i < __gerl_rn0; i++ { if i%len(g) >= len(g) { ix(int(i%len(g)), len(g), 0) }; x := g[i%len(g)]; _ = x }`},
		{`for i := 0; i < 9; i++ { i--; x := g[i]; _ = x }`, `for i := 0; i < 9; i++ { i--; if i < 0 || i >= len(g) { ix(int(i), len(g), 0) }; x := g[i]; _ = x }`},
		{`var u uint8; for { x := g[u]; _ = x }`, `var u uint8; for { if uint(u) >= uint(len(g)) { ix(int(u), len(g), 0) }; x := g[u]; _ = x }`},
		{`type idx int; var j idx; for { x := g[j]; _ = x }`, `type idx int; var j idx; for { if int(j) < 0 || int(j) >= len(g) { ix(int(j), len(g), 0) }; x := g[j]; _ = x }`},
		{`var i int64; for { x := g[i-1]; _ = x }`, `var i int64; for { if int(i-1) < 0 || int(i-1) >= len(g) { ix(int(i-1), len(g), 0) }; x := g[i-1]; _ = x }`},
		{`for i := n; ; { g[i] = g[i] + "a" }`, `for i := n; ; { ` + fail + `g[i] = g[i] + "a" }`},
		{`for i := n; ; { g[i] = strings.Repeat(g[i], 2) }`, `for i := n; ; { ` + fail + `g[i] = strings.Repeat(g[i], 2) }`},
		// a range over a local variable indexes it by its key: no check;
		// over a prompt variable a call could change it
		{`s := []int{1}; for i := range s { s[i] = 0 }`, `s := []int{1}; for i := range s { s[i] = 0 }`},
		{`for i := range g { x := g[i]; _ = x }`, `for i := range g { if i >= len(g) { ix(int(i), len(g), 0) }; x := g[i]; _ = x }`},
		{`s := []int{1}; for i := range s { s = s[1:]; s[i] = 0 }`, `s := []int{1}; for i := range s { s = s[1:]; if i >= len(s) { ix(int(i), len(s), 0) }; s[i] = 0 }`},
		{`s := []int{1}; f := func() { s = nil }; for i := range s { f(); s[i] = 0 }`, `s := []int{1}; f := func() { s = nil }; for i := range s { f(); if i >= len(s) { ix(int(i), len(s), 0) }; s[i] = 0 }`},
		{`s := []int{1}; p := &s; for i := range s { *p = nil; s[i] = 0 }`, `s := []int{1}; p := &s; for i := range s { *p = nil; if i >= len(s) { ix(int(i), len(s), 0) }; s[i] = 0 }`},
		// a function literal in a loop runs once per call: the call check
		{`for { f := func(i int) string { return g[i] }; _ = f }`, `for { f := func(i int) string { return g[ix(int(i), len(g), 0)] }; _ = f }`},
		// not checked: what may not be evaluated, or may change first
		{`for i := 0; i < len(g) && g[i] != ""; i++ { }`, `for i := 0; i < len(g) && g[i] != ""; i++ { }`},
		{`for i := n; ; { if i > 0 && g[i] == "" { } }`, `for i := n; ; { if i > 0 && g[i] == "" { } }`},
		{`for i := n; ; { b := i < 0 || g[i] == ""; _ = b }`, `for i := n; ; { b := i < 0 || g[i] == ""; _ = b }`},
		{`for i := n; ; { if i > 0 { } else if g[i] == "" { } }`, `for i := n; ; { if i > 0 { } else if g[i] == "" { } }`},
		{`for i := n; ; { if x := 1; g[i] == "" { _ = x } }`, `for i := n; ; { if x := 1; g[i] == "" { _ = x } }`},
		{`for i := n; ; { switch { case g[i] == "": } }`, `for i := n; ; { switch { case g[i] == "": } }`},
		{`for i := n; ; { i, g[i] = 1, "a" }`, `for i := n; ; { i, g[i] = 1, "a" }`},
		{`for i := n; ; { x := next() + g[i]; _ = x }`, `for i := n; ; { x := next() + g[i]; _ = x }`},
		{`for i := n; ; { x := g[i] + strings.Repeat("a", 2); _ = x }`, `for i := n; ; { x := g[i] + strings.Repeat("a", 2); _ = x }`},
		{`c := make(chan int); for { x := g[<-c]; _ = x }`, `c := make(chan int); for { x := g[<-c]; _ = x }`},
		{`p := &n; var x string; for { *p, x = 1, g[n]; _ = x }`, `p := &n; var x string; for { *p, x = 1, g[n]; _ = x }`},
		{`a := [3]int{}; for { a[2] = 1 }`, `a := [3]int{}; for { a[2] = 1 }`},
		{`s := [][]int{}; for i := n; ; { s[i][i] = 1 }`, `s := [][]int{}; for i := n; ; { if i < 0 || i >= len(s) { ix(int(i), len(s), 0) }; s[i][i] = 1 }`},
		{`for i := n; ; { L: x := g[i]; _ = x; goto L }`, `for i := n; ; { L: x := g[i]; _ = x; goto L }`},
		{`for i := n; ; { defer println(g[i]) }`, `for i := n; ; { defer println(g[i]) }`},
	})
}

func TestCheckIndex(t *testing.T) {
	for _, c := range []struct {
		i, n, kind int
		want       string
	}{
		{5, 3, indexSlice, "index 5 out of range for a slice of length 3"},
		{-1, 3, indexArray, "index -1 out of range for an array of length 3"},
		{3, 3, indexString, "index 3 out of range for a string of length 3"},
		{3, 1, indexTuple, "index 3 out of range for a tuple of length 1"},
		{2, 3, indexSlice, ""},
	} {
		got := func() (msg string) {
			defer func() {
				if r := recover(); r != nil {
					msg = r.(error).Error()
				}
			}()
			if i := CheckIndex(c.i, c.n, c.kind); i != c.i {
				return "returned another index"
			}
			return ""
		}()
		if got != c.want {
			t.Errorf("CheckIndex(%d, %d, %d) = %q, want %q", c.i, c.n, c.kind, got, c.want)
		}
	}
}

// TestIndexChecksKeepResults runs loops whose indexes are all in range
// (swaps, ring buffers, closures, a slice that shrinks, short-circuits,
// labels, tuples): the checks must never fail one, nor change a result.
func TestIndexChecksKeepResults(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		{`func rev(s []int) []int { for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 { s[i], s[j] = s[j], s[i] }; return s }; rev([]int{1, 2, 3, 4})`, "[4,3,2,1]"},
		{`s := []int{5, 6, 7}; i := 0; for n := 0; n < 2; n++ { i, s[i] = i+1, 9 }; s`, "[9,9,7]"},
		{`s := []int{1, 2, 3}; k := 0; for i := 0; i < 3; i++ { k += s[i] * s[len(s)-1-i] }; k`, "10"},
		{`buf := make([]int, 3); for i := 0; i < 10; i++ { buf[i%len(buf)] = i }; buf`, "[9,7,8]"},
		{`s := []int{1, 2}; fs := []func() int{}; for i := range s { fs = append(fs, func() int { return s[i] }) }; fs[1]()`, "2"},
		{`s := []int{1, 2}; c := 0; for i := 0; i < 5; i++ { if i < len(s) && s[i] > 0 { c++ } }; c`, "2"},
		{`str := "hello"; c := 0; for i := 0; i < len(str); i++ { if str[i] == 'l' { c++ } }; c`, "2"},
		{`s := []int{1, 2, 3, 4}; k := 0; for i := range s { if i < len(s) { k += s[i] }; s = s[:2] }; k`, "3"},
		{`s := []int{1, 2, 3}; k := 0; outer: for i := range s { for j := range s { if j > i { continue outer }; k += s[j] } }; k`, "10"},
		{`s := []int{3, 1, 2}; k := 0; for i := 0; i < 3; i++ { switch s[i] { case 1: k += 10; default: k += s[i] } }; k`, "15"},
		{`s := []int{1, 2, 3}; k := 0; for i := len(s) - 1; i >= 0; i-- { k = k*10 + s[i] }; k`, "321"},
		{`m := T(1, 2, 3); k := 0; for i := range m { k += m[i].(int) }; k`, "6"},
		{`for i := 0; i < 3; i++ { self() ! T(i, i*i) }; k := 0; for i := 0; i < 3; i++ { k += receive().(Tuple)[1].(int) }; k`, "5"},
	} {
		if got := ts.eval(c.in); got != c.want {
			t.Errorf("%s\n  => %s, want %s", c.in, got, c.want)
		}
	}
}

func TestRewriteMakes(t *testing.T) {
	checkIndexRewrites(t, []struct{ in, want string }{
		// each size, with the bytes of one element
		{`make([]byte, n)`, `make([]byte, ixMake(int(n), 1))`},
		{`make([]int64, 10, n)`, `make([]int64, 10, ixMake(int(n), 8))`},
		{`m := n; make([]string, m, m*2)`, `m := n; make([]string, ixMake(int(m), 16), ixMake(int(m*2), 16))`},
		{`make(map[string]int, n)`, `make(map[string]int, ixMake(int(n), 24))`},
		{`make(chan int32, n)`, `make(chan int32, ixMake(int(n), 4))`},
		{`type buf []uint16; make(buf, n)`, `type buf []uint16; make(buf, ixMake(int(n), 2))`},
		{`var u uint64; make([]byte, u)`, `var u uint64; make([]byte, ixMake(int(u), 1))`},
		{`make([]big.Int, n)`, `make([]big.Int, ixMake(int(n), 1))`},
		{`make([]byte, len(make([]int, n)))`, `make([]byte, ixMake(int(len(make([]int, ixMake(int(n), 8)))), 1))`},
		{"package m\nfunc F(n int) []byte { return make([]byte, n) }", "package m\nfunc F(n int) []byte { return make([]byte, ixMake(int(n), 1)) }"},
		// constants: checked only past smallMake bytes
		{`make([]int, 100)`, `make([]int, 100)`},
		{`make([]byte, 64<<20)`, `make([]byte, 64<<20)`},
		{`make([]byte, 64<<20+1)`, `make([]byte, ixMake(int(64<<20+1), 1))`},
		{`make([]int, 1<<40)`, `make([]int, ixMake(int(1<<40), 8))`},
		// not checked: no memory, not an integer, not the built-in
		{`make([]struct{}, n)`, `make([]struct{}, n)`},
		{`var f float64; make([]int, f)`, `var f float64; make([]int, f)`},
		{`make([]int, "x")`, `make([]int, "x")`},
		{`make := func(a, b int) int { return a + b }; make(1, n)`, `make := func(a, b int) int { return a + b }; make(1, n)`},
		{`make([]int)`, `make([]int)`},
		// in loops: a pre-check in interpreted Go where the size can be
		// read twice, the call elsewhere
		{`for { b := make([]byte, n); _ = b }`, `for { if n > 67108864 { ixMake(int(n), 1) }; b := make([]byte, n); _ = b }`},
		{`var m int64; for { b := make([]int, 2, m+1); _ = b }`, `var m int64; for { if int64(m+1) > 8388608 { ixMake(int(m+1), 8) }; b := make([]int, 2, m+1); _ = b }`},
		{`var u uint; for { b := make([]byte, u); _ = b }`, `var u uint; for { if uint64(u) > 67108864 { ixMake(int(u), 1) }; b := make([]byte, u); _ = b }`},
		{`s := []int{}; for i := range n { s = append(s, len(make([]int, i))) }`, `s := []int{}; for i, __gerl_rn14 := int(0), n; i < __gerl_rn14; i++ { if i > 8388608 { ixMake(int(i), 8) }; s = append(s, len(make([]int, i))) }`},
		{`for { b := make([]byte, next()); _ = b }`, `for { b := make([]byte, ixMake(int(next()), 1)); _ = b }`},
		{`for { b := append(g, "x")[:0]; c := make([]byte, n+len(b)); _ = c }`, `for { b := append(g, "x")[:0]; if n+len(b) > 67108864 { ixMake(int(n+len(b)), 1) }; c := make([]byte, n+len(b)); _ = c }`},
		{`var b []byte; for { n, b = 2, make([]byte, n) }`, `var b []byte; for { n, b = 2, make([]byte, ixMake(int(n), 1)) }`},
		{`for i := n; ; { x := f2() + len(make([]int, i)); _ = x }`, `for i := n; ; { x := f2() + len(make([]int, ixMake(int(i), 8))); _ = x }`},
		{`for { if n > 0 && len(make([]int, n)) > 0 { } }`, `for { if n > 0 && len(make([]int, ixMake(int(n), 8))) > 0 { } }`},
		{`for { f := func() []byte { return make([]byte, n) }; _ = f }`, `for { f := func() []byte { return make([]byte, ixMake(int(n), 1)) }; _ = f }`},
	})
}

func TestCheckMake(t *testing.T) {
	e := NewEnv()
	if got := e.checkMake(1<<40, 8); got != 1<<40 {
		t.Errorf("without a limit: %d", got)
	}
	e.SetMaxAlloc(1 << 30)
	for _, c := range []struct {
		n, size int
		want    string // the panic's text, "" for none
	}{
		{1 << 27, 8, ""},
		{1<<27 + 1, 8, "make: 1 GiB asked for (134217729 elements of 8 bytes), more than the node's memory limit of 1 GiB (-max_memory)"},
		{1 << 36, 1, "make: 64 GiB asked for (68719476736 bytes), more than the node's memory limit of 1 GiB (-max_memory)"},
		{1 << 62, 24, "make: 96 EiB asked for (4611686018427387904 elements of 24 bytes), more than the node's memory limit of 1 GiB (-max_memory)"},
		{-1, 8, ""},
		{0, 8, ""},
	} {
		got := func() (msg string) {
			defer func() {
				if r := recover(); r != nil {
					msg = r.(error).Error()
				}
			}()
			if n := e.checkMake(c.n, c.size); n != c.n {
				return fmt.Sprintf("returned %d", n)
			}
			return ""
		}()
		if got != c.want {
			t.Errorf("checkMake(%d, %d): %q, want %q", c.n, c.size, got, c.want)
		}
	}
}

// Range over an integer, which yaegi cannot run, becomes the loop Go
// defines it as (rewrite_range.go).
func TestRewriteRangeInts(t *testing.T) {
	checkIndexRewrites(t, []struct{ in, want string }{
		{`for i := range 3 { println(i) }`, `for i, __gerl_rn0 := int(0), 3; i < __gerl_rn0; i++ { println(i) }`},
		{`for range n { }`, `for __gerl_ri0, __gerl_rn0 := int(0), n; __gerl_ri0 < __gerl_rn0; __gerl_ri0++ { }`},
		{`for _ := range n { }`, `for __gerl_ri0, __gerl_rn0 := int(0), n; __gerl_ri0 < __gerl_rn0; __gerl_ri0++ { }`},
		{`var m int64; for i := range m { }`, `var m int64; for i, __gerl_rn13 := int64(0), m; i < __gerl_rn13; i++ { }`},
		{`type cnt uint8; var c cnt; for i := range c { }`, `type cnt uint8; var c cnt; for i, __gerl_rn27 := cnt(0), c; i < __gerl_rn27; i++ { }`},
		{"package m\nfunc F(n int) (s int) {\n\tfor i := range n {\n\t\ts += i\n\t}\n\treturn\n}", "package m\nfunc F(n int) (s int) {\n\tfor i, __gerl_rn35 := int(0), n; i < __gerl_rn35; i++ {\n\t\ts += i\n\t}\n\treturn\n}"},
		// left alone: ranges over other things, and bounds of unknown type
		{`for i := range g { println(i) }`, `for i := range g { println(i) }`},
		{`for i := range time.Second { println(i) }`, `for i := range time.Second { println(i) }`},
	})
}

// A switch on an interface value, which yaegi fails to compare, becomes a
// tagless one; a case list becomes one expression (rewrite_switch.go).
func TestRewriteSwitches(t *testing.T) {
	checkIndexRewrites(t, []struct{ in, want string }{
		{`switch receive() { case A("ping"): f(); default: g() }`, `switch __gerl_sw0 := receive(); { case __gerl_sw0 == A("ping"): f(); default: g() }`},
		{`var x any; switch x { case 1, 2: f(); case 3: g() }`, `var x any; switch __gerl_sw11 := x; { case __gerl_sw11 == 1 || __gerl_sw11 == 2: f(); case __gerl_sw11 == 3: g() }`},
		{`switch m := receive(); m { case A("a"): }`, `switch m := receive(); { case m == A("a"): }`},
		{`switch m := receive().(Tuple); m[0] { case A("a"): }`, `switch m := receive().(Tuple); { case (m[0]) == A("a"): }`},
		{`var e error; switch e { case nil: }`, `var e error; switch __gerl_sw13 := e; { case __gerl_sw13 == nil: }`},
		{`var b any; var c bool; switch b { case c == true: }`, `var b any; var c bool; switch __gerl_sw23 := b; { case __gerl_sw23 == (c == true): }`},
		{`func f(v any) int { switch v { case "a": return 1 }; return 0 }`, `func f(v any) int { switch __gerl_sw20 := v; { case __gerl_sw20 == "a": return 1 }; return 0 }`},
		// tagless: a list becomes one expression
		{`var a, b bool; switch { case a, b: f() }`, `var a, b bool; switch { case a || b: f() }`},
		// left alone: concrete tags, no cases, an init and a tag that
		// cannot be read twice, a type switch
		{`switch n { case 1, 2: }`, `switch n { case 1, 2: }`},
		{`var x any; switch x { default: }`, `var x any; switch x { default: }`},
		{`switch y := 1; receive() { case y: }`, `switch y := 1; receive() { case y: }`},
		{`var x any; switch x.(type) { case int: }`, `var x any; switch x.(type) { case int: }`},
	})
}

// min, max and clear, which yaegi lacks, call gerl's (rewrite_builtin.go).
func TestRewriteBuiltins(t *testing.T) {
	checkIndexRewrites(t, []struct{ in, want string }{
		{`min(n, 3)`, `__gerl_min(int(n), int(3)).(int)`},
		{`var f32 float32; max(f32, 1, 2)`, `var f32 float32; __gerl_max(float32(f32), float32(1), float32(2)).(float32)`},
		{`type score int; var s score; max(s, 1)`, `type score int; var s score; score(__gerl_max(int(s), int(1)).(int))`},
		{`var a, b string; min(a, b)`, `var a, b string; __gerl_min(string(a), string(b)).(string)`},
		{`min(2, 3.5)`, `2.0`},
		{`min(2, 3)`, `2`},
		{`max(1.0/3, 0.1)`, `0.3333333333333333`},
		{`min("b", "a")`, `"a"`},
		{`max(int8(3), 2)`, `int8(3)`},
		{`m := map[int]int{}; clear(m)`, `m := map[int]int{}; __gerl_clear(m)`},
		{`x := min(len(g), n+1)`, `x := __gerl_min(int(len(g)), int(n+1)).(int)`},
		// left alone: unknown types, and a min of one's own
		{`min(math.Pi, 1)`, `min(math.Pi, 1)`},
		{`min := func(a, b int) int { return a }; min(1, 2)`, `min := func(a, b int) int { return a }; min(1, 2)`},
	})
}

func TestMinMaxClear(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		got, want any
	}{
		{Min(3, 1, 2), 1},
		{Max(3, 1, 2), 3},
		{Min("b", "a"), "a"},
		{Max(uint8(1), uint8(200)), uint8(200)},
		{Min(2.5), 2.5},
		{Min(math.Copysign(0, -1), 0.0), math.Copysign(0, -1)},
	} {
		if !reflect.DeepEqual(c.got, c.want) || fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("got %v (%T), want %v (%T)", c.got, c.got, c.want, c.want)
		}
	}
	if v := Max(1.0, nan).(float64); !math.IsNaN(v) {
		t.Errorf("max(1, NaN) = %v, want NaN", v)
	}
	m := map[string]int{"a": 1}
	Clear(m)
	s := []int{1, 2}
	Clear(s)
	if len(m) != 0 || s[0] != 0 || s[1] != 0 {
		t.Errorf("after clear: %v %v", m, s)
	}
	for _, bad := range []func(){func() { Min(1, "a") }, func() { Min(true, false) }, func() { Clear(3) }} {
		func() {
			defer func() {
				r := recover()
				if msg, ok := r.(string); !ok || internals.MatchString(msg) {
					t.Errorf("panic %v: want a message in gerl's words", r)
				}
			}()
			bad()
		}()
	}
}

// The comma-ok forms outside functions, which yaegi cannot compile there,
// are computed in a function (rewrite_commaok.go).
func TestRewriteCommaOk(t *testing.T) {
	const open, closing = "func() (%s, bool) { __gerl_v, __gerl_ok := ", "; return __gerl_v, __gerl_ok }()"
	ok := func(typ, rhs string) string { return fmt.Sprintf(open, typ) + rhs + closing }
	checkIndexRewrites(t, []struct{ in, want string }{
		{`var v any; x, ok := v.(int)`, `var v any; x, ok := ` + ok("int", "v.(int)")},
		{`msg, ok := receive(1000).(Tuple)`, `msg, ok := ` + ok("Tuple", "receive(1000).(Tuple)")},
		{`m := map[string]Tuple{}; t, ok := m["a"]`, `m := map[string]Tuple{}; t, ok := ` + ok("gerl.Tuple", `m["a"]`)},
		{`ch := make(chan []int); v, ok := <-ch`, `ch := make(chan []int); v, ok := ` + ok("[]int", "<-ch")},
		{`var v any; if n, ok := v.(int); ok { _ = n }`, `var v any; if n, ok := ` + ok("int", "v.(int)") + `; ok { _ = n }`},
		{`var v any; var x, ok = v.(string)`, `var v any; var x, ok = ` + ok("string", "v.(string)")},
		{`var v any; var x int; var ok bool; x, ok = v.(int)`, `var v any; var x int; var ok bool; x, ok = ` + ok("int", "v.(int)")},
		// left alone: inside functions, two results of a call, a type the
		// check cannot name
		{`func h(v any) bool { _, ok := v.(int); return ok }`, `func h(v any) bool { _, ok := v.(int); return ok }`},
		{`s := func() (int, bool) { return 1, true }; a, b := s()`, `s := func() (int, bool) { return 1, true }; a, b := s()`},
		{`ch := make(chan time.Time); v, ok := <-ch`, `ch := make(chan time.Time); v, ok := <-ch`},
		{`ch := make(chan int); select { case v, ok := <-ch: _, _ = v, ok }`, `ch := make(chan int); select { case v, ok := <-ch: _, _ = v, ok }`},
	})
}
