package etf

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

func b(parts ...any) []byte {
	var out []byte
	for _, p := range parts {
		switch x := p.(type) {
		case int:
			out = append(out, byte(x))
		case string:
			out = append(out, x...)
		case []byte:
			out = append(out, x...)
		}
	}
	return out
}

// legacy are encodings erts still decodes but no longer writes (or
// writes only in other contexts), and edge cases of the current ones.
var legacy = []struct {
	name string
	enc  []byte
	want any // nil with text set: an Opaque printing as text
	text string
}{
	{"PID_EXT", b(131, 103, 119, 3, "a@b", 0, 0, 0, 1, 0, 0, 0, 2, 3), term.Pid{Node: "a@b", ID: 1 | 2<<32, Creation: 3}, ""},
	{"PORT_EXT", b(131, 102, 100, 0, 3, "a@b", 0, 0, 0, 5, 2), nil, "#Port<a@b.5>"},
	{"NEW_PORT_EXT", b(131, 89, 100, 0, 3, "a@b", 0, 0, 0, 5, 0, 0, 0, 9), nil, "#Port<a@b.5>"},
	{"V4_PORT_EXT", b(131, 120, 119, 3, "a@b", 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 7), nil, "#Port<a@b.4294967301>"},
	{"REFERENCE_EXT", b(131, 101, 100, 0, 3, "a@b", 0, 0, 0, 9, 1), "ref:a@b/1/9", ""},
	{"NEW_REFERENCE_EXT", b(131, 114, 0, 3, 100, 0, 3, "a@b", 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3), "ref:a@b/2/1,2,3", ""},
	{"FLOAT_EXT", b(131, 99, "1.50000000000000000000e+00", 0, 0, 0, 0, 0), 1.5, ""},
	{"ATOM_EXT Latin-1", b(131, 100, 0, 5, 104, 233, 108, 108, 111), term.Atom("héllo"), ""},
	{"SMALL_ATOM_EXT", b(131, 115, 2, "ok"), term.Atom("ok"), ""},
	{"SMALL_ATOM_EXT true", b(131, 115, 4, "true"), true, ""},
	{"ATOM_EXT of 255", b(131, 100, 0, 255, strings.Repeat("a", 255)), term.Atom(strings.Repeat("a", 255)), ""},
	{"list with a list tail", b(131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106), []any{1, 2}, ""},
	{"list with an improper list tail", b(131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 97, 3), term.Improper(3, 1, 2), ""},
	{"list with a string tail", b(131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 1, 2), []any{1, 2}, ""},
	{"empty LIST_EXT with a tail", b(131, 108, 0, 0, 0, 0, 119, 1, "a"), term.Atom("a"), ""},
	{"BIT_BINARY_EXT of whole bytes", b(131, 77, 0, 0, 0, 1, 8, 255), []byte{255}, ""},
	{"BIT_BINARY_EXT with stray bits", b(131, 77, 0, 0, 0, 1, 4, 255), term.BitString{Bytes: []byte{0xf0}, TailBits: 4}, ""},
	{"empty BIT_BINARY_EXT", b(131, 77, 0, 0, 0, 0, 0), []byte{}, ""},
	{"small SMALL_BIG_EXT", b(131, 110, 1, 0, 5), 5, ""},
	{"SMALL_BIG_EXT sign 2", b(131, 110, 1, 2, 5), -5, ""},
	{"SMALL_BIG_EXT zero", b(131, 110, 0, 0), 0, ""},
	{"LARGE_BIG_EXT of a small value", b(131, 111, 0, 0, 0, 2, 1, 1, 1), -257, ""},
	{"LARGE_TUPLE_EXT of one", b(131, 105, 0, 0, 0, 1, 106), term.Tuple{[]any{}}, ""},
}

func legacyWant(t testing.TB, w any) any {
	s, ok := w.(string)
	if !ok || !strings.HasPrefix(s, "ref:") {
		return w
	}
	switch s {
	case "ref:a@b/1/9":
		return ref(t, "a@b", 1, 9)
	case "ref:a@b/2/1,2,3":
		return ref(t, "a@b", 2, 1, 2, 3)
	}
	t.Fatalf("bad test ref %s", s)
	return nil
}

// TestLegacyEncodings decodes older and unusual encodings, and checks
// with erl that gerl's re-encoding is =:= to them.
func TestLegacyEncodings(t *testing.T) {
	reqs := make([]string, len(legacy))
	for i, tc := range legacy {
		got, err := Decode(tc.enc)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.text != "" {
			if o, ok := got.(term.Opaque); !ok || o.String() != tc.text {
				t.Errorf("%s: got %#v, want an Opaque printing %s", tc.name, got, tc.text)
			}
		} else if want := legacyWant(t, tc.want); !sameTerm(got, want) {
			t.Errorf("%s: got %#v, want %#v", tc.name, got, want)
		}
		ours, err := Append(nil, got)
		if err != nil {
			t.Fatalf("%s: encoding %#v: %v", tc.name, got, err)
		}
		reqs[i] = "same " + hexOf(tc.enc) + " " + hexOf(ours)
	}
	erl := startErl(t)
	for i, a := range erl.call(len(reqs), reqs...) {
		if a != "true" {
			t.Errorf("%s: %s", legacy[i].name, a)
		}
	}
}

// TestMapKeyCollisions: keys Go cannot tell apart (0.0 and -0.0, distinct
// since OTP 27) give a term.Map; real duplicates are refused, as erts
// refuses them.
func TestMapKeyCollisions(t *testing.T) {
	zeros := b(131, 116, 0, 0, 0, 2, 70, 0, 0, 0, 0, 0, 0, 0, 0, 97, 1, 70, 128, 0, 0, 0, 0, 0, 0, 0, 97, 2)
	got, err := Decode(zeros)
	m, ok := got.(term.Map)
	if err != nil || !ok || len(m) != 2 || math.Signbit(m[0].Key.(float64)) || !math.Signbit(m[1].Key.(float64)) {
		t.Fatalf("0.0 and -0.0 keys: %#v, %v", got, err)
	}
	dup := b(131, 116, 0, 0, 0, 2, 119, 1, "a", 97, 1, 119, 1, "a", 97, 2)
	if _, err := Decode(dup); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "key a twice") {
		t.Fatalf("duplicate keys: %v", err)
	}
	binAtom := b(131, 116, 0, 0, 0, 2, 109, 0, 0, 0, 1, "a", 97, 1, 119, 1, "a", 97, 2)
	if got, err := Decode(binAtom); err != nil || !sameDeep(got, map[any]any{"a": 1, term.Atom("a"): 2}) {
		t.Fatalf("<<\"a\">> and a as keys: %#v, %v", got, err)
	}
}

// nested is n containers opened by open, around leaf, each closed by
// closing.
func nested(open []byte, n int, leaf []byte, closing ...byte) []byte {
	out := []byte{131}
	for i := 0; i < n; i++ {
		out = append(out, open...)
	}
	out = append(out, leaf...)
	for i := 0; i < n; i++ {
		out = append(out, closing...)
	}
	return out
}

// TestHostileInput feeds the decoder malformed and malicious bytes: each
// gets an error of the right kind, and none allocates from a length it
// has not checked.
func TestHostileInput(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		kind error
		msg  string
	}{
		{"empty", nil, ErrMalformed, "empty"},
		{"version only", b(131), ErrMalformed, "truncated"},
		{"bad version", b(130, 106), ErrMalformed, "version byte 130"},
		{"compressed", b(131, 80, 0, 0, 0, 1, 120, 156), ErrUnsupported, "compressed"},
		{"atom cache ref", b(131, 82, 0), ErrUnsupported, "atom cache"},
		{"old fun", b(131, 117, 0, 0, 0, 0), ErrUnsupported, "FUN_EXT"},
		{"local", b(131, 121, 0), ErrUnsupported, "LOCAL_EXT"},
		{"unknown tag", b(131, 200), ErrMalformed, "unknown tag 200"},
		{"nested version", b(131, 104, 1, 131, 106), ErrMalformed, "version byte"},
		{"trailing bytes", b(131, 106, 106), ErrMalformed, "1 bytes after"},
		{"huge list", b(131, 108, 255, 255, 255, 255, 106), ErrMalformed, "declares 4294967295 items"},
		{"huge tuple", b(131, 105, 255, 255, 255, 255, 106), ErrMalformed, "declares 4294967295 items"},
		{"huge small tuple", b(131, 104, 255, 106), ErrMalformed, "tuple of 255 elements"},
		{"huge map", b(131, 116, 128, 0, 0, 0, 106, 106), ErrMalformed, "declares 2147483648 items"},
		{"huge binary", b(131, 109, 255, 255, 255, 255, 0), ErrMalformed, "declares 4294967295 items"},
		{"huge bit binary", b(131, 77, 255, 255, 255, 255, 3, 0), ErrMalformed, "declares 4294967295 items"},
		{"huge big", b(131, 111, 255, 255, 255, 255, 0, 1), ErrMalformed, "declares 4294967295 items"},
		{"huge string", b(131, 107, 255, 255, 1), ErrMalformed, "STRING_EXT needs 65535 bytes"},
		{"huge atom", b(131, 118, 255, 255, "a"), ErrMalformed, "atom needs 65535 bytes"},
		{"huge fun", b(131, 112, 255, 255, 255, 255, 0), ErrMalformed, "NEW_FUN_EXT of 4294967295 bytes"},
		{"fun free vars past its size", b(131, 112, 0, 0, 0, 29, 0, make([]byte, 20), 0, 0, 0, 5, 106, 106, 106, 106, 106), ErrMalformed, ""},
		{"huge list of nils", b(131, 108, 0, 1, 0, 0, 106), ErrMalformed, "declares 65536 items"},
		{"list without its tail", b(131, 108, 0, 0, 0, 1, 106), ErrMalformed, "and a tail"},
		{"atom of 256 characters", b(131, 118, 1, 0, strings.Repeat("a", 256)), ErrMalformed, "256 characters"},
		{"Latin-1 atom of 256", b(131, 100, 1, 0, strings.Repeat("a", 256)), ErrMalformed, "256 characters"},
		{"atom not UTF-8", b(131, 119, 1, 255), ErrMalformed, "not UTF-8"},
		{"NaN", b(131, 70, 127, 248, 0, 0, 0, 0, 0, 0), ErrMalformed, "not finite"},
		{"infinity", b(131, 70, 127, 240, 0, 0, 0, 0, 0, 0), ErrMalformed, "not finite"},
		{"FLOAT_EXT nan", b(131, 99, "nan", make([]byte, 28)), ErrMalformed, "not finite"},
		{"FLOAT_EXT junk", b(131, 99, "1.5x", make([]byte, 27)), ErrMalformed, "not a number"},
		{"ref of 0 words", b(131, 90, 0, 0, 119, 1, "a", 0, 0, 0, 1), ErrMalformed, "0 words"},
		{"ref of 6 words", b(131, 90, 0, 6, 119, 1, "a", 0, 0, 0, 1, make([]byte, 24)), ErrMalformed, "6 words"},
		{"pid with an integer node", b(131, 88, 97, 1, make([]byte, 12)), ErrMalformed, "must be an atom"},
		{"bit binary of 0 bits", b(131, 77, 0, 0, 0, 1, 0, 255), ErrMalformed, "with 0 bits"},
		{"bit binary of 9 bits", b(131, 77, 0, 0, 0, 1, 9, 255), ErrMalformed, "with 9 bits"},
		{"empty bit binary with bits", b(131, 77, 0, 0, 0, 0, 3), ErrMalformed, "with 3 bits"},
		{"export with a big arity", b(131, 113, 119, 1, "m", 119, 1, "f", 98, 0, 0, 1, 0), ErrMalformed, "arity"},
		{"too deep tuples", nested([]byte{104, 1}, term.MaxDepth+1, []byte{106}), ErrMalformed, "nested deeper"},
		{"too deep lists", nested([]byte{108, 0, 0, 0, 1}, term.MaxDepth+1, []byte{106}, 106), ErrMalformed, "nested deeper"},
		{"too deep maps", nested([]byte{116, 0, 0, 0, 1, 106}, term.MaxDepth+1, []byte{106}), ErrMalformed, "nested deeper"},
		{"too deep tails", nested([]byte{108, 0, 0, 0, 1, 97, 1}, term.MaxDepth+1, []byte{106}), ErrMalformed, "nested deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			v, err := Decode(tc.in)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Decode(%x) = %#v, %v; want %v with %q", tc.in, v, err, tc.kind, tc.msg)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
				t.Fatalf("decoding %d hostile bytes allocated %d bytes", len(tc.in), grew)
			}
		})
	}
	// MaxDepth levels are fine, on both sides.
	for _, enc := range [][]byte{nested([]byte{104, 1}, term.MaxDepth, []byte{106}), nested([]byte{108, 0, 0, 0, 1}, term.MaxDepth, []byte{106}, 106)} {
		v, err := Decode(enc)
		if err != nil {
			t.Fatalf("%d nested levels: %v", term.MaxDepth, err)
		}
		if _, err := Append(nil, v); err != nil {
			t.Fatalf("re-encoding %d nested levels: %v", term.MaxDepth, err)
		}
	}
}

// TestTruncations: every proper prefix of every valid encoding is refused.
func TestTruncations(t *testing.T) {
	var all [][]byte
	for _, tc := range legacy {
		all = append(all, tc.enc)
	}
	for _, v := range sampleTerms(t) {
		enc, err := Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(enc) < 4096 { // every prefix of a long one costs its length squared
			all = append(all, enc)
		}
	}
	for _, enc := range all {
		for n := 0; n < len(enc); n++ {
			if v, err := Decode(enc[:n]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode of %d of the %d bytes of %x = %#v, %v", n, len(enc), enc, v, err)
			}
		}
	}
}

func TestLimitAndForms(t *testing.T) {
	enc, _ := Append(nil, []byte("0123456789"))
	d := Decoder{Limit: 10}
	if _, err := d.Decode(enc); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "over the limit of 10") {
		t.Fatalf("over the limit: %v", err)
	}
	// A pass-through frame: control and message, each with its version byte.
	frame, _ := Append(nil, term.T(2, term.Atom(""), term.Pid{Node: "a@b", ID: 1}))
	frame, _ = Append(frame, term.Atom("hello"))
	ctl, rest, err := DecodeNext(frame)
	if err != nil || !sameDeep(ctl, term.Tuple{2, term.Atom(""), term.Pid{Node: "a@b", ID: 1}}) {
		t.Fatalf("control: %#v, %v", ctl, err)
	}
	msg, rest, err := DecodeNext(rest)
	if err != nil || msg != term.Atom("hello") || len(rest) != 0 {
		t.Fatalf("message: %#v, %x, %v", msg, rest, err)
	}
	// A control message after a distribution header has no version byte.
	raw, _ := AppendRaw([]byte{0xee}, term.T(1, 2))
	if raw[0] != 0xee || raw[1] != tagSmallTuple {
		t.Fatalf("AppendRaw wrote %x", raw)
	}
	v, rest, err := DecodeRaw(append(raw[1:], 7))
	if err != nil || !sameDeep(v, term.Tuple{1, 2}) || !bytes.Equal(rest, []byte{7}) {
		t.Fatalf("DecodeRaw: %#v, %x, %v", v, rest, err)
	}
	if _, _, err := DecodeRaw(nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("DecodeRaw(nil): %v", err)
	}
	// Error positions count from the start of the input.
	if _, err := Decode(b(131, 104, 2, 106, 200)); err == nil || !strings.Contains(err.Error(), "at byte 4") {
		t.Fatalf("position: %v", err)
	}
	// A decoded binary does not share the input's memory.
	in, _ := Append(nil, []byte("abc"))
	got, _ := Decode(in)
	in[len(in)-1] = 'z'
	if string(got.([]byte)) != "abc" {
		t.Fatal("the decoded binary aliases the input")
	}
}

// sampleTerms are values of every kind the encoder writes.
func sampleTerms(t testing.TB) []any {
	var out []any
	for _, g := range goldenTable(t) {
		if g.check == nil {
			out = append(out, g.in)
		}
	}
	fun, err := Decode(b(131, 113, 119, 5, "lists", 119, 7, "reverse", 97, 1))
	if err != nil {
		t.Fatal(err)
	}
	return append(out, fun, term.T(fun, map[any]any{fun: term.NewBigInt(bigInt(t, "-99999999999999999999").Big())}))
}

func TestEncodeRefuses(t *testing.T) {
	tests := []struct {
		name, path, msg string
		in              any
	}{
		{"long atom", "msg", "at most 255 characters; this one has 256", term.Atom(strings.Repeat("x", 256))},
		{"long unicode atom", "msg[1]", "this one has 300", term.T(1, term.Atom(strings.Repeat("é", 300)))},
		{"atom not UTF-8", "msg", "not", term.Atom("\xff")},
		{"pid node not UTF-8", "msg.Node", "not", term.Pid{Node: "\xff"}},
		{"NaN", `msg["k"]`, "NaN has no Erlang form", map[string]any{"k": math.NaN()}},
		{"Inf in a typed map", "msg[1]", "+Inf has no Erlang form", map[int]float64{1: math.Inf(1)}},
		{"-Inf float32", "msg[0]", "-Inf", []float32{float32(math.Inf(-1))}},
		{"bad bit string", "msg.Elems[0]", "1 to 7 bits", term.Improper(1, term.BitString{Bytes: []byte{1}})},
		{"empty improper list", "msg", "at least one element", term.ImproperList{Tail: 1}},
		{"improper list with a list tail", "msg", "cannot be a list", term.Improper([]string{"x"}, 1)},
		{"bad opaque", "msg[0].Value", "not the encoding of a port or fun", term.Map{{Key: 1, Value: term.MakeOpaque(term.OpaqueFun, "x", []byte{97, 1})}}},
		{"down reason", "msg.Reason", "NaN", term.Down{Reason: math.NaN()}},
		{"call request", "msg.Body[0]", "NaN", term.Request{Body: []any{math.NaN()}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			out, err := Append(dst, tc.in)
			var ue *term.UnsendableError
			if !errors.As(err, &ue) || !errors.Is(err, term.ErrUnsendable) {
				t.Fatalf("Append = %v, want an UnsendableError", err)
			}
			if ue.Path != tc.path || !strings.Contains(ue.Why, tc.msg) {
				t.Fatalf("error %q at %s, want %q at %s", err, ue.Path, tc.msg, tc.path)
			}
			if string(out) != "keep" {
				t.Fatalf("dst became %q", out)
			}
		})
	}
	// What term.Copy refuses, Append refuses with Copy's own error.
	type point struct{ X int }
	for _, v := range []any{make(chan int), term.T(1, func() {}), point{1}, []point{{1}}, map[any]any{[2]int{1, 2}: 1},
		map[string]any{"p": new(int)}, complex(1, 2), []any{1, []error{nil}}} {
		_, cerr := term.Copy(v)
		_, err := Append(nil, v)
		if cerr == nil || err == nil || err.Error() != cerr.Error() {
			t.Errorf("%T: Append says %v, Copy says %v", v, err, cerr)
		}
	}
}

// TestAllocationBound: the worst case the Decoder's doc states, a list of
// empty lists, takes at most 48 bytes of Go values per input byte.
func TestAllocationBound(t *testing.T) {
	const n = 100000
	in := append(b(131, 108, 0, 1, 0x86, 0xa0), bytes.Repeat([]byte{106}, n+1)...)
	var d Decoder
	if _, err := d.Decode(in); err != nil { // warm the decoder up
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	v, err := d.Decode(in)
	runtime.ReadMemStats(&after)
	if err != nil || len(v.([]any)) != n {
		t.Fatalf("decode: %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 48*uint64(len(in)) {
		t.Fatalf("%d input bytes allocated %d bytes (%.1f per byte)", len(in), grew, float64(grew)/float64(len(in)))
	}
}
