package term

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCopyKeepsTypesAndValues(t *testing.T) {
	pid := Pid{Node: "foo@vm", ID: 42, Creation: 3}
	type ints []int // named container: sent as []int
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"int", 7, 7},
		{"int64", int64(-7), int64(-7)},
		{"uint8", uint8(200), uint8(200)},
		{"uint64 max", uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"float32", float32(1.5), float32(1.5)},
		{"string", "hi", "hi"},
		{"atom", Atom("ping"), Atom("ping")},
		{"pid", pid, pid},
		{"ref", Ref{Node: "a@b", ID: 1}, Ref{Node: "a@b", ID: 1}},
		{"tuple", T(A("ping"), pid, 1), Tuple{Atom("ping"), pid, 1}},
		{"nested", []any{1, []any{"x", T(2)}, map[string]any{"k": []int{1}}}, []any{1, []any{"x", Tuple{2}}, map[string]any{"k": []int{1}}}},
		{"typed slice", []string{"a", "b"}, []string{"a", "b"}},
		{"nil typed slice", []int(nil), []int(nil)},
		{"empty slice", []any{}, []any{}},
		{"binary", []byte{1, 2}, []byte{1, 2}},
		{"array", [2]int{1, 2}, [2]int{1, 2}},
		{"map any", map[any]any{1: "a", Atom("b"): 2.5, pid: true}, map[any]any{1: "a", Atom("b"): 2.5, pid: true}},
		{"typed map", map[string][]int{"a": {1}}, map[string][]int{"a": {1}}},
		{"named scalar becomes underlying", time.Second, int64(time.Second)},
		{"named slice becomes unnamed", ints{1, 2}, []int{1, 2}},
		{"down", Down{Ref: Ref{ID: 1}, Pid: pid, Reason: T(PanicTag, "boom")}, Down{Ref: Ref{ID: 1}, Pid: pid, Reason: Tuple{PanicTag, "boom"}}},
		{"call", Request{From: pid, Body: []any{1}}, Request{From: pid, Body: []any{1}}},
		{"slice of own structs", []ExitSignal{{From: pid, Reason: Normal}}, []ExitSignal{{From: pid, Reason: Normal}}},
		{"name", Name{Name: "pong", Node: "bar@vm"}, Name{Name: "pong", Node: "bar@vm"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Copy(tc.in)
			if err != nil {
				t.Fatalf("Copy(%#v): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Copy(%#v) = %#v (%T), want %#v (%T)", tc.in, got, got, tc.want, tc.want)
			}
		})
	}
}

func TestCopyRejectsUnsendable(t *testing.T) {
	type point struct{ X int }
	x := 1
	cyclic := []any{nil}
	cyclic[0] = cyclic
	tests := []struct {
		name     string
		in       any
		path     string
		contains string
	}{
		{"chan", make(chan int), "msg", "channels"},
		{"func in tuple", T(1, func() {}), "msg[1]", "functions"},
		{"pointer in map", map[string]any{"p": &x}, `msg["p"]`, "pointers"},
		{"struct", point{1}, "msg", "struct types are not terms"},
		{"struct in typed slice", []point{{1}}, "msg", "struct"},
		{"complex", complex(1, 2), "msg", "complex"},
		{"error interface slice", []error{errors.New("x")}, "msg", "empty interface"},
		{"struct map key", map[any]int{point{1}: 1}, "msg[key {1}]", "struct"},
		{"cycle", cyclic, "msg" + strings.Repeat("[0]", MaxDepth), "nested deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Copy(tc.in)
			if err == nil {
				t.Fatalf("Copy(%T) = %v, want error", tc.in, got)
			}
			if !errors.Is(err, ErrUnsendable) {
				t.Fatalf("error %v does not match ErrUnsendable", err)
			}
			var ue *UnsendableError
			if !errors.As(err, &ue) {
				t.Fatalf("error %q is not an *UnsendableError", err)
			}
			if ue.Path != tc.path {
				t.Fatalf("error %q: path %q, want %q", err, ue.Path, tc.path)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("error %q does not mention %q", err, tc.contains)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	pid := Pid{Node: "foo@vm", ID: 42}
	tests := []struct {
		in   any
		want string
	}{
		{Atom("ping"), "ping"},
		{Atom("EXIT"), "'EXIT'"},
		{Atom("foo@vm"), "foo@vm"},
		{Atom("it's"), `'it\'s'`},
		{Atom(""), "''"},
		{"hi", `"hi"`},
		{42, "42"},
		{uint16(7), "7"},
		{1.0, "1.0"},
		{2.5e-10, "2.5e-10"},
		{math.Inf(1), "+Inf"},
		{true, "true"},
		{nil, "nil"},
		{T(A("ping"), pid, 1), "{ping,<foo@vm.42.0>,1}"},
		{[]any{1, "a", A("b")}, `[1,"a",b]`},
		{[]int{1, 2}, "[1,2]"},
		{[]byte("abc"), `<<"abc">>`},
		{[]byte{0, 255}, "<<0,255>>"},
		{[]byte{}, "<<>>"},
		{map[string]int{"b": 2, "a": 1}, `#{"a" => 1,"b" => 2}`},
		{Down{Ref: Ref{Node: "foo@vm", ID: 7}, Pid: pid, Reason: Normal}, "{'DOWN',#Ref<foo@vm.7.0>,process,<foo@vm.42.0>,normal}"},
		{ExitSignal{From: pid, Reason: T(PanicTag, "boom")}, `{'EXIT',<foo@vm.42.0>,{panic,"boom"}}`},
		{NodeUp{Node: "bar@vm"}, "{nodeup,bar@vm}"},
		{NodeDown{Node: "bar@vm"}, "{nodedown,bar@vm}"},
		{Name{Name: "pong", Node: "bar@vm"}, "{pong,bar@vm}"},
		{errors.New("bad"), "bad"},
		// not terms, but in error messages and panics: the type, not an
		// address
		{func(int) string { return "" }, "#Fun<func(int) string>"},
		{(func())(nil), "nil"},
		{make(chan int), "#Chan<chan int>"},
		{T(A("f"), strings.ToUpper), "{f,#Fun<func(string) string>}"},
	}
	for _, tc := range tests {
		if got := Format(tc.in); got != tc.want {
			t.Errorf("Format(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestFormatCyclicDoesNotHang(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	if s := Format(cyclic); !strings.Contains(s, "...") {
		t.Fatalf("Format(cyclic) = %.40s..., want a truncation mark", s)
	}
}

func TestParsePidRoundTrip(t *testing.T) {
	pids := []Pid{
		{Node: "foo@vm", ID: 42},
		{Node: "foo@host.example.com", ID: 1, Creation: 7},
		{Node: NoNode, ID: 18446744073709551615, Creation: 4294967295},
	}
	for _, p := range pids {
		got, err := ParsePid(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePid(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
	}
	r := Ref{Node: "a@b.c", ID: 9, Creation: 2}
	if got, err := ParseRef(r.String()); err != nil || got != r {
		t.Errorf("ParseRef(%q) = %v, %v", r.String(), got, err)
	}
}

func TestParsePidErrors(t *testing.T) {
	for _, s := range []string{"", "<>", "<foo>", "<foo.1>", "foo@vm.1.0", "<@.x.0>", "<a.1.x>", "<a.1.99999999999>", "<.1.0>", "<a\x00b.1.0>"} {
		if p, err := ParsePid(s); err == nil {
			t.Errorf("ParsePid(%q) = %v, want error", s, p)
		}
	}
}

func FuzzParsePid(f *testing.F) {
	f.Add("<foo@vm.42.0>")
	f.Add("<a.b.c.1.2>")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePid(s)
		if err != nil {
			return
		}
		q, err := ParsePid(p.String())
		if err != nil || q != p {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, p, p.String(), q, err)
		}
	})
}

func TestPanicReason(t *testing.T) {
	if r := PanicReason(errors.New("boom")); !reflect.DeepEqual(r, Tuple{PanicTag, "boom"}) {
		t.Errorf("error panic: %v", r)
	}
	if r := PanicReason(T(A("bad"), 1)); !reflect.DeepEqual(r, Tuple{PanicTag, Tuple{Atom("bad"), 1}}) {
		t.Errorf("term panic: %v", r)
	}
	if r := PanicReason(make(chan int)); r[1].(string) == "" {
		t.Errorf("unsendable panic value: %v", r)
	}
}

type nilErr struct{ msg string }

func (e *nilErr) Error() string { return e.msg } // panics on a nil receiver

type recursiveMap map[string]recursiveMap

func TestPanickyMethodsAndRecursiveTypes(t *testing.T) {
	var e *nilErr
	// fmt renders a nil receiver whose method panics as <nil>: what
	// matters is that nothing panics.
	if s := Format(error(e)); s != "<nil>" {
		t.Errorf("Format of a typed nil error = %q", s)
	}
	if r := PanicReason(error(e)); r[1] != "<nil>" {
		t.Errorf("PanicReason of a typed nil error = %v", r)
	}
	if _, err := Copy(recursiveMap{"a": nil}); !errors.Is(err, ErrUnsendable) {
		t.Errorf("Copy of a recursive type: %v", err)
	}
}
