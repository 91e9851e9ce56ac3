package term

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

func bigOf(t *testing.T, s string) *big.Int {
	t.Helper()
	x, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("bad test number %q", s)
	}
	return x
}

func TestBigInt(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "255", "-256", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "-9223372036854775809", "18446744073709551616", "-123456789012345678901234567890"} {
		x := bigOf(t, s)
		b := NewBigInt(x)
		if b.Big().Cmp(x) != 0 || b.String() != s {
			t.Errorf("%s: round trip gives %s (%s)", s, b.Big(), b)
		}
		if p, err := ParseBigInt(s); err != nil || p != b {
			t.Errorf("ParseBigInt(%s) = %v, %v; want == NewBigInt", s, p, err)
		}
		v, ok := b.Int64()
		if ok != x.IsInt64() || ok && v != x.Int64() {
			t.Errorf("%s: Int64 = %d, %v", s, v, ok)
		}
		if b.Sign() != x.Sign() {
			t.Errorf("%s: Sign = %d", s, b.Sign())
		}
		i := Integer(x)
		if _, isInt := i.(int); isInt != x.IsInt64() {
			t.Errorf("Integer(%s) = %T", s, i)
		}
		le := b.AppendBytes(nil)
		if len(le) != b.Len() || BigIntFromBytes(x.Sign() < 0, le) != b {
			t.Errorf("%s: bytes %x do not rebuild it", s, le)
		}
	}
	// Trailing zero bytes and negative zero are canonicalized: == works.
	if BigIntFromBytes(false, []byte{1, 0, 0}) != NewBigInt(big.NewInt(1)) || BigIntFromBytes(true, []byte{0}) != (BigInt{}) {
		t.Error("BigIntFromBytes is not canonical")
	}
	a, b := NewBigInt(bigOf(t, "-100000000000000000000")), NewBigInt(bigOf(t, "99999999999999999999"))
	if a.Cmp(b) != -1 || b.Cmp(a) != 1 || a.Cmp(a) != 0 || NewBigInt(big.NewInt(-2)).Cmp(NewBigInt(big.NewInt(-1))) != -1 {
		t.Error("Cmp")
	}
	m := map[any]int{a: 1}
	if m[NewBigInt(bigOf(t, "-100000000000000000000"))] != 1 {
		t.Error("a BigInt does not work as a map key")
	}
	for _, bad := range []string{"", "12a", "0x10", "1.5", "--1"} {
		if _, err := ParseBigInt(bad); err == nil {
			t.Errorf("ParseBigInt(%q) succeeded", bad)
		}
	}
}

func TestRefWords(t *testing.T) {
	gerl := Ref{Node: "a@b", ID: 7 | 9<<32, Creation: 3}
	if gerl.NumWords() != 2 || gerl.Word(0) != 7 || gerl.Word(1) != 9 {
		t.Fatalf("gerl ref words: %d %d %d", gerl.NumWords(), gerl.Word(0), gerl.Word(1))
	}
	two, err := RefFromWords("a@b", 3, []uint32{7, 9})
	if err != nil || two != gerl {
		t.Fatalf("two words give %#v, %v; want the gerl form", two, err)
	}
	tests := []struct {
		words []uint32
		text  string
	}{
		{[]uint32{7}, "#Ref<a@b.:7.3>"},
		{[]uint32{133947, 2512125953, 3636896942}, "#Ref<a@b.3636896942:2512125953:133947.3>"},
		{[]uint32{1, 2, 3, 4, 5}, "#Ref<a@b.5:4:3:2:1.3>"},
		{[]uint32{1, 0, 0}, "#Ref<a@b.0:0:1.3>"},
	}
	for _, tc := range tests {
		r, err := RefFromWords("a@b", 3, tc.words)
		if err != nil {
			t.Fatal(err)
		}
		if r.NumWords() != len(tc.words) {
			t.Errorf("%v: NumWords %d", tc.words, r.NumWords())
		}
		for i, w := range tc.words {
			if r.Word(i) != w {
				t.Errorf("%v: word %d = %d", tc.words, i, r.Word(i))
			}
		}
		if r.String() != tc.text || Format(r) != tc.text {
			t.Errorf("%v prints %s, want %s", tc.words, r, tc.text)
		}
		p, err := ParseRef(tc.text)
		if err != nil || p != r {
			t.Errorf("ParseRef(%s) = %#v, %v", tc.text, p, err)
		}
		if r == gerl || r.IsZero() {
			t.Errorf("%v compares equal to another ref", tc.words)
		}
	}
	// A padded ref is not == to the short one: gerl keeps the words exactly.
	one, _ := RefFromWords("a@b", 3, []uint32{1})
	three, _ := RefFromWords("a@b", 3, []uint32{1, 0, 0})
	if one == three {
		t.Error("refs of different lengths are ==")
	}
	for _, n := range []int{0, 6} {
		if _, err := RefFromWords("a@b", 3, make([]uint32, n)); err == nil {
			t.Errorf("RefFromWords with %d words succeeded", n)
		}
	}
	for _, bad := range []string{"#Ref<a@b.1:x.3>", "#Ref<a@b.1:2:3:4:5:6.3>", "#Ref<a@b.1:2.x>", "#Ref<.1:2.3>", "#Ref<a@b.:1:2.3>"} {
		if _, err := ParseRef(bad); err == nil {
			t.Errorf("ParseRef(%s) succeeded", bad)
		}
	}
}

func TestErlangTermsCopy(t *testing.T) {
	pid := Pid{Node: "a@b", ID: 1}
	big1 := NewBigInt(bigOf(t, "123456789012345678901234567890"))
	fun := MakeOpaque(OpaqueFun, "#Fun<x.0.1>", []byte{112, 0})
	tests := []struct {
		name    string
		in, out any
	}{
		{"bigint", big1, big1},
		{"opaque", fun, fun},
		{"bitstring clears unused bits", BitString{Bytes: []byte{1, 0xff}, TailBits: 4}, BitString{Bytes: []byte{1, 0xf0}, TailBits: 4}},
		{"improper", Improper(A("b"), A("a"), []int{1}), ImproperList{Elems: []any{A("a"), []int{1}}, Tail: A("b")}},
		{"improper, tuple tail", Improper(T(1), 1), ImproperList{Elems: []any{1}, Tail: Tuple{1}}},
		{"improper, binary tail", Improper([]byte("x"), 1), ImproperList{Elems: []any{1}, Tail: []byte("x")}},
		{"map", Map{{T(1, 2), "v"}, {[]any{pid}, Map{}}}, Map{{Tuple{1, 2}, "v"}, {[]any{pid}, Map{}}}},
		{"nil map", Map(nil), Map(nil)},
		{"typed slice of maps", []Map{{{1, 2}}}, []Map{{{1, 2}}}},
		{"bigint and opaque keys", map[any]any{big1: 1, fun: 2}, map[any]any{big1: 1, fun: 2}},
		{"typed bigint keys", map[BigInt]string{big1: "x"}, map[BigInt]string{big1: "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Copy(tc.in)
			if err != nil {
				t.Fatalf("Copy: %v", err)
			}
			if !reflect.DeepEqual(got, tc.out) {
				t.Fatalf("Copy = %#v, want %#v", got, tc.out)
			}
		})
	}
	// The copy shares nothing with the original.
	bs := BitString{Bytes: []byte{1, 2}, TailBits: 1}
	c, _ := Copy(bs)
	bs.Bytes[0] = 9
	if c.(BitString).Bytes[0] != 1 {
		t.Error("a copied BitString shares its bytes")
	}
	m := Map{{[]any{1}, []any{2}}}
	cm, _ := Copy(m)
	m[0].Key.([]any)[0] = 9
	if cm.(Map)[0].Key.([]any)[0] != 1 {
		t.Error("a copied Map shares its keys")
	}
}

func TestErlangTermsRefused(t *testing.T) {
	tests := []struct {
		name, path, contains string
		in                   any
	}{
		{"empty improper", "msg", "at least one element", ImproperList{Tail: A("x")}},
		{"list tail", "msg[1]", "cannot be a list", T(1, Improper([]any{2}, 1))},
		{"typed list tail", "msg", "cannot be a list", Improper([]int{2}, 1)},
		{"improper tail", "msg", "cannot be a list", Improper(Improper(3, 2), 1)},
		{"nested bad tail", "msg.Elems[0]", "chan", Improper(1, make(chan int))},
		{"bitstring of 8 bits", "msg", "1 to 7 bits", BitString{Bytes: []byte{1}, TailBits: 8}},
		{"empty bitstring", "msg", "at least one byte", BitString{TailBits: 3}},
		{"bad map value", "msg[0].Value", "functions", Map{{T(1), func() {}}}},
		{"bad map key", "msg[1].Key[1]", "channels", Map{{1, 1}, {T(2, make(chan int)), 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Copy(tc.in)
			var ue *UnsendableError
			if !errors.As(err, &ue) || !errors.Is(err, ErrUnsendable) {
				t.Fatalf("Copy = %v, want an UnsendableError", err)
			}
			if ue.Path != tc.path || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("error %q (path %s), want path %s and %q", err, ue.Path, tc.path, tc.contains)
			}
		})
	}
}

func TestErlangTermsFormat(t *testing.T) {
	r3, _ := RefFromWords("a@b", 1, []uint32{3, 2, 1})
	tests := []struct {
		in   any
		want string
	}{
		{NewBigInt(bigOf(t, "-123456789012345678901234567890")), "-123456789012345678901234567890"},
		{BitString{Bytes: []byte{1, 2, 0x30}, TailBits: 4}, "<<1,2,3:4>>"},
		{BitString{Bytes: []byte{0xff}, TailBits: 1}, "<<1:1>>"},
		{Improper(A("c"), A("a"), A("b")), "[a,b|c]"},
		{Improper(r3, A("alias")), "[alias|#Ref<a@b.1:2:3.1>]"},
		{Map{{T(A("connection_id"), A("p@vm")), 14584153}, {[]any{1}, A("x")}}, "#{[1] => x,{connection_id,p@vm} => 14584153}"},
		{MakeOpaque(OpaqueExport, "fun lists:reverse/1", nil), "fun lists:reverse/1"},
		{T(math.MaxInt64, NewBigInt(bigOf(t, "9223372036854775808"))), "{9223372036854775807,9223372036854775808}"},
	}
	for _, tc := range tests {
		if got := Format(tc.in); got != tc.want {
			t.Errorf("Format(%#v) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if OpaquePort.String() != "port" || OpaqueFun.String() != "fun" || OpaqueExport.String() != "export fun" {
		t.Error("OpaqueKind names")
	}
}

func TestMapGet(t *testing.T) {
	m := Map{{T(A("k"), 1), "one"}, {[]any{}, "empty"}}
	if v, ok := m.Get(T(A("k"), 1)); !ok || v != "one" {
		t.Errorf("Get tuple key = %v, %v", v, ok)
	}
	if v, ok := m.Get([]any{}); !ok || v != "empty" {
		t.Errorf("Get list key = %v, %v", v, ok)
	}
	if _, ok := m.Get(T(A("k"), 2)); ok {
		t.Error("Get of a missing key succeeded")
	}
}
