package etf

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// genTerm makes a random value of the kinds the decoder returns, nested up
// to depth: such a value must come back from Erlang identical.
func genTerm(r *rand.Rand, depth int) any {
	if depth > 0 {
		switch r.IntN(12) {
		case 0:
			t := make(term.Tuple, r.IntN(4))
			for i := range t {
				t[i] = genTerm(r, depth-1)
			}
			return t
		case 1:
			l := make([]any, r.IntN(4))
			for i := range l {
				l[i] = genTerm(r, depth-1)
			}
			return l
		case 2:
			m := map[any]any{}
			for i := r.IntN(4); i > 0; i-- {
				m[genKey(r)] = genTerm(r, depth-1)
			}
			return m
		case 3:
			l := make([]any, 1+r.IntN(3))
			for i := range l {
				l[i] = genTerm(r, depth-1)
			}
			tail := genScalar(r)
			for term.Improper(tail, 1).Check() != nil {
				tail = genScalar(r)
			}
			return term.ImproperList{Elems: l, Tail: tail}
		case 4:
			return term.Map{{Key: term.Tuple{term.Atom("k"), genTerm(r, depth-1)}, Value: genTerm(r, depth-1)}}
		}
	}
	return genScalar(r)
}

// genKey makes a random key of a map[any]any as the decoder makes it.
func genKey(r *rand.Rand) any {
	for {
		switch k := genScalar(r).(type) {
		case []byte:
			return string(k)
		case term.BitString, []any, term.Tuple:
		default:
			return k
		}
	}
}

// genScalar makes a random leaf; its keys-worthy kinds (all but binaries
// and bit strings) can be map keys.
func genScalar(r *rand.Rand) any {
	switch r.IntN(16) {
	case 0:
		return term.Atom(strings.Repeat(string(rune('a'+r.IntN(26))), 1+r.IntN(3)))
	case 1:
		return term.Atom([]string{"", "héllo", "😀", "'q'", "with space", strings.Repeat("ü", 255)}[r.IntN(6)])
	case 2:
		return r.IntN(600) - 300
	case 3:
		return int(r.Int64()) // full range
	case 4:
		x := new(big.Int).Lsh(big.NewInt(int64(1+r.IntN(1000))), uint(64+r.IntN(300)))
		if r.IntN(2) == 0 {
			x.Neg(x)
		}
		return term.NewBigInt(x)
	case 5:
		return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(600)-300))
	case 6:
		b := make([]byte, r.IntN(6))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	case 7:
		n := 1 + r.IntN(3)
		bits := uint8(1 + r.IntN(7))
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		b[n-1] &= byte(0xff << (8 - bits))
		return term.BitString{Bytes: b, TailBits: bits}
	case 8:
		return term.Pid{Node: "a@b", ID: r.Uint64(), Creation: r.Uint32()}
	case 9:
		words := make([]uint32, 1+r.IntN(5))
		for i := range words {
			words[i] = r.Uint32()
		}
		ref, _ := term.RefFromWords("x@y", r.Uint32(), words)
		return ref
	case 10:
		return term.Ref{Node: "gerl@vm", ID: r.Uint64(), Creation: 1 + r.Uint32N(100)}
	case 11:
		return r.IntN(2) == 0
	case 12:
		return nil
	case 13:
		return []any{}
	case 14:
		return []any{104, 105}
	}
	return term.Tuple{}
}

// TestGerlTermsThroughErlang: random gerl terms, encoded by gerl, decoded
// and re-encoded by erl, decoded by gerl, come back identical.
func TestGerlTermsThroughErlang(t *testing.T) {
	const n = 400
	r := rand.New(rand.NewPCG(11, uint64(n)))
	terms := make([]any, n)
	reqs := make([]string, n)
	for i := range terms {
		terms[i] = genTerm(r, 4)
		b, err := Append(nil, terms[i])
		if err != nil {
			t.Fatalf("encoding %s: %v", term.Format(terms[i]), err)
		}
		reqs[i] = "echo " + hexOf(b)
	}
	erl := startErl(t)
	for i, a := range erl.call(n, reqs...) {
		got, err := Decode(okBytes(t, a, term.Format(terms[i])))
		if err != nil {
			t.Fatalf("decoding erl's echo of %s: %v", term.Format(terms[i]), err)
		}
		if !sameDeep(got, terms[i]) {
			t.Errorf("%s came back as %s:\n%#v\n%#v", term.Format(terms[i]), term.Format(got), terms[i], got)
		}
	}
}

// TestErlangTermsThroughGerl: random terms made by erl (funs, ports,
// aliases, bignums, maps with composite keys included), decoded and
// re-encoded by gerl, are =:= to the originals for erl.
func TestErlangTermsThroughGerl(t *testing.T) {
	const n = 400
	erl := startErl(t)
	answers := erl.call(n, fmt.Sprintf("gen 42 %d", n))
	reqs := make([]string, n)
	seen := map[string]bool{}
	for i, a := range answers {
		theirs := okBytes(t, a, "gen")
		v, err := Decode(theirs)
		if err != nil {
			t.Fatalf("decoding erl's %x: %v", theirs, err)
		}
		kinds(v, seen)
		ours, err := Append(nil, v)
		if err != nil {
			t.Fatalf("re-encoding %s: %v", term.Format(v), err)
		}
		reqs[i] = "same " + hexOf(theirs) + " " + hexOf(ours)
	}
	for i, a := range erl.call(n, reqs...) {
		if a != "true" {
			t.Errorf("term %d: %s", i, a)
		}
	}
	for _, k := range []string{"fun", "export fun", "port", "term.BigInt", "term.BitString", "term.ImproperList",
		"term.Map", "map[interface {}]interface {}", "term.Ref", "term.Pid", "float64", "[]uint8", "<nil>", "bool"} {
		if !seen[k] {
			t.Errorf("erl generated no %s: the test does not cover it (saw %v)", k, seen)
		}
	}
}

// kinds records the Go types (and Opaque kinds) in v.
func kinds(v any, seen map[string]bool) {
	switch x := v.(type) {
	case term.Opaque:
		seen[x.Kind().String()] = true
	case []any:
		for _, e := range x {
			kinds(e, seen)
		}
	case term.Tuple:
		kinds([]any(x), seen)
	case term.ImproperList:
		kinds(x.Elems, seen)
		kinds(x.Tail, seen)
	case term.Map:
		for _, p := range x {
			kinds(p.Key, seen)
			kinds(p.Value, seen)
		}
	case map[any]any:
		for k, e := range x {
			kinds(k, seen)
			kinds(e, seen)
		}
	}
	seen[fmt.Sprintf("%T", v)] = true
}

// sameDeep is sameTerm at every level (floats compared by bits).
func sameDeep(a, b any) bool {
	switch x := a.(type) {
	case float64:
		return sameTerm(a, b)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameDeep(x[i], y[i]) {
				return false
			}
		}
		return true
	case term.Tuple:
		y, ok := b.(term.Tuple)
		return ok && sameDeep([]any(x), []any(y))
	case term.ImproperList:
		y, ok := b.(term.ImproperList)
		return ok && sameDeep(x.Elems, y.Elems) && sameDeep(x.Tail, y.Tail)
	case term.Map:
		y, ok := b.(term.Map)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameDeep(x[i].Key, y[i].Key) || !sameDeep(x[i].Value, y[i].Value) {
				return false
			}
		}
		return true
	case map[any]any:
		y, ok := b.(map[any]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameDeep(v, w) {
				return false
			}
		}
		return true
	}
	return sameTerm(a, b)
}
