package etf_test

import (
	"testing"

	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/etf"
	"github.com/gerl-dev/gerl/node/term"
)

// typical is a typical message: a tagged tuple with a pid, a binary, a
// charlist, a float, a negative integer and a small map, as an Erlang
// process would send a gerl one.
var typical = term.Tuple{term.Atom("hello"), term.Pid{Node: "a@vm", ID: 97, Creation: 1796359012},
	[]byte("binary text"), []any{99, 104, 97, 114}, 3.5, -7, map[any]any{term.Atom("count"): 1}}

// BenchmarkTypical measures a typical message through the ETF codec, and
// through gerl's own codec (msgpack) for comparison.
func BenchmarkTypical(b *testing.B) {
	enc, err := etf.Append(nil, typical)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("etf/encode", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for i := 0; i < b.N; i++ {
			buf, _ = etf.Append(buf[:0], typical)
		}
	})
	b.Run("etf/decode", func(b *testing.B) {
		b.ReportAllocs()
		var d etf.Decoder
		for i := 0; i < b.N; i++ {
			if _, err := d.Decode(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	c := cluster.NewCodec()
	menc, err := c.AppendTerm(nil, typical)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("msgpack/encode", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for i := 0; i < b.N; i++ {
			buf, _ = c.AppendTerm(buf[:0], typical)
		}
	})
	b.Run("msgpack/decode", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.DecodeTerm(menc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
