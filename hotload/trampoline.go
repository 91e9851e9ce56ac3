package hotload

import (
	"fmt"
	"reflect"
	"sort"
)

// Trampolines. What the prompt and other modules import as package counter
// is not any version's code but one trampoline per exported function: a
// native function of the same type that, on every call, enters the
// module's current version. Code compiled against counter.F keeps the
// trampoline, never a version, so it follows reloads; so do spawn and rpc
// by name, which resolve to trampolines too. A trampoline is kept for as
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
	if p, ok := t.srv.env.CurrentProc(); ok {
		t.srv.procs.enter(p, v)
		defer t.srv.procs.leave(p, t.mod)
	}
	if t.typ.IsVariadic() {
		return f.CallSlice(in)
	}
	return f.Call(in)
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

// lookup resolves "module.Func" to its trampoline, for spawn and rpc by
// name; the function must exist in the module's current version.
func (s *Server) lookup(name string) (any, bool) {
	mod, fn, ok := splitQualified(name)
	if !ok {
		return nil, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.mods[mod]
	if m == nil {
		return nil, false
	}
	v := m.current.Load()
	if v == nil {
		return nil, false
	}
	if _, ok := v.funcs[fn]; !ok {
		return nil, false
	}
	return m.tramps[fn].fn.Interface(), true
}

func splitQualified(name string) (mod, fn string, ok bool) {
	for i := len(name) - 1; i > 0; i-- {
		if name[i] == '.' {
			return name[:i], name[i+1:], i+1 < len(name)
		}
	}
	return "", "", false
}
