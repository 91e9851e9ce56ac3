package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gerl-dev/gerl/node/term"
)

// ErrBadNodeName is matched by errors about a node name that cannot be used.
var ErrBadNodeName = errors.New("bad node name")

// NodeName returns the node's full name from the -sname or -name flag, as
// erl does: -sname foo gives foo@<short hostname> (the hostname's first
// label); -name foo@host.example is taken as is; -name foo derives the
// fully qualified host name, and fails with a suggestion when the host has
// none. Exactly one of sname and name must be set.
func NodeName(sname, name string) (term.Atom, error) {
	return nodeName(sname, name, os.Hostname, lookupFQDN)
}

// lookupFQDN asks the resolver for the canonical name of host.
func lookupFQDN(host string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cname, err := net.DefaultResolver.LookupCNAME(ctx, host)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(cname, "."), nil
}

func nodeName(sname, name string, hostname func() (string, error), fqdn func(string) (string, error)) (term.Atom, error) {
	switch {
	case sname != "" && name != "":
		return "", fmt.Errorf("%w: give -sname or -name, not both", ErrBadNodeName)
	case sname == "" && name == "":
		return "", fmt.Errorf("%w: give -sname foo or -name foo@host", ErrBadNodeName)
	}
	if sname != "" {
		if strings.Contains(sname, "@") {
			n, host, err := SplitNodeName(sname)
			if err != nil {
				return "", err
			}
			if strings.Contains(host, ".") && net.ParseIP(host) == nil {
				return "", fmt.Errorf("%w: %q: -sname takes a short host name; use -name %s for a fully qualified one", ErrBadNodeName, sname, sname)
			}
			return checkedName(n + "@" + host)
		}
		h, err := hostname()
		if err != nil {
			return "", fmt.Errorf("%w: cannot read this host's name: %v", ErrBadNodeName, err)
		}
		short, _, _ := strings.Cut(h, ".")
		return checkedName(sname + "@" + short)
	}
	if strings.Contains(name, "@") {
		return checkedName(name)
	}
	h, err := hostname()
	if err != nil {
		return "", fmt.Errorf("%w: cannot read this host's name: %v", ErrBadNodeName, err)
	}
	if !strings.Contains(h, ".") {
		if full, err := fqdn(h); err == nil && strings.Contains(full, ".") {
			h = full
		} else {
			return "", fmt.Errorf("%w: -name %s: host %q has no fully qualified name; use -name %s@host.example.com (or an IP address, -name %s@10.0.0.5), or -sname %s for a short name",
				ErrBadNodeName, name, h, name, name, name)
		}
	}
	return checkedName(name + "@" + h)
}

// checkedName checks the name this node is started with: a node name
// (SplitNodeName), whose name part is made of ASCII letters, digits, _ and
// -, as erl requires of its own (net_kernel refuses "a%b" with "Invalid
// node name!"), so that Erlang nodes can use it. Names of other nodes are
// only checked by SplitNodeName.
func checkedName(full string) (term.Atom, error) {
	name, _, err := SplitNodeName(full)
	if err != nil {
		return "", err
	}
	for _, r := range name {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '-') {
			return "", fmt.Errorf("%w: %q: a node's own name (before the @) is made of letters, digits, _ and - only, as in erl", ErrBadNodeName, full)
		}
	}
	return term.Atom(full), nil
}

// SplitNodeName splits a node name into its name and host parts,
// checking both: name@host, one '@', a name of 1 to 255 characters of
// UTF-8 without control characters, a non-empty host.
func SplitNodeName(node string) (name, host string, err error) {
	name, host, ok := strings.Cut(node, "@")
	switch {
	case !ok:
		return "", "", fmt.Errorf("%w: %q has no @host part", ErrBadNodeName, node)
	case name == "" || host == "":
		return "", "", fmt.Errorf("%w: %q: want name@host", ErrBadNodeName, node)
	case strings.Contains(host, "@"):
		return "", "", fmt.Errorf("%w: %q has more than one @", ErrBadNodeName, node)
	case !utf8.ValidString(node) || utf8.RuneCountInString(name) > 255 || len(host) > 255:
		return "", "", fmt.Errorf("%w: %q is not UTF-8 or too long", ErrBadNodeName, node)
	}
	for _, r := range node {
		if r < 0x20 || r == 0x7f || r == ' ' {
			return "", "", fmt.Errorf("%w: %q contains %U", ErrBadNodeName, node, r)
		}
	}
	return name, host, nil
}
