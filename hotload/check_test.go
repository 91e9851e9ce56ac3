package hotload

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// A module using much of what interpreted code may use must type-check
// against the symbol tables as it compiles in the interpreter: no false
// errors from the reflect-built packages.
func TestCheckAcceptsStdlibAndGerl(t *testing.T) {
	h := newHarness(t)
	h.write("kitchen.go", `package kitchen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"gerl"
)

type item struct {
	Name  string    `+"`json:\"name\"`"+`
	When  time.Time `+"`json:\"when\"`"+`
	Count int
}

func (i item) String() string { return i.Name + "#" + strconv.Itoa(i.Count) }

var _ fmt.Stringer = item{}

type store struct {
	mu    sync.Mutex
	items map[string]item
	hits  atomic.Int64
}

func (s *store) put(it item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[it.Name] = it
	s.hits.Add(1)
}

// Kitchen exercises the standard library and gerl's API.
func Kitchen() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d|", utf8.RuneCountInString("héllo"))
	s := &store{items: map[string]item{}}
	s.put(item{Name: "a", When: time.Unix(0, 0).UTC().Add(time.Second), Count: 2})
	keys := []string{"b", "a"}
	sort.Strings(keys)
	xs := []int{3, 1, 2}
	if slices.Contains(xs, 1) {
		xs = append(xs, slices.Index(xs, 1))
	}
	data, err := json.Marshal(s.items["a"])
	if err != nil {
		return err.Error()
	}
	var back item
	if err := json.Unmarshal(data, &back); err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = ctx
	wrapped := fmt.Errorf("wrap: %w", io.EOF)
	_, statErr := os.Stat("/nonexistent/x")
	req, _ := http.NewRequest("GET", "http://example.com/x", nil)
	fmt.Fprintf(&b, "%s|%v|%v|%v|%s|%v|%v|%s|%s",
		strings.Join(keys, ","), xs, math.Sqrt(16), errors.Is(wrapped, io.EOF), back,
		os.IsNotExist(statErr), s.hits.Load(), req.URL.Path, gerl.A("ok"))
	return b.String()
}

// Self uses gerl from a process.
func Self(p *gerl.Proc) gerl.Pid { return gerl.Self() }
`)
	h.load("kitchen")
	want := "5|a,b|[3 1 2 1]|4|true|a#2|true|1|/x|ok"
	if got := h.call("kitchen.Kitchen"); got != want {
		t.Fatalf("Kitchen() = %v, want %s", got, want)
	}
}

// What yaegi cannot run is refused at load with its position, in Go's
// words: language features newer than the interpreter's Go.
func TestCheckRefusesNewerGo(t *testing.T) {
	h := newHarness(t)
	h.write("newer.go", "package newer\n\nimport \"slices\"\n\nfunc F(xs []int) int {\n\tfor i := range 3 {\n\t\t_ = i\n\t}\n\tslices.Sort(xs)\n\treturn min(1, 2)\n}\n")
	_, err := h.srv.Load("newer")
	var le *LoadError
	if !errors.As(err, &le) || !errors.Is(err, ErrType) {
		t.Fatalf("load of Go 1.22 code: %v", err)
	}
	// Go 1.21's min; not Go 1.22's range over an integer, which gerl
	// rewrites (TestRangeOverIntegers), nor slices.Sort, which yaegi
	// lacks and gerl adds (TestModuleStdGenerics).
	got := strings.Join(le.Lines(), "\n")
	if strings.Contains(got, "slices.Sort") {
		t.Errorf("slices.Sort refused:\n%s", got)
	}
	for _, want := range []string{"newer.go:10:9: "} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not say %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "range") {
		t.Errorf("range over an integer refused:\n%s", got)
	}
}

// Range over an integer (Go 1.22), range loops that assign and select
// cases that assign run as Go runs them, where yaegi alone refuses the
// first, leaves the second's variables at zero and fails the third.
func TestRangeOverIntegers(t *testing.T) {
	h := newHarness(t)
	h.write("ranges.go", "package ranges\n\n// Sum is 0 + 1 + ... + n-1.\nfunc Sum(n int64) int64 {\n\tvar s int64\n\tfor i := range n {\n\t\ts += i\n\t}\n\treturn s\n}\n\n// Last is the last index and element of xs.\nfunc Last(xs []string) (int, string) {\n\tk, v := -1, \"\"\n\tfor k, v = range xs {\n\t}\n\treturn k, v\n}\n\n// Recv receives from ch, in a select case that assigns.\nfunc Recv(ch chan int) (v int, ok bool) {\n\tselect {\n\tcase v, ok = <-ch:\n\t}\n\treturn\n}\n")
	h.load("ranges")
	if got := h.call("ranges.Sum", int64(5)); got != int64(10) {
		t.Errorf("Sum(5) = %v, want 10", got)
	}
	out := h.fn("ranges.Last").Call([]reflect.Value{reflect.ValueOf([]string{"a", "b"})})
	if k, v := out[0].Interface(), out[1].Interface(); k != 1 || v != "b" {
		t.Errorf("Last(a, b) = %v, %v, want 1, b", k, v)
	}
	ch := make(chan int, 1)
	ch <- 7
	out = h.fn("ranges.Recv").Call([]reflect.Value{reflect.ValueOf(ch)})
	if v, ok := out[0].Interface(), out[1].Interface(); v != 7 || ok != true {
		t.Errorf("Recv = %v, %v, want 7, true", v, ok)
	}
}

// TestGenerics loads a module whose exported generic functions and types
// are called from its own code, with type arguments Go infers from a
// function's parameters and results, from variadic arguments, and from
// another file of the package. yaegi could not infer them (eval's
// rewrite_generic.go), and a module that exported a generic function or
// type did not load at all (generics.go).
func TestGenerics(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.CodePath = []string{"lib"} })
	h.write("lib/gen/gen.go", "package gen\n\n// Map applies f to each element of xs.\nfunc Map[T, U any](xs []T, f func(T) U) []U {\n\tout := make([]U, 0, len(xs))\n\tfor _, x := range xs {\n\t\tout = append(out, f(x))\n\t}\n\treturn out\n}\n\n// Sum adds xs.\nfunc Sum[T int | float64](xs ...T) T {\n\tvar s T\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s\n}\n\n// Stack is a stack of T.\ntype Stack[T any] struct{ items []T }\n\n// Push puts v on top.\nfunc (s *Stack[T]) Push(v T) { s.items = append(s.items, v) }\n\n// Lengths are the lengths of xs.\nfunc Lengths(xs []string) []int { return Map(xs, func(s string) int { return len(s) }) }\n\n// Total is 1.5 + 2.\nfunc Total() float64 { return Sum(1.5, 2) }\n")
	h.write("lib/gen/other.go", "package gen\n\n// Doubled doubles each of xs, with Map from gen.go.\nfunc Doubled(xs []int) []int { return Map(xs, func(x int) int { return 2 * x }) }\n\n// Config has a field named as the generic function.\ntype Config struct{ Map int }\n\n// Get reads the field.\nfunc (c Config) Get() int { return c.Map }\n\n// Field builds a Config by its field's name and calls Map qualified.\nfunc Field() []int { c := Config{Map: 4}; return gen.Map([]int{c.Get()}, func(i int) int { return i + 1 }) }\n\n// Depth pushes n values on a Stack of gen.go.\nfunc Depth(n int) int {\n\ts := &Stack[int]{}\n\tfor i := 0; i < n; i++ {\n\t\ts.Push(i)\n\t}\n\treturn len(s.items)\n}\n")
	h.load("gen")
	if got := h.call("gen.Lengths", []string{"a", "bcd"}); !reflect.DeepEqual(got, []int{1, 3}) {
		t.Errorf("Lengths = %v, want [1 3]", got)
	}
	if got := h.call("gen.Total"); got != 3.5 {
		t.Errorf("Total = %v, want 3.5", got)
	}
	if got := h.call("gen.Doubled", []int{1, 2}); !reflect.DeepEqual(got, []int{2, 4}) {
		t.Errorf("Doubled = %v, want [2 4]", got)
	}
	if got := h.call("gen.Field"); !reflect.DeepEqual(got, []int{5}) {
		t.Errorf("Field() = %v, want [5]", got)
	}
	if got := h.call("gen.Depth", 3); got != 3 {
		t.Errorf("Depth(3) = %v, want 3", got)
	}
}

// TestModuleErrorTypes: a module's error type prints with its Error
// method, wraps with %w, and errors.As finds it (eval's wrappers.go);
// fmt printed it as a struct and errors.As panicked.
func TestModuleErrorTypes(t *testing.T) {
	h := newHarness(t)
	h.write("oops.go", "package oops\n\nimport (\n\t\"errors\"\n\t\"fmt\"\n)\n\n// Oops is an error.\ntype Oops struct{ Why string }\n\nfunc (o *Oops) Error() string { return \"oops: \" + o.Why }\n\n// Describe wraps an Oops and finds it again.\nfunc Describe() string {\n\terr := fmt.Errorf(\"load: %w\", &Oops{\"x\"})\n\tvar o *Oops\n\treturn fmt.Sprint(err, \" \", errors.As(err, &o), \" \", o.Why)\n}\n")
	h.load("oops")
	if got := h.call("oops.Describe"); got != "load: oops: x true x" {
		t.Errorf("Describe() = %q, want %q", got, "load: oops: x true x")
	}
}

// TestModulesRunGo: Go that yaegi alone got wrong, in a module, runs as
// Go does:
//   - a module's error type assigned to an error variable as a composite
//     literal or converted with error(...) is that error (yaegi's
//     "Method index out of range"; a nil named result);
//   - slices, maps and cmp are called as in Go (yaegi had no slices.Sort
//     and inferred few of the others' type arguments);
//   - a module's own function in a tuple is a func value (the interpreter
//     put its syntax node there, "*interp.node", when T became a literal);
//   - a module's types named as gerl's (Request, Name) are the module's
//     (yaegi kept the dot-imported built-in, "unknown field A in struct
//     literal", and the module did not load).
func TestModulesRunGo(t *testing.T) {
	for _, tc := range []struct{ name, src, call, want string }{
		{"ev", "package ev\n\n// Bad is an error of a value receiver.\ntype Bad struct {\n\tW string\n\tN int\n}\n\nfunc (b Bad) Error() string { return b.W }\n\nfunc named() (err error) {\n\terr = Bad{W: \"named\"}\n\treturn\n}\n\n// All makes them every way.\nfunc All() string {\n\tvar a error = Bad{\"a\", 1}\n\tvar b error\n\tb = Bad{W: \"b\"}\n\treturn a.Error() + \" \" + b.Error() + \" \" + error(Bad{\"c\", 2}).Error() + \" \" + named().Error()\n}\n", "ev.All", "a b c named"},
		{"sg", "package sg\n\nimport (\n\t\"cmp\"\n\t\"fmt\"\n\t\"maps\"\n\t\"slices\"\n)\n\ntype item struct {\n\tname string\n\tn    int\n}\n\n// Run sorts and searches.\nfunc Run() string {\n\txs := []int{3, 1, 2}\n\tslices.Sort(xs)\n\tys := slices.Clone(xs)\n\tslices.Reverse(ys)\n\titems := []item{{\"b\", 2}, {\"a\", 1}}\n\tslices.SortFunc(items, func(x, y item) int { return cmp.Compare(x.n, y.n) })\n\tm := maps.Clone(map[string]int{\"k\": 1})\n\treturn fmt.Sprint(xs, ys, slices.Max(xs), items[0].name, len(m))\n}\n", "sg.Run", "[1 2 3] [3 2 1] 3a1"},
		{"fx", "package fx\n\nimport (\n\t\"fmt\"\n\n\t\"gerl\"\n)\n\nfunc seven() int { return 7 }\n\nfunc id[X any](x X) X { return x }\n\n// Kinds builds tuples of functions and calls them.\nfunc Kinds() string {\n\ta, b, c := T(seven, 1), gerl.Tuple{seven}, Tuple{id[string]}\n\treturn fmt.Sprintf(\"%T %T %T %d %s\", a[0], b[0], c[0], a[0].(func() int)(), c[0].(func(string) string)(\"s\"))\n}\n", "fx.Kinds", "func() int func() int func(string) string 7 s"},
		{"rq", "package rq\n\nimport \"fmt\"\n\n// Request is the module's own.\ntype Request struct{ A int }\n\n// Name too.\ntype Name string\n\n// Make uses both, and gerl's Tuple.\nfunc Make() string {\n\tr := Request{A: 4}\n\treturn fmt.Sprint(r.A, \" \", Name(\"n\"), \" \", len(T(1, 2)))\n}\n", "rq.Make", "4 n 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.write(tc.name+".go", tc.src)
			h.load(tc.name)
			if got := h.call(tc.call); got != tc.want {
				t.Errorf("%s() = %q, want %q", tc.call, got, tc.want)
			}
		})
	}
}

// TestModuleStdGenericsChecked: a module's call of slices is checked at
// load against the functions the interpreter has, gerl's among them.
func TestModuleStdGenericsChecked(t *testing.T) {
	h := newHarness(t)
	h.write("bad.go", "package bad\n\nimport \"slices\"\n\nfunc F() { slices.Sort(\"x\") }\n")
	_, err := h.srv.Load("bad")
	var le *LoadError
	if !errors.As(err, &le) || !errors.Is(err, ErrType) || !strings.Contains(strings.Join(le.Lines(), "\n"), "bad.go:5:12: in call to slices.Sort, cannot infer E") || strings.Contains(err.Error(), "declared at") {
		t.Fatalf("load of a wrong call of slices.Sort: %v", err)
	}
}
