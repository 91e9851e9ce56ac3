// Package etf encodes and decodes Erlang's External Term Format, the
// encoding Erlang nodes exchange terms in (term_to_binary/1,
// binary_to_term/1, and every message of the distribution protocol).
//
// Decode (and DecodeNext, for the terms of a pass-through frame, each with
// its version byte, and DecodeRaw, for a control message after a
// distribution header) turn what an Erlang/OTP 25-27 node sends into gerl
// terms: atoms in every encoding, integers of any size, floats, binaries,
// bit strings, proper and improper lists, strings, tuples, maps (also with
// composite keys), pids, references of up to 5 words, ports and funs. They
// take hostile bytes: every length is checked against the bytes present
// before anything is allocated, nesting is bounded by term.MaxDepth,
// inputs by a Decoder's Limit, and nothing panics.
//
// Append encodes any value term.Copy accepts, and refuses, naming it and
// where it sits, what Erlang cannot represent (an atom over 255
// characters, a NaN), never changing a value silently. A term that goes
// Erlang -> gerl -> Erlang comes back =:= to what was sent: charlists stay
// lists, binaries stay binaries, big integers stay exact, funs and ports
// come back byte for byte (term.Opaque).
//
// The mapping, what a Go receiver gets for each Erlang term and what an
// Erlang receiver gets for each Go value, is in docs/terms.md, "Terms and
// Erlang". Between gerl nodes, gerl's own codec carries Go's types
// exactly; between gerl and Erlang, only Erlang's term model exists: a Go
// string arrives in Erlang as a binary, and comes back as a []byte.
package etf
