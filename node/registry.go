package node

import (
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/gerl-dev/gerl/node/term"
)

// Registered names are node-local, as in Erlang: a name maps to one live
// process, a process has at most one name, and the name is released when
// the process exits.

// Errors callers can test with errors.Is.
var (
	ErrNameTaken     = errors.New("name is already registered")
	ErrNotRegistered = errors.New("name is not registered")
	ErrBadName       = errors.New("invalid name")
)

// registry maps names to processes. Lock order: registry.mu before Proc.mu.
type registry struct {
	mu    sync.RWMutex
	names map[term.Atom]*Proc
}

func (r *registry) whereis(name term.Atom) *Proc {
	r.mu.RLock()
	p := r.names[name]
	r.mu.RUnlock()
	return p
}

// release drops name if it still belongs to p.
func (r *registry) release(name term.Atom, p *Proc) {
	r.mu.Lock()
	if r.names[name] == p {
		delete(r.names, name)
	}
	r.mu.Unlock()
}

// Register gives the live local process pid the name. It fails if the name
// is taken, the process already has a name, or the process does not exist.
func (n *Node) Register(name term.Atom, pid term.Pid) error {
	if !term.Registrable(name) {
		return fmt.Errorf("register %q: %w (names are 1-255 bytes, no NUL, not undefined)", name, ErrBadName)
	}
	p := n.lookup(pid)
	if p == nil {
		return fmt.Errorf("register %s as %s: %w", pid, term.FormatAtom(name), ErrNoProc)
	}
	n.reg.mu.Lock()
	defer n.reg.mu.Unlock()
	if owner, taken := n.reg.names[name]; taken {
		return fmt.Errorf("register %s: %w by %s", term.FormatAtom(name), ErrNameTaken, owner.Self())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state.Load() != stateAlive {
		return fmt.Errorf("register %s as %s: %w", pid, term.FormatAtom(name), ErrNoProc)
	}
	e := p.extLocked()
	if e.name != "" {
		return fmt.Errorf("register %s: process %s is already registered as %s", term.FormatAtom(name), pid, term.FormatAtom(e.name))
	}
	e.name = name
	n.reg.names[name] = p
	return nil
}

// Unregister removes name. The process keeps running.
func (n *Node) Unregister(name term.Atom) error {
	n.reg.mu.Lock()
	defer n.reg.mu.Unlock()
	p, ok := n.reg.names[name]
	if !ok {
		return fmt.Errorf("unregister %s: %w", term.FormatAtom(name), ErrNotRegistered)
	}
	delete(n.reg.names, name)
	p.mu.Lock()
	if p.ext != nil {
		p.ext.name = ""
	}
	p.mu.Unlock()
	return nil
}

// Whereis returns the pid registered as name.
func (n *Node) Whereis(name term.Atom) (term.Pid, bool) {
	if p := n.reg.whereis(name); p != nil {
		return p.Self(), true
	}
	return term.Pid{}, false
}

// Registered returns the registered names, sorted.
func (n *Node) Registered() []term.Atom {
	n.reg.mu.RLock()
	out := make([]term.Atom, 0, len(n.reg.names))
	for name := range n.reg.names {
		out = append(out, name)
	}
	n.reg.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// RegisteredName returns the name p is registered under, or "".
func (p *Proc) RegisteredName() term.Atom {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ext == nil {
		return ""
	}
	return p.ext.name
}

// Register gives p the name; see Node.Register.
func (p *Proc) Register(name term.Atom) error { return p.node.Register(name, p.Self()) }
