package erldist

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/gerl-dev/gerl/node/term"
)

// splitName splits a node name into its name and host: one @, a name of 1
// to 255 characters of UTF-8 without control characters or spaces, a host
// of 1 to 255 bytes.
func splitName(node term.Atom) (name, host string, err error) {
	name, host, ok := strings.Cut(string(node), "@")
	switch {
	case !ok || name == "" || host == "" || strings.Contains(host, "@"):
		return "", "", fmt.Errorf("%s is not name@host", printable([]byte(node)))
	case !utf8.ValidString(string(node)) || utf8.RuneCountInString(name) > 255 || len(host) > 255:
		return "", "", fmt.Errorf("%s is not UTF-8, or too long", printable([]byte(node)))
	}
	for _, r := range node {
		if r < 0x20 || r == 0x7f || r == ' ' {
			return "", "", fmt.Errorf("%s contains %U", printable([]byte(node)), r)
		}
	}
	return name, host, nil
}

// checkPeerName applies Erlang's rule for the kinds of node names
// (inet_tcp_dist:splitnode/3): a node of short names (-sname) talks only
// to nodes whose host has no dot, one of long names (-name) only to nodes
// whose host has one, or is an IP address.
func checkPeerName(cfg Config, peer term.Atom) error {
	_, host, err := splitName(peer)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	dotted := strings.Contains(host, ".")
	switch {
	case !cfg.LongNames && dotted:
		return fmt.Errorf("%w: %s has a long name (started with -name), and this node %s a short one (-sname); start both with -sname, or both with -name",
			ErrNameKind, peer, cfg.Name)
	case cfg.LongNames && !dotted && !isIP(host):
		return fmt.Errorf("%w: %s has a short name (started with -sname), and this node %s a long one (-name); start both with -sname, or both with -name",
			ErrNameKind, peer, cfg.Name)
	}
	return nil
}

func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}
