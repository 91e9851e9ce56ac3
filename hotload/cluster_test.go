package hotload

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/internal/testkit"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// clusterNode is a distributed node with a code server.
type clusterNode struct {
	*harness
	dist *cluster.Dist
}

// startClusterNode starts node name on network net, with a code server
// whose directory is its own.
func startClusterNode(t *testing.T, net *cluster.MemNetwork, name term.Atom, creation uint32) *clusterNode {
	t.Helper()
	logs := &testkit.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	env := eval.NewEnv()
	d, err := cluster.Start(context.Background(), cluster.Config{
		Name: name, Cookie: "secret", Transport: net.Transport(), Registrar: cluster.NoRegistrar{}, Creation: creation,
		Node: node.Config{OnGoroutine: env.OnGoroutine, Logger: log}, Functions: env,
	})
	if err != nil {
		t.Fatal(err)
	}
	env.Attach(d.Node())
	env.SetCluster(eval.DistCluster(d))
	dir := t.TempDir()
	srv, err := New(Config{Env: env, Dir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	me, err := d.Node().Attach("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		if err := d.Node().StopTimeout(waitTime); err != nil {
			t.Errorf("stop %s: %v", name, err)
		}
	})
	return &clusterNode{harness: &harness{t: t, env: env, node: d.Node(), srv: srv, dir: dir, logs: logs, me: me}, dist: d}
}

// connect connects a to each other node and waits until a sees them all.
func connect(t *testing.T, a *clusterNode, others ...*clusterNode) {
	t.Helper()
	for _, o := range others {
		if !a.dist.Ping(context.Background(), o.dist.Name()) {
			t.Fatalf("%s cannot reach %s", a.dist.Name(), o.dist.Name())
		}
	}
	testkit.Eventually(t, waitTime, "full mesh", func() bool { return len(a.dist.Nodes()) == len(others) })
}

// nl on three nodes, then rpc shows the new version everywhere; a node
// that joins later gets it with another nl, which leaves the others alone.
func TestNetLoad(t *testing.T) {
	net := cluster.NewMemNetwork()
	a := startClusterNode(t, net, "a@mem", 1)
	b := startClusterNode(t, net, "b@mem", 2)
	c := startClusterNode(t, net, "c@mem", 3)
	connect(t, a, b, c)
	ctx := context.Background()
	rpcVersions := func(want string, nodes ...*clusterNode) {
		t.Helper()
		for _, n := range nodes {
			v, err := a.env.Cluster().RPC(ctx, n.dist.Name(), "counter.Version", nil)
			if err != nil || v != want {
				t.Fatalf("rpc counter.Version on %s: %v %v, want %s", n.dist.Name(), v, err, want)
			}
		}
	}
	check := func(res []NodeResult, err error, version int, changed ...bool) {
		t.Helper()
		if err != nil || len(res) != len(changed) {
			t.Fatalf("nl: %+v %v", res, err)
		}
		for i, r := range res {
			if r.Err != nil || r.Version != version || r.Changed != changed[i] {
				t.Fatalf("nl on %s: %+v, want version %d changed %v", r.Node, r, version, changed[i])
			}
		}
	}

	a.write("counter.go", counterSrc("v1", 1))
	res, err := a.srv.NetLoad(ctx, "counter")
	check(res, err, 1, true, true, true)
	if res[0].Node != "a@mem" {
		t.Fatalf("the local node is not first: %+v", res)
	}
	rpcVersions("v1", a, b, c)

	// A server spawned on b by name survives a reload by nl.
	pid, _, err := a.dist.SpawnOpt(ctx, a.me, "b@mem", node.SpawnOptions{Monitor: true}, "counter.Loop", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.request(pid, "inc"); got != 1 {
		t.Fatalf("remote server: inc = %v", got)
	}

	a.write("counter.go", counterSrc("v2", 10))
	res, err = a.srv.NetLoad(ctx, "counter")
	check(res, err, 2, true, true, true)
	rpcVersions("v2", a, b, c)
	if got := a.request(pid, "inc"); got != 11 {
		t.Fatalf("remote server after nl: inc = %v, want 11", got)
	}
	if info, _ := b.srv.Module("counter"); info.Source != "nl from a@mem" || info.Version != 2 {
		t.Fatalf("module on b: %+v", info)
	}

	d := startClusterNode(t, net, "d@mem", 4)
	connect(t, d, a, b, c)
	testkit.Eventually(t, waitTime, "a sees d", func() bool { return len(a.dist.Nodes()) == 3 })
	res, err = a.srv.NetLoad(ctx, "counter")
	if err != nil || len(res) != 4 {
		t.Fatalf("nl with a new node: %+v %v", res, err)
	}
	for _, r := range res {
		wantChanged, wantVersion := r.Node == "d@mem", 2
		if r.Node == "d@mem" {
			wantVersion = 1
		}
		if r.Err != nil || r.Changed != wantChanged || r.Version != wantVersion {
			t.Fatalf("nl on %s: %+v", r.Node, r)
		}
	}
	rpcVersions("v2", d)

	// A broken module is sent nowhere.
	a.write("counter.go", "package counter\n\nfunc Version() string { return 1 }\n")
	res, err = a.srv.NetLoad(ctx, "counter")
	if err == nil || len(res) != 1 || res[0].Err == nil {
		t.Fatalf("nl of a broken module: %+v %v", res, err)
	}
	rpcVersions("v2", a, b, c, d)

	// The built-in answers one line per node.
	a.write("counter.go", counterSrc("v3", 1))
	ans := a.srv.nl("counter", "b@mem")
	want := "a@mem: loaded counter version 3\nb@mem: loaded counter version 3\nok"
	if ans.String() != want {
		t.Fatalf("nl answer:\n%s\nwant:\n%s", ans, want)
	}
}

// TestNetLoadInterrupted: Ctrl-C at the prompt ends an nl waiting for a
// node that does not answer, and what the prompt defined before still
// works.
func TestNetLoadInterrupted(t *testing.T) {
	net := cluster.NewMemNetwork()
	a := startClusterNode(t, net, "a@mem", 1)
	b := startClusterNode(t, net, "b@mem", 2)
	connect(t, a, b)
	release := make(chan struct{})
	defer close(release)
	// b's code server hangs: its load never answers.
	if err := b.env.RegisterFunc(LoadFunc, func(string, map[string]string, string) (term.Tuple, error) {
		<-release
		return nil, errors.New("released")
	}); err != nil {
		t.Fatal(err)
	}
	a.write("counter.go", counterSrc("v1", 1))
	sh := newShell(a.harness)
	sh.expect(`double := func(x int) int { return 2 * x }`, "#Fun<func(int) int>")
	started := make(chan struct{}, 1)
	a.env.AddBuiltin("__started", eval.Builtin{Fn: func() { started <- struct{}{} }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := sh.s.EvalContext(ctx, `__started(); nl("counter")`)
		done <- err
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		var ee *eval.EvalError
		if !errors.As(err, &ee) || ee.Kind != eval.Interrupted || strings.Contains(err.Error(), "stopped") {
			t.Fatalf("nl: %v, want it interrupted, without stopping the interpreter", err)
		}
	case <-time.After(waitTime):
		t.Fatal("nl was not interrupted")
	}
	sh.expect(`double(21)`, "42")
	sh.expect(`counter.Version()`, `"v1"`) // loaded here before it was sent
}
