package cluster

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// TestProtocolExamples checks the encodings docs/protocol.md shows.
func TestProtocolExamples(t *testing.T) {
	c := NewCodec()
	for _, tc := range []struct {
		v   any
		hex string
	}{
		{term.Atom("ping"), "d6 01 70 69 6e 67"},
		{term.Pid{Node: "a@h", ID: 42, Creation: 3}, "c7 06 02 a3 61 40 68 2a 03"},
		{term.T(1, []byte{0, 1}), "c9 00 00 00 06 04 92 01 c4 02 00 01"},
		{int8(-5), "c9 00 00 00 06 0c a4 69 6e 74 38 fb"},
		{[]int{1, 2}, "c9 00 00 00 09 0c a5 5b 5d 69 6e 74 92 01 02"},
		{[]any(nil), "c9 00 00 00 07 0c a5 5b 5d 61 6e 79 c0"},
	} {
		b, err := c.AppendTerm(nil, tc.v)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := hex.DecodeString(strings.ReplaceAll(tc.hex, " ", ""))
		if string(b) != string(want) {
			t.Errorf("%#v: % x, doc says %s", tc.v, b, tc.hex)
		}
	}
}
