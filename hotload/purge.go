package hotload

import (
	"fmt"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Purging removes a module's old version. Processes still running it (see
// version.go) are killed: exit reason killed, untrappable, as erl's
// code:purge does, and a warning names them. SoftPurge refuses instead.
// Loading a new version purges the old one first, so at most two versions
// exist. A process stuck in a loop that never calls into the runtime cannot
// be stopped by Go; it is dead for everyone else and keeps running the
// purged code until it calls the runtime.

// Purge removes module name's old version, killing the processes running
// it, and returns them.
func (s *Server) Purge(name string) ([]term.Pid, error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.Lock()
	m := s.mods[name]
	if m == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("purge %s: %w", name, ErrNotLoaded)
	}
	old := m.old
	m.old = nil
	var victims []*node.Proc
	if old != nil {
		old.purged.Store(true)
		victims = s.procs.running(old)
	}
	s.mu.Unlock()
	return s.kill(old, victims), nil
}

// SoftPurge removes module name's old version unless processes still run
// it: then it changes nothing and returns an error matching ErrInUse that
// names them. It reports whether there was an old version to remove.
func (s *Server) SoftPurge(name string) (bool, error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.mods[name]
	if m == nil {
		return false, fmt.Errorf("soft purge %s: %w", name, ErrNotLoaded)
	}
	old := m.old
	if old == nil {
		return false, nil
	}
	if ps := s.procs.running(old); len(ps) > 0 {
		return false, fmt.Errorf("soft purge %s: %w: version %d runs in %s", name, ErrInUse, old.n, term.Format(pids(ps)))
	}
	old.purged.Store(true)
	m.old = nil
	return true, nil
}

// kill ends the processes that ran purged version v, and logs it.
func (s *Server) kill(v *version, victims []*node.Proc) []term.Pid {
	s.procs.prune()
	if len(victims) == 0 {
		return nil
	}
	out := pids(victims)
	for _, p := range victims {
		_ = s.env.Node().Exit(p.Self(), term.Kill)
	}
	s.log.Warn("hotload: purged old code; killed the processes still running it",
		"module", v.mod.name, "version", v.n, "pids", term.Format(out))
	return out
}
