// Package portmapper is what a gerl node needs of the port mapper, the
// small daemon through which the nodes of a host find each other: the
// client (Register, Lookup, Names, Dump, Kill, Stop), Keep, which keeps a
// node registered for its whole life, and the wire format of EPMD's
// protocol, which the daemon (package portmapper/daemon) shares. A node
// does not link the daemon: when none answers it starts one as a separate
// process, "gerl portmapper -daemon" (ExecStarter).
//
// The protocol is EPMD's byte for byte, so gerl nodes and Erlang nodes
// share one daemon: Erlang's "epmd -names" lists gerl nodes registered
// with gerl's daemon, an Erlang node registers with gerl's daemon, and gerl
// registers with (and looks up through) a running epmd.
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
// answers (EnsureDaemon with ExecStarter) and registers again on its own
// when the daemon dies and comes back, which Erlang nodes do not do. A
// refused registration says why: the name is held by a live node
// (NameTakenError, ErrNameTaken), or the daemon holds as many nodes as it
// allows (TableFullError, ErrTableFull), which says nothing about the name.
//
// gerl nodes register with Extra "gerl/1" (GerlExtra), so a client can tell
// a gerl node from an Erlang node (NodeInfo.IsGerl, NodeInfo.RequireGerl)
// before it attempts a handshake. gerl's daemon extends the protocol in
// two ways, both invisible to Erlang: it answers ALIVE2 with its own
// result, Alive2TableFull, when its table is full (Erlang's client reads
// any refusal as a duplicate name, as it would from epmd), and when STOP
// removes a gerl node it writes StopNotice before closing the registration,
// so that the node's Keeper does not register again (ErrStopped).
//
// Nothing a daemon sends is trusted: answers are read within the call's
// deadline (DefaultTimeout without one), every length is bounded before
// anything is allocated, and a malformed answer is an error wrapping
// ErrMalformed. The host's port is DefaultPort unless GERL_PORTMAPPER_PORT
// says otherwise (PortFromEnv).
//
// The package never prints: Keep logs through the *slog.Logger it is given.
package portmapper
