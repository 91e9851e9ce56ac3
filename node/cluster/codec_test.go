package cluster

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node/etf"
	"github.com/gerl-dev/gerl/node/term"
)

type myString string
type myInts []int
type myMap map[string]any
type myBytes []byte

var sample = []any{
	nil, true, false, 0, 1, -1, 127, 128, -33, 1 << 40, math.MaxInt64, math.MinInt64,
	int8(-5), int16(300), int32(-70000), int64(1 << 50), uint(7), uint8(255), uint16(65535),
	uint32(1 << 31), uint64(math.MaxUint64), float32(1.5), 2.25, math.Inf(1), "", "héllo",
	strings.Repeat("x", 300), []byte(nil), []byte{}, []byte{1, 2, 3}, []any(nil), []any{},
	map[string]any(nil), map[string]any{}, map[string]any{"a": 1, "b": []any{term.Atom("x")}},
	term.Atom("ping"), term.Atom(""), term.Pid{Node: "a@b", ID: 42, Creation: 3}, term.Pid{},
	term.Ref{Node: "a@b", ID: 1 << 60, Creation: math.MaxUint32}, term.Tuple{}, term.Tuple(nil),
	term.T(term.A("ping"), term.Pid{Node: "x@y", ID: 1}, 7),
	term.Name{Name: "pong", Node: "b@h"}, term.NodeUp{Node: "n@h"},
	term.NodeDown{Node: "n@h", Reason: term.A("net_tick_timeout")},
	term.Down{Ref: term.Ref{Node: "a", ID: 1}, Pid: term.Pid{Node: "b", ID: 2}, Name: "reg", Reason: term.T(term.A("panic"), "boom")},
	term.ExitSignal{From: term.Pid{Node: "b", ID: 2}, Reason: term.NoConnection},
	term.Request{From: term.Pid{Node: "b", ID: 2}, Ref: term.Ref{Node: "b", ID: 9}, Body: []int{1}},
	term.Reply{Ref: term.Ref{Node: "b", ID: 9}, Value: map[int]string{1: "one"}},
	[]int{1, 2, 3}, []int(nil), [2]int{4, 5}, [0]string{}, map[string][]int{"a": {1}, "b": nil},
	map[any]any{1: "a", "k": 2.5, term.Atom("x"): nil, term.Pid{Node: "p", ID: 1}: []any{}},
	map[term.Pid]int{{Node: "p", ID: 1}: 1}, map[int]string(nil), []term.Atom{"a", "b"},
	[]term.Tuple{{1}, nil}, []any{nil, []any(nil), map[string]any(nil)}, [3][]byte{{1}, nil, {}},
	myString("named"), myInts{1, 2}, myInts(nil), myMap{"k": myString("v")}, myMap(nil),
	myBytes("bin"), time.Duration(5), []time.Duration{1, 2}, map[myString]myInts{"a": {1}},
	[]float32{1.25}, map[bool]uint8{true: 1}, []uint16{1, 65535}, [2][2]int8{{1, 2}, {3, -4}},
	[]map[string]any{nil, {"z": term.Tuple{}}},
}

// checkRoundTrip asserts decode(encode(v)) deep-equals term.Copy(v), with
// the same dynamic types at every level.
func checkRoundTrip(t *testing.T, c *Codec, v any) {
	t.Helper()
	want, err := term.Copy(v)
	b, eerr := c.AppendTerm(nil, v)
	if err != nil {
		if eerr == nil || eerr.Error() != err.Error() {
			t.Fatalf("%#v: Copy says %v, encode says %v", v, err, eerr)
		}
		return
	}
	if eerr != nil {
		t.Fatalf("encode %#v: %v", v, eerr)
	}
	got, err := c.DecodeTerm(b)
	if err != nil {
		t.Fatalf("decode %#v (%x): %v", v, b, err)
	}
	if !sameTerm(got, want) {
		t.Fatalf("round trip of %#v:\n got %#v (%T)\nwant %#v (%T)", v, got, got, want, want)
	}
}

// sameTerm is reflect.DeepEqual that also compares dynamic types inside
// interfaces and treats NaN as equal to itself.
func sameTerm(a, b any) bool {
	return sameValue(reflect.ValueOf(a), reflect.ValueOf(b))
}

func sameValue(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		fallthrough
	case reflect.Array:
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !sameValue(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	}
	return a.Equal(b)
}

func TestCodecSamples(t *testing.T) {
	c := NewCodec()
	for _, v := range sample {
		checkRoundTrip(t, c, v)
	}
	checkRoundTrip(t, c, sample)
	checkRoundTrip(t, c, term.Tuple(sample))
}

func TestCodecRejectsWhatCopyRejects(t *testing.T) {
	c := NewCodec()
	self := []any{1}
	self[0] = self
	for _, v := range []any{
		make(chan int), func() {}, &struct{}{}, struct{ A int }{1}, complex(1, 2),
		[]any{1, term.T(2, make(chan int))}, map[string]any{"f": func() {}},
		map[[2]int]int{{1, 2}: 3}, self, uintptr(1),
		term.Down{Reason: []any{make(chan bool)}},
	} {
		_, cerr := term.Copy(v)
		_, eerr := c.AppendTerm(nil, v)
		if cerr == nil || eerr == nil || cerr.Error() != eerr.Error() {
			t.Errorf("%T: Copy %v, encode %v", v, cerr, eerr)
		}
		if !errors.Is(eerr, term.ErrUnsendable) {
			t.Errorf("%T: %v is not ErrUnsendable", v, eerr)
		}
	}
}

// randTerm builds a random sendable value of up to depth levels.
func randTerm(r *rand.Rand, depth int) any {
	n := 22
	if depth <= 0 {
		n = 12
	}
	switch r.IntN(n) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2:
		return int(r.Int64()) >> r.IntN(64)
	case 3:
		return r.Float64()
	case 4:
		return randString(r)
	case 5:
		return term.Atom(randString(r))
	case 6:
		return term.Pid{Node: term.Atom(randString(r)), ID: r.Uint64() >> r.IntN(64), Creation: r.Uint32()}
	case 7:
		return int8(r.Int())
	case 8:
		return uint64(r.Uint64())
	case 9:
		return float32(r.Float32())
	case 10:
		b := make([]byte, r.IntN(70))
		for i := range b {
			b[i] = byte(r.Int())
		}
		return b
	case 11:
		return term.Ref{Node: term.Atom(randString(r)), ID: r.Uint64(), Creation: r.Uint32()}
	case 12:
		t := make(term.Tuple, r.IntN(4))
		for i := range t {
			t[i] = randTerm(r, depth-1)
		}
		return t
	case 13:
		l := make([]any, r.IntN(4))
		for i := range l {
			l[i] = randTerm(r, depth-1)
		}
		return l
	case 14:
		m := map[string]any{}
		for i := r.IntN(4); i > 0; i-- {
			m[randString(r)] = randTerm(r, depth-1)
		}
		return m
	case 15:
		l := make([]int, r.IntN(5))
		for i := range l {
			l[i] = r.IntN(1000) - 500
		}
		if r.IntN(4) == 0 {
			return myInts(l)
		}
		return l
	case 16:
		return map[string][]int{randString(r): {r.IntN(9)}, "nil": nil}
	case 17:
		return [2]int{r.Int(), -r.Int()}
	case 18:
		return term.Down{Ref: term.Ref{Node: "n", ID: r.Uint64()}, Pid: term.Pid{Node: "m", ID: 3}, Reason: randTerm(r, depth-1)}
	case 19:
		return map[any]any{r.IntN(100): randTerm(r, depth-1), randString(r): term.Atom("v")}
	case 20:
		return term.Request{From: term.Pid{Node: "f", ID: 1}, Ref: term.Ref{Node: "f", ID: 2}, Body: randTerm(r, depth-1)}
	default:
		return []any(nil)
	}
}

func randString(r *rand.Rand) string {
	const chars = "abcxyz@._ é\x00"
	b := make([]rune, r.IntN(12))
	cs := []rune(chars)
	for i := range b {
		b[i] = cs[r.IntN(len(cs))]
	}
	return string(b)
}

func TestCodecProperty(t *testing.T) {
	c := NewCodec()
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		checkRoundTrip(t, c, randTerm(r, 4))
	}
}

func TestCodecDeep(t *testing.T) {
	c := NewCodec()
	var v any = 1
	for i := 0; i < term.MaxDepth-1; i++ {
		v = term.Tuple{v}
	}
	checkRoundTrip(t, c, v)
	checkRoundTrip(t, c, term.Tuple{v}) // MaxDepth levels: still fine
	tooDeep := term.Tuple{term.Tuple{v}}
	_, cerr := term.Copy(tooDeep)
	_, eerr := c.AppendTerm(nil, tooDeep)
	if cerr == nil || eerr == nil || cerr.Error() != eerr.Error() {
		t.Fatalf("one level past MaxDepth: Copy says %v, encode says %v; want the same error", cerr, eerr)
	}
}

func TestDecodeHostile(t *testing.T) {
	c := NewCodec()
	good, _ := c.AppendTerm(nil, term.T(term.A("ping"), term.Pid{Node: "a@b", ID: 1}, []int{1, 2}, map[int]string{1: "x"}))
	cases := [][]byte{
		{}, {0xc1}, {0xdd, 0xff, 0xff, 0xff, 0xff}, {0xdf, 0x7f, 0xff, 0xff, 0xff},
		{0xc6, 0xff, 0xff, 0xff, 0xff}, {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'},
		{0xc9, 0xff, 0xff, 0xff, 0xff, 4}, {0xd4, 99, 0}, {0x92, 1}, {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x81, 1, 2}, // a map with an int key is not a term map
		{0xd4, byte(extTuple), 0x91}, {0xc7, 3, byte(extPid), 0xa1, 'a', 1},
	}
	for i := range good {
		cases = append(cases, good[:i])
	}
	bad := func(desc string, val []byte) []byte { return typedFrame(c, desc, val) }
	cases = append(cases,
		bad("[1099511627775]int", []byte{0xdd, 0, 0, 0, 1, 1}),
		bad("[100000000][100000000]int", []byte{0x91, 0x91, 1}),
		bad("[][1000000]int", []byte{0x93, 0x90, 0x90, 0x90}),
		bad("map[[]int]int", []byte{0x80}), bad("map[any]int", []byte{0x81, 0xd4, byte(extTuple), 0x90, 1}),
		bad("int8", []byte{0xcc, 200}), bad("uint", []byte{0xff}), bad("chan int", []byte{0xc0}),
		bad("[2]int", []byte{0x93, 1, 2, 3}), bad("term.Pid", []byte{0xc0}), bad("string", []byte{0xc4, 0}),
	)
	for i, b := range cases {
		if v, err := c.DecodeTerm(b); err == nil {
			t.Errorf("case %d (%x): decoded %#v", i, b, v)
		} else if !errors.Is(err, ErrMalformed) {
			t.Errorf("case %d: %v is not ErrMalformed", i, err)
		}
	}
}

func BenchmarkEncodeSeqPayload(b *testing.B) {
	c := NewCodec()
	payload := make([]byte, 64)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf, _ = c.AppendTerm(buf[:0], term.Tuple{i, payload})
	}
}

func BenchmarkDecodeSeqPayload(b *testing.B) {
	c := NewCodec()
	buf, _ := c.AppendTerm(nil, term.Tuple{123456, make([]byte, 64)})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := c.DecodeTerm(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePing(b *testing.B) {
	c := NewCodec()
	pid := term.Pid{Node: "bench_a@vm", ID: 42, Creation: 3}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf, _ = c.AppendTerm(buf[:0], term.Tuple{term.Atom("ping"), pid, i})
	}
}

func BenchmarkDecodePing(b *testing.B) {
	c := NewCodec()
	buf, _ := c.AppendTerm(nil, term.Tuple{term.Atom("ping"), term.Pid{Node: "bench_a@vm", ID: 42, Creation: 3}, 12345})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := c.DecodeTerm(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTypeDescriptorBudget: a peer cannot make the codec build composite
// types without end (reflect keeps them all); descriptors seen before
// still work once the budget is spent.
func TestTypeDescriptorBudget(t *testing.T) {
	c := NewCodec()
	for i := 1; i <= maxMadeTypes; i++ {
		if _, err := c.parse(fmt.Sprintf("[%d]int8", i)); err != nil {
			t.Fatalf("descriptor %d: %v", i, err)
		}
	}
	if _, err := c.parse(fmt.Sprintf("[%d]int8", maxMadeTypes+1)); err == nil || !strings.Contains(err.Error(), "refusing new ones") {
		t.Fatalf("one type past the budget: %v", err)
	}
	if _, err := c.parse("[1]int8"); err != nil {
		t.Fatalf("a descriptor seen before: %v", err)
	}
	if _, err := c.parse("int64"); err != nil {
		t.Fatalf("a basic type: %v", err)
	}
}

// typedFrame encodes a typed value by hand: the descriptor desc, then the
// raw bytes val as its value.
func typedFrame(c *Codec, desc string, val []byte) []byte {
	e := newEncoder(c)
	start := e.beginExt32(extTyped)
	_ = e.enc.EncodeString(desc)
	e.w.b = append(e.w.b, val...)
	e.endExt(start)
	return e.w.b
}

// TestDecodeAllocatesOnlyWhatTheFrameHolds: a typed value that declares
// more elements than its frame can hold is refused before its memory is
// allocated.
func TestDecodeAllocatesOnlyWhatTheFrameHolds(t *testing.T) {
	c := NewCodec()
	// Each frame is 1 MB: its header declares far more than that.
	pad := make([]byte, 1<<20)
	frames := map[string][]byte{
		"an array of 60M bytes": typedFrame(c, "[60000000]int8", append([]byte{0x95, 1, 2, 3, 4, 5}, pad...)),
		"60k arrays of 1000":    typedFrame(c, "[][1000]int8", append([]byte{0xdc, 0xea, 0x60, 0xdc, 0x03, 0xe8}, pad...)),
		"a map of 60k entries":  typedFrame(c, "map[int64][1000]int8", append([]byte{0xde, 0xea, 0x60, 1}, pad...)),
	}
	for name, frame := range frames {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := c.DecodeTerm(frame)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 4<<20 {
			t.Errorf("%s: a %d-byte frame allocated %d bytes before it was refused", name, len(frame), d)
		}
	}
}

// TestEveryOwnTypeHasAWireForm: each of gerl's own types (term.OwnTypes,
// the one list) travels as itself, alone, inside an any and inside a
// typed container, and its type descriptor parses back to it. A type
// added to the list without its codec fails here.
func TestEveryOwnTypeHasAWireForm(t *testing.T) {
	c := NewCodec()
	// A port of a@vm: the zero Opaque holds no term and is refused.
	port, err := etf.ParseOpaque([]byte{89, 119, 4, 'a', '@', 'v', 'm', 0, 0, 0, 7, 0, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	samples := map[reflect.Type]any{reflect.TypeFor[term.Opaque](): port}
	for _, ot := range term.OwnTypes() {
		t.Run(ot.Name(), func(t *testing.T) {
			v, ok := samples[ot]
			if !ok {
				v = reflect.Zero(ot).Interface()
			}
			slice := reflect.MakeSlice(reflect.SliceOf(ot), 1, 1)
			slice.Index(0).Set(reflect.ValueOf(v))
			checkRoundTrip(t, c, v)
			checkRoundTrip(t, c, []any{v})
			checkRoundTrip(t, c, slice.Interface())
			desc := c.desc(ot)
			if got, err := c.parse(desc); err != nil || got != ot {
				t.Fatalf("descriptor %q parses to %v, %v", desc, got, err)
			}
			if !native(ot) {
				t.Fatalf("%s needs a type descriptor on its own", ot)
			}
		})
	}
}

// TestDecodeSharesAtomsAndPids: a decoder keeps the atoms and the recent
// pids it decoded boxed as terms, so that a stream of messages naming the
// same few costs no allocation for them; what comes out is still every
// message's own value, pids evicted from the cache included.
func TestDecodeSharesAtomsAndPids(t *testing.T) {
	c := NewCodec()
	a := term.Pid{Node: "a@vm", ID: 1, Creation: 3}
	b := term.Pid{Node: "b@vm", ID: 2, Creation: 3}
	x := term.Pid{Node: "a@vm", ID: 3, Creation: 4}
	long := term.Atom(strings.Repeat("x", maxInternedLen+1))
	// In order, through one codec: the cache holds two pids, so x evicts a
	// and a evicts b.
	stream := []any{
		term.Tuple{term.Atom("ping"), a, 1},
		term.Tuple{term.Atom("ping"), a, 2},
		term.Tuple{term.Atom("pong"), b, term.Atom("ping")},
		term.Tuple{x, a, b, x},
		term.Tuple{long, long, term.Atom("")},
		[]any{a, b, x, term.Atom("ping")},
	}
	for round := range 2 {
		for i, v := range stream {
			frame, err := c.AppendTerm(nil, v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.DecodeTerm(frame)
			if err != nil {
				t.Fatalf("round %d, term %d: %v", round, i, err)
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("round %d, term %d: decoded %#v, want %#v", round, i, got, v)
			}
		}
	}

	// Once the atom and the pid are known, {ping, Pid, 7} costs the
	// tuple alone (7 is one of the integers Go boxes without allocating).
	// Not counted under the race detector, whose sync.Pool drops a share
	// of what is put back: a fresh decoder knows no atom.
	if testkit.Race {
		return
	}
	frame, err := c.AppendTerm(nil, term.Tuple{term.Atom("ping"), a, 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DecodeTerm(frame); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = c.DecodeTerm(frame) }); n != 1 {
		t.Errorf("decoding {ping, Pid, 7} again allocates %v times, want 1 (the tuple)", n)
	}
}
