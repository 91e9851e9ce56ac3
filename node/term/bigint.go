package term

import (
	"fmt"
	"math"
	"math/big"
	"strings"
)

// BigInt is an integer of any size, as Erlang's integers are: what a Go
// receiver gets for an Erlang integer outside int's range (2 bsl 70). It
// is an immutable value: comparable with ==, usable as a map key, copied
// by assignment. The zero BigInt is 0.
//
// Decoders return int for every integer that fits one, and BigInt only
// for those that do not, so that one number always has one Go form. A
// BigInt built from a small number (NewBigInt(big.NewInt(5))) is valid and
// encodes as that number, but is not == to the int 5; use Integer to get
// the canonical form.
type BigInt struct {
	neg bool
	mag string // the magnitude, little-endian bytes without trailing zeros; "" is 0
}

// NewBigInt returns the BigInt of x's value. x is not retained.
func NewBigInt(x *big.Int) BigInt {
	be := x.Bytes() // big-endian magnitude, no leading zeros
	le := make([]byte, len(be))
	for i, c := range be {
		le[len(be)-1-i] = c
	}
	return BigInt{neg: x.Sign() < 0, mag: string(le)}
}

// BigIntFromBytes returns the BigInt of sign neg and magnitude le, given
// as little-endian bytes (the layout of Erlang's SMALL_BIG_EXT). le is not
// retained; a negative zero is zero.
func BigIntFromBytes(neg bool, le []byte) BigInt {
	n := len(le)
	for n > 0 && le[n-1] == 0 {
		n--
	}
	return BigInt{neg: neg && n > 0, mag: string(le[:n])}
}

// Integer returns x as the value a decoder gives for it: an int when it
// fits one, a BigInt otherwise.
func Integer(x *big.Int) any {
	if x.IsInt64() && x.Int64() >= math.MinInt && x.Int64() <= math.MaxInt {
		return int(x.Int64())
	}
	return NewBigInt(x)
}

// Big returns b's value as a new *big.Int, which the caller owns.
func (b BigInt) Big() *big.Int {
	be := make([]byte, len(b.mag))
	for i := 0; i < len(b.mag); i++ {
		be[len(b.mag)-1-i] = b.mag[i]
	}
	x := new(big.Int).SetBytes(be)
	if b.neg {
		x.Neg(x)
	}
	return x
}

// Sign returns -1, 0 or +1, as b is negative, zero or positive.
func (b BigInt) Sign() int {
	switch {
	case b.mag == "":
		return 0
	case b.neg:
		return -1
	}
	return 1
}

// Int64 returns b as an int64, and whether it fits one.
func (b BigInt) Int64() (int64, bool) {
	if len(b.mag) > 8 {
		return 0, false
	}
	var u uint64
	for i := len(b.mag) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b.mag[i])
	}
	switch {
	case !b.neg && u <= math.MaxInt64:
		return int64(u), true
	case b.neg && u <= 1<<63:
		return int64(-u), true // -(1<<63) wraps to MinInt64, as wanted
	}
	return 0, false
}

// Len returns the number of bytes of b's magnitude (0 for zero).
func (b BigInt) Len() int { return len(b.mag) }

// AppendBytes appends b's magnitude to dst as little-endian bytes, Len of
// them, without the sign (see Sign).
func (b BigInt) AppendBytes(dst []byte) []byte { return append(dst, b.mag...) }

// Cmp compares b and c numerically: -1, 0 or +1 as b < c, b == c, b > c.
func (b BigInt) Cmp(c BigInt) int {
	if bs, cs := b.Sign(), c.Sign(); bs != cs {
		if bs < cs {
			return -1
		}
		return 1
	}
	r := cmpMag(b.mag, c.mag)
	if b.neg {
		return -r
	}
	return r
}

// cmpMag compares two little-endian magnitudes without trailing zeros.
func cmpMag(x, y string) int {
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	for i := len(x) - 1; i >= 0; i-- {
		if x[i] != y[i] {
			if x[i] < y[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// String returns b in decimal, as erl prints integers: -12345678901234567890.
func (b BigInt) String() string {
	if v, ok := b.Int64(); ok {
		return fmt.Sprint(v)
	}
	return b.Big().String()
}

// ParseBigInt parses a decimal integer of any size, with an optional sign.
func ParseBigInt(s string) (BigInt, error) {
	t := strings.TrimSpace(s)
	x, ok := new(big.Int).SetString(t, 10)
	if !ok {
		return BigInt{}, fmt.Errorf("parse integer %q: want decimal digits with an optional sign", s)
	}
	return NewBigInt(x), nil
}
