// Package term defines the values gerl processes exchange: atoms, tuples,
// pids, refs, the messages the runtime itself delivers (DOWN, EXIT, nodeup,
// nodedown, calls and replies), and the canonical copy that gives every
// receiver its own value.
//
// # What can be sent
//
// A message is any Go value built from:
//
//   - nil, bool, string, every signed and unsigned integer type (not uintptr),
//     float32 and float64;
//   - Atom, Pid, Ref, Name, Tuple and the runtime's message structs (Down,
//     ExitSignal, NodeUp, NodeDown, Request, Reply);
//   - the forms of Erlang terms Go has no type for: BigInt (integers
//     beyond int), BitString, ImproperList, Map (maps with composite keys)
//     and Opaque (funs and ports);
//   - slices, arrays and maps of the above, nested to any depth up to
//     MaxDepth ([]byte is a binary);
//   - values of interface type any holding any of the above.
//
// Map keys must be scalars: bools, numbers, strings, atoms, pids, refs,
// BigInts or Opaques; a term.Map takes keys of any kind.
// Named types other than gerl's own are sent as their underlying type (a
// time.Duration arrives as an int64). Pointers, channels, functions, structs
// other than gerl's own, complex numbers and unsafe pointers cannot be sent:
// Copy reports them with an error naming the type and the path to it.
//
// # Copy semantics
//
// Copy returns a deep copy in canonical form; the runtime applies it to every
// message, so a sender that mutates a slice or map after sending never
// changes what was received. Between gerl nodes, the distribution codec
// decodes to exactly the same types, so a receiver cannot tell a local
// message from a remote one. Erlang nodes have their own term model: what
// each side gets is in docs/terms.md, "Terms and Erlang".
//
// # Own types
//
// OwnTypes lists gerl's own types, the one list Copy, Canonical and the
// distribution codec consult (owntypes.go). Format prints terms as erl
// does (format.go); pid.go parses and prints pids and refs.
//
// # Concurrency
//
// The package has no mutable state: every function is safe for concurrent
// use, and values are never shared by Copy. It takes no locks (the lock
// order of the runtime is in docs/architecture.md, "Locks, and their
// order").
package term
