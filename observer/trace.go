package observer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Where trace events go once the hub admitted them: the trace loop drains
// the ring (batching for batchDelay), names the processes, sends the batch
// to the collectors of the nodes that subscribed, and hands it to the
// local sinks: the open pages at once, the shells that asked after
// reorderWindow, in time order, so that a reply printed here never comes
// before the request another node reported a moment later.
const (
	batchDelay    = 10 * time.Millisecond
	reorderWindow = 150 * time.Millisecond
	// recentEvents is how many events a newly opened page gets.
	recentEvents = 2000
	// maxBatch bounds the events taken from one batch of another node.
	maxBatch = 2 * ringSize
)

// Messages between the agents of two nodes. Their tags start with $ so
// they cannot be mistaken for a user's.
var (
	// {'$observer_trace', JSON}: a batch of events, a JSON array of Event.
	tagBatch = term.Atom("$observer_trace")
	// {'$observer_subscribe', Collector}: send this node's events there.
	tagSubscribe = term.Atom("$observer_subscribe")
)

// traceLoop is the goroutine that hands events on. It owns pending (the
// events waiting to be printed) and the recent list.
func (a *Agent) traceLoop() {
	defer a.wg.Done()
	var pending []Event
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var fresh []Event
		select {
		case <-a.done:
			timer.Stop()
			return
		case <-a.hub.kick:
			select { // let a burst gather into one batch
			case <-time.After(batchDelay):
			case <-a.done:
				return
			}
			fresh = a.hub.drain(time.Now().UnixNano())
			a.nameEvents(fresh)
			a.sendToSubscribers(fresh)
		case fresh = <-a.remote:
		case <-timer.C:
		}
		if len(fresh) > 0 {
			a.toStreams(fresh)
			if a.hasPrinters() {
				pending = append(pending, fresh...)
			}
		}
		pending = a.print(pending, time.Now().Add(-reorderWindow).UnixNano())
		if len(pending) > 0 {
			timer.Reset(reorderWindow / 3)
		}
	}
}

// nameEvents fills in the registered names of this node's processes.
func (a *Agent) nameEvents(evs []Event) {
	names := map[string]string{}
	for _, name := range a.node.Registered() {
		if pid, ok := a.node.Whereis(name); ok {
			names[pid.String()] = string(name)
		}
	}
	for i := range evs {
		evs[i].Name = names[evs[i].Pid]
	}
}

// sendToSubscribers sends a batch to the collectors of other nodes.
func (a *Agent) sendToSubscribers(evs []Event) {
	subs := a.hub.subscribers()
	if len(evs) == 0 || len(subs) == 0 {
		return
	}
	b, err := json.Marshal(evs)
	if err != nil {
		a.log.Warn("observer: trace batch not encodable", "err", err)
		return
	}
	msg := term.T(tagBatch, string(b))
	for _, sub := range subs {
		_ = a.node.Send(sub, msg) // a node gone: its monitor removes it
	}
}

// collect is the collector process: it takes the batches other nodes send
// and the subscriptions they ask for (monitoring each subscriber, which it
// forgets when it goes down).
func (a *Agent) collect(p *node.Proc) {
	p.Untraceable()
	for {
		switch m := p.Receive().(type) {
		case term.Tuple:
			if len(m) != 2 {
				continue
			}
			switch m.Tag() {
			case tagBatch:
				s, _ := m[1].(string)
				var evs []Event
				if err := json.Unmarshal([]byte(s), &evs); err != nil {
					a.log.Warn("observer: malformed trace batch", "err", err)
					continue
				}
				if len(evs) > maxBatch {
					evs = evs[:maxBatch]
				}
				for i := range evs {
					if len(evs[i].Msg) > maxMsgText+3 {
						evs[i].Msg = evs[i].Msg[:maxMsgText] + "..."
					}
				}
				select {
				case a.remote <- evs:
				case <-a.done:
					return
				}
			case tagSubscribe:
				sub, ok := m[1].(term.Pid)
				if !ok || sub.Node == a.node.Name() {
					continue
				}
				a.hub.mu.Lock()
				_, known := a.hub.subs[sub]
				a.hub.mu.Unlock()
				if known {
					continue
				}
				ref := p.Monitor(sub)
				a.hub.mu.Lock()
				a.hub.subs[sub] = ref
				a.hub.mu.Unlock()
			}
		case term.Down:
			a.hub.mu.Lock()
			if a.hub.subs[m.Pid] == m.Ref {
				delete(a.hub.subs, m.Pid)
			}
			a.hub.mu.Unlock()
		}
	}
}

func (a *Agent) hasPrinters() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.printers) > 0
}

// print writes the pending events up to time until to every printer, in
// time order, and returns the rest.
func (a *Agent) print(pending []Event, until int64) []Event {
	if len(pending) == 0 {
		return nil
	}
	sort.SliceStable(pending, func(i, j int) bool { return pending[i].T < pending[j].T })
	n := sort.Search(len(pending), func(i int) bool { return pending[i].T > until })
	if n == 0 {
		return pending
	}
	a.mu.Lock()
	ws := make([]io.Writer, 0, len(a.printers))
	for w := range a.printers {
		ws = append(ws, w)
	}
	a.mu.Unlock()
	for _, e := range pending[:n] {
		line := FormatEvent(e) + "\n"
		for _, w := range ws {
			_, _ = io.WriteString(w, line)
		}
	}
	return append(pending[:0:0], pending[n:]...)
}

// FormatEvent renders an event as erl's dbg prints a trace message:
//
//	(<bar@vm.2.2>) << {ping,<foo@vm.1.2>}
//	(<bar@vm.2.2>) <foo@vm.1.2> ! {pong,<bar@vm.2.2>}
//	(<bar@vm.2.2>) exit normal
//	*** 120 trace events dropped on bar@vm (rate limit)
func FormatEvent(e Event) string {
	switch e.Kind {
	case "send":
		return fmt.Sprintf("(%s) %s ! %s", e.Pid, e.Peer, e.Msg)
	case "receive":
		return fmt.Sprintf("(%s) << %s", e.Pid, e.Msg)
	case "exit":
		return fmt.Sprintf("(%s) exit %s", e.Pid, e.Msg)
	case "dropped":
		return fmt.Sprintf("*** %d trace events dropped on %s (rate limit)", e.N, e.Node)
	}
	return fmt.Sprintf("(%s) %s %s", e.Pid, e.Kind, e.Msg)
}

// ErrBadTarget is returned by Trace for something that names no process.
var ErrBadTarget = errors.New("not a pid, a registered name or all")

// atomAll is trace(A("all")).
const atomAll = term.Atom("all")

// Trace sets (on) or clears trace flags, from this node: target is a pid
// (traced on its node), a registered name (an Atom or string on this
// node, a term.Name on any), or the atom all: every process of this node
// and of every connected node. Clearing all clears every flag (untrace).
// The traced nodes send their events to this node's collector, from which
// the printers (AddPrinter) and pages get them. It returns the nodes whose
// flags it changed.
func (a *Agent) Trace(ctx context.Context, target any, on bool) ([]term.Atom, error) {
	nodes, what, err := a.traceTargets(target)
	if err != nil {
		return nil, err
	}
	collector, err := a.collectorPid()
	if err != nil {
		return nil, err
	}
	var done []term.Atom
	var errs []error
	for _, nd := range nodes {
		var err error
		if nd == a.node.Name() {
			err = a.setTrace(what, on, term.Pid{})
		} else {
			_, err = a.rpc(ctx, nd, fnTrace, what, on, collector)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		done = append(done, nd)
	}
	if len(errs) > 0 && (len(done) == 0 || target != atomAll) {
		return done, fmt.Errorf("trace %s: %w", term.Format(target), errors.Join(errs...))
	}
	return done, nil
}

// traceTargets resolves what Trace was given: the nodes to ask, and what
// to ask them (a pid, a local name, or all).
func (a *Agent) traceTargets(target any) ([]term.Atom, any, error) {
	self := a.node.Name()
	switch t := target.(type) {
	case term.Pid:
		return []term.Atom{t.Node}, t, nil
	case term.Name:
		return []term.Atom{t.Node}, t.Name, nil
	case term.Tuple:
		if len(t) == 2 {
			name, ok1 := term.AtomOf(t[0])
			nd, ok2 := term.AtomOf(t[1])
			if ok1 && ok2 {
				return []term.Atom{nd}, name, nil
			}
		}
	case term.Atom:
		if t == atomAll {
			nodes := []term.Atom{self}
			if a.dist != nil {
				nodes = append(nodes, a.dist.Nodes()...)
			}
			return nodes, atomAll, nil
		}
		return []term.Atom{self}, t, nil
	case string:
		return []term.Atom{self}, term.Atom(t), nil
	}
	return nil, nil, fmt.Errorf("trace %s: %w", term.Format(target), ErrBadTarget)
}

// setTrace applies a trace request on this node: what is a local pid, a
// local name or all; a subscriber (another node's collector) is sent this
// node's events from now on.
func (a *Agent) setTrace(what any, on bool, subscriber term.Pid) error {
	if !subscriber.IsZero() {
		a.subscribe(subscriber)
	}
	switch t := what.(type) {
	case term.Pid:
		return a.node.Trace(t, on)
	case term.Atom:
		if t == atomAll {
			if on {
				a.node.TraceAll(true)
			} else {
				a.node.UntraceAll()
			}
			return nil
		}
		pid, ok := a.node.Whereis(t)
		if !ok {
			return fmt.Errorf("trace %s on %s: %w", term.FormatAtom(t), a.node.Name(), node.ErrNotRegistered)
		}
		return a.node.Trace(pid, on)
	case string:
		return a.setTrace(term.Atom(t), on, term.Pid{})
	}
	return fmt.Errorf("trace %s: %w", term.Format(what), ErrBadTarget)
}

// subscribe asks the collector to send this node's events to sub.
func (a *Agent) subscribe(sub term.Pid) {
	collector, err := a.collectorPid()
	if err != nil {
		return
	}
	_ = a.node.Send(collector, term.T(tagSubscribe, sub))
}

// AddPrinter makes w receive every trace event this node gets, printed as
// FormatEvent does, one line each, in time order; RemovePrinter stops it.
func (a *Agent) AddPrinter(w io.Writer) {
	a.mu.Lock()
	a.printerGen++
	a.printers[w] = a.printerGen
	a.mu.Unlock()
}

// RemovePrinter stops printing trace events to w, once the events that
// happened before the call are printed (the reorder window holds them).
func (a *Agent) RemovePrinter(w io.Writer) {
	a.mu.Lock()
	gen := a.printers[w]
	a.mu.Unlock()
	time.AfterFunc(2*reorderWindow+batchDelay, func() {
		a.mu.Lock()
		if g, ok := a.printers[w]; ok && g == gen {
			delete(a.printers, w) // unless trace() added it again meanwhile
		}
		a.mu.Unlock()
	})
}
