package eval

import (
	"strings"
	"testing"
)

// TestGenericCalls runs calls of generic functions whose type arguments
// Go infers and yaegi could not (rewrite_generic.go), in one input and
// across inputs, as a workshop writes them. Each failed before the
// rewrite ("undefined type for U", or a type mismatch).
func TestGenericCalls(t *testing.T) {
	ts := newTestShell(t)
	for _, c := range []struct{ in, want string }{
		// inferred from a function's parameters and results
		{`func Map[T, U any](xs []T, f func(T) U) []U { out := make([]U, 0, len(xs)); for _, x := range xs { out = append(out, f(x)) }; return out }`, ""},
		{`Map([]int{1, 2, 3}, func(i int) string { return fmt.Sprint(i * 2) })`, `["2","4","6"]`},
		{`xs := []int{3, 4}; Map(xs, func(x int) Tuple { return Tuple{A("n"), x} })`, "[{n,3},{n,4}]"},
		{`func Reduce[T, A any](xs []T, acc A, f func(A, T) A) A { for _, x := range xs { acc = f(acc, x) }; return acc }; Reduce(xs, "", func(a string, x int) string { return a + fmt.Sprint(x) })`, `"34"`},
		// a type and a constraint declared by earlier inputs
		{`type P struct{ X int }`, ""},
		{`Map([]P{{1}, {2}}, func(p P) int { return p.X * 10 })`, "[10,20]"},
		{`type Number interface{ ~int | ~float64 }`, ""},
		{`func SumOf[T Number](xs []T) T { var s T; for _, x := range xs { s += x }; return s }`, ""},
		{`SumOf([]float64{1.5, 2})`, "3.5"},
		// variadic, and type parameters in another order than declared
		{`func Sum[T int | float64](xs ...T) T { var s T; for _, x := range xs { s += x }; return s }`, ""},
		{`T(Sum(1, 2, 3), Sum(1.5, 2))`, "{6,3.5}"},
		{`func Inv[K, V comparable](m map[V]K) map[K]V { out := map[K]V{}; for k, v := range m { out[v] = k }; return out }; Inv(map[string]int{"a": 1})[1]`, `"a"`},
		{`func Second[A, B any](b B, a A) A { return a }; Second(1, "x")`, `"x"`},
		// untyped constants: yaegi takes the first argument's default type
		{`func Larger[N int | float64](a, b N) N { if a > b { return a }; return b }`, ""},
		{`Larger(2, 1.5)`, "2.0"},
		{`Larger(1.5, 2)`, "2.0"},
		{`func Keys[M ~map[K]V, K comparable, V any](m M) []K { var ks []K; for k := range m { ks = append(ks, k) }; return ks }; Keys(map[string]bool{"z": true})`, `["z"]`},
		// partly explicit, in a generic function, with a local type
		{`func Pair[K, V any](a K, b V) Tuple { return T(a, b) }; Pair[int](1, "b")`, `{1,"b"}`},
		// calls yaegi infers right are left to it: it instantiates a
		// function twice in one statement, which it cannot do with type
		// arguments written out
		{`T(Pair(1, "x"), Pair("y", 2))`, `{{1,"x"},{"y",2}}`},
		{`a2 := Pair(1, "x"); b2 := Pair("y", 2); T(a2, b2)`, `{{1,"x"},{"y",2}}`},
		// gerl's types, and a variable whose type the check knows in part
		// (a Duration), left to yaegi's inference, which gets this one right
		{`at := A("b"); ps := []Pid{self()}; T(Pair(1, at), Pair(ps, at), len(Map(ps, func(p Pid) Atom { return at })))`, `{{1,b},{[<`},
		{`dur := 3 * time.Second`, "3s"},
		{`Pair(dur, 2)`, `{3000000000,2}`},
		{`func Twice[T any](xs []T, f func(T) T) []T { return Map(Map(xs, f), f) }; Twice([]int{1, 2}, func(x int) int { return x + 1 })`, "[3,4]"},
		{`func local() []int { type Q struct{ A int }; return Map([]Q{{7}}, func(q Q) int { return q.A }) }; local()`, "[7]"},
		// in a process, and a generic type's constructor
		{`w := spawn(func(p Pid) { p ! Map(receive().([]int), func(i int) string { return fmt.Sprint(i, "!") }) }, self()); w ! []int{7, 8}; receive(5000)`, `["7!","8!"]`},
		{`type Stack[T any] struct{ items []T }; func NewStack[T any](vs ...T) *Stack[T] { return &Stack[T]{items: vs} }; len(NewStack("a", "b").items)`, "2"},
		// declared again once used: yaegi would keep running the first
		// one's body; unused, it may be declared again
		{`func Map[T any, U any](xs []T, f func(T) U) []U { return nil }`, "Map is generic and an earlier input declared it"},
		{`type Stack[T any] []T`, "Stack is generic and an earlier input declared it"},
		{`func Unused[T any](x T) string { return "one" }`, ""},
		{`func Unused[T any](x T) string { return "two" }`, ""},
		{`Unused(1)`, `"two"`},
		{`func Unused[T any](x T) string { return "three" }`, "Unused is generic and an earlier input declared it"},
		{`func MapV2[T any, U any](xs []T, f func(T) U) []U { return nil }; len(MapV2(xs, func(x int) string { return "" }))`, "0"},
		{`type Grid [2 * 2]int; len(Grid{})`, "4"},
		// the value of an assignment outside functions
		{`pids := []Pid{self()}; alive := Map(pids, func(p Pid) bool { return p == self() }); alive`, "[true]"},
		{`lens := Map[string, int]([]string{"ab"}, func(s string) int { return len(s) }); lens`, "[2]"},
		{`ks, n2 := Keys(map[int]bool{4: true}), 2; T(ks, n2)`, "{[4],2}"},
		// what yaegi cannot do: two instantiations in one statement with
		// type arguments it could not infer
		{`T(Map([]int{1}, func(i int) string { return "a" }), Map([]string{"b"}, func(s string) int { return 2 }))`, "could not instantiate this generic function here"},
		{`func both() Tuple { a := Map([]int{1}, func(i int) string { return "a" }); b := Map([]string{"b"}, func(s string) int { return 2 }); return T(a, b) }; both()`, `{["a"],[2]}`},
		// what gerl cannot know: the message says to write them
		{`import "strconv"`, ""},
		{`Map(xs, strconv.Itoa)`, "write them, as in Map[int, string](xs, strconv.Itoa)"},
		{`Map[int, string](xs, strconv.Itoa)`, ""},
	} {
		got := ts.eval(c.in)
		if internals.MatchString(got) || !strings.Contains(got, c.want) || (c.want == "" && strings.HasPrefix(got, "ERR")) {
			t.Errorf("%s\n  => %q, want it to contain %q", c.in, got, c.want)
		}
	}
}
