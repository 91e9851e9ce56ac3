package erldist

import (
	"bytes"
	"io"
	"testing"
)

// FuzzErlangHandshake plays arbitrary bytes as the peer of both sides of
// the handshake: neither may panic, nor read a message past its limit,
// nor succeed without the right digest. Seeds are real exchanges.
func FuzzErlangHandshake(f *testing.F) {
	flags := uint64(0xd07df7fbd) // OTP 25.2.3's
	f.Add(msgs([]byte("sok"), cat("N", flags, uint32(4294967295), uint32(99), uint16(4), "er@h"), cat("a", digest("c", 1))))
	f.Add(msgs([]byte("salive"), cat("N", flags, uint32(7), uint32(99), uint16(4), "er@h")))
	f.Add(msgs(cat("N", flags, uint32(5), uint16(4), "er@h"), cat("r", uint32(1), digest("c", 1))))
	f.Add(msgs(cat("N", flags, uint32(5), uint16(4), "er@h"), []byte("strue")))
	f.Add(msgs(cat("n", uint16(5), uint32(0x7fff), "er@h")))
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := cfgOf("me@h", "c")
		cfg.Rand = bytes.NewReader([]byte{0, 0, 0, 1, 0, 0, 0, 1})
		rw := func() io.ReadWriter { return &script{in: bytes.NewReader(in)} }
		if p, err := Dial(rw(), cfg, "er@h", nil); err == nil && p.Name != "er@h" {
			t.Fatalf("dialed er@h, got %+v", p)
		}
		cfg.Rand = bytes.NewReader([]byte{0, 0, 0, 1})
		decide := func(p Peer) Status {
			if p.Name == "al@h" {
				return StatusAlive
			}
			return StatusOK
		}
		if _, err := Accept(rw(), cfg, decide); err == nil && !bytes.Contains(in, digest("c", 1)) {
			t.Fatalf("accepted without the digest: %x", in)
		}
	})
}
