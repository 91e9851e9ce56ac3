// Package portmapper is gerl's port mapper: the small daemon through which
// the nodes of a host find each other, and its client. It speaks EPMD's
// protocol byte for byte, so gerl nodes and Erlang nodes share one daemon:
// Erlang's "epmd -names" lists gerl nodes registered with gerl's daemon, an
// Erlang node registers with gerl's daemon, and gerl registers with (and
// looks up through) a running epmd.
//
// A node registers its name and distribution port with ALIVE2; the
// registration lives exactly as long as that TCP connection. Another node
// asks "which port is foo on?" with PORT_PLEASE2:
//
//	addr := portmapper.LoopbackAddr(port)
//	reg, err := portmapper.Register(ctx, addr, portmapper.NodeInfo{
//		Name: "foo", Port: 40123, Type: portmapper.NodeTypeNormal,
//		Highest: 6, Lowest: 5, Extra: portmapper.GerlExtra()})
//	if errors.Is(err, portmapper.ErrNameTaken) { ... }
//	defer reg.Close() // unregisters
//	info, err := portmapper.Lookup(ctx, addr, "foo") // info.Port == 40123
//
// A node uses Keep rather than Register: it starts the daemon when none
// answers (EnsureDaemon with ExecStarter, which runs "gerl portmapper
// -daemon") and registers again on its own when the daemon dies and comes
// back, which Erlang nodes do not do.
//
// # The daemon
//
// Server implements ALIVE2 (answered with ALIVE2_X_RESP and a 32-bit
// creation to nodes whose highest distribution version is 6 or more, with
// ALIVE2_RESP and a 16-bit one otherwise), PORT_PLEASE2, NAMES, DUMP, KILL
// (answered "NO" while nodes are registered unless Config.Relaxed) and STOP
// (relaxed mode only). Register, KILL, STOP and DUMP are served to local
// peers only (a loopback source, or a source equal to the address the
// connection reached); lookups and NAMES to anyone who can connect.
//
// Creation numbers tell incarnations of a node name apart (they end up in
// pids). The rule is epmd's (OTP 23 and later), with a random seed: every
// name has a 32-bit counter, seeded at random the first time the daemon
// sees the name and incremented at each registration, skipping 0..3. A node
// whose highest version is 6 or more receives the counter (so always >= 4,
// and different from its previous creation); an older node receives
// counter%3+1 (1..3). The counters of the last 1000 unregistered names are
// remembered. epmd seeds from the clock in seconds; the random seed keeps a
// node that re-registers with a restarted daemon from getting its old
// creation back.
//
// Unlike epmd, which listens on every interface by default (and is found
// by the tens of thousands on the internet), the daemon listens on the
// loopback addresses only (127.0.0.1, and ::1 where the host has IPv6),
// plus the addresses given in Config.Addresses. Nodes of other hosts need
// the daemon only to look up names, so only a cluster spread over hosts
// needs -address.
//
// Nothing from the network is trusted: every length is checked against the
// limits below (the same as epmd's) before anything is allocated, a
// connection must deliver its request within Config.IdleTimeout, and a
// client that breaks the protocol has its connection closed without an
// answer while every other client keeps being served. Pending connections
// are capped (the oldest is closed first); registrations are not affected.
//
// gerl nodes register with Extra "gerl/1" (GerlExtra), so a client can tell
// a gerl node from an Erlang node (NodeInfo.IsGerl, NodeInfo.RequireGerl)
// before it attempts a handshake. The one extension to the protocol is
// addressed to gerl nodes only: when STOP removes one, the daemon writes
// "STOPPED" before closing its registration, so that its Keeper does not
// register again (ErrStopped).
//
// The library never prints: it logs through the *slog.Logger it is given.
package portmapper
