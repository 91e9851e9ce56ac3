package etf

import (
	"github.com/gerl-dev/gerl/node/term"
)

// The parts of a term, for a caller that writes a small term of known
// shape without building it as a value first: the control messages of the
// distribution protocol ({2, '', ToPid}, {19, From, Name, Ref}...), which
// every message and signal carries. Each appends to dst without a version
// byte (write Version first for a term of its own); the ones that take a
// value refuse it as Append would, leaving dst as it was.

// AppendTupleHeader appends the header of a tuple of n elements; the n
// elements follow.
func AppendTupleHeader(dst []byte, n int) []byte {
	e := encoder{b: dst}
	e.tupleHeader(n)
	return e.b
}

// AppendInt appends an integer.
func AppendInt(dst []byte, n int64) []byte {
	e := encoder{b: dst}
	e.int(n)
	return e.b
}

// AppendAtom appends an atom; it fails for one Erlang cannot hold (over
// 255 characters, not UTF-8).
func AppendAtom(dst []byte, a term.Atom) ([]byte, error) {
	e := encoder{b: dst}
	if err := e.atom(a); err != nil {
		return dst, finish(a, err)
	}
	return e.b, nil
}

// AppendPid appends a pid (NEW_PID_EXT).
func AppendPid(dst []byte, p term.Pid) ([]byte, error) {
	e := encoder{b: dst}
	if err := e.pid(p); err != nil {
		return dst, finish(p, err)
	}
	return e.b, nil
}

// AppendRef appends a reference (NEWER_REFERENCE_EXT).
func AppendRef(dst []byte, r term.Ref) ([]byte, error) {
	e := encoder{b: dst}
	if err := e.ref(r); err != nil {
		return dst, finish(r, err)
	}
	return e.b, nil
}

// AppendNil appends the empty list.
func AppendNil(dst []byte) []byte { return append(dst, tagNil) }
