package term

import (
	"errors"
	"strconv"
	"strings"
)

// BitString is an Erlang bit string whose length is not a whole number of
// bytes, such as <<1,2,3:4>> (20 bits): what a Go receiver gets for one.
// Whole-byte binaries are []byte.
//
// The bits are packed from the high-order bit of Bytes[0]; the last byte
// holds TailBits of them (1 to 7), in its high-order bits, and its other
// bits are zero. <<1,2,3:4>> is BitString{Bytes: []byte{1, 2, 0x30},
// TailBits: 4}. Copy and the decoders give that canonical form (clearing
// unused bits); Copy and the encoders refuse an empty Bytes or a TailBits
// outside 1 to 7.
type BitString struct {
	Bytes    []byte
	TailBits uint8
}

// Len returns the number of bits in b.
func (b BitString) Len() int {
	if len(b.Bytes) == 0 {
		return 0
	}
	return 8*(len(b.Bytes)-1) + int(b.TailBits)
}

// Check returns an error saying why b is not a valid BitString, or nil.
func (b BitString) Check() error {
	switch {
	case len(b.Bytes) == 0:
		return errors.New("a bit string needs at least one byte; use []byte{} for an empty binary")
	case b.TailBits < 1 || b.TailBits > 7:
		return errors.New("a bit string's last byte holds 1 to 7 bits (TailBits); use []byte for whole bytes")
	}
	return nil
}

// LastByte returns the last byte of b with its unused low-order bits
// cleared, as it is stored and sent.
func (b BitString) LastByte() byte {
	return b.Bytes[len(b.Bytes)-1] & byte(0xff<<(8-b.TailBits))
}

// String prints b as erl does: <<1,2,3:4>>.
func (b BitString) String() string {
	var s strings.Builder
	s.WriteString("<<")
	for i, c := range b.Bytes {
		if i > 0 {
			s.WriteByte(',')
		}
		if i == len(b.Bytes)-1 && b.TailBits >= 1 && b.TailBits <= 7 {
			s.WriteString(strconv.Itoa(int(b.LastByte() >> (8 - b.TailBits))))
			s.WriteByte(':')
			s.WriteString(strconv.Itoa(int(b.TailBits)))
			break
		}
		s.WriteString(strconv.Itoa(int(c)))
	}
	s.WriteString(">>")
	return s.String()
}
