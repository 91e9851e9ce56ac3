package cluster

import (
	"sort"
	"sync/atomic"

	"github.com/gerl-dev/gerl/node/term"
)

// traffic counts a connection's frames and bytes (the bytes written are
// conn.bytesOut). Updated with atomic adds by the senders and the reader.
type traffic struct {
	framesOut atomic.Uint64 // frames queued or written: messages and signals
	framesIn  atomic.Uint64 // frames read, ticks excepted
	bytesIn   atomic.Uint64 // bytes read, length prefixes and ticks included
}

// received counts one frame of n payload bytes read (0: a tick).
func (t *traffic) received(n int) {
	if n > 0 {
		t.framesIn.Add(1)
	}
	t.bytesIn.Add(uint64(n) + 4)
}

// PeerStats is what the connection table knows of one peer, for an
// observer: its state and the traffic of its connection so far.
type PeerStats struct {
	Node term.Atom
	// State is "up", or "pending" while a handshake runs.
	State    string
	Hidden   bool
	Outgoing bool // this node dialed
	// Kind is the protocol the connection speaks, KindGerl or KindErlang
	// (empty while pending); Flags, for an Erlang node, the distribution
	// flags it announced (erldist.Flags' names).
	Kind  string
	Flags string
	// Frames and bytes each way since the connection came up. A frame is
	// one message or signal (link, monitor, exit, rpc...); ticks count
	// only as bytes.
	FramesIn, FramesOut uint64
	BytesIn, BytesOut   uint64
	// Queued is the bytes waiting in the send queue; Blocked the senders
	// waiting for room in it (backpressure).
	Queued, Blocked int
}

// Peers returns every peer of the connection table, up or pending, sorted
// by name. Safe for concurrent use; the counters are read without
// stopping the traffic.
func (d *Dist) Peers() []PeerStats {
	d.mgr.mu.RLock()
	out := make([]PeerStats, 0, len(d.mgr.entries))
	conns := make([]*conn, 0, len(d.mgr.entries))
	for node, e := range d.mgr.entries {
		out = append(out, PeerStats{Node: node, State: "pending", Outgoing: e.outgoing})
		conns = append(conns, e.c)
	}
	d.mgr.mu.RUnlock()
	for i, c := range conns {
		if c == nil {
			continue
		}
		s := &out[i]
		s.State, s.Hidden, s.Outgoing, s.Kind = "up", c.peer.hidden(), c.outgoing, c.proto.kind()
		if c.peer.erlang {
			s.Flags = c.peer.eflags.String()
		}
		s.FramesIn, s.FramesOut = c.traffic.framesIn.Load(), c.traffic.framesOut.Load()
		s.BytesIn, s.BytesOut = c.traffic.bytesIn.Load(), c.bytesOut.Load()
		s.Queued, s.Blocked = c.q.stats()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}
