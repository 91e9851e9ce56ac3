package shell

import (
	"fmt"

	"github.com/gerl-dev/gerl/node/global"
	"github.com/gerl-dev/gerl/node/pg"
	"github.com/gerl-dev/gerl/node/term"
)

// startServices starts the node's global name server and its default pg
// scope, as an Erlang node starts global (and pg, with start_pg): they are
// how the names and groups of global.* and pg.* reach the other nodes,
// which find them by their registered names. A node without distribution
// runs them too, so the same code works on one node.
func startServices(s *system) error {
	var nodes, gerlNodes func() []term.Atom
	if s.dist != nil {
		// gerl's global talks to gerl nodes only (Erlang nodes have their
		// own, which the distribution layer answers); pg's protocol is
		// Erlang pg's, so its scope includes Erlang nodes.
		nodes, gerlNodes = s.dist.Nodes, s.dist.GerlNodes
	}
	if _, err := global.Start(s.node, global.Options{Nodes: gerlNodes}); err != nil {
		return fmt.Errorf("start the node: %w", err)
	}
	if _, err := pg.Start(s.node, pg.DefaultScope, pg.Options{Nodes: nodes, SyncNodes: gerlNodes}); err != nil {
		return fmt.Errorf("start the node: %w", err)
	}
	return nil
}
