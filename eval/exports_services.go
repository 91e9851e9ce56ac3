package eval

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/gerl-dev/gerl/node"
	"github.com/gerl-dev/gerl/node/global"
	"github.com/gerl-dev/gerl/node/pg"
	"github.com/gerl-dev/gerl/node/server"
	"github.com/gerl-dev/gerl/node/supervisor"
	"github.com/gerl-dev/gerl/node/sys"
	"github.com/gerl-dev/gerl/node/term"
)

// The cluster's names, groups and servers in interpreted code: packages
// "gerl/global", "gerl/pg", "gerl/server" and "gerl/sys", bound to the
// Env's node and acting as the calling process, as the gerl API does.
// The node's global name server and default pg scope are started with the
// node (shell/services.go); these functions raise when they are missing.

// Import paths of the packages, in interpreted code.
const (
	GlobalPath = "gerl/global"
	PGPath     = "gerl/pg"
	ServerPath = "gerl/server"
	SysPath    = "gerl/sys"
)

// gerlPackages maps the names of gerl's packages to their import paths:
// the prompt imports them on first use, as it does standard packages.
func gerlPackages() map[string]string {
	return map[string]string{"supervisor": SupervisorPath, "global": GlobalPath, "pg": PGPath, "server": ServerPath, "sys": SysPath}
}

// serviceExports returns the symbols of the four packages, and yaegi's
// extras for interpreted servers (see package server's interp.go).
func (e *Env) serviceExports() map[string]map[string]reflect.Value {
	pkgPath, wrappers, mapTypes := server.InterpreterSymbols()
	return map[string]map[string]reflect.Value{
		GlobalPath + "/global": e.globalExports(),
		PGPath + "/pg":         e.pgExports(),
		ServerPath + "/server": e.serverExports(),
		SysPath + "/sys":       e.sysExports(),
		pkgPath + "/" + pkgPath[strings.LastIndexByte(pkgPath, '/')+1:]: wrappers,
		".": {"MapTypes": reflect.ValueOf(mapTypes)},
	}
}

// sender is what the calling goroutine sends as: its process, or the node.
func (e *Env) sender() interface{ Send(any, any) error } {
	if a, ok := e.gor.current(); ok {
		return a.proc
	}
	return e.node
}

// --- global ---

// Resolver is a name conflict resolver in interpreted code: it returns
// the pid that keeps the name (the zero Pid: neither).
type Resolver = func(name term.Atom, pid1, pid2 term.Pid) term.Pid

func (e *Env) global(what string) *global.Service {
	g, err := global.Of(e.node)
	if err != nil {
		panic(fmt.Errorf("global.%s: %w", what, err))
	}
	return g
}

func (e *Env) globalExports() map[string]reflect.Value {
	bound := func(r global.Resolver) Resolver {
		return func(name term.Atom, p1, p2 term.Pid) term.Pid { return r(e.node, name, p1, p2) }
	}
	return map[string]reflect.Value{
		"Resolver": typeOf[Resolver](),
		"RegisterName": reflect.ValueOf(func(name any, pid term.Pid, resolve ...Resolver) bool {
			n, err := atomArg("global.RegisterName", name)
			raise(err)
			var r global.Resolver
			switch len(resolve) {
			case 0:
			case 1:
				if fn := resolve[0]; fn != nil {
					r = func(_ *node.Node, name term.Atom, p1, p2 term.Pid) term.Pid { return fn(name, p1, p2) }
				}
			default:
				panic(fmt.Errorf("global.RegisterName: one resolver at most, got %d", len(resolve)))
			}
			err = e.global("RegisterName").RegisterName(n, pid, r)
			switch {
			case err == nil:
				return true
			case errorsIsAny(err, global.ErrTaken, global.ErrAlreadyNamed, global.ErrNoProc, global.ErrUnreachable):
				return false
			}
			panic(err)
		}),
		"UnregisterName": reflect.ValueOf(func(name any) {
			n, err := atomArg("global.UnregisterName", name)
			raise(err)
			raise(e.global("UnregisterName").UnregisterName(n))
		}),
		"WhereisName": reflect.ValueOf(func(name any) (term.Pid, bool) {
			n, err := atomArg("global.WhereisName", name)
			raise(err)
			return e.global("WhereisName").WhereisName(n)
		}),
		"RegisteredNames": reflect.ValueOf(func() []term.Atom { return e.global("RegisteredNames").RegisteredNames() }),
		"Sync":            reflect.ValueOf(func() { raise(e.global("Sync").Sync()) }),
		"Send": reflect.ValueOf(func(name any, msg any) term.Pid {
			n, err := atomArg("global.Send", name)
			raise(err)
			pid, err := e.global("Send").Send(e.sender(), n, msg)
			raise(err)
			return pid
		}),
		"RandomExitName":   reflect.ValueOf(bound(global.RandomExitName)),
		"RandomNotifyName": reflect.ValueOf(bound(global.RandomNotifyName)),
		"NotifyAllName":    reflect.ValueOf(bound(global.NotifyAllName)),
		"ConflictReason":   reflect.ValueOf(global.ConflictReason),
	}
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// --- pg ---

// PGScope is a pg scope as interpreted code sees it, pg.Groups: what
// pg.Scope("chat") returns, with the package's functions as methods, for
// that scope (pg.Join is the default scope's Join). Its methods act as the
// calling process.
type PGScope struct {
	e    *Env
	name term.Atom
}

func (s *PGScope) scope(what string) *pg.Scope {
	sc, err := pg.Of(s.e.node, s.name)
	if err != nil {
		panic(fmt.Errorf("pg.%s: %w", what, err))
	}
	return sc
}

// Name returns the scope's name.
func (s *PGScope) Name() term.Atom { return s.name }

// Join adds processes of this node to group (each once more).
func (s *PGScope) Join(group any, pids ...term.Pid) {
	raise(s.scope("Join").Join(group, pids...))
}

// Leave removes one join of group for each pid; false (and no change) if
// one is not in the group.
func (s *PGScope) Leave(group any, pids ...term.Pid) bool {
	err := s.scope("Leave").Leave(group, pids...)
	if errors.Is(err, pg.ErrNotJoined) {
		return false
	}
	raise(err)
	return true
}

// GetMembers returns group's members on every node, sorted.
func (s *PGScope) GetMembers(group any) []term.Pid { return s.scope("GetMembers").Members(group) }

// GetLocalMembers returns group's members on this node.
func (s *PGScope) GetLocalMembers(group any) []term.Pid {
	return s.scope("GetLocalMembers").LocalMembers(group)
}

// WhichGroups returns the groups with members, sorted.
func (s *PGScope) WhichGroups() []any { return s.scope("WhichGroups").WhichGroups() }

// WhichLocalGroups returns the groups with members on this node.
func (s *PGScope) WhichLocalGroups() []any { return s.scope("WhichLocalGroups").WhichLocalGroups() }

// Monitor subscribes the calling process to group's joins and leaves.
func (s *PGScope) Monitor(group any) (term.Ref, []term.Pid) {
	ref, pids, err := s.scope("Monitor").Monitor(s.e.self("pg.Monitor").Self(), group)
	raise(err)
	return ref, pids
}

// MonitorScope subscribes the calling process to every group's changes.
func (s *PGScope) MonitorScope() (term.Ref, map[any][]term.Pid) {
	ref, groups, err := s.scope("MonitorScope").MonitorScope(s.e.self("pg.MonitorScope").Self())
	raise(err)
	return ref, groups
}

// Demonitor ends a subscription.
func (s *PGScope) Demonitor(ref term.Ref) bool {
	ok, err := s.scope("Demonitor").Demonitor(ref)
	raise(err)
	return ok
}

// Sync waits until this node has heard everything the other nodes' scope
// servers had done when it was called (pg is eventually consistent).
func (s *PGScope) Sync() { raise(s.scope("Sync").Sync()) }

// SendAll sends msg to every member of group, once each; it returns how
// many.
func (s *PGScope) SendAll(group any, msg any) int {
	n, err := s.scope("SendAll").SendAll(s.e.sender(), group, msg)
	raise(err)
	return n
}

// SendRandom sends msg to a member chosen at random and returns it.
func (s *PGScope) SendRandom(group any, msg any) term.Pid {
	pid, err := s.scope("SendRandom").SendRandom(s.e.sender(), group, msg)
	raise(err)
	return pid
}

// SendNearest sends msg to a member on this node if there is one, else to
// any; it returns the member.
func (s *PGScope) SendNearest(group any, msg any) term.Pid {
	pid, err := s.scope("SendNearest").SendNearest(s.e.sender(), group, msg)
	raise(err)
	return pid
}

func (e *Env) pgExports() map[string]reflect.Value {
	def := &PGScope{e: e, name: pg.DefaultScope}
	syms := map[string]reflect.Value{
		"Groups":       typeOf[PGScope](),
		"DefaultScope": reflect.ValueOf(pg.DefaultScope),
		"Scope": reflect.ValueOf(func(scope any) *PGScope {
			n, err := atomArg("pg.Scope", scope)
			raise(err)
			return &PGScope{e: e, name: n}
		}),
		"StartScope": reflect.ValueOf(func(scope any) *PGScope {
			n, err := atomArg("pg.StartScope", scope)
			raise(err)
			if _, err := pg.Of(e.node, n); err != nil {
				var nodes func() []term.Atom
				if e.Cluster() != nil {
					nodes = e.Nodes
				}
				_, err = pg.Start(e.node, n, pg.Options{Nodes: nodes})
				raise(err)
			}
			return &PGScope{e: e, name: n}
		}),
	}
	v := reflect.ValueOf(def)
	for i := 0; i < v.NumMethod(); i++ {
		syms[v.Type().Method(i).Name] = v.Method(i)
	}
	return syms
}

// --- server ---

// moduleServers tracks the servers started from a module's factory, so
// that loading a new version of the module upgrades them (ModuleLoaded).
type moduleServers struct {
	mu       sync.Mutex
	byModule map[string]map[term.Pid]bool
}

type moduleServersKey struct{}

func (e *Env) moduleServers() *moduleServers {
	return e.node.Extension(moduleServersKey{}, func() any {
		return &moduleServers{byModule: map[string]map[term.Pid]bool{}}
	}).(*moduleServers)
}

func (m *moduleServers) add(module string, pid term.Pid) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byModule[module] == nil {
		m.byModule[module] = map[term.Pid]bool{}
	}
	m.byModule[module][pid] = true
}

// ModuleLoaded upgrades the servers started from a factory of module (see
// package server: each takes the new version's code before its next
// message, keeping its state). Hot loading calls it when it commits a
// version.
func (e *Env) ModuleLoaded(module string) {
	m := e.moduleServers()
	m.mu.Lock()
	var pids []term.Pid
	for pid := range m.byModule[module] {
		if e.node.Alive(pid) {
			pids = append(pids, pid)
		} else {
			delete(m.byModule[module], pid)
		}
	}
	m.mu.Unlock()
	for _, pid := range pids {
		sys.NotifyCodeChange(e.node, pid)
	}
}

// Factory is what server.Factory returns: a server's factory, a
// func() server.Behaviour or the name of a module's ("counter.New"), in
// place of a Behaviour. A server started from a named factory looks the
// name up at each start and code change, so it follows its module's
// versions. It is no server itself: its methods fail.
type Factory struct {
	name string
	fn   func() server.Behaviour
}

var errFactory = errors.New("a server.Factory is not a server: give it to server.Start, StartLink or Child")

// Init implements server.Behaviour by failing.
func (Factory) Init(any) error { return errFactory }

// HandleCall implements server.Behaviour by failing.
func (Factory) HandleCall(any, server.From) (any, error) { return nil, errFactory }

// HandleCast implements server.Behaviour by failing.
func (Factory) HandleCast(any) error { return errFactory }

func (e *Env) newFactory(f any) server.Behaviour {
	switch x := f.(type) {
	case string:
		if mod, fn, ok := strings.Cut(x, "."); !ok || mod == "" || fn == "" {
			panic(fmt.Errorf("server.Factory: %q is not a module function's name (want \"module.New\")", x))
		}
		return Factory{name: x}
	case func() server.Behaviour:
		if x == nil {
			break
		}
		return Factory{fn: x}
	}
	panic(fmt.Errorf("server.Factory: want a func() server.Behaviour or its name (\"module.New\"), got %T", f))
}

// behaviourOf reads a server as interpreted code gives it: a Behaviour
// value, or a Factory. It returns the value (nil for a factory), the
// factory, and the module of a named factory.
func (e *Env) behaviourOf(b server.Behaviour) (server.Behaviour, func() (server.Behaviour, error), string) {
	f, ok := b.(Factory)
	if !ok {
		return b, nil, ""
	}
	if f.fn != nil {
		return nil, func() (server.Behaviour, error) { return f.fn(), nil }, ""
	}
	mod, _, _ := strings.Cut(f.name, ".")
	return nil, func() (server.Behaviour, error) {
		fn, found := e.Lookup(f.name)
		if !found {
			return nil, fmt.Errorf("no function named %q (load its module with c())", f.name)
		}
		g, ok := fn.(func() server.Behaviour)
		if !ok {
			return nil, fmt.Errorf("%s is a %s; a server's factory is a func() server.Behaviour", f.name, reflect.TypeOf(fn))
		}
		return g(), nil
	}, mod
}

// serverStart starts a server for Start and StartLink.
func (e *Env) serverStart(what string, parent *node.Proc, b server.Behaviour, args any, opts []server.Options) (term.Pid, error) {
	if b == nil {
		panic(fmt.Errorf("%s: nil is not a server", what))
	}
	if len(opts) > 1 {
		panic(fmt.Errorf("%s: one Options at most, got %d", what, len(opts)))
	}
	var o server.Options
	if len(opts) == 1 {
		o = opts[0]
	}
	beh, factory, module := e.behaviourOf(b)
	if beh == nil {
		var err error
		if beh, err = factory(); err != nil {
			return term.Pid{}, fmt.Errorf("%s: %w", what, err)
		}
	}
	if module != "" {
		o.Upgrade = factory
		if o.Func == "" {
			o.Func = b.(Factory).name
		}
	}
	var pid term.Pid
	var err error
	if parent != nil {
		pid, err = server.StartLink(parent, beh, args, o)
	} else {
		pid, err = server.Start(e.node, beh, args, o)
	}
	if err == nil && module != "" {
		e.moduleServers().add(module, pid)
	}
	return pid, err
}

func (e *Env) serverExports() map[string]reflect.Value {
	return map[string]reflect.Value{
		"Behaviour":   typeOf[server.Behaviour](),
		"InfoHandler": typeOf[server.InfoHandler](),
		"Terminator":  typeOf[server.Terminator](),
		"Upgrader":    typeOf[server.Upgrader](),
		"From":        typeOf[server.From](),
		"Options":     typeOf[server.Options](),
		"NoReply":     reflect.ValueOf(&server.NoReply).Elem(),
		"Hibernate":   reflect.ValueOf(&server.Hibernate).Elem(),
		"StopWith":    reflect.ValueOf(server.StopWith),
		"Factory":     reflect.ValueOf(e.newFactory),
		"Start": reflect.ValueOf(func(b server.Behaviour, args any, opts ...server.Options) (term.Pid, error) {
			return e.serverStart("server.Start", nil, b, args, opts)
		}),
		"StartLink": reflect.ValueOf(func(b server.Behaviour, args any, opts ...server.Options) (term.Pid, error) {
			return e.serverStart("server.StartLink", e.self("server.StartLink"), b, args, opts)
		}),
		"Call": reflect.ValueOf(e.Call),
		"Cast": reflect.ValueOf(func(to any, msg any) {
			raise(server.Cast(e.sender(), to, msg))
		}),
		"Reply": reflect.ValueOf(func(from server.From, value any) {
			raise(server.Reply(e.sender(), from, value))
		}),
		"Stop": reflect.ValueOf(func(to any, reason ...any) error {
			var r any = term.Normal
			switch len(reason) {
			case 0:
			case 1:
				r = reason[0]
			default:
				panic(fmt.Errorf("server.Stop: one reason at most, got %d", len(reason)))
			}
			return server.Stop(e.node, to, r, node.Forever)
		}),
		"Child": reflect.ValueOf(func(id any, b server.Behaviour, args any, opts ...server.Options) supervisor.Child {
			cid, err := atomArg("server.Child", id)
			raise(err)
			if len(opts) > 1 {
				panic(fmt.Errorf("server.Child: one Options at most, got %d", len(opts)))
			}
			var o server.Options
			if len(opts) == 1 {
				o = opts[0]
			}
			beh, factory, module := e.behaviourOf(b)
			if beh != nil || factory == nil {
				panic(fmt.Errorf("server.Child: give a server.Factory: each restart needs a fresh state"))
			}
			if module != "" {
				o.Upgrade = factory
			}
			return server.Child(cid, func() (server.Behaviour, error) {
				b, err := factory()
				if err == nil && module != "" {
					if p, ok := e.CurrentProc(); ok {
						e.moduleServers().add(module, p.Self())
					}
				}
				return b, err
			}, args, o)
		}),
	}
}

// --- sys ---

// sysTimeout bounds sys requests from interpreted code.
const sysTimeout = 5 * time.Second

func (e *Env) sysExports() map[string]reflect.Value {
	return map[string]reflect.Value{
		"GetState": reflect.ValueOf(func(to any) any {
			v, err := sys.GetState(e.node, to, sysTimeout)
			raise(err)
			return v
		}),
		"ReplaceState": reflect.ValueOf(func(to any, fn func(state any) any) any {
			v, err := sys.ReplaceState(e.node, to, fn, sysTimeout)
			raise(err)
			return v
		}),
		"ChangeCode": reflect.ValueOf(func(to any) {
			raise(sys.ChangeCode(e.node, to, sysTimeout))
		}),
	}
}

// serviceDocs documents the packages for h() and help().
func serviceDocs() map[string]Doc {
	return map[string]Doc{
		"global.RegisterName": {Sig: "global.RegisterName(name, pid[, resolve]) bool", Group: "nodes",
			Summary: "register pid under a name every node knows; false if it is taken (anywhere)",
			Detail: `Registering takes the name's lock on every connected node: two registrations of one name
never both succeed. The name goes when pid exits or its node goes down. resolve, a
func(name Atom, pid1, pid2 Pid) Pid, decides a conflict after a partition (default: one is
kept at random, the other exits with {global_name_conflict, Name}). erl: global:register_name.`},
		"global.WhereisName":    {Sig: "global.WhereisName(name) (Pid, bool)", Group: "nodes", Summary: "the process registered as a global name, read on this node"},
		"global.Send":           {Sig: "global.Send(name, msg) Pid", Group: "nodes", Summary: "send to the process registered as a global name; raises if there is none"},
		"global.UnregisterName": {Sig: "global.UnregisterName(name)", Group: "nodes", Summary: "remove a global name, on every node"},
		"global.Sync":           {Sig: "global.Sync()", Group: "nodes", Summary: "wait until this node has heard what the other nodes' name servers had done"},
		"pg.Join": {Sig: "pg.Join(group, pids...)", Group: "nodes", Summary: "add processes of this node to a process group (once more each)",
			Detail: `Every node sees every group's members (pg.GetMembers), eventually: pg.Sync() waits until this
node has heard from the others. A member leaves with pg.Leave, when it exits, or when its node
goes down. pg.Scope("chat") is another scope, started on each node with pg.StartScope("chat").
erl: pg:join(Group, Pid).`},
		"pg.GetMembers": {Sig: "pg.GetMembers(group) []Pid", Group: "nodes", Summary: "a group's members on every node, sorted (GetLocalMembers: this node's)"},
		"pg.SendAll":    {Sig: "pg.SendAll(group, msg) int", Group: "nodes", Summary: "send to every member of a group (SendRandom, SendNearest: to one)"},
		"pg.Monitor":    {Sig: "pg.Monitor(group) (Ref, []Pid)", Group: "nodes", Summary: "get {Ref, join|leave, Group, [Pid]} messages when a group changes"},
		"server.Start": {Sig: "server.Start(value or server.Factory(...), args[, server.Options]) (Pid, error)", Group: "supervisors",
			Summary: "start a server (gen_server): a type with Init, HandleCall and HandleCast methods",
			Detail: `The value is the state. Init(args) runs in the new process before Start returns;
HandleCall(req, from) answers server.Call (its reply, or server.NoReply and server.Reply later);
HandleCast(msg) takes server.Cast; optional: HandleInfo(msg), Terminate(reason),
CodeChange(old map[string]any). An error from a method stops the server (server.StopWith for a
clean stop), except server.Hibernate: the server goes on and hibernates until its next message
(gen_server's hibernate). server.Factory("mod.New") starts it from a module's factory: reloading
the module upgrades it, keeping its state. Options: Name, GlobalName, TrapExit, HibernateAfter.`},
		"server.Call":      {Sig: "server.Call(to, req, timeout) (any, error)", Group: "supervisors", Summary: "a request to a server, and its reply"},
		"server.Child":     {Sig: "server.Child(id, server.Factory(...), args[, server.Options]) supervisor.Child", Group: "supervisors", Summary: "a supervisor's child that runs a server, with a fresh state at each restart"},
		"sys.GetState":     {Sig: "sys.GetState(server) any", Group: "supervisors", Summary: "a copy of a running server's state"},
		"sys.ReplaceState": {Sig: "sys.ReplaceState(server, func(state any) any) any", Group: "supervisors", Summary: "change a running server's state, between two of its messages"},
	}
}
