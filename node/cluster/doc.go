// Package cluster makes gerl nodes talk across machines with Erlang's
// semantics: connect on first use, cookie authentication, a transitive
// full mesh, location-transparent sends, links and monitors that span
// nodes, failure detection, remote spawn and rpc. The wire protocol is
// specified in docs/protocol.md.
//
// A shell starts a distributed node from its flags:
//
//	name, err := cluster.NodeName(sname, longName)      // -sname foo / -name foo@host
//	cookie, err := cluster.LoadCookie(setcookie, home)  // -setcookie C or ~/.gerl.cookie
//	d, err := cluster.Start(ctx, cluster.Config{Name: name, Cookie: cookie, Hidden: hidden})
//	n := d.Node()                                    // the *node.Node; n.Stop stops both
//
// Processes then address other nodes as they address their own: a pid
// names its node, and term.Name{Name: "pong", Node: "bar@vm"} a registered
// process anywhere. The first send, link, monitor, spawn or ping to a node
// connects to it. Sends, links, monitors and exit signals never wait for
// the handshake: they are queued on the connection entry and go out in
// order once it is up; if it cannot be set up, messages are dropped (with a
// warning) and links and monitors fire with noconnection, as in Erlang.
// What needs the connection itself (rpc, spawn, ping, connect) waits for it
// within its context, and a cancelled context ends the wait at once:
//
//	p.Send(term.Name{Name: "pong", Node: "bar@vm"}, term.T(term.A("ping"), p.Self()))
//	d.Ping(ctx, "bar@vm")            // pong (true) or pang (false); PingErr says why
//	d.Nodes(), d.HiddenNodes()       // connected nodes
//	d.Disconnect("bar@vm")
//	d.RegisterFunc("add", func(a, b int) int { return a + b })
//	v, err := d.Call(ctx, "bar@vm", "add", 1, 2)         // rpc; errors.Is(err, cluster.ErrNoFunction)...
//	results, bad := d.MultiCall(ctx, d.Nodes(), "add", 1, 2)
//	pid, err := d.SpawnLink(ctx, p, "bar@vm", "worker", args...)
//
// # Structure
//
// The package is split as Erlang's kernel is: connmgr.go is the one owner
// of the connection table (pending and up entries, callers waiting for a
// handshake, the simultaneous-connect rule), and pending.go what is queued
// on a pending entry; handshake.go is the cookie handshake, written
// against a reader and a writer and knowing nothing of TCP; admit.go
// admits incoming handshakes under a flood and guard.go warns of a twin
// displacing a peer; conn.go runs an established connection (one reader
// that dispatches to the node's Deliver methods, one writer that batches,
// writes under the tick time's deadline) and queue.go its send queue
// (backpressure); transport.go, transport_mem.go
// and tls.go are the carriers (TCP, in-memory pipes for tests, mutual
// TLS); frame.go (frames and control messages), codec.go (the Codec),
// msgpack.go (msgpack primitives), terms.go (terms and gerl's own types),
// typed.go (typed values), typedesc.go and validate.go are the wire format;
// remote.go implements node.Remote; mesh.go, spawn.go and rpc.go the
// features on top; portmapper.go plugs in the port mapper through the
// Resolver and Registrar interfaces.
//
// # Concurrency
//
// Every exported method is safe for concurrent use. Goroutines belong to
// the Dist (accept loop, handshakes, dials, two per connection, mesh
// connects), are counted in one WaitGroup, and end in Close, which
// Node.Stop calls. Lock order: connMgr.mu, then a connection's pmu or
// sendQueue.mu; Codec.mu, admission.mu, guardMu and the limited logs'
// locks are leaves. connMgr.mu is released before a connection, the node
// or the network is called. The lock order of all packages is in
// docs/architecture.md ("Locks, and their order").
//
// The package never prints; it logs through Config.Logger (or the node's).
package cluster
