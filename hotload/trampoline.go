package hotload

import (
	"fmt"
	"reflect"
	"sort"

	yaegi "github.com/traefik/yaegi/interp"

	"github.com/gerl-dev/gerl/eval"
	"github.com/gerl-dev/gerl/node/term"
)

// Trampolines. What the prompt and other modules import as package counter
// is not any version's code but one trampoline per exported function: a
// native function of the same type that, on every call, enters the
// module's current version. Code compiled against counter.F keeps the
// trampoline, never a version, so it follows reloads. (Spawn and rpc by
// name resolve the name when called, to the version current then: see
// lookup.) A trampoline is kept for as
// long as the function keeps its type; a version that changes the type gets
// a new trampoline (and the package is published again), and callers
// compiled against the old type get ErrUndef until they are reloaded, as
// an Erlang caller of a function whose arity changed gets undef.

// trampoline is the stable entry to function name of module mod.
type trampoline struct {
	srv  *Server
	mod  *module
	name string
	typ  reflect.Type
	fn   reflect.Value // reflect.MakeFunc(typ, call)
}

func newTrampoline(srv *Server, mod *module, name string, typ reflect.Type) *trampoline {
	t := &trampoline{srv: srv, mod: mod, name: name, typ: typ}
	t.fn = reflect.MakeFunc(typ, t.call)
	return t
}

// call runs on the caller's goroutine: it enters the current version, and
// records, for a caller that is a process, that the process runs it until
// the call returns (see version.go).
func (t *trampoline) call(in []reflect.Value) []reflect.Value {
	v := t.mod.current.Load()
	if v == nil {
		panic(fmt.Errorf("%s.%s: %w: module %s is not loaded", t.mod.name, t.name, ErrUndef, t.mod.name))
	}
	f, ok := v.funcs[t.name]
	if !ok {
		panic(fmt.Errorf("%s.%s: %w: version %d of %s has no function %s", t.mod.name, t.name, ErrUndef, v.n, t.mod.name, t.name))
	}
	if f.Type() != t.typ {
		panic(fmt.Errorf("%s.%s: %w: version %d has type %s, the caller was compiled against %s (reload the caller)",
			t.mod.name, t.name, ErrUndef, v.n, f.Type(), t.typ))
	}
	return t.srv.run(v, f, in)
}

// exportsOf builds the package module m publishes for version v: its
// functions' trampolines, its types and its constants. Package-level
// variables are not exported: each version has its own, so sharing one
// would not survive a reload (keep state in processes).
func exportsOf(m *module, v *version) map[string]reflect.Value {
	out := make(map[string]reflect.Value, len(v.funcs)+len(v.types)+len(v.consts))
	for name := range v.funcs {
		out[name] = m.tramps[name].fn
	}
	for name, t := range v.types {
		out[name] = reflect.Zero(reflect.PointerTo(t))
	}
	for name, c := range v.consts {
		out[name] = c
	}
	return out
}

// sameExports reports whether two published packages have the same names
// with the same types (constants by value too), so importers need not
// learn the new one.
func sameExports(a, b map[string]reflect.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for name, x := range a {
		y, ok := b[name]
		if !ok || x.Type() != y.Type() {
			return false
		}
		if x.Kind() == reflect.Func {
			if x.Pointer() != y.Pointer() {
				return false
			}
			continue
		}
		if x.CanInterface() && y.CanInterface() && x.Comparable() && y.Comparable() && !x.Equal(y) {
			return false
		}
	}
	return true
}

// funcNames returns the names of v's exported functions, sorted.
func (v *version) funcNames() []string {
	out := make([]string, 0, len(v.funcs))
	for n := range v.funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// lookup resolves "module.Func" for spawn and rpc by name: to the
// function of the module's current version, bound to that version, so a
// process spawned by name runs the version that was current when it was
// spawned, even if it starts running after a reload. If that version was
// purged before the process started, the process starts in the current
// version instead: it never ran the purged code, so it is not killed.
func (s *Server) lookup(name string) (any, bool) {
	mod, fn, ok := splitQualified(name)
	if !ok {
		return nil, false
	}
	s.mu.RLock() // commit changes tramps and current under s.mu
	m := s.mods[mod]
	var t *trampoline
	var v *version
	if m != nil {
		t, v = m.tramps[fn], m.current.Load()
	}
	s.mu.RUnlock()
	if v == nil {
		return nil, false
	}
	f, ok := v.funcs[fn]
	if !ok || t == nil {
		return nil, false
	}
	return reflect.MakeFunc(f.Type(), func(in []reflect.Value) []reflect.Value {
		if v.purged.Load() && t.typ == f.Type() {
			return t.call(in)
		}
		return s.run(v, f, in)
	}).Interface(), true
}

// run calls f, a function of version v, recording that the calling
// process runs v while the call lasts (see version.go).
func (s *Server) run(v *version, f reflect.Value, in []reflect.Value) []reflect.Value {
	if p, ok := s.env.CurrentProc(); ok {
		s.procs.enter(p, v)
		defer s.procs.leave(p, v.mod)
	}
	if f.Type().IsVariadic() {
		return f.CallSlice(in)
	}
	return f.Call(in)
}

func splitQualified(name string) (mod, fn string, ok bool) {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' {
			return name[:i], name[i+1:], i+1 < len(name)
		}
	}
	return "", "", false
}

// A process spawned by a module's code with a function value (a closure,
// or an unqualified F) runs that code: the version that spawned it, as an
// Erlang process spawned with a local fun runs the fun's version. So in a
// module's interpreter gerl.Spawn, SpawnLink and SpawnMonitor are bound to
// the version (overrides), and record the new process as running it. A
// name ("counter.Loop") resolves as everywhere, to the current version.

// overrides returns what v's interpreter uses instead of the Env's
// exports: spawning into v, and the standard library's functions gerl
// replaces (a time.Sleep that a kill interrupts: eval.StdOverrides).
func (s *Server) overrides(v *version) yaegi.Exports {
	e := s.env
	out := yaegi.Exports(e.StdOverrides())
	out[eval.GerlPath+"/gerl"] = map[string]reflect.Value{
		"Spawn": reflect.ValueOf(func(fn any, args ...any) term.Pid {
			return e.Spawn(s.into(v, fn), args...)
		}),
		"SpawnLink": reflect.ValueOf(func(fn any, args ...any) term.Pid {
			return e.SpawnLink(s.into(v, fn), args...)
		}),
		"SpawnMonitor": reflect.ValueOf(func(fn any, args ...any) (term.Pid, term.Ref) {
			return e.SpawnMonitor(s.into(v, fn), args...)
		}),
	}
	return out
}

// builtinsPath is the package of the prompt's built-ins in a module's
// interpreter: every file of a module dot-imports it (on its package
// clause's line), so a module speaks the prompt's dialect: self(),
// spawn(...), receive(...), T(...), A(...), pid ! msg (rewritten into a
// call of eval.SendBuiltin, source.go). A name the module declares itself
// hides the built-in, as at the prompt: the package leaves it out.
const builtinsPath = "gerl/builtins"

// moduleBuiltins returns the built-ins of v's interpreter: the Env's, but
// for the names the module declares itself (own), with spawn, spawn_link
// and spawn_monitor bound to v as gerl.Spawn is (see overrides). A type of
// the module named as a built-in one (type Request struct{...}) would
// otherwise lose to it: yaegi v0.16.1 keeps a dot-imported type where the
// package declares one of the same name ("unknown field A in struct
// literal").
func (s *Server) moduleBuiltins(v *version, own map[string]bool) yaegi.Exports {
	b := s.env.Builtins()
	for name, api := range s.overrides(v)[eval.GerlPath+"/gerl"] {
		switch name {
		case "Spawn":
			b["spawn"] = api
		case "SpawnLink":
			b["spawn_link"] = api
		case "SpawnMonitor":
			b["spawn_monitor"] = api
		}
	}
	for name := range own {
		delete(b, name)
	}
	return yaegi.Exports{builtinsPath + "/builtins": b}
}

// into wraps a function value so that the process running it runs v.
func (s *Server) into(v *version, fn any) any {
	fv := reflect.ValueOf(fn)
	if fv.Kind() != reflect.Func || fv.IsNil() {
		return fn // a name, or something spawn will refuse
	}
	return reflect.MakeFunc(fv.Type(), func(in []reflect.Value) []reflect.Value {
		if v.purged.Load() {
			// Spawned while v was being purged: the function is v's code,
			// so the process ends as v's other processes did.
			if p, ok := s.env.CurrentProc(); ok {
				p.ExitSelf(term.Killed)
			}
		}
		return s.run(v, fv, in)
	}).Interface()
}
