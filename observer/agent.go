package observer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// Config says how to start an Agent.
type Config struct {
	// Env is the node's Env: the node, and where the built-ins go.
	Env *eval.Env
	// Dist is the node's distribution; nil for a node without it (the
	// page then shows this node alone).
	Dist *cluster.Dist
	// Cookie returns the node's cookie, from which the access token of a
	// page served on an address other than loopback is derived (Token).
	// It is called only then; nil refuses such addresses.
	Cookie func() (string, error)
	// AllowKill puts a kill button on the page's process view.
	AllowKill bool
	// TraceRate is how many trace events a second this node admits; 0
	// means DefaultTraceRate.
	TraceRate int
	// Logger receives the agent's warnings; nil discards them.
	Logger *slog.Logger
}

// Agent is the observer of one node: its data functions, its tracer, its
// built-ins, and (once Serve is called) its web server. See the package
// documentation.
type Agent struct {
	cfg       Config
	env       *eval.Env
	node      *node.Node
	dist      *cluster.Dist
	log       *slog.Logger
	hub       *hub
	started   time.Time
	lastMem   atomic.Value // memSample
	remote    chan []Event // batches of other nodes, from the collector
	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once

	mu         sync.Mutex           // protects following
	printers   map[io.Writer]uint64 // the AddPrinter call that added each
	printerGen uint64
	streams    map[*stream]struct{}
	recent     []Event // the last recentEvents events, for new pages
	srv        *server
	// collector is the process that takes other nodes' events, started
	// when first needed (a node nobody traces from has none).
	collector term.Pid
}

// The functions other nodes call by rpc (registered on every node).
const (
	fnSummary   = "gerl.observer.summary"
	fnProcesses = "gerl.observer.processes"
	fnProcess   = "gerl.observer.process"
	fnTrees     = "gerl.observer.trees"
	fnTrace     = "gerl.observer.trace"
	fnSubscribe = "gerl.observer.subscribe"
)

// Start starts the agent of cfg.Env's node: it registers the data
// functions, installs the tracer, starts the trace loop and the collector
// process, and adds the built-ins observer, trace and untrace. Close (or
// the node's Stop) ends it.
func Start(cfg Config) (*Agent, error) {
	if cfg.Env == nil || cfg.Env.Node() == nil {
		return nil, errors.New("start observer: an Env attached to a node is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := cfg.Env.Node()
	a := &Agent{
		cfg: cfg, env: cfg.Env, node: n, dist: cfg.Dist, log: log,
		hub: newHub(n.Name(), cfg.TraceRate), started: time.Now(),
		remote: make(chan []Event, 16), done: make(chan struct{}),
		printers: map[io.Writer]uint64{}, streams: map[*stream]struct{}{},
	}
	a.lastMem.Store(memSample{})
	for name, fn := range map[string]any{
		fnSummary:   a.rpcSummary,
		fnProcesses: a.rpcProcesses,
		fnProcess:   a.rpcProcess,
		fnTrees:     a.rpcTrees,
		fnTrace:     a.rpcTrace,
		fnSubscribe: a.rpcSubscribe,
	} {
		if err := a.env.RegisterFunc(name, fn); err != nil {
			return nil, fmt.Errorf("start observer: %w", err)
		}
	}
	n.SetTracer(a.hub.trace)
	a.wg.Add(1)
	go a.traceLoop()
	go func() { // the node's Stop ends the agent too
		select {
		case <-n.Done():
			a.Close()
		case <-a.done:
		}
	}()
	for name, b := range a.builtins() {
		a.env.AddBuiltin(name, b)
	}
	return a, nil
}

// Close stops the web server, the trace loop and the collector, and
// removes the tracer. It is idempotent.
func (a *Agent) Close() {
	a.closeOnce.Do(func() {
		close(a.done)
		a.node.SetTracer(nil)
		a.mu.Lock()
		srv := a.srv
		a.mu.Unlock()
		if srv != nil {
			srv.close()
		}
		a.mu.Lock()
		collector := a.collector
		a.mu.Unlock()
		if !collector.IsZero() {
			_ = a.node.Exit(collector, term.Kill)
		}
	})
	a.wg.Wait()
}

// AllowKill reports whether the page may kill processes.
func (a *Agent) AllowKill() bool { return a.cfg.AllowKill }

// collectorPid returns the collector process, starting it if needed.
func (a *Agent) collectorPid() (term.Pid, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.collector.IsZero() && a.node.Alive(a.collector) {
		return a.collector, nil
	}
	pid, _, err := a.node.SpawnOpt(nil, node.SpawnOptions{Func: "observer collector"}, a.collect)
	if err != nil {
		return term.Pid{}, fmt.Errorf("observer: %w", err)
	}
	a.collector = pid
	return pid, nil
}

// rpcTimeout bounds one call for another node's data.
const rpcTimeout = 5 * time.Second

// rpc calls fn on node nd (another node) and returns its JSON answer.
func (a *Agent) rpc(ctx context.Context, nd term.Atom, fn string, args ...any) (string, error) {
	if a.dist == nil {
		return "", fmt.Errorf("%s: %w", nd, node.ErrNotDistributed)
	}
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	v, err := a.dist.Call(ctx, nd, fn, args...)
	if err != nil {
		return "", err
	}
	s, _ := v.(string)
	return s, nil
}

// local runs f as a process of this node (one that is never traced), for
// the data that needs one (trees ask supervisors as a process).
func (a *Agent) local(f func(p *node.Proc)) error {
	p, err := a.node.Attach("observer")
	if err != nil {
		return err
	}
	p.Untraceable()
	defer func() { _ = a.node.Exit(p.Self(), term.Kill) }()
	f(p)
	return nil
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// The rpc functions: each runs in a process of its own on the node asked,
// which must not be traced, and answers JSON.

func (a *Agent) rpcSummary(p *node.Proc) (string, error) {
	p.Untraceable()
	return jsonText(a.summary())
}

func (a *Agent) rpcProcesses(p *node.Proc, query string) (string, error) {
	p.Untraceable()
	var q ProcQuery
	if err := json.Unmarshal([]byte(query), &q); err != nil {
		return "", fmt.Errorf("bad process query: %v", err)
	}
	return jsonText(a.processes(q))
}

func (a *Agent) rpcProcess(p *node.Proc, pid term.Pid) (string, error) {
	p.Untraceable()
	v, ok := a.process(pid)
	if !ok {
		return "", fmt.Errorf("no process %s", pid)
	}
	return jsonText(v)
}

func (a *Agent) rpcTrees(p *node.Proc) (string, error) {
	p.Untraceable()
	return jsonText(a.trees(p))
}

func (a *Agent) rpcTrace(p *node.Proc, what any, on bool, subscriber term.Pid) (string, error) {
	p.Untraceable()
	return "ok", a.setTrace(what, on, subscriber)
}

func (a *Agent) rpcSubscribe(p *node.Proc, subscriber term.Pid) (string, error) {
	p.Untraceable()
	a.subscribe(subscriber)
	return "ok", nil
}
