// Package pg is Erlang's pg: process groups across a cluster. A group is a
// name (an atom, a number...) that any number of processes join and leave;
// every node sees every group's members, wherever they run, and sends to
// them by the group's name.
//
//	s, err := pg.Start(n, pg.DefaultScope, pg.Options{Nodes: dist.Nodes})
//	s.Join("room", pid)                     // pid is a process of n
//	s.Members("room")                       // [pid, and members on other nodes]
//	s.SendAll(nil, "room", term.T(term.A("news"), "hello"))
//
// # Scopes
//
// Groups live in a scope: an independent set of groups with a server
// process on each node, registered under the scope's name (DefaultScope,
// pg, for the shell's pg.Join and friends). The nodes of a cluster that
// start the same scope find each other: at start, at every nodeup, the
// scope server asks the same scope's server on the other node to sync.
// A node without the scope simply takes no part.
//
// # Consistency
//
// pg is eventually consistent, as Erlang's: each node keeps its own view,
// which a join, a leave or an exit elsewhere reaches as fast as a message.
// A node's own members are in its view as soon as Join returns. Members
// leave when they exit (the scope server monitors them) and when their
// node goes down or becomes unreachable (it monitors the other servers).
// When a lost connection comes back, the two servers exchange their whole
// state again, so after a partition heals every node sees the same
// members. The protocol is Erlang pg's (protocol.go); a property test runs
// it on a simulated cluster under random joins, leaves, exits, lost links
// and crashed nodes, and checks that the views converge.
//
// # Members
//
// Join takes processes of this node only, and a process may join a group
// several times: it is then a member that many times and leaves as many
// times. Members and LocalMembers list pids sorted by node, then pid, with
// those repeats; WhichGroups lists the groups with members. Monitor (one
// group) and MonitorScope (all) subscribe a process to {Ref, join, Group,
// [Pid]} and {Ref, leave, Group, [Pid]} messages.
//
// SendAll sends to every member once, SendRandom to one at random,
// SendNearest to a member on this node if there is one (else to any):
// what a publish, a load balancer and a local cache use.
//
// # Concurrency
//
// A Scope's methods are safe for concurrent use. Reads (Members, the Send
// methods) take a shared lock on the node's view and never wait for the
// scope server; Join, Leave and the subscriptions are requests the server
// answers, one at a time.
package pg
