package node

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// randomTerm builds a random nested term of the kinds messages are made of.
func randomTerm(r *rand.Rand, depth int) any {
	leaf := depth <= 0
	switch k := r.Intn(14); {
	case k == 0:
		return r.Intn(1000) - 500
	case k == 1:
		return fmt.Sprintf("s%d", r.Intn(100))
	case k == 2:
		return term.Atom(fmt.Sprintf("a%d", r.Intn(10)))
	case k == 3:
		return r.Float64()
	case k == 4:
		return r.Intn(2) == 0
	case k == 5:
		return term.Pid{Node: "x@y", ID: uint64(r.Intn(100))}
	case k == 6:
		b := make([]byte, r.Intn(5))
		r.Read(b)
		return b
	case k == 7:
		return []int{r.Intn(9), r.Intn(9), r.Intn(9)}
	case k == 8:
		return map[int]string{r.Intn(9): "v"}
	case leaf:
		return int64(r.Intn(100))
	case k == 9 || k == 10:
		s := make([]any, r.Intn(4)+1)
		for i := range s {
			s[i] = randomTerm(r, depth-1)
		}
		if k == 9 {
			return term.Tuple(s)
		}
		return s
	case k == 11:
		m := map[string]any{}
		for i := r.Intn(4); i >= 0; i-- {
			m[fmt.Sprint("k", i)] = randomTerm(r, depth-1)
		}
		return m
	case k == 12:
		m := map[any]any{}
		for i := r.Intn(3); i >= 0; i-- {
			m[term.Atom(fmt.Sprint("k", i))] = randomTerm(r, depth-1)
		}
		return m
	default:
		return [][]string{{"a"}, {"b", "c"}}
	}
}

// mutate changes every mutable part of v in place.
func mutate(v any) {
	switch x := v.(type) {
	case term.Tuple:
		for i := range x {
			mutate(x[i])
			x[i] = "mutated"
		}
	case []any:
		for i := range x {
			mutate(x[i])
			x[i] = "mutated"
		}
	case []byte:
		for i := range x {
			x[i] ^= 0xff
		}
	case []int:
		for i := range x {
			x[i] = -1
		}
	case [][]string:
		for _, s := range x {
			for i := range s {
				s[i] = "mutated"
			}
		}
	case map[int]string:
		for k := range x {
			x[k] = "mutated"
		}
		x[-1] = "added"
	case map[string]any:
		for k, e := range x {
			mutate(e)
			x[k] = "mutated"
		}
		x["added"] = 1
	case map[any]any:
		for k, e := range x {
			mutate(e)
			x[k] = "mutated"
		}
		x["added"] = 1
	}
}

// TestCopySemanticsProperty sends random nested terms, mutates them right
// after the send, and checks the receiver saw the value as it was sent,
// with the same Go types.
func TestCopySemanticsProperty(t *testing.T) {
	n, _ := newTestNode(t)
	me := testProc(t, n)
	self := me.Self()
	isGo := func(m any) bool { return m == "go" }
	echo, _ := n.Spawn(func(p *Proc) {
		for {
			p.ReceiveMatch(isGo, Forever) // only look at the term after the sender mutated it
			m := p.Receive()
			p.Send(self, fmt.Sprintf("%#v", m))
		}
	})
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		v := randomTerm(r, 4)
		want := fmt.Sprintf("%#v", v)
		if err := me.Send(echo, v); err != nil {
			t.Fatalf("send %s: %v", want, err)
		}
		mutate(v)
		me.Send(echo, "go")
		if got := recv(t, me); got != want {
			t.Fatalf("case %d: receiver saw\n%s\nsender sent\n%s", i, got, want)
		}
	}
	me.Exit(echo, term.Kill)
}
