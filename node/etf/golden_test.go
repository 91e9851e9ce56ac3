package etf

import (
	"bytes"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/node/term"
)

// golden is one row of the table checked against real Erlang: erl
// evaluates expr, gerl decodes erl's term_to_binary of it and must get
// want; gerl encodes in, and erl must decode it =:= to expr's value. With
// exact, gerl's bytes must also equal erl's.
type golden struct {
	expr  string
	in    any
	want  any
	exact bool
	check func(t *testing.T, got any) // instead of want, for values Go cannot write down
}

// both is a row whose Go value decodes from and encodes to expr.
func both(expr string, v any, exact bool) golden {
	return golden{expr: expr, in: v, want: v, exact: exact}
}

// toErl is a row for a Go value Erlang receives as expr, and which comes
// back to Go as want.
func toErl(expr string, in, want any) golden { return golden{expr: expr, in: in, want: want} }

const agentNode = term.Atom("nonode@nohost")

func ref(t testing.TB, node term.Atom, creation uint32, words ...uint32) term.Ref {
	t.Helper()
	r, err := term.RefFromWords(node, creation, words)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func bigInt(t testing.TB, s string) term.BigInt {
	t.Helper()
	b, err := term.ParseBigInt(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func opaque(kind term.OpaqueKind, textPrefix string) func(t *testing.T, got any) {
	return func(t *testing.T, got any) {
		t.Helper()
		o, ok := got.(term.Opaque)
		if !ok || o.Kind() != kind || !strings.HasPrefix(o.String(), textPrefix) {
			t.Fatalf("got %#v (%s), want a %s printing as %s...", got, term.Format(got), kind, textPrefix)
		}
	}
}

func goldenTable(t testing.TB) []golden {
	localRef := ref(t, agentNode, 0, 133947, 2512125953, 3636896942)
	localPid := term.Pid{Node: agentNode, ID: 42 | 7<<32}
	z255 := strings.Repeat("z", 255)
	e255 := strings.Repeat("é", 255)
	seq := func(n int) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = i%200 + 1
		}
		return l
	}
	ints300 := make(term.Tuple, 300)
	for i := range ints300 {
		ints300[i] = i + 1
	}
	return []golden{
		// Atoms, booleans and nil.
		both("ok", term.Atom("ok"), true),
		both("''", term.Atom(""), true),
		both("'héllo wörld'", term.Atom("héllo wörld"), true),
		both("list_to_atom([16#1F600|\"smile\"])", term.Atom("😀smile"), true),
		both("list_to_atom(lists:duplicate(255, $z))", term.Atom(z255), true),
		both("list_to_atom(lists:duplicate(255, 233))", term.Atom(e255), true), // 510 bytes: ATOM_UTF8_EXT
		both("undefined", term.Undefined, true),
		both("true", true, true),
		both("false", false, true),
		both("nil", nil, true),
		// Integers.
		both("0", 0, true), both("255", 255, true), both("256", 256, true), both("-1", -1, true),
		both("2147483647", 2147483647, true), both("-2147483648", -2147483648, true),
		both("2147483648", 2147483648, true), both("-2147483649", -2147483649, true),
		both("9223372036854775807", math.MaxInt64, true), both("-9223372036854775808", math.MinInt64, true),
		both("9223372036854775808", bigInt(t, "9223372036854775808"), true),
		both("-9223372036854775809", bigInt(t, "-9223372036854775809"), true),
		both("-(1 bsl 64)", bigInt(t, "-18446744073709551616"), true),
		both("1 bsl 2100", term.NewBigInt(new(big.Int).Lsh(big.NewInt(1), 2100)), true), // LARGE_BIG_EXT
		toErl("18446744073709551615", uint64(math.MaxUint64), bigInt(t, "18446744073709551615")),
		toErl("-5", int8(-5), -5), toErl("65535", uint16(65535), 65535), toErl("7", uint(7), 7),
		toErl("5", time.Duration(5), 5),
		// Floats.
		both("1.5", 1.5, true), both("-0.0", math.Copysign(0, -1), true), both("1.0e300", 1e300, true),
		both("5.0e-324", 5e-324, true), toErl("1.5", float32(1.5), 1.5),
		// Binaries and bit strings.
		both("<<>>", []byte{}, true), both("<<\"binary text\">>", []byte("binary text"), true),
		both("<<0,255>>", []byte{0, 255}, true),
		both("<<1,2,3:4>>", term.BitString{Bytes: []byte{1, 2, 0x30}, TailBits: 4}, true),
		both("<<1:1>>", term.BitString{Bytes: []byte{0x80}, TailBits: 1}, true),
		toErl("<<\"text\">>", "text", []byte("text")),
		toErl("<<\"héllo\"/utf8>>", "héllo", []byte("héllo")),
		toErl("<<>>", []byte(nil), []byte{}),
		// Lists, strings, improper lists.
		both("[]", []any{}, true),
		both("\"abc\"", []any{97, 98, 99}, true),
		both("\"héllo\"", []any{104, 233, 108, 108, 111}, true),
		both("[1,2,300]", []any{1, 2, 300}, true),
		both("[a,[b,[]],\"\"]", []any{term.Atom("a"), []any{term.Atom("b"), []any{}}, []any{}}, true),
		both("[16#1F600]", []any{0x1F600}, true),
		both("[X rem 200 + 1 || X <- lists:seq(0, 69999)]", seq(70000), true), // too long for STRING_EXT
		both("[a|b]", term.Improper(term.Atom("b"), term.Atom("a")), true),
		both("[1,2|<<\"t\">>]", term.Improper([]byte("t"), 1, 2), true),
		both("[alias|list_to_ref(\"#Ref<0.3636896942.2512125953.133947>\")]", term.Improper(localRef, term.Atom("alias")), true),
		toErl("[1,2,300]", []int{1, 2, 300}, []any{1, 2, 300}),
		toErl("\"abc\"", []int8{97, 98, 99}, []any{97, 98, 99}),
		toErl("<<\"abc\">>", []uint8{97, 98, 99}, []byte("abc")), // []uint8 is []byte
		toErl("[<<\"a\">>,<<\"b\">>]", []string{"a", "b"}, []any{[]byte("a"), []byte("b")}),
		toErl("[4,5]", [2]int{4, 5}, []any{4, 5}),
		toErl("[1,2,3]", [3]byte{1, 2, 3}, []any{1, 2, 3}),
		toErl("[]", []int(nil), []any{}),
		toErl("[[1],[]]", [][]int{{1}, nil}, []any{[]any{1}, []any{}}),
		toErl("[a,b]", []term.Atom{"a", "b"}, []any{term.Atom("a"), term.Atom("b")}),
		toErl("[1.5]", []float32{1.5}, []any{1.5}),
		// Tuples.
		both("{}", term.Tuple{}, true),
		both("{a,1,\"x\",{}}", term.Tuple{term.Atom("a"), 1, []any{120}, term.Tuple{}}, true),
		both("list_to_tuple(lists:seq(1, 300))", ints300, true),
		toErl("{}", term.Tuple(nil), term.Tuple{}),
		// Maps.
		both("#{}", map[any]any{}, true),
		both("#{a => 1}", map[any]any{term.Atom("a"): 1}, true),
		both("#{<<\"k\">> => [1]}", map[any]any{"k": []any{1}}, true),
		both("#{1 => a, 1.0 => b, nil => c, true => d}", map[any]any{1: term.Atom("a"), 1.0: term.Atom("b"), nil: term.Atom("c"), true: term.Atom("d")}, false),
		both("#{{connection_id, 'x@y'} => 14584153}", term.Map{{Key: term.Tuple{term.Atom("connection_id"), term.Atom("x@y")}, Value: 14584153}}, true),
		both("#{[1] => a, b => c}", term.Map{{Key: term.Atom("b"), Value: term.Atom("c")}, {Key: []any{1}, Value: term.Atom("a")}}, true),
		both("#{#{a => 1} => x}", term.Map{{Key: map[any]any{term.Atom("a"): 1}, Value: term.Atom("x")}}, true),
		both("#{<<1:1>> => x}", term.Map{{Key: term.BitString{Bytes: []byte{0x80}, TailBits: 1}, Value: term.Atom("x")}}, true),
		toErl("#{1 => <<\"one\">>}", map[int]string{1: "one"}, map[any]any{1: []byte("one")}),
		toErl("#{<<\"k\">> => {1}}", map[string]any{"k": term.T(1)}, map[any]any{"k": term.Tuple{1}}),
		toErl("#{}", map[string]int(nil), map[any]any{}),
		toErl("#{a => [1]}", map[term.Atom][]int{"a": {1}}, map[any]any{term.Atom("a"): []any{1}}),
		toErl("#{}", term.Map(nil), map[any]any{}),
		// Pids, refs, ports, funs.
		both("list_to_pid(\"<0.42.7>\")", localPid, true),
		both("binary_to_term(<<131,88,119,3,\"a@b\",255,255,255,255,1,2,3,4,0,0,0,9>>)",
			term.Pid{Node: "a@b", ID: 0xffffffff | 0x01020304<<32, Creation: 9}, true),
		both("list_to_ref(\"#Ref<0.3636896942.2512125953.133947>\")", localRef, true),
		both("binary_to_term(<<131,90,0,5,119,3,\"a@b\",0,0,0,7,0,0,0,1,0,0,0,2,0,0,0,3,0,0,0,4,0,0,0,5>>)",
			ref(t, "a@b", 7, 1, 2, 3, 4, 5), true),
		both("binary_to_term(<<131,90,0,2,119,3,\"a@b\",0,0,0,7,255,255,255,255,0,0,0,9>>)",
			term.Ref{Node: "a@b", ID: 0xffffffff | 9<<32, Creation: 7}, true),
		both("binary_to_term(<<131,90,0,1,119,3,\"a@b\",0,0,0,7,0,0,0,9>>)", ref(t, "a@b", 7, 9), true),
		{expr: "list_to_port(\"#Port<0.5>\")", check: opaque(term.OpaquePort, "#Port<nonode@nohost.5>"), exact: true},
		{expr: "fun lists:reverse/1", check: opaque(term.OpaqueExport, "fun lists:reverse/1"), exact: true},
		{expr: "fun 'Weird mod':'f-n'/0", check: opaque(term.OpaqueExport, "fun 'Weird mod':'f-n'/0"), exact: true},
		{expr: "fun(X) -> {X, self()} end", check: opaque(term.OpaqueFun, "#Fun<erl_eval."), exact: true},
		{expr: "{fun(X) -> X end, hd(erlang:ports())}", check: func(t *testing.T, got any) {
			tu, ok := got.(term.Tuple)
			if !ok || len(tu) != 2 {
				t.Fatalf("got %s", term.Format(got))
			}
			opaque(term.OpaqueFun, "#Fun<erl_eval.")(t, tu[0])
			opaque(term.OpaquePort, "#Port<nonode@nohost.")(t, tu[1])
		}, exact: true},
		// gerl's own message types, as Erlang receives them.
		toErl("{pong, 'a@b'}", term.Name{Name: "pong", Node: "a@b"}, term.Tuple{term.Atom("pong"), term.Atom("a@b")}),
		toErl("{'DOWN', list_to_ref(\"#Ref<0.3636896942.2512125953.133947>\"), process, list_to_pid(\"<0.42.7>\"), boom}",
			term.Down{Ref: localRef, Pid: localPid, Reason: term.Atom("boom")},
			term.Tuple{term.Atom("DOWN"), localRef, term.Atom("process"), localPid, term.Atom("boom")}),
		toErl("{'DOWN', list_to_ref(\"#Ref<0.3636896942.2512125953.133947>\"), process, {reg, nonode@nohost}, noproc}",
			term.Down{Ref: localRef, Pid: localPid, Name: "reg", Reason: term.NoProc},
			term.Tuple{term.Atom("DOWN"), localRef, term.Atom("process"), term.Tuple{term.Atom("reg"), agentNode}, term.NoProc}),
		toErl("{'EXIT', list_to_pid(\"<0.42.7>\"), {panic, <<\"x\">>}}",
			term.ExitSignal{From: localPid, Reason: term.T(term.PanicTag, "x")},
			term.Tuple{term.Atom("EXIT"), localPid, term.Tuple{term.PanicTag, []byte("x")}}),
		toErl("{nodeup, 'a@b'}", term.NodeUp{Node: "a@b"}, term.Tuple{term.Atom("nodeup"), term.Atom("a@b")}),
		toErl("{nodedown, 'a@b'}", term.NodeDown{Node: "a@b"}, term.Tuple{term.Atom("nodedown"), term.Atom("a@b")}),
		toErl("{nodedown, 'a@b', [{nodedown_reason, net_tick_timeout}]}", term.NodeDown{Node: "a@b", Reason: term.Atom("net_tick_timeout")},
			term.Tuple{term.Atom("nodedown"), term.Atom("a@b"), []any{term.Tuple{term.Atom("nodedown_reason"), term.Atom("net_tick_timeout")}}}),
		toErl("{'$gen_call', {list_to_pid(\"<0.42.7>\"), list_to_ref(\"#Ref<0.3636896942.2512125953.133947>\")}, ping}",
			term.Request{From: localPid, Ref: localRef, Body: term.Atom("ping")},
			term.Tuple{term.Atom("$gen_call"), term.Tuple{localPid, localRef}, term.Atom("ping")}),
		toErl("{list_to_ref(\"#Ref<0.3636896942.2512125953.133947>\"), pong}", term.Reply{Ref: localRef, Value: term.Atom("pong")},
			term.Tuple{localRef, term.Atom("pong")}),
		// What an OTP 25 node sends on connect, and a gen call.
		both("{'$gen_cast',{init_connect,{8,-576460752303423486},'a@vm',{locker,no_longer_a_pid,#{{connection_id,'p@vm'}=>14584153},list_to_pid(\"<0.56.0>\")}}}",
			term.Tuple{term.Atom("$gen_cast"), term.Tuple{term.Atom("init_connect"), term.Tuple{8, -576460752303423486}, term.Atom("a@vm"),
				term.Tuple{term.Atom("locker"), term.Atom("no_longer_a_pid"),
					term.Map{{Key: term.Tuple{term.Atom("connection_id"), term.Atom("p@vm")}, Value: 14584153}},
					term.Pid{Node: agentNode, ID: 56}}}}, true),
		both("{'$gen_call',{list_to_pid(\"<0.9.0>\"),[alias|list_to_ref(\"#Ref<0.3636896942.2512125953.133947>\")]},{is_auth,'a@vm'}}",
			term.Tuple{term.Atom("$gen_call"), term.Tuple{term.Pid{Node: agentNode, ID: 9}, term.Improper(localRef, term.Atom("alias"))},
				term.Tuple{term.Atom("is_auth"), term.Atom("a@vm")}}, true),
	}
}

// TestGoldenAgainstErlang checks the decoder and the encoder against a
// real Erlang node, every row of goldenTable in one run.
func TestGoldenAgainstErlang(t *testing.T) {
	rows := goldenTable(t)
	erl := startErl(t)
	reqs := make([]string, len(rows))
	for i, r := range rows {
		reqs[i] = evalReq(r.expr)
	}
	answers := erl.call(len(rows), reqs...)
	checks := make([]string, len(rows))
	ours := make([][]byte, len(rows))
	for i, r := range rows {
		theirs := okBytes(t, answers[i], r.expr)
		got, err := Decode(theirs)
		if err != nil {
			t.Fatalf("%s: decoding erl's %x: %v", r.expr, theirs, err)
		}
		in := r.in
		if r.check != nil {
			r.check(t, got)
			in = got // an Opaque goes back as it came
		} else if !sameTerm(got, r.want) {
			t.Errorf("%s: decoded %#v (%s), want %#v", r.expr, got, term.Format(got), r.want)
		}
		b, err := Append(nil, in)
		if err != nil {
			t.Fatalf("%s: encoding %#v: %v", r.expr, in, err)
		}
		if r.exact && !bytes.Equal(b, theirs) {
			t.Errorf("%s: gerl encodes\n%x\nerl encodes\n%x", r.expr, b, theirs)
		}
		ours[i] = b
		checks[i] = "check " + hexText(r.expr) + " " + hexOf(b)
	}
	for i, a := range erl.call(len(rows), checks...) {
		if a != "true" {
			t.Errorf("%s: erl decodes gerl's %x as: %s", rows[i].expr, ours[i], a)
		}
	}
}

// sameTerm is reflect.DeepEqual that also compares the dynamic types
// inside interfaces and tells -0.0 from 0.0.
func sameTerm(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && math.Float64bits(fa) == math.Float64bits(fb)
	}
	return reflect.DeepEqual(a, b)
}
