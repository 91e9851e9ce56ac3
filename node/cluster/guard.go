package cluster

import (
	"time"
)

// Defences of a node against what connects to it: a twin that keeps
// displacing a peer (below), and, in admit.go, the admission of incoming
// handshakes under a flood.

// Replacements of a peer's connection (decideIncoming: the peer dials
// while we still hold a connection to it, which it has evidently lost) are
// normal after a peer's crash or a network cut. Two nodes running with the
// same name and the cookie (an impostor, or one node started twice) look
// the same, but over and over: each displaces the other on its next
// contact. From replaceWarnAt replacements of one name within
// replaceWindow, a warning says so, at most once per window and name.
const (
	replaceWindow = time.Minute
	replaceWarnAt = 3
	maxReplaceLog = 1024 // names tracked at most
)

type replaceLog struct {
	since  time.Time // start of the current window
	count  int       // replacements in it
	warned time.Time // last warning
}

// replaced records that a new connection from peer replaces old.
func (d *Dist) replaced(peer hsPeer, old *conn) {
	now := time.Now()
	d.guardMu.Lock()
	r := d.replacements[peer.name]
	if now.Sub(r.since) > replaceWindow {
		r.since, r.count = now, 0
	}
	r.count++
	warn := r.count >= replaceWarnAt && now.Sub(r.warned) > replaceWindow
	if warn {
		r.warned = now
	}
	if len(d.replacements) >= maxReplaceLog {
		for name, x := range d.replacements {
			if now.Sub(x.since) > replaceWindow {
				delete(d.replacements, name)
			}
		}
	}
	if len(d.replacements) < maxReplaceLog {
		d.replacements[peer.name] = r
	}
	count := r.count
	d.guardMu.Unlock()
	d.log.Info("replacing a connection the peer has lost", "peer", peer.name,
		"old_creation", old.peer.creation, "new_creation", peer.creation)
	if warn {
		d.log.Warn("a node's connection was replaced again and again: two nodes may be running with this name and the cookie, displacing each other",
			"peer", peer.name, "replacements", count, "within", replaceWindow,
			"old_creation", old.peer.creation, "new_creation", peer.creation)
	}
}
