// Package interop holds gerl's end-to-end tests against real Erlang/OTP and
// Elixir nodes: a gerl node as a member of Erlang clusters (handshake,
// messages, links, monitors, spawn and rpc both ways, mixed meshes, terms
// that cross and come back, failures), through the distribution layer in
// the test process and through the gerl binary.
//
// The tests run erl (and elixir where installed) with a gerl port mapper
// of their own (ERL_EPMD_PORT), each node with its own HOME; the Erlang
// side runs testdata/interop_agent.erl, compiled with erlc, which
// evaluates the expressions gerl sends it. Without erl the tests skip,
// and under GERL_REQUIRE_ALL (CI) they fail. The package has no code
// besides its tests.
package interop
