package hotload

import (
	"fmt"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	yaegi "github.com/traefik/yaegi/interp"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// Versions. A module has at most two versions loaded: current, which every
// qualified call (counter.X from the prompt or another module, a qualified
// self-call, spawn and rpc by name) enters, and old, which only processes
// already running it still execute. Loading a new version makes current old
// and ends the processes still running the previous old one (purge).
//
// A process runs version V of module M when:
//   - it entered M's code through V: it was spawned into a function of V
//     (by name while V was current, or with a function value created by V's
//     code) and has started running, or it made a qualified call to M while
//     V was current;
//   - and it has not left M's code since: that call has not returned.
//
// A process spawned by name runs the version current at the spawn even if
// it starts after a reload; if that version was purged before it started,
// it starts in the current one (it never ran the purged code). A qualified
// call from old code to the newest version moves the process to the newest
// version for good, even once the call returns into the older code:
// Erlang's loop makes its qualified call in tail position, where the old
// frame is gone; Go has no tail calls, so gerl counts the call that way.
// Hence both loop shapes work: recursion through counter.Loop(p), and a for
// loop that handles each message with state = counter.Handle(msg, state).
// Calls inside a version (unqualified) do not change anything. A process
// that left M's code (its qualified call returned into code that is not
// M's) runs no version of M and is never purged.

// module is a loaded module: its versions and its stable trampolines.
type module struct {
	name    string
	current atomic.Pointer[version]

	// Guarded by Server.mu:
	old     *version
	next    int                      // number of the next version
	tramps  map[string]*trampoline   // by function name
	exports map[string]reflect.Value // the package the prompt and other modules import
}

// version is one loaded version of a module. Its interpreter stays alive as
// long as code of it may run. The interpreter is used for Eval only while
// loading (by one goroutine); afterwards only its functions are called,
// from any number of processes, which yaegi supports.
type version struct {
	mod    *module
	n      int
	src    *source
	yi     *yaegi.Interpreter
	funcs  map[string]reflect.Value // exported functions
	types  map[string]reflect.Type
	consts map[string]reflect.Value
	vars   map[string]reflect.Value // the qualified self-call variables, by function
	makers map[int]reflect.Value    // its closures' makers, by number (closures.go)
	loaded time.Time
	purged atomic.Bool
}

// procTable records which version of which module each process runs (see
// above). Safe for concurrent use; a process updates its own entry on its
// own goroutine, purges read every entry.
type procTable struct {
	m sync.Map // *node.Proc -> *procCode
}

type procCode struct {
	mu     sync.Mutex
	dead   bool // removed from the table; enter must make a new one
	frames map[*module]*frame
}

// frame is a process's presence in a module: the version its last entry
// went to, and how many entries have not returned yet.
type frame struct {
	v     *version
	depth int
}

// enter records that p enters m's code at version v.
func (t *procTable) enter(p *node.Proc, v *version) {
	for {
		x, ok := t.m.Load(p)
		if !ok {
			x, _ = t.m.LoadOrStore(p, &procCode{frames: map[*module]*frame{}})
		}
		pc := x.(*procCode)
		pc.mu.Lock()
		if pc.dead {
			pc.mu.Unlock()
			continue
		}
		f := pc.frames[v.mod]
		if f == nil {
			f = &frame{}
			pc.frames[v.mod] = f
		}
		f.v = v
		f.depth++
		pc.mu.Unlock()
		return
	}
}

// leave records that an entry of p into m returned.
func (t *procTable) leave(p *node.Proc, m *module) {
	x, ok := t.m.Load(p)
	if !ok {
		return
	}
	pc := x.(*procCode)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	f := pc.frames[m]
	if f == nil {
		return
	}
	if f.depth--; f.depth > 0 {
		return
	}
	delete(pc.frames, m)
	if len(pc.frames) == 0 {
		pc.dead = true
		t.m.Delete(p)
	}
}

// running returns the live processes running v.
func (t *procTable) running(v *version) []*node.Proc {
	var out []*node.Proc
	t.m.Range(func(k, x any) bool {
		p := k.(*node.Proc)
		pc := x.(*procCode)
		pc.mu.Lock()
		f := pc.frames[v.mod]
		in := f != nil && f.v == v
		pc.mu.Unlock()
		if in && p.Alive() {
			out = append(out, p)
		}
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Self().ID < out[j].Self().ID })
	return out
}

// versionOf returns the version of m that p runs.
func (t *procTable) versionOf(p *node.Proc, m *module) (*version, bool) {
	x, ok := t.m.Load(p)
	if !ok {
		return nil, false
	}
	pc := x.(*procCode)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if f := pc.frames[m]; f != nil {
		return f.v, true
	}
	return nil, false
}

// prune forgets processes that have exited without leaving (killed while
// in a busy loop, as zombies do not unwind).
func (t *procTable) prune() {
	t.m.Range(func(k, x any) bool {
		if p := k.(*node.Proc); !p.Alive() {
			pc := x.(*procCode)
			pc.mu.Lock()
			pc.dead = true
			t.m.Delete(p)
			pc.mu.Unlock()
		}
		return true
	})
}

func pids(ps []*node.Proc) []term.Pid {
	out := make([]term.Pid, len(ps))
	for i, p := range ps {
		out[i] = p.Self()
	}
	return out
}

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
