package hotload

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// Loading across the cluster (erl's nl). Each node's code server registers
// LoadFunc with its Env; nl reads the module's source here, loads it here,
// and calls LoadFunc on every connected node with the module's files, over
// the distribution layer's authenticated connections (rpc). Each node
// prepares and commits on its own, with the same two phases and the same
// semantics as a local load, and answers with its version number. A node
// whose current version has the same source answers unchanged instead of
// making a new version, so nl can be repeated for a node that joined later
// without purging anything elsewhere.
//
// LoadFunc runs code sent by another node: exactly as much trust as rpc
// and remote spawn already need (the cookie), as in Erlang.

// LoadFunc is the name nl calls on other nodes: func(module string, files
// map[string]string, from string) (term.Tuple, error), answering
// {loaded, Version} or {unchanged, Version}.
const LoadFunc = "gerl.load_module"

// NodeResult is one node's outcome of NetLoad.
type NodeResult struct {
	Node    term.Atom
	Version int  // the module's current version there
	Changed bool // false: that node had this source already
	Err     error
}

// NetLoad loads module name here, from its source on disk (or, for a
// module that came from another node, the source it came with), then on
// the given nodes (every connected node when none is given). It returns
// one result per node, this one first. If the module does not load here,
// it is sent nowhere and the error is returned.
func (s *Server) NetLoad(ctx context.Context, name string, nodes ...term.Atom) ([]NodeResult, error) {
	src, err := s.diskSource(name)
	if err != nil {
		if mem := s.currentSource(name); mem != nil {
			src, err = mem, nil
		} else {
			return nil, err
		}
	}
	self := s.env.Node().Name()
	l, err := s.loadSource(src, false)
	if err != nil {
		return []NodeResult{{Node: self, Err: err}}, err
	}
	out := []NodeResult{{Node: self, Version: l.Version, Changed: l.Changed}}
	c := s.env.Cluster()
	if c == nil {
		return out, nil
	}
	if len(nodes) == 0 {
		nodes = c.Nodes()
	}
	res := make([]NodeResult, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		res[i].Node = n
		if n == self {
			res[i] = out[0]
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, s.netTimeout)
			defer cancel()
			v, err := c.RPC(ctx, n, LoadFunc, []any{name, src.files, string(self)})
			if err != nil {
				res[i].Err = err
				return
			}
			res[i].Version, res[i].Changed, res[i].Err = parseAnswer(v)
		}()
	}
	wg.Wait()
	for _, r := range res {
		if r.Node != self {
			out = append(out, r)
		}
	}
	return out, nil
}

// currentSource returns the source of module name's current version.
func (s *Server) currentSource(name string) *source {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if m := s.mods[name]; m != nil {
		if v := m.current.Load(); v != nil {
			return v.src
		}
	}
	return nil
}

func parseAnswer(v any) (int, bool, error) {
	t, ok := v.(term.Tuple)
	if ok && len(t) == 2 {
		n, isInt := t[1].(int)
		switch t[0] {
		case term.Atom("loaded"):
			if isInt {
				return n, true, nil
			}
		case term.Atom("unchanged"):
			if isInt {
				return n, false, nil
			}
		}
	}
	return 0, false, fmt.Errorf("unexpected answer %s", term.Format(v))
}

// remoteLoad is LoadFunc: it loads module name from files, sent by node
// from.
func (s *Server) remoteLoad(name string, files map[string]string, from string) (term.Tuple, error) {
	if err := checkName(name, s.reserved); err != nil {
		return nil, loadErr(name, ErrBadName, nil, err)
	}
	if len(files) == 0 || len(files) > maxFiles {
		return nil, loadErr(name, ErrNotFound, nil, fmt.Errorf("%d files (want 1 to %d)", len(files), maxFiles))
	}
	total := 0
	for f, text := range files {
		if filepath.Base(f) != f || !isModuleFile(f) {
			return nil, loadErr(name, ErrNotFound, nil, fmt.Errorf("bad file name %q", f))
		}
		if total += len(text); len(text) > maxFileBytes || total > maxTotal {
			return nil, loadErr(name, ErrNotFound, nil, fmt.Errorf("more source than %d bytes", maxTotal))
		}
	}
	src := &source{name: name, files: files, hash: hashFiles(files), origin: from}
	l, err := s.loadSource(src, false)
	if err != nil {
		return nil, err
	}
	if !l.Changed {
		return term.Tuple{term.Atom("unchanged"), l.Version}, nil
	}
	return term.Tuple{term.Atom("loaded"), l.Version}, nil
}
