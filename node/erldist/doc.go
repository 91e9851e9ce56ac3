// Package erldist speaks Erlang's own distribution protocol, so that a gerl
// node can be a member of Erlang and Elixir clusters. It holds the
// handshake, version 6 (Erlang/OTP 23 and later), both ways: Dial for the
// node that connects, Accept for the node that listens, written like OTP's
// dist_util against a reader and a writer, ignorant of TCP (the caller
// opens the connection, bounds the handshake with a deadline, and closes
// the connection when it fails).
//
// The handshake authenticates both nodes with the cookie (MD5 of the
// cookie and a random challenge, as Erlang does), exchanges the
// distribution flags (Flags: gerl advertises DefaultFlags and requires
// Required of the peer, OTP 26's mandatory set), the creation numbers,
// and enforces Erlang's rule that a node of short names (-sname) and one
// of long names (-name) do not talk. Each failure is an error that says
// which node, what went wrong and what to do, matching one of the
// sentinel errors (ErrCookie, ErrFlags, ErrNameKind, ErrRefused,
// ErrSimultaneous, ErrMalformed).
//
// What travels after the handshake (terms in the External Term Format,
// see package etf; control messages in pass-through frames) is the
// connection's business. Nothing here keeps state between calls: Dial and
// Accept may run concurrently on different connections.
//
// The protocol is described in erts/doc/guides/erl_dist_protocol.md of
// Erlang/OTP; /work/shared/ERLANG-INTEROP.md measured it against OTP 25.
package erldist
