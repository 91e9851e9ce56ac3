// Package pubsub is a small publish/subscribe event bus across a cluster,
// on process groups (gerl/pg): a topic is a group, a subscriber is a
// process that joined it, on any node, and a publisher sends to the group
// by its name without knowing who or where the subscribers are.
//
// The bus has a pg scope of its own, "pubsub", so its topics never mix
// with other groups; every node that takes part starts it
// (multicall("pubsub.Start")). A subscriber that exits or whose node goes
// down leaves its topics on every node; the others are not affected.
package pubsub

import (
	"time"

	"gerl"
	"gerl/pg"
	"gerl/server"
)

// scope is the bus's pg scope.
const scope = "pubsub"

func bus() *pg.Groups { return pg.Scope(scope) }

// Start starts the bus on this node: its pg scope, which finds the
// scope's servers on the other nodes.
func Start() gerl.Atom {
	pg.StartScope(scope)
	return gerl.OK
}

// Subscribe makes the calling process a subscriber of topic: it receives
// {event, Topic, Message} for each message published to it.
func Subscribe(topic string) {
	bus().Join(topic, gerl.Self())
}

// Unsubscribe ends the calling process's subscription to topic; false if
// it had none.
func Unsubscribe(topic string) bool {
	return bus().Leave(topic, gerl.Self())
}

// Publish sends {event, Topic, msg} to every subscriber of topic, on every
// node, and returns how many it sent to.
func Publish(topic string, msg any) int {
	return bus().SendAll(topic, gerl.T(gerl.A("event"), topic, msg))
}

// Subscribers returns the subscribers of topic, on every node, once this
// node has heard from the others (the bus is eventually consistent: a
// subscription made elsewhere reaches this node as a message).
func Subscribers(topic string) []gerl.Pid {
	bus().Sync()
	return bus().GetMembers(topic)
}

// Topics returns the topics with subscribers.
func Topics() []any {
	bus().Sync()
	return bus().WhichGroups()
}

// Collector is a subscriber that keeps what it receives: a server
// (gerl/server) whose Init subscribes it and whose HandleInfo, which gets
// the messages that are neither calls nor casts, records the events.
type Collector struct {
	topic   string
	events  []any
	waiting []waiter // Events callers waiting for more events
}

// waiter is a caller of Events, answered once the collector holds n events.
type waiter struct {
	n    int
	from server.From
}

// Collect starts a collector of topic on this node and returns its pid.
func Collect(topic string) gerl.Pid {
	pid, err := server.Start(&Collector{}, topic)
	if err != nil {
		panic(err)
	}
	return pid
}

// Events returns what the collector pid has received, oldest first, once
// it has received at least n events (waiting up to 5 s): an event
// published elsewhere is on its way as a message, and may not be there
// yet when this is called.
func Events(pid gerl.Pid, n int) []any {
	v, err := server.Call(pid, gerl.T(gerl.A("events"), n), 5*time.Second)
	if err != nil {
		panic(err)
	}
	return v.([]any)
}

// Init subscribes the collector.
func (c *Collector) Init(args any) error {
	c.topic = args.(string)
	c.events = []any{}
	Subscribe(c.topic)
	return nil
}

// HandleCall answers {events, N}: at once if it holds N events, or
// later (server.NoReply now, server.Reply when the Nth comes).
func (c *Collector) HandleCall(req any, from server.From) (any, error) {
	n := req.(gerl.Tuple)[1].(int)
	if len(c.events) >= n {
		return c.snapshot(), nil
	}
	c.waiting = append(c.waiting, waiter{n: n, from: from})
	return server.NoReply, nil
}

// snapshot is a copy of the events, which the reply hands to the caller.
func (c *Collector) snapshot() []any { return append([]any{}, c.events...) }

// HandleCast: a collector takes no casts.
func (c *Collector) HandleCast(msg any) error { return nil }

// HandleInfo records an event.
func (c *Collector) HandleInfo(msg any) error {
	if t, ok := msg.(gerl.Tuple); ok && t.Tag() == "event" {
		c.events = append(c.events, t[2])
	}
	still := c.waiting[:0]
	for _, w := range c.waiting {
		if len(c.events) >= w.n {
			server.Reply(w.from, c.snapshot())
		} else {
			still = append(still, w)
		}
	}
	c.waiting = still
	return nil
}

// Fragile starts a subscriber of topic with a bug: it expects every
// message to be a string, and crashes on anything else. It is subscribed
// when Fragile returns (joined by the caller, on its behalf).
func Fragile(topic string) gerl.Pid {
	pid := gerl.Spawn(func() {
		for {
			ev := gerl.Receive().(gerl.Tuple)
			if _, ok := ev[2].(string); !ok {
				panic("not a string: " + gerl.Format(ev[2]))
			}
		}
	})
	bus().Join(topic, pid)
	return pid
}
