package observer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/supervisor"
	"github.com/gerl-dev/gerl/node/term"
)

// pongServer answers {ping, From} with {pong, Self}.
func pongServer(p *node.Proc) {
	for {
		m, ok := p.Receive().(term.Tuple)
		if ok && len(m) == 2 && m[0] == term.Atom("ping") {
			_ = p.Send(m[1], term.T(term.Atom("pong"), p.Self()))
		}
	}
}

// The page's data API, against a cluster of three nodes: the observed
// node a, b with a pong server and a supervisor, and c, which goes down.
func TestDataAPI(t *testing.T) {
	ns := startCluster(t, "a@mem", "b@mem", "c@mem")
	a, b, c := ns[0], ns[1], ns[2]
	base := serve(t, a)
	pong, err := b.node.Spawn(pongServer)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.node.Register("pong", pong); err != nil {
		t.Fatal(err)
	}
	stream := openStream(t, base+"/api/events?node=b@mem")

	t.Run("cluster", func(t *testing.T) {
		stream.await(t, "cluster", "b and c up with their summaries", func(d []byte) bool {
			var v ClusterView
			_ = json.Unmarshal(d, &v)
			up := 0
			for _, n := range v.Nodes {
				if n.State == "up" && n.Summary != nil && n.Summary.Processes > 0 {
					up++
				}
			}
			return v.Self == "a@mem" && up == 3
		})
	})

	t.Run("processes", func(t *testing.T) {
		var page ProcPage
		getJSON(t, base+"/api/processes?node=b@mem&filter=pong", &page)
		if page.Node != "b@mem" || page.Matched != 1 || len(page.Rows) != 1 || page.Rows[0].Pid != pong.String() ||
			page.Rows[0].Name != "pong" || page.Total < 2 {
			t.Fatalf("page: %+v", page)
		}
		var sorted ProcPage
		getJSON(t, base+"/api/processes?node=b@mem&sort=pid&desc=1&limit=1", &sorted)
		if len(sorted.Rows) != 1 || sorted.Matched != sorted.Total {
			t.Fatalf("sorted page: %+v", sorted)
		}
		var v ProcView
		getJSON(t, base+"/api/process?pid="+url.QueryEscape(pong.String()), &v)
		if v.Name != "pong" || v.Status != "waiting" || v.Pid != pong.String() || !strings.Contains(v.Stack, "pongServer") {
			t.Fatalf("detail: %+v", v)
		}
		// A hibernated process has no goroutine: the detail says so.
		sleeper, err := b.node.Spawn(func(p *node.Proc) { p.Hibernate(func(p *node.Proc) { p.Receive() }) })
		if err != nil {
			t.Fatal(err)
		}
		var hv ProcView
		testkit.Eventually(t, waitTime, "the process to hibernate", func() bool {
			getJSON(t, base+"/api/process?pid="+url.QueryEscape(sleeper.String()), &hv)
			return hv.Status == "hibernated"
		})
		if !strings.Contains(hv.Stack, "hibernated: no goroutine") {
			t.Fatalf("hibernated detail: stack %q", hv.Stack)
		}
		b.node.Exit(sleeper, term.Kill)
		resp, err := http.Get(base + "/api/processes?node=nobody@mem")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("an unknown node: %s", resp.Status)
		}
	})

	t.Run("trees and a restart", func(t *testing.T) {
		sup, err := supervisor.Start(b.node, supervisor.Spec{Name: "top", Intensity: 5, Period: time.Minute,
			Children: []supervisor.Child{{ID: "worker", Start: func(p *node.Proc) { p.Receive() }, Name: "worker"}}})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = sup.Stop(waitTime) }()
		var first []Tree
		getJSON(t, base+"/api/trees?node=b@mem", &first)
		if len(first) != 1 || first[0].Name != "top" || len(first[0].Children) != 1 || first[0].Children[0].Restarts != 0 {
			t.Fatalf("trees: %+v", first)
		}
		old := first[0].Children[0].Pid
		code, body := post(t, base+"/api/kill", map[string]string{"pid": old}, true)
		if code != http.StatusOK {
			t.Fatalf("kill: %d %s", code, body)
		}
		stream.await(t, "trees", "the worker restarted once", func(d []byte) bool {
			var trees []Tree
			_ = json.Unmarshal(d, &trees)
			return len(trees) == 1 && len(trees[0].Children) == 1 &&
				trees[0].Children[0].Restarts == 1 && trees[0].Children[0].Pid != old && trees[0].Children[0].Pid != ""
		})
	})

	t.Run("a trace of a ping-pong across nodes", func(t *testing.T) {
		const rounds = 3
		me, pinger := startPinger(t, a, "b@mem", rounds)
		for _, req := range []traceRequest{{Target: "pong", Node: "b@mem", On: true}, {Target: pinger.String(), On: true}} {
			if code, body := post(t, base+"/api/trace", req, true); code != http.StatusOK {
				t.Fatalf("trace %+v: %d %s", req, code, body)
			}
		}
		playPingPong(t, me, pinger)
		// Every event of the rounds reaches the page, from both nodes.
		var evs []Event
		testkit.Eventually(t, waitTime, "the rounds' events", func() bool {
			evs = nil
			var all []Event
			getJSON(t, base+"/api/trace", &all)
			for _, e := range all {
				if strings.Contains(e.Msg, "ping") || strings.Contains(e.Msg, "pong") {
					evs = append(evs, e)
				}
			}
			return len(evs) == 4*rounds
		})
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].T < evs[j].T })
		var got []string
		for _, e := range evs {
			got = append(got, e.Node+" "+e.Kind+" "+strings.Trim(e.Msg, "{}")[:4])
		}
		var want []string
		for i := 0; i < rounds; i++ {
			want = append(want, "a@mem send ping", "b@mem receive ping", "b@mem send pong", "a@mem receive pong")
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("trace order:\n%q\nwant:\n%q", got, want)
		}
		if evs[1].Name != "pong" || evs[1].Peer != pinger.String() || evs[0].Peer != "{pong,b@mem}" {
			t.Fatalf("events: %+v", evs[:2])
		}
		stream.await(t, "trace", "the pong server's events", func(d []byte) bool {
			return strings.Contains(string(d), `"name":"pong"`)
		})
		if code, body := post(t, base+"/api/trace", traceRequest{Target: "all", On: false}, true); code != http.StatusOK {
			t.Fatalf("untrace all: %d %s", code, body)
		}
		if all, pids := b.node.Tracing(); all || len(pids) != 0 {
			t.Fatalf("b still traces: %v %v", all, pids)
		}
	})

	t.Run("nodedown", func(t *testing.T) {
		if err := c.node.StopTimeout(waitTime); err != nil {
			t.Fatal(err)
		}
		stream.await(t, "cluster", "c down", func(d []byte) bool {
			var v ClusterView
			_ = json.Unmarshal(d, &v)
			for _, n := range v.Nodes {
				if n.Name == "c@mem" {
					return n.State == "down"
				}
			}
			return false
		})
	})

	t.Run("guards", func(t *testing.T) {
		if code, _ := post(t, base+"/api/kill", map[string]string{"pid": pong.String()}, false); code != http.StatusForbidden {
			t.Errorf("a POST without the page's header: %d", code)
		}
		a.obs.cfg.AllowKill = false
		defer func() { a.obs.cfg.AllowKill = true }()
		if code, _ := post(t, base+"/api/kill", map[string]string{"pid": pong.String()}, true); code != http.StatusForbidden {
			t.Errorf("a kill on a read-only observer: %d", code)
		}
		if !b.node.Alive(pong) {
			t.Error("pong was killed")
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/api/cluster", nil)
		req.Host = "evil.example.com"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a foreign Host on loopback: %s", resp.Status)
		}
	})
}

// A page on an address other than loopback answers only with the token.
func TestTokenRequired(t *testing.T) {
	ns := startCluster(t, "a@mem")
	u, err := ns[0].obs.Serve("0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := url.Parse(u)
	if got := parsed.Query().Get("token"); got != Token("secret") || len(got) != 32 {
		t.Fatalf("the URL's token: %q", got)
	}
	port := parsed.Port()
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/api/cluster", http.StatusUnauthorized},
		{"/api/cluster?token=wrong", http.StatusUnauthorized},
		{"/?token=" + Token("secret"), http.StatusOK},
		{"/api/cluster?token=" + Token("secret"), http.StatusOK},
	} {
		resp, err := http.Get("http://127.0.0.1:" + port + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("GET %s: %s, want %d", tc.path, resp.Status, tc.code)
		}
	}
}
