package cluster

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/etf"
	"github.com/gerl-dev/gerl/node/term"
)

// erlangSample holds the term types that come from Erlang nodes, which
// gerl nodes must pass to each other unchanged.
var erlangSample = func() []any {
	huge := term.NewBigInt(new(big.Int).Lsh(big.NewInt(-3), 300))
	r1, _ := term.RefFromWords("e@h", 7, []uint32{9})
	r3, _ := term.RefFromWords("e@h", 7, []uint32{133947, 2512125953, 3636896942})
	r5, _ := term.RefFromWords("e@h", 7, []uint32{1, 0, 0, 0, 0})
	fun, err := etf.ParseOpaque([]byte{113, 119, 5, 'l', 'i', 's', 't', 's', 119, 7, 'r', 'e', 'v', 'e', 'r', 's', 'e', 97, 1})
	if err != nil {
		panic(err)
	}
	port, err := etf.ParseOpaque([]byte{89, 119, 3, 'e', '@', 'h', 0, 0, 0, 5, 0, 0, 0, 7})
	if err != nil {
		panic(err)
	}
	return []any{
		huge, term.NewBigInt(big.NewInt(5)), term.BigInt{}, term.NewBigInt(new(big.Int).Lsh(big.NewInt(1), 64)),
		term.BitString{Bytes: []byte{1, 2, 0x30}, TailBits: 4}, term.BitString{Bytes: []byte{0x80}, TailBits: 1},
		term.Improper(term.A("b"), term.A("a")), term.Improper(r3, term.A("alias")), term.Improper([]byte("t"), 1, []int{2}),
		term.Map{{Key: term.T(term.A("connection_id"), term.A("p@vm")), Value: 14584153}, {Key: []any{1}, Value: nil}},
		term.Map{}, term.Map(nil), []term.Map{nil, {{Key: 1, Value: 2}}},
		r1, r3, r5, fun, port,
		map[any]any{huge: 1, fun: port, r3: term.Map{}}, map[term.BigInt]string{huge: "x"},
		[]term.BigInt{huge}, []term.Opaque{fun}, []term.BitString{{Bytes: []byte{1}, TailBits: 7}},
		term.Request{From: term.Pid{Node: "e@h", ID: 1}, Ref: r3, Body: term.Improper(huge, fun)},
	}
}()

// TestCodecErlangTerms: each Erlang term type survives gerl's own codec
// with its Go type, alone, nested, and in typed containers.
func TestCodecErlangTerms(t *testing.T) {
	c := NewCodec()
	for _, v := range erlangSample {
		checkRoundTrip(t, c, v)
	}
	checkRoundTrip(t, c, erlangSample)
	checkRoundTrip(t, c, term.Tuple(erlangSample))
}

// TestCodecRefusesBadErlangTerms: invalid values are refused as Copy
// refuses them; invalid encodings of them are malformed.
func TestCodecRefusesBadErlangTerms(t *testing.T) {
	c := NewCodec()
	for _, v := range []any{term.BitString{Bytes: []byte{1}}, term.ImproperList{Tail: 1}, term.Improper([]any{1}, 2)} {
		_, cerr := term.Copy(v)
		_, eerr := c.AppendTerm(nil, v)
		if cerr == nil || eerr == nil || cerr.Error() != eerr.Error() {
			t.Errorf("%#v: Copy %v, encode %v", v, cerr, eerr)
		}
	}
	bad := map[string][]byte{
		"big integer sign 2":        {0xd5, byte(extBigInt), 2, 1},
		"big integer trailing zero": {0xd5, byte(extBigInt), 0, 0},
		"big integer negative zero": {0xd4, byte(extBigInt), 1},
		"bit string of 8 bits":      {0xd5, byte(extBitString), 8, 1},
		"bit string stray bits":     {0xd5, byte(extBitString), 1, 0xff},
		"empty improper list":       {0xd5, byte(extImproper), 0x90, 0x01},
		"improper list, list tail":  {0xd6, byte(extImproper), 0x91, 0x01, 0x91, 0x02},
		"odd pair map":              {0xd4, byte(extPairMap), 0x91},
		"opaque not ETF":            {0xd5, byte(extOpaque), 97, 1},
		"ref of 2 extra words":      {0xc7, 7, byte(extRef), 0xa1, 'a', 1, 1, 2, 0},
		"ref of 6 words":            {0xc7, 10, byte(extRef), 0xa1, 'a', 1, 1, 6, 0, 0, 0, 0},
		"one-word ref, 64-bit id":   {0xc7, 13, byte(extRef), 0xa1, 'a', 0xcf, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1},
	}
	for name, b := range bad {
		if v, err := c.DecodeTerm(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s (%x): decoded %#v, %v", name, b, v, err)
		}
	}
}

// TestSendErlangTerms sends each Erlang term type between two gerl nodes,
// in memory and over TCP: the receiver gets exactly what was sent.
func TestSendErlangTerms(t *testing.T) {
	eachTransport(t, 2, nil, func(t *testing.T, ns []*testNode) {
		pa, pb := proc(t, ns[0].Dist), proc(t, ns[1].Dist)
		for _, v := range append(erlangSample, erlangSample) {
			if err := pa.Send(pb.Self(), v); err != nil {
				t.Fatal(err)
			}
			got := recv(t, pb, term.Format(v), func(any) bool { return true })
			want, _ := term.Copy(v)
			if !sameTerm(got, want) {
				t.Fatalf("%s arrived as %s: %#v", term.Format(want), term.Format(got), got)
			}
		}
		if err := pa.Send(pb.Self(), term.BitString{Bytes: []byte{1}, TailBits: 9}); !errors.Is(err, term.ErrUnsendable) ||
			!strings.Contains(err.Error(), "1 to 7 bits") {
			t.Fatalf("an invalid bit string: %v", err)
		}
	})
}
