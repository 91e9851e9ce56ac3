package interop

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// TestTermsFromErlang: random nested terms made on the Erlang side
// (interop_agent:random_term/1: atoms of every kind, integers of every
// size, floats, binaries, bit strings, charlists, improper lists, big
// tuples, maps with composite keys, pids, refs, funs, ports, aliases) are
// echoed by a gerl process and come back =:= to what was sent.
func TestTermsFromErlang(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", nil)
	echo := echoProc(t, g, "")
	seed := time.Now().UnixNano() % 1000000
	t.Logf("seed %d", seed)
	if v := g.eval(t, a.name, `interop_agent:roundtrip(P, 500, Seed).`, "P", echo, "Seed", int(seed)); v != term.OK {
		t.Fatalf("seed %d: %s", seed, format(v))
	}
}

// TestTermsFromGerl: random terms made in Go, of the forms a Go receiver
// gets from Erlang, go to an Erlang echo process and come back equal.
func TestTermsFromGerl(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "a")
	g := e.startGerl(t, "g", nil)
	echo := g.eval(t, a.name, `spawn(fun interop_agent:echo/0).`).(term.Pid)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	gen := &termGen{r: r, g: g}
	err := g.Node().WithProcess("t", func(p *node.Proc) error {
		for i := 0; i < 500; i++ {
			v := gen.term(4)
			if err := p.Send(echo, term.T(p.Self(), v)); err != nil {
				return fmt.Errorf("send %s: %w", format(v), err)
			}
			back := recv(t, p)
			if !equalTerms(v, back) {
				return fmt.Errorf("sent %s, got back %s", format(v), format(back))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
}

// termGen makes random terms in the forms the etf decoder gives (so a
// term sent and received back is ==).
type termGen struct {
	r *rand.Rand
	g *gerlNode
}

func (gen *termGen) term(depth int) any {
	if depth == 0 {
		return gen.leaf()
	}
	r := gen.r
	switch r.IntN(10) {
	case 0:
		t := term.Tuple{}
		for i := r.IntN(4); i > 0; i-- {
			t = append(t, gen.term(depth-1))
		}
		return t
	case 1:
		l := []any{}
		for i := r.IntN(4); i > 0; i-- {
			l = append(l, gen.term(depth-1))
		}
		return l
	case 2:
		m := map[any]any{}
		for i := r.IntN(4); i > 0; i-- {
			k := gen.leaf()
			if b, ok := k.([]byte); ok {
				k = string(b) // a binary key comes back as a string key
			}
			if !comparable(k) {
				continue
			}
			m[k] = gen.term(depth - 1)
		}
		return m
	case 3:
		return term.Map{{Key: term.T(gen.leaf(), 1), Value: gen.term(depth - 1)}}
	case 4:
		return term.ImproperList{Elems: []any{gen.term(depth - 1)}, Tail: term.Atom("tail")}
	}
	return gen.leaf()
}

func comparable(k any) bool {
	switch k.(type) {
	case term.Tuple, []any, map[any]any, term.Map, term.ImproperList, term.BitString, []byte:
		return false
	}
	return true
}

func (gen *termGen) leaf() any {
	r := gen.r
	switch r.IntN(16) {
	case 0:
		return term.Atom(fmt.Sprintf("atom_%d", r.IntN(100)))
	case 1:
		return term.Atom("Ünïcödé")
	case 2:
		return r.IntN(256)
	case 3:
		return int(r.Int64()) - math.MaxInt64/2
	case 4:
		return math.MinInt64
	case 5:
		return term.Integer(new(bigInt).Lsh(bigOne(), uint(64+r.IntN(200))))
	case 6:
		return r.Float64() * 1e10
	case 7:
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	case 8:
		return term.BitString{Bytes: []byte{byte(r.IntN(256)), 0xa0}, TailBits: 3}
	case 9:
		return gen.g.Node().MakeRef()
	case 10:
		return term.Pid{Node: gen.g.Name(), ID: uint64(r.IntN(1000)), Creation: gen.g.Node().Creation()}
	case 11:
		return true
	case 12:
		return nil
	case 13:
		return []any{}
	case 14:
		return []any{104, 105} // a charlist
	}
	return term.Atom("undefined")
}

// equalTerms compares terms as Erlang's =:= does, for the forms the etf
// decoder gives: a term.Map's pairs in any order.
func equalTerms(a, b any) bool {
	switch x := a.(type) {
	case term.Map:
		y, ok := b.(term.Map)
		if !ok || len(x) != len(y) {
			return false
		}
		key := func(m term.Map) []string {
			out := make([]string, len(m))
			for i, p := range m {
				out[i] = term.Format(p.Key) + "=>" + term.Format(p.Value)
			}
			sort.Strings(out)
			return out
		}
		return reflect.DeepEqual(key(x), key(y))
	case term.Tuple:
		y, ok := b.(term.Tuple)
		return ok && equalSlices(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && equalSlices(x, y)
	case map[any]any:
		y, ok := b.(map[any]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalTerms(v, w) {
				return false
			}
		}
		return true
	case term.ImproperList:
		y, ok := b.(term.ImproperList)
		return ok && equalSlices(x.Elems, y.Elems) && equalTerms(x.Tail, y.Tail)
	}
	return reflect.DeepEqual(a, b)
}

func equalSlices(x, y []any) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !equalTerms(x[i], y[i]) {
			return false
		}
	}
	return true
}

type bigInt = big.Int

func bigOne() *big.Int { return big.NewInt(1) }
