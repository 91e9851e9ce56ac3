package observer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTime bounds every wait; a deadline for failure, never a delay.
const waitTime = 20 * time.Second

// testNode is a node of a test cluster with its observer.
type testNode struct {
	dist *cluster.Dist
	node *node.Node
	env  *eval.Env
	obs  *Agent
}

// startCluster starts nodes a@mem, b@mem... on one in-memory network,
// each with an Env and an observer, as the shell starts them.
func startCluster(t testing.TB, names ...string) []*testNode {
	t.Helper()
	net := cluster.NewMemNetwork()
	var out []*testNode
	for i, name := range names {
		env := eval.NewEnv()
		d, err := cluster.Start(context.Background(), cluster.Config{
			Name: term.Atom(name), Cookie: "secret", Transport: net.Transport(), Registrar: cluster.NoRegistrar{},
			Creation: uint32(i + 1), Functions: env, Node: node.Config{OnGoroutine: env.OnGoroutine},
		})
		if err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		env.Attach(d.Node())
		env.SetCluster(eval.DistCluster(d))
		obs, err := Start(Config{Env: env, Dist: d, AllowKill: true, Cookie: func() (string, error) { return "secret", nil }})
		if err != nil {
			t.Fatal(err)
		}
		tn := &testNode{dist: d, node: d.Node(), env: env, obs: obs}
		t.Cleanup(func() {
			obs.Close()
			if err := d.Node().StopTimeout(waitTime); err != nil {
				t.Errorf("stop %s: %v", name, err)
			}
		})
		out = append(out, tn)
	}
	for _, n := range out[1:] {
		if err := out[0].dist.ConnectContext(context.Background(), n.dist.Name()); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// serve starts n's web server on loopback and returns its base URL.
func serve(t testing.TB, n *testNode) string {
	t.Helper()
	url, err := n.obs.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(url, "/")
}

// getJSON fetches url and decodes its JSON answer into v.
func getJSON(t testing.TB, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, b)
	}
}

// post sends a JSON body as the page does and returns the status.
func post(t testing.TB, url string, body any, pageHeader bool) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if pageHeader {
		req.Header.Set("X-Gerl-Observer", "1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// sse is a client of the page's event stream.
type sse struct {
	events chan sseMsg
	cancel context.CancelFunc
	done   chan struct{}
}

func openStream(t testing.TB, url string) *sse {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	s := &sse{events: make(chan sseMsg, 1024), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				select {
				case s.events <- sseMsg{ev, []byte(strings.TrimPrefix(line, "data: "))}:
				default: // the test stopped reading: drop
				}
			}
		}
	}()
	t.Cleanup(func() { s.cancel(); <-s.done })
	return s
}

// await reads events until one named event satisfies ok.
func (s *sse) await(t testing.TB, event, what string, ok func([]byte) bool) {
	t.Helper()
	deadline := time.After(waitTime)
	for {
		select {
		case m := <-s.events:
			if m.event == event && ok(m.data) {
				return
			}
		case <-deadline:
			t.Fatalf("no %s event with %s within %v", event, what, waitTime)
		}
	}
}

// startPinger spawns on n a process that, once sent "go", plays rounds
// of ping-pong with the process registered as pong on peer, then tells
// the returned (untraceable) test process "done".
func startPinger(t testing.TB, n *testNode, peer term.Atom, rounds int) (me *node.Proc, pinger term.Pid) {
	t.Helper()
	me, err := n.node.Attach("test")
	if err != nil {
		t.Fatal(err)
	}
	me.Untraceable()
	t.Cleanup(func() { _ = n.node.Exit(me.Self(), term.Kill) })
	pinger, err = n.node.Spawn(func(p *node.Proc) {
		p.Receive() // go
		for i := 0; i < rounds; i++ {
			_ = p.Send(term.Name{Name: "pong", Node: peer}, term.T(term.Atom("ping"), p.Self()))
			p.Receive()
		}
		_ = p.Send(me.Self(), "done")
	})
	if err != nil {
		t.Fatal(err)
	}
	return me, pinger
}

// playPingPong starts the pinger and waits until it is done.
func playPingPong(t testing.TB, me *node.Proc, pinger term.Pid) {
	t.Helper()
	_ = me.Send(pinger, "go")
	if m, ok := me.ReceiveTimeout(waitTime); !ok || m != "done" {
		t.Fatalf("the ping-pong did not end: %v", m)
	}
}
