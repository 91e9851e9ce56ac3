// Package daemon is gerl's port mapper daemon, the server side of EPMD's
// protocol (package portmapper has the client and the wire format), and
// the command "gerl portmapper" (Main): the daemon in the foreground,
// detached in the background (-daemon, Detach), and the client commands
// -names, -kill and -stop. A node never links this package: it starts the
// daemon as a separate process (portmapper.ExecStarter).
//
// Server implements ALIVE2 (answered with ALIVE2_X_RESP and a 32-bit
// creation to nodes whose highest distribution version is 6 or more, with
// ALIVE2_RESP and a 16-bit one otherwise), PORT_PLEASE2, NAMES, DUMP, KILL
// (answered "NO" while nodes are registered unless Config.Relaxed) and STOP
// (relaxed mode only). Register, KILL, STOP and DUMP are served to local
// peers only (a loopback source, or a source equal to the address the
// connection reached); lookups and NAMES to anyone who can connect. ALIVE2
// is refused with epmd's result for a name held by a live node, and with
// gerl's own (portmapper.Alive2TableFull) once Config.MaxNodes nodes are
// registered, so that a node can tell the two apart.
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
// protocol's limits (the same as epmd's) before anything is allocated, a
// connection must deliver its request within Config.IdleTimeout, and a
// client that breaks the protocol has its connection closed without an
// answer while every other client keeps being served. Pending connections
// are capped (the oldest is closed first); registrations are not affected.
//
// Server logs through the *slog.Logger it is given and never prints; Main,
// the command, writes to the writers it is given.
package daemon
