package eval

import (
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	yaegi "github.com/traefik/yaegi/interp"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/term"
)

// FuncResolver finds a function by name ("counter.Loop"), for spawning by
// name and for rpc. Hot loading provides one for module functions.
type FuncResolver interface {
	Lookup(name string) (fn any, ok bool)
}

// Env is what interpreted code on one node reaches through the gerl API:
// the node, its cluster, named functions, and the extra built-ins and
// packages other parts of gerl (hot loading) add. The shell session, remote
// shells and every module interpreter of the node share one Env.
//
// Build it before the node: cfg.OnGoroutine = env.OnGoroutine; n :=
// node.New(cfg); env.Attach(n). All methods are safe for concurrent use.
type Env struct {
	node    *node.Node
	gor     goroutines
	guard   guard
	frames  userFrames // the user's lines of panics, for crash reports
	cluster atomic.Pointer[clusterBox]
	stdout  atomic.Pointer[writerBox] // see SetStdout
	// goLeaders maps the goroutines of go statements to the group leader
	// of the process that started them (see output.go).
	goLeaders sync.Map // int64 -> term.Pid

	mu       sync.Mutex
	funcs    map[string]any
	resolver FuncResolver
	builtins map[string]Builtin       // added by other packages (c, l, nl...)
	packages map[string]yaegi.Exports // import path -> symbols, for sessions
	sessions map[*Session]struct{}
	// shellProcs maps processes running code typed at a prompt to that
	// prompt's session (see processes.go).
	shellProcs map[term.Pid]shellProc
	// leaders maps the sessions' group leader processes to their sessions
	// (see output.go).
	leaders map[term.Pid]*Session
	timers  timerTable // send_after and interval (timers.go)
	// moduleSrc is the source of each loaded module's current version,
	// for h("mod.Fun") (funcdoc.go).
	moduleSrc map[string]map[string]string

	builtinsOnce  sync.Once
	builtinsCache map[string]reflect.Value // see Builtins; immutable once built
	std           stdFuncs                 // see resolve.go
	funs          closures                 // closures that may travel (ship.go)
	code          codeCache                // closures received (code.go)
	makers        ModuleMakers             // module closures' makers (ship_module.go); guarded by mu
}

type clusterBox struct{ c Cluster }

// Builtin is a shell built-in added to every session by another package.
type Builtin struct {
	Fn  any // a Go function
	Doc Doc
}

// NewEnv returns an Env not yet attached to a node.
func NewEnv() *Env {
	e := &Env{
		funcs:      make(map[string]any),
		builtins:   make(map[string]Builtin),
		packages:   make(map[string]yaegi.Exports),
		sessions:   make(map[*Session]struct{}),
		shellProcs: make(map[term.Pid]shellProc),
		leaders:    make(map[term.Pid]*Session),
	}
	e.guard.init()
	return e
}

// OnGoroutine is the node.Config.OnGoroutine hook the node must be built
// with, so the gerl API knows which process calls it.
func (e *Env) OnGoroutine(p *node.Proc, running bool) { e.gor.hook(p, running) }

// Attach binds the Env to its node, and installs the node's hook for the
// group leader of processes spawned through Go's API
// (node.Node.SetCallerLeader).
func (e *Env) Attach(n *node.Node) {
	e.node = n
	n.SetCallerLeader(e.CallerGroupLeader)
	n.SetUserFrames(e.frames.take)
}

// Node returns the node.
func (e *Env) Node() *node.Node { return e.node }

// SetCluster installs the distribution layer's view of the cluster.
func (e *Env) SetCluster(c Cluster) { e.cluster.Store(&clusterBox{c: c}) }

// Cluster returns the cluster, or nil for a node without distribution.
func (e *Env) Cluster() Cluster {
	if b := e.cluster.Load(); b != nil {
		return b.c
	}
	return nil
}

// SetResolver installs the resolver consulted, after RegisterFunc's names,
// for functions by name (hot loading installs its module table).
func (e *Env) SetResolver(r FuncResolver) {
	e.mu.Lock()
	e.resolver = r
	e.mu.Unlock()
}

// RegisterFunc makes fn spawnable and callable by name, on this node and
// (through rpc and remote spawn) from other nodes.
func (e *Env) RegisterFunc(name string, fn any) error {
	if reflect.ValueOf(fn).Kind() != reflect.Func {
		return fmt.Errorf("register function %q: %T is not a function", name, fn)
	}
	e.mu.Lock()
	e.funcs[name] = fn
	e.mu.Unlock()
	return nil
}

// Lookup finds a function by name: RegisterFunc's names, the resolver's
// (module functions), the built-ins, and the functions of gerl's packages
// and of the standard library (resolve.go says how). Env is itself a
// FuncResolver, which the distribution layer uses for rpc and remote
// spawn, from gerl nodes and Erlang's.
func (e *Env) Lookup(name string) (any, bool) {
	e.mu.Lock()
	fn, ok := e.funcs[name]
	r := e.resolver
	e.mu.Unlock()
	if ok {
		return fn, true
	}
	if r != nil {
		if fn, ok := r.Lookup(name); ok {
			return fn, true
		}
	}
	if fn, ok := e.lookupBuiltin(name); ok {
		return fn, true
	}
	return e.lookupPackageFunc(name)
}

// FuncNames returns the names RegisterFunc registered, sorted.
func (e *Env) FuncNames() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Keys(e.funcs))
}

// AddBuiltin adds a shell built-in (such as c or l from hot loading) to
// every session, present and future.
func (e *Env) AddBuiltin(name string, b Builtin) {
	e.mu.Lock()
	e.builtins[name] = b
	sessions := e.sessionList()
	e.mu.Unlock()
	for _, s := range sessions {
		s.useBuiltins(map[string]Builtin{name: b})
	}
}

// AddPackage makes a Go package of native symbols importable by every
// session, present and future, and imports it into them under its name
// (hot loading adds each module this way: counter.Inc(1) at the prompt).
func (e *Env) AddPackage(importPath string, symbols map[string]reflect.Value) {
	exports := yaegi.Exports{importPath + "/" + path.Base(importPath): symbols}
	e.mu.Lock()
	e.packages[importPath] = exports
	sessions := e.sessionList()
	e.mu.Unlock()
	for _, s := range sessions {
		s.usePackage(importPath, exports)
	}
}

// Packages returns the import paths added with AddPackage, sorted.
func (e *Env) Packages() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Sorted(maps.Keys(e.packages))
}

func (e *Env) sessionList() []*Session {
	out := make([]*Session, 0, len(e.sessions))
	for s := range e.sessions {
		out = append(out, s)
	}
	return out
}

// addedBuiltins returns the built-ins other packages added.
func (e *Env) addedBuiltins() map[string]Builtin {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.builtins)
}

// addedPackages returns the packages other packages added.
func (e *Env) addedPackages() map[string]yaegi.Exports {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.packages)
}

func (e *Env) addSession(s *Session) (map[string]Builtin, map[string]yaegi.Exports) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sessions[s] = struct{}{}
	return maps.Clone(e.builtins), maps.Clone(e.packages)
}

func (e *Env) removeSession(s *Session) {
	e.mu.Lock()
	delete(e.sessions, s)
	e.mu.Unlock()
}

// packageSymbols returns the names a package added with AddPackage exports.
func (e *Env) packageSymbols(importPath string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, syms := range e.packages[importPath] {
		for n := range syms {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
