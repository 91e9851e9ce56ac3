package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/gerl-dev/gerl/node/term"
	"github.com/gerl-dev/gerl/portmapper"
)

// Registrar registers the node's listen port with the host's port mapper,
// for the node's whole life.
type Registrar interface {
	// Register registers name (the part before '@') at port. The
	// registration lasts until Close.
	Register(ctx context.Context, name string, port int, hidden bool) (Registration, error)
}

// Registration is a live registration.
type Registration interface {
	// Creation is the creation number the port mapper gave the node, or 0.
	Creation() uint32
	// Close unregisters; it is idempotent.
	Close() error
}

// NoRegistrar registers nothing: for tests and in-memory networks.
type NoRegistrar struct{}

// Register implements Registrar.
func (NoRegistrar) Register(context.Context, string, int, bool) (Registration, error) {
	return noRegistration{}, nil
}

type noRegistration struct{}

func (noRegistration) Creation() uint32 { return 0 }
func (noRegistration) Close() error     { return nil }

// PortMapperRegistrar registers with gerl's port mapper (or epmd) on the
// loopback at Port and keeps the registration alive (portmapper.Keep):
// the daemon is started with StartDaemon when none answers, and the node
// registers again if the daemon restarts. The node keeps the creation of
// its first registration.
type PortMapperRegistrar struct {
	Port        int
	StartDaemon func() error
	Logger      *slog.Logger
}

// Register implements Registrar. A name taken by a live node gives an
// error saying "a node named foo is already running on this host".
func (r PortMapperRegistrar) Register(ctx context.Context, name string, port int, hidden bool) (Registration, error) {
	typ := portmapper.NodeTypeNormal
	if hidden {
		typ = portmapper.NodeTypeHidden
	}
	k, err := portmapper.Keep(ctx, portmapper.KeeperConfig{
		Port: r.Port,
		Node: portmapper.NodeInfo{
			Name: name, Port: port, Type: typ, Protocol: portmapper.ProtocolTCP,
			Highest: portMapperVersion, Lowest: portMapperVersion, Extra: portmapper.GerlExtra(),
		},
		StartDaemon: r.StartDaemon,
		Logger:      r.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("register with the port mapper on port %d: %w", r.Port, err)
	}
	return k, nil
}

// PortMapperResolver finds a node name@host by asking the port mapper on
// host (at Port) for name's port.
type PortMapperResolver struct{ Port int }

// Resolve implements Resolver. It says plainly when no node of that name
// runs there (matching ErrNoNode).
func (r PortMapperResolver) Resolve(ctx context.Context, node term.Atom) (string, error) {
	addr, _, err := r.ResolvePeer(ctx, node)
	return addr, err
}

// ResolvePeer is Resolve that also tells an Erlang node (registered
// without gerl's Extra, as erl and iex register) from a gerl node.
func (r PortMapperResolver) ResolvePeer(ctx context.Context, node term.Atom) (addr string, erlang bool, err error) {
	name, host, err := SplitNodeName(string(node))
	if err != nil {
		return "", false, err
	}
	info, err := portmapper.Lookup(ctx, net.JoinHostPort(portMapperHost(ctx, host), strconv.Itoa(r.Port)), name)
	switch {
	case errors.Is(err, portmapper.ErrNotRegistered):
		return "", false, fmt.Errorf("no node named %s is running on %s: %w", name, host, ErrNoNode)
	case err != nil:
		return "", false, fmt.Errorf("look up %s: %w", node, err)
	}
	return net.JoinHostPort(host, strconv.Itoa(info.Port)), !info.IsGerl(), nil
}

// PeerResolver is a Resolver that also tells which protocol a node speaks
// (PortMapperResolver is one). With a Resolver that cannot tell, every
// node is dialed as a gerl node.
type PeerResolver interface {
	Resolver
	// ResolvePeer returns where node listens and whether it is an Erlang
	// node (one that speaks Erlang's distribution protocol).
	ResolvePeer(ctx context.Context, node term.Atom) (addr string, erlang bool, err error)
}

func portMapperPortFromEnv() (int, error) { return portmapper.PortFromEnv() }

// portMapperHost is where to ask for the nodes of host: the loopback
// address when host is this machine (the port mapper listens on loopback
// unless told otherwise, and a host name may resolve to this machine's
// network address), host itself otherwise.
func portMapperHost(ctx context.Context, host string) string {
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(ips) == 0 {
		return host
	}
	local := map[string]bool{}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				local[n.IP.String()] = true
			}
		}
	}
	for _, ip := range ips {
		if ip.IP.IsLoopback() || local[ip.IP.String()] {
			return "127.0.0.1"
		}
	}
	return host
}
