package hotload

import (
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/traefik/yaegi/interp"

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
	yi     *interp.Interpreter
	funcs  map[string]reflect.Value // exported functions
	types  map[string]reflect.Type
	consts map[string]reflect.Value
	vars   map[string]reflect.Value // the qualified self-call variables, by function
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
