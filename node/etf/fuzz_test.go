package etf

import (
	"errors"
	"testing"

	"github.com/gerl-dev/gerl/node/term"
)

// FuzzDecode feeds the decoder arbitrary bytes, seeded with real
// encodings (erl's legacy forms, and gerl's encodings of the golden table,
// which TestGoldenAgainstErlang checks are erl's own bytes). It must never
// panic; an input it accepts must encode again, and decode again to the
// same value.
func FuzzDecode(f *testing.F) {
	for _, tc := range legacy {
		f.Add(tc.enc)
	}
	for _, v := range sampleTerms(f) {
		if enc, err := Append(nil, v); err == nil && len(enc) < 4096 {
			f.Add(enc)
		}
	}
	f.Add([]byte{131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 97, 3})
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := Decode(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		enc, err := Append(nil, v)
		if err != nil {
			t.Fatalf("decoded %s from %x, but cannot encode it: %v", term.Format(v), in, err)
		}
		again, err := Decode(enc)
		if err != nil || !sameDeep(again, v) {
			t.Fatalf("%x decodes to %s, which encodes to %x, which decodes to %#v (%v)", in, term.Format(v), enc, again, err)
		}
	})
}
