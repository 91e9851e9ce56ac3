package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/observer"
)

// startObserved starts a gerl node with an observer, as the shell starts
// them.
func (e *env) startObserved(t *testing.T, short string) (*gerlNode, *observer.Agent) {
	t.Helper()
	ev := eval.NewEnv()
	g := e.startGerl(t, short, nil, func(c *cluster.Config) {
		c.Functions = ev
		c.Node.OnGoroutine = ev.OnGoroutine
	})
	ev.Attach(g.Node())
	ev.SetCluster(eval.DistCluster(g.Dist))
	obs, err := observer.Start(observer.Config{Env: ev, Dist: g.Dist, Cookie: func() (string, error) { return cookie, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(obs.Close)
	return g, obs
}

// TestObserverListsErlangNodes: the observer's cluster view lists an
// Erlang node among the gerl nodes, marked as one, with its traffic, and
// does not ask it for what only gerl nodes have (summaries, traces): the
// summary of a gerl node arrives, and the Erlang node has no error.
func TestObserverListsErlangNodes(t *testing.T) {
	e := setup(t)
	a := e.startErl(t, "obs_a")
	g, obs := e.startObserved(t, "obs_g")
	h, _ := e.startObserved(t, "obs_h")
	if err := g.PingErr(context.Background(), h.Name()); err != nil {
		t.Fatal(err)
	}
	if v := a.run("net_adm:ping(obs_g@localhost)."); v != "pong" {
		t.Fatalf("net_adm:ping: %s", v)
	}
	base, err := obs.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTime)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var last string
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if ev, ok := strings.CutPrefix(line, "event: "); ok {
			event = ev
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || event != "cluster" {
			continue
		}
		last = data
		var v observer.ClusterView
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatal(err)
		}
		var erl, gerl *observer.NodeView
		for i, n := range v.Nodes {
			switch n.Name {
			case string(a.name):
				erl = &v.Nodes[i]
			case string(h.Name()):
				gerl = &v.Nodes[i]
			}
		}
		// Once h's summary is there, the watcher has asked every node
		// it asks.
		if erl == nil || gerl == nil || gerl.Summary == nil {
			continue
		}
		if !erl.Erlang || erl.State != "up" || erl.FramesIn == 0 || erl.Summary != nil || erl.SummaryError != "" || gerl.Erlang {
			t.Fatalf("the cluster view shows the Erlang node as %+v, the gerl node as %+v", *erl, *gerl)
		}
		return
	}
	t.Fatalf("no cluster view with both nodes within %v (%v); the last one:\n%s", waitTime, sc.Err(), last)
}
