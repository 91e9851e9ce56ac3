package observer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// The page's live data comes as Server-Sent Events on /api/events:
//
//	event: cluster   the ClusterView, every tick and at once on nodeup/nodedown
//	event: trees     the supervision trees of the node the page shows, when they change
//	event: trace     a JSON array of Event, as they come
//
// While at least one page is open, a watcher goroutine ticks every second:
// it reads the connection table, asks each node for its summary, and
// subscribes this node's collector to every node's trace events. With no
// page open nothing runs.
const tick = time.Second

// NodeView is one node of the cluster view.
type NodeView struct {
	Name     string `json:"name"`
	Self     bool   `json:"self"`
	State    string `json:"state"` // up, pending, down
	Hidden   bool   `json:"hidden"`
	Outgoing bool   `json:"outgoing"`
	// Erlang marks an Erlang or Elixir node: its traffic is shown, but it
	// has no observer to ask for processes, summaries or traces.
	Erlang bool `json:"erlang"`
	// Traffic of the connection to the node: frames (messages and
	// signals) and bytes each way, in total and per second over the last
	// tick. "in" is what this node received from it.
	FramesIn     uint64   `json:"framesIn"`
	FramesOut    uint64   `json:"framesOut"`
	BytesIn      uint64   `json:"bytesIn"`
	BytesOut     uint64   `json:"bytesOut"`
	FramesInPS   float64  `json:"framesInPerSec"`
	FramesOutPS  float64  `json:"framesOutPerSec"`
	BytesInPS    float64  `json:"bytesInPerSec"`
	BytesOutPS   float64  `json:"bytesOutPerSec"`
	Queued       int      `json:"queued"`
	Blocked      int      `json:"blocked"`
	DownReason   string   `json:"downReason,omitempty"`
	DownAt       int64    `json:"downAt,omitempty"` // Unix ms
	Summary      *Summary `json:"summary,omitempty"`
	SummaryError string   `json:"summaryError,omitempty"`
}

// ClusterView is the cluster as this node sees it.
type ClusterView struct {
	Self      string     `json:"self"`
	Time      int64      `json:"time"` // Unix ms
	AllowKill bool       `json:"allowKill"`
	Nodes     []NodeView `json:"nodes"`
}

// clusterWatch keeps what the cluster view needs between ticks, and runs
// the watcher while pages are open.
type clusterWatch struct {
	a *Agent

	mu        sync.Mutex // protects following
	prev      map[term.Atom]sample
	rates     map[term.Atom][4]float64
	summaries map[term.Atom]Summary
	sumErr    map[term.Atom]string
	down      map[term.Atom]NodeView
	subbed    map[term.Atom]bool
	treesSent map[*stream]string
	pages     int
	stop      chan struct{} // closes the running watcher
	kick      chan struct{}
	closed    bool
	wg        sync.WaitGroup
}

type sample struct {
	at                                     time.Time
	framesIn, framesOut, bytesIn, bytesOut uint64
}

func newClusterWatch(a *Agent) *clusterWatch {
	return &clusterWatch{a: a, prev: map[term.Atom]sample{}, rates: map[term.Atom][4]float64{},
		summaries: map[term.Atom]Summary{}, sumErr: map[term.Atom]string{}, down: map[term.Atom]NodeView{},
		subbed: map[term.Atom]bool{}, treesSent: map[*stream]string{}, kick: make(chan struct{}, 1)}
}

// view returns the cluster view now.
func (c *clusterWatch) view() ClusterView {
	a := c.a
	self := a.summary()
	v := ClusterView{Self: string(a.node.Name()), Time: time.Now().UnixMilli(), AllowKill: a.cfg.AllowKill}
	v.Nodes = append(v.Nodes, NodeView{Name: v.Self, Self: true, State: "up", Summary: &self})
	var peers []cluster.PeerStats
	if a.dist != nil {
		peers = a.dist.Peers()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	up := map[term.Atom]bool{}
	for _, p := range peers {
		up[p.Node] = true
		nv := NodeView{Name: string(p.Node), State: p.State, Hidden: p.Hidden, Outgoing: p.Outgoing, Erlang: p.Kind == cluster.KindErlang,
			FramesIn: p.FramesIn, FramesOut: p.FramesOut, BytesIn: p.BytesIn, BytesOut: p.BytesOut,
			Queued: p.Queued, Blocked: p.Blocked}
		r := c.rates[p.Node]
		nv.FramesInPS, nv.FramesOutPS, nv.BytesInPS, nv.BytesOutPS = r[0], r[1], r[2], r[3]
		if s, ok := c.summaries[p.Node]; ok {
			nv.Summary = &s
		}
		nv.SummaryError = c.sumErr[p.Node]
		v.Nodes = append(v.Nodes, nv)
	}
	for name, d := range c.down {
		if !up[name] {
			v.Nodes = append(v.Nodes, d)
		}
	}
	sort.Slice(v.Nodes[1:], func(i, j int) bool { return v.Nodes[1+i].Name < v.Nodes[1+j].Name })
	return v
}

// update measures the rates since the last tick and refreshes the other
// nodes' summaries and trace subscriptions.
func (c *clusterWatch) update(ctx context.Context) {
	a := c.a
	if a.dist == nil {
		return
	}
	now := time.Now()
	peers := a.dist.Peers()
	var asks []term.Atom
	c.mu.Lock()
	seen := map[term.Atom]bool{}
	for _, p := range peers {
		if p.State != "up" {
			continue
		}
		seen[p.Node] = true
		delete(c.down, p.Node)
		cur := sample{at: now, framesIn: p.FramesIn, framesOut: p.FramesOut, bytesIn: p.BytesIn, bytesOut: p.BytesOut}
		if old, ok := c.prev[p.Node]; ok && cur.framesIn >= old.framesIn && cur.framesOut >= old.framesOut {
			dt := now.Sub(old.at).Seconds()
			c.rates[p.Node] = [4]float64{
				float64(cur.framesIn-old.framesIn) / dt, float64(cur.framesOut-old.framesOut) / dt,
				float64(cur.bytesIn-old.bytesIn) / dt, float64(cur.bytesOut-old.bytesOut) / dt}
		}
		c.prev[p.Node] = cur
		if p.Kind != cluster.KindErlang { // an Erlang node runs no observer
			asks = append(asks, p.Node)
		}
	}
	for nd := range c.prev {
		if !seen[nd] {
			delete(c.prev, nd)
			delete(c.rates, nd)
			delete(c.summaries, nd)
			delete(c.subbed, nd)
		}
	}
	c.mu.Unlock()
	// Ask every node at once, so that one slow node delays none other.
	var wg sync.WaitGroup
	for _, nd := range asks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.mu.Lock()
			subbed := c.subbed[nd]
			c.mu.Unlock()
			if !subbed {
				collector, err := a.collectorPid()
				if err == nil {
					_, err = a.rpc(ctx, nd, fnSubscribe, collector)
				}
				if err == nil {
					c.mu.Lock()
					c.subbed[nd] = true
					c.mu.Unlock()
				}
			}
			out, err := a.rpc(ctx, nd, fnSummary)
			var s Summary
			if err == nil {
				err = json.Unmarshal([]byte(out), &s)
			}
			c.mu.Lock()
			if err != nil {
				c.sumErr[nd] = err.Error()
			} else {
				c.summaries[nd] = s
				delete(c.sumErr, nd)
			}
			c.mu.Unlock()
		}()
	}
	wg.Wait()
}

// nodeEvent records a nodeup or nodedown and wakes the watcher.
func (c *clusterWatch) nodeEvent(m any) {
	c.mu.Lock()
	switch e := m.(type) {
	case term.NodeDown:
		reason := ""
		if e.Reason != nil {
			reason = term.Format(e.Reason)
		}
		c.down[e.Node] = NodeView{Name: string(e.Node), State: "down", DownReason: reason, DownAt: time.Now().UnixMilli()}
		delete(c.subbed, e.Node)
	case term.NodeUp:
		delete(c.down, e.Node)
	}
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// pageOpened counts a page in, starting the watcher for the first.
func (c *clusterWatch) pageOpened() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pages++
	if c.pages > 1 || c.closed {
		return
	}
	c.stop = make(chan struct{})
	c.wg.Add(1)
	go c.watch(c.stop)
}

// pageClosed counts a page out, stopping the watcher after the last.
func (c *clusterWatch) pageClosed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pages--
	if c.pages == 0 && c.stop != nil {
		close(c.stop)
		c.stop = nil
	}
}

func (c *clusterWatch) close() {
	c.mu.Lock()
	c.closed = true
	if c.stop != nil {
		close(c.stop)
		c.stop = nil
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// watch is the watcher: a node monitor process, and a tick that pushes
// the cluster view and the trees to the open pages.
func (c *clusterWatch) watch(stop chan struct{}) {
	defer c.wg.Done()
	a := c.a
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mon, err := a.node.Spawn(func(p *node.Proc) {
		p.Untraceable()
		p.MonitorNodes(true)
		for {
			c.nodeEvent(p.Receive())
		}
	})
	if err == nil {
		defer func() { _ = a.node.Exit(mon, term.Kill) }()
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		c.update(ctx)
		c.push(ctx)
		select {
		case <-stop:
			return
		case <-a.done:
			return
		case <-t.C:
		case <-c.kick: // nodeup, nodedown, a new page: show it now
		}
	}
}

// push sends the cluster view to every page, and each page's node's
// trees when they changed.
func (c *clusterWatch) push(ctx context.Context) {
	a := c.a
	view, _ := json.Marshal(c.view())
	streams := a.streamList()
	trees := map[string]string{}
	for _, s := range streams {
		s.send("cluster", view)
		nd := s.node
		out, ok := trees[nd]
		if !ok {
			var err error
			out, err = a.treesJSON(ctx, term.Atom(nd))
			if err != nil {
				out = fmt.Sprintf(`{"error":%q}`, err.Error())
			}
			trees[nd] = out
		}
		c.mu.Lock()
		changed := c.treesSent[s] != out
		c.treesSent[s] = out
		c.mu.Unlock()
		if changed {
			s.send("trees", []byte(out))
		}
	}
}

// stream is one open page's event stream.
type stream struct {
	node string // the node whose trees it gets
	out  chan sseMsg
}

type sseMsg struct {
	event string
	data  []byte
}

// send queues a message for the page; a page that does not keep up loses
// it (the next cluster view replaces it; a trace batch is gone).
func (s *stream) send(event string, data []byte) {
	select {
	case s.out <- sseMsg{event, data}:
	default:
	}
}

func (a *Agent) streamList() []*stream {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*stream, 0, len(a.streams))
	for s := range a.streams {
		out = append(out, s)
	}
	return out
}

// toStreams hands trace events to the open pages and keeps the recent
// ones for pages opened later.
func (a *Agent) toStreams(evs []Event) {
	a.mu.Lock()
	a.recent = append(a.recent, evs...)
	if over := len(a.recent) - recentEvents; over > 0 {
		a.recent = append(a.recent[:0:0], a.recent[over:]...)
	}
	streams := make([]*stream, 0, len(a.streams))
	for s := range a.streams {
		streams = append(streams, s)
	}
	a.mu.Unlock()
	if len(streams) == 0 {
		return
	}
	b, err := json.Marshal(evs)
	if err != nil {
		return
	}
	for _, s := range streams {
		s.send("trace", b)
	}
}

// getEvents serves one page's event stream until the page goes away.
func (s *server) getEvents(w http.ResponseWriter, r *http.Request) {
	nd, ok := s.nodeParam(r)
	if !ok {
		nd = s.a.node.Name() // a node gone meanwhile: show this one
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, fmt.Errorf("streaming is not supported here"))
		return
	}
	st := &stream{node: string(nd), out: make(chan sseMsg, 256)}
	a := s.a
	a.mu.Lock()
	a.streams[st] = struct{}{}
	a.mu.Unlock()
	s.cv.pageOpened()
	defer func() {
		a.mu.Lock()
		delete(a.streams, st)
		a.mu.Unlock()
		s.cv.mu.Lock()
		delete(s.cv.treesSent, st)
		s.cv.mu.Unlock()
		s.cv.pageClosed()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": gerl observer\n\n")
	fl.Flush()
	select {
	case s.cv.kick <- struct{}{}: // a fresh view for the new page
	default:
	}
	for {
		select {
		case m := <-st.out:
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", m.event, m.data)
			fl.Flush()
		case <-r.Context().Done():
			return
		case <-a.done:
			return
		}
	}
}
