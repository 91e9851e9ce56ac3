package eval

import (
	"reflect"
	"testing"
)

func TestRewriteIndexes(t *testing.T) {
	globals := map[string]reflect.Type{"g": reflect.TypeOf([]string{}), "n": reflect.TypeOf(0), "f": reflect.TypeOf(func() {})}
	globalType := func(name string) reflect.Type { return globals[name] }
	for _, c := range []struct{ in, want string }{
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
		// not checked: maps, constant array indexes, loops,
		// operands with effects, values of unknown type, instantiations
		{`m := map[int]int{}; m[n]`, `m := map[int]int{}; m[n]`},
		{`var a [3]int; a[1]`, `var a [3]int; a[1]`},
		{`for i := range g { g[i] }`, `for i := range g { g[i] }`},
		{`for k := 0; k < 9; k++ { g[k+n] }; g[n]`, `for k := 0; k < 9; k++ { g[k+n] }; g[ix(int(n), len(g), 0)]`},
		{`mk := func() []int { return nil }; mk()[n]`, `mk := func() []int { return nil }; mk()[n]`},
		{`fmt.Sprint(1)[n]`, `fmt.Sprint(1)[n]`},
		{`unknown[n]`, `unknown[n]`},
		{`f[n]`, `f[n]`},
		// not Go yet: left to the compiler
		{`type T struct{}; func (T) M() {}`, `type T struct{}; func (T) M() {}`},
	} {
		got, _, err := RewriteIndexesMap(c.in, "ix", globalType)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s\n  => %s\n want %s", c.in, got, c.want)
		}
	}
}

func TestCheckIndex(t *testing.T) {
	for _, c := range []struct {
		i, n, kind int
		want       string
	}{
		{5, 3, indexSlice, "index 5 out of range for a slice of length 3"},
		{-1, 3, indexArray, "index -1 out of range for an array of length 3"},
		{3, 3, indexString, "index 3 out of range for a string of length 3"},
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
