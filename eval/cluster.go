package eval

import (
	"context"
	"fmt"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// Cluster is what the shell needs from the distribution layer. A node
// started without distribution has none, and the node built-ins say so.
// Every method is safe for concurrent use.
type Cluster interface {
	// Nodes returns the visible connected nodes; HiddenNodes the hidden ones.
	Nodes() []term.Atom
	HiddenNodes() []term.Atom
	// Ping connects to node if needed; nil means it answered (pong), an
	// error says why not (pang): unreachable, wrong cookie, not gerl...
	Ping(ctx context.Context, node term.Atom) error
	// Connect connects to node if needed, and returns once the connection
	// is up, or why it cannot be.
	Connect(ctx context.Context, node term.Atom) error
	// Disconnect drops the connection to node.
	Disconnect(node term.Atom) error
	// RPC calls the function registered as fn on node with args.
	RPC(ctx context.Context, node term.Atom, fn string, args []any) (any, error)
	// MultiCall calls fn on every given node (all connected nodes and this
	// one when nodes is nil) and returns the results and the nodes that
	// failed.
	MultiCall(ctx context.Context, nodes []term.Atom, fn string, args []any) (results []any, bad []term.Atom)
	// Cast calls fn on node without waiting for the result.
	Cast(node term.Atom, fn string, args []any) error
	// Spawn starts the function registered as fn on node, linked to or
	// monitored by parent when asked.
	Spawn(ctx context.Context, parent *node.Proc, node term.Atom, fn string, args []any, link, monitor bool) (term.Pid, term.Ref, error)

	// The same for a function known by name or shipped as code
	// (cluster.Fun), run in a process whose group leader is leader (or
	// opts.GroupLeader), so that what it prints comes home.
	RPCFun(ctx context.Context, node term.Atom, f cluster.Fun, leader term.Pid, args []any) (any, error)
	MultiCallFun(ctx context.Context, nodes []term.Atom, f cluster.Fun, leader term.Pid, args []any) (results []any, bad []term.Atom)
	CastFun(node term.Atom, f cluster.Fun, leader term.Pid, args []any) error
	SpawnFun(ctx context.Context, parent *node.Proc, node term.Atom, opts node.SpawnOptions, f cluster.Fun, args []any) (term.Pid, term.Ref, error)
}

// DistCluster adapts the distribution layer to the Cluster the gerl API
// uses: env.SetCluster(eval.DistCluster(d)).
func DistCluster(d *cluster.Dist) Cluster { return distCluster{d} }

type distCluster struct{ d *cluster.Dist }

func (c distCluster) Nodes() []term.Atom       { return c.d.Nodes() }
func (c distCluster) HiddenNodes() []term.Atom { return c.d.HiddenNodes() }

func (c distCluster) Ping(ctx context.Context, n term.Atom) error { return c.d.PingErr(ctx, n) }

func (c distCluster) Connect(ctx context.Context, n term.Atom) error {
	return c.d.ConnectContext(ctx, n)
}

func (c distCluster) Disconnect(n term.Atom) error {
	if !c.d.Disconnect(n) {
		return fmt.Errorf("disconnect %s: not connected", n)
	}
	return nil
}

func (c distCluster) RPC(ctx context.Context, n term.Atom, fn string, args []any) (any, error) {
	return c.d.Call(ctx, n, fn, args...)
}

// MultiCall calls this node and every visible connected node when nodes is
// nil. A node whose function failed answers {badrpc, Reason}, as in erl.
func (c distCluster) MultiCall(ctx context.Context, nodes []term.Atom, fn string, args []any) ([]any, []term.Atom) {
	return c.MultiCallFun(ctx, nodes, cluster.Fun{Name: fn}, term.Pid{}, args)
}

func (c distCluster) MultiCallFun(ctx context.Context, nodes []term.Atom, f cluster.Fun, leader term.Pid, args []any) ([]any, []term.Atom) {
	if nodes == nil {
		nodes = append([]term.Atom{c.d.Name()}, c.d.Nodes()...)
	}
	res, bad := c.d.MultiCallFun(ctx, nodes, f, leader, args)
	out := make([]any, 0, len(res))
	for _, r := range res {
		if r.Err != nil {
			out = append(out, term.Tuple{term.Atom("badrpc"), r.Err.Error()})
			continue
		}
		out = append(out, r.Value)
	}
	return out, bad
}

func (c distCluster) Cast(n term.Atom, fn string, args []any) error {
	return c.d.Cast(n, fn, args...)
}

func (c distCluster) Spawn(ctx context.Context, parent *node.Proc, n term.Atom, fn string, args []any, link, monitor bool) (term.Pid, term.Ref, error) {
	return c.d.SpawnOpt(ctx, parent, n, node.SpawnOptions{Link: link, Monitor: monitor}, fn, args...)
}

func (c distCluster) RPCFun(ctx context.Context, n term.Atom, f cluster.Fun, leader term.Pid, args []any) (any, error) {
	return c.d.CallFun(ctx, n, f, leader, args)
}

func (c distCluster) CastFun(n term.Atom, f cluster.Fun, leader term.Pid, args []any) error {
	return c.d.CastFun(n, f, leader, args)
}

func (c distCluster) SpawnFun(ctx context.Context, parent *node.Proc, n term.Atom, opts node.SpawnOptions, f cluster.Fun, args []any) (term.Pid, term.Ref, error) {
	return c.d.SpawnFun(ctx, parent, n, opts, f, args)
}
