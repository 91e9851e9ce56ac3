package observer

import (
	"sync"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Event is one trace event, as the shell prints it and the page draws it.
type Event struct {
	T    int64  `json:"t"`    // Unix nanoseconds, on the node where it happened
	Kind string `json:"kind"` // send, receive, exit, or dropped
	Node string `json:"node"` // where it happened
	Pid  string `json:"pid,omitempty"`
	Name string `json:"name,omitempty"` // the process's registered name, if any
	// Peer is the other end: a send's target (a pid, a name or
	// {Name,Node}), a receive's sender (a pid; empty when no process sent
	// it).
	Peer string `json:"peer,omitempty"`
	Msg  string `json:"msg,omitempty"` // the message, or the exit reason; cut at maxMsgText
	N    int    `json:"n,omitempty"`   // dropped: how many events the rate limit dropped
}

// Limits of the hub.
const (
	// DefaultTraceRate is how many events a second a node admits.
	DefaultTraceRate = 1000
	// ringSize bounds the events admitted and not yet handed on.
	ringSize = 4096
	// maxMsgText bounds a message's text in an event.
	maxMsgText = 500
)

// hub is a node's Tracer: it admits events at a bounded rate into a
// bounded ring, which the trace loop drains (trace.go). Its trace method
// runs on the goroutines of traced processes: it takes the lock twice,
// briefly, and formats the message; it never blocks.
type hub struct {
	node string
	rate float64 // tokens a second, and the bucket's size
	kick chan struct{}

	mu      sync.Mutex // protects following
	ring    []Event
	dropped int
	tokens  float64
	last    int64 // when tokens was last refilled
	subs    map[term.Pid]term.Ref
}

func newHub(nodeName term.Atom, rate int) *hub {
	if rate <= 0 {
		rate = DefaultTraceRate
	}
	return &hub{node: string(nodeName), rate: float64(rate), tokens: float64(rate),
		kick: make(chan struct{}, 1), subs: map[term.Pid]term.Ref{}}
}

// trace is installed as the node's node.Tracer.
func (h *hub) trace(ev *node.TraceEvent) {
	if !h.admit(ev.Time) {
		h.wake() // the loop reports the count, even if nothing else comes
		return
	}
	e := Event{T: ev.Time, Node: h.node, Pid: ev.Pid.String(), Kind: ev.Kind.String(), Msg: msgText(ev.Msg)}
	switch ev.Kind {
	case node.TraceSend:
		e.Peer = term.Format(ev.To)
	case node.TraceReceive:
		if !ev.From.IsZero() {
			e.Peer = ev.From.String()
		}
	}
	h.mu.Lock()
	if len(h.ring) >= ringSize {
		h.dropped++
		h.mu.Unlock()
		return // the ring is full: the loop has been woken
	}
	h.ring = append(h.ring, e)
	wake := len(h.ring) == 1
	h.mu.Unlock()
	if wake {
		h.wake()
	}
}

// wake tells the trace loop there is something to drain.
func (h *hub) wake() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// admit takes a token from the bucket, refilled at rate a second up to
// rate tokens; without one, the event is counted as dropped.
func (h *hub) admit(now int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last != 0 && now > h.last {
		h.tokens = min(h.rate, h.tokens+float64(now-h.last)*h.rate/1e9)
	}
	h.last = max(h.last, now)
	if h.tokens < 1 {
		h.dropped++
		return false
	}
	h.tokens--
	return true
}

// msgText formats a message for an event, cut at maxMsgText bytes.
func msgText(v any) string {
	s := term.Format(v)
	if len(s) > maxMsgText {
		s = s[:maxMsgText] + "..."
	}
	return s
}

// drain takes the admitted events, followed by a dropped event if some
// were dropped since the last drain.
func (h *hub) drain(now int64) []Event {
	h.mu.Lock()
	evs, dropped := h.ring, h.dropped
	h.ring, h.dropped = nil, 0
	h.mu.Unlock()
	if dropped > 0 {
		evs = append(evs, Event{T: now, Kind: "dropped", Node: h.node, N: dropped})
	}
	return evs
}

// subscribers returns the collectors of other nodes that get this node's
// events.
func (h *hub) subscribers() []term.Pid {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]term.Pid, 0, len(h.subs))
	for pid := range h.subs {
		out = append(out, pid)
	}
	return out
}
