package eval

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unsafe"

	yaegi "github.com/traefik/yaegi/interp"

	"github.com/gerl-dev/gerl/node/term"
)

// The prompt's bindings, as erl's: f() forgets every variable, f("x")
// one, and an input that fails binds nothing (`x := g()` whose g panics
// leaves x as it was, or undefined).
//
// yaegi v0.16.1 has no way to remove a name: a global variable is a
// symbol in the main package's table (Interpreter.srcPkg["main"], the
// same map as the main scope's), which points at a slot of the global
// frame, and `x := ...` at the top level declares a new symbol for x at
// compile time, before the right-hand side runs. symbols reaches that
// table through reflect offsets looked up by name and checked by type, as
// runControl and globalFrame do (a yaegi whose layout differs fails when
// the session starts). Removing a name from the table makes it undefined
// for the inputs compiled after; code compiled before (a function typed
// at the prompt, a closure held by a process) keeps its slot, as an erl
// fun keeps the values it captured.

// yaegi's symbol kinds (interp/scope.go) that are bindings.
const (
	yaegiConstSym = 3
	yaegiVarSym   = 9
)

// symbols is the table of an interpreter's global names.
type symbols struct {
	mu     *sync.RWMutex // the interpreter's mutex, which Globals takes
	srcPkg reflect.Value // map[string]map[string]*symbol
}

// symbolsOf reaches the table of yi's global names.
func symbolsOf(yi *yaegi.Interpreter) (symbols, error) {
	it := reflect.TypeFor[yaegi.Interpreter]()
	muF, ok := it.FieldByName("mutex")
	if !ok || muF.Type != reflect.TypeFor[sync.RWMutex]() {
		return symbols{}, fmt.Errorf("yaegi's Interpreter has no field mutex of type sync.RWMutex: this gerl needs yaegi v0.16.1")
	}
	pkgF, ok := it.FieldByName("srcPkg")
	if !ok || pkgF.Type.Kind() != reflect.Map || pkgF.Type.Key().Kind() != reflect.String ||
		pkgF.Type.Elem().Kind() != reflect.Map || pkgF.Type.Elem().Elem().Kind() != reflect.Pointer {
		return symbols{}, fmt.Errorf("yaegi's Interpreter has no field srcPkg of type map[string]map[string]*symbol: this gerl needs yaegi v0.16.1")
	}
	symT := pkgF.Type.Elem().Elem().Elem()
	if kind, ok := symT.FieldByName("kind"); !ok || kind.Type.Kind() != reflect.Uint || kind.Index[0] != 0 {
		return symbols{}, fmt.Errorf("yaegi's symbol has no field kind of type sKind: this gerl needs yaegi v0.16.1")
	}
	if index, ok := symT.FieldByName("index"); !ok || index.Type.Kind() != reflect.Int {
		return symbols{}, fmt.Errorf("yaegi's symbol has no field index of type int: this gerl needs yaegi v0.16.1")
	}
	if typ, ok := symT.FieldByName("typ"); !ok || typ.Type.Kind() != reflect.Pointer {
		return symbols{}, fmt.Errorf("yaegi's symbol has no field typ of type *itype: this gerl needs yaegi v0.16.1")
	}
	base := unsafe.Pointer(yi)
	return symbols{
		mu:     (*sync.RWMutex)(unsafe.Add(base, muF.Offset)),
		srcPkg: reflect.NewAt(pkgF.Type, unsafe.Add(base, pkgF.Offset)).Elem(),
	}, nil
}

// main returns the main package's table, or an invalid Value before the
// interpreter compiled anything. The caller holds mu.
func (t symbols) main() reflect.Value {
	return t.srcPkg.MapIndex(reflect.ValueOf("main"))
}

// kindOf returns the kind of a *symbol.
func kindOf(sym reflect.Value) uint64 {
	return sym.Elem().Field(0).Uint()
}

// savedSymbol is a symbol as it was: where it is, and what it held
// (yaegi may change a symbol in place).
type savedSymbol struct {
	ptr, val reflect.Value
}

// changed reports whether yaegi changed the symbol in place since it was
// saved: its slot or its type (cfg.go does, for a name declared again).
// Unchanged symbols are not written: compiled code may read them.
func changed(s savedSymbol) bool {
	now, was := s.ptr.Elem(), s.val
	for _, f := range []string{"index", "typ"} {
		a, b := now.FieldByName(f), was.FieldByName(f)
		switch a.Kind() {
		case reflect.Int:
			if a.Int() != b.Int() {
				return true
			}
		case reflect.Pointer:
			if a.Pointer() != b.Pointer() {
				return true
			}
		}
	}
	return false
}

// snapshot is the main package's names before an input.
type snapshot map[string]savedSymbol

// save takes a snapshot of the main package's names. The caller holds
// the session's evalMu.
func (t symbols) save() snapshot {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m := t.main()
	if !m.IsValid() {
		return nil
	}
	snap := make(snapshot, m.Len())
	for it := m.MapRange(); it.Next(); {
		ptr := it.Value()
		val := reflect.New(ptr.Type().Elem()).Elem()
		val.Set(ptr.Elem())
		snap[it.Key().String()] = savedSymbol{ptr: ptr, val: val}
	}
	return snap
}

// restoreVars puts back the variables as they were in snap: a variable
// declared since is forgotten, one declared again has its earlier symbol
// back. Functions, types and constants declared since stay. The caller
// holds the session's evalMu.
func (t symbols) restoreVars(snap snapshot) {
	if snap == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.main()
	if !m.IsValid() {
		return
	}
	var gone []reflect.Value
	for it := m.MapRange(); it.Next(); {
		cur := it.Value()
		if kindOf(cur) != yaegiVarSym {
			continue
		}
		old, ok := snap[it.Key().String()]
		if !ok {
			gone = append(gone, it.Key())
			continue
		}
		if old.ptr.Pointer() != cur.Pointer() {
			m.SetMapIndex(it.Key(), old.ptr)
		}
		if changed(old) {
			old.ptr.Elem().Set(old.val)
		}
	}
	for _, k := range gone {
		m.SetMapIndex(k, reflect.Value{})
	}
}

// forget removes the named variables and constants (all of them, the
// shell's own excepted, when names is empty) and returns the names it
// removed. A name bound to something else (a function, a type, a
// package) is an error: f forgets bindings only. A name not bound is
// not (erl's f(X) of an unbound X is ok too).
func (t symbols) forget(names []string) ([]string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.main()
	if !m.IsValid() {
		return nil, nil
	}
	var gone []string
	if len(names) == 0 {
		for it := m.MapRange(); it.Next(); {
			name := it.Key().String()
			if k := kindOf(it.Value()); (k == yaegiVarSym || k == yaegiConstSym) && !strings.HasPrefix(name, "__gerl") {
				gone = append(gone, name)
			}
		}
	} else {
		for _, name := range names {
			sym := m.MapIndex(reflect.ValueOf(name))
			if !sym.IsValid() {
				continue
			}
			if k := kindOf(sym); k != yaegiVarSym && k != yaegiConstSym || strings.HasPrefix(name, "__gerl") {
				return nil, fmt.Errorf("%s is not a variable of the shell; f forgets variables (and constants) only", name)
			}
			gone = append(gone, name)
		}
	}
	for _, name := range gone {
		m.SetMapIndex(reflect.ValueOf(name), reflect.Value{})
	}
	sort.Strings(gone)
	return gone, nil
}

// f is erl's f(): it forgets every variable of the shell, or with names,
// those: f("x", "y"). Code typed earlier that uses them keeps working with
// the values they had. Only the shell's input may call it.
func (s *Session) f(names ...string) term.Atom {
	a, ok := s.env.gor.current()
	if !ok || a.session != s || a.in == nil {
		panic(fmt.Errorf("f: it forgets the shell's variables, so only the shell's input calls it"))
	}
	t, err := symbolsOf(a.in.yi)
	raise(err)
	gone, err := t.forget(names)
	if err != nil {
		panic(fmt.Errorf("f: %w", err))
	}
	// Constants travel with closures as declarations (ship.go): a
	// forgotten one no longer does.
	s.mu.Lock()
	for _, name := range gone {
		delete(s.decls, name)
	}
	s.mu.Unlock()
	return term.OK
}

// yaegiTypeSym is yaegi's symbol kind of a type (interp/scope.go).
const yaegiTypeSym = 7

// dropType removes the type name from the main package's table, and
// returns a function that puts it back (after a declaration that did not
// compile); nil when name is not a type. The input about to declare name
// then makes a new symbol for it: yaegi v0.16.1 keeps the type a symbol
// already holds where a declaration of the same name should replace it,
// a built-in type the dot import put there (type Request struct{ A int },
// then Request{A: 1}: "unknown field A in struct literal") or one an
// earlier input declared (type P struct{ X int }, then type P struct{ X,
// Y int }: "unknown field Y"). Code compiled before keeps the type it
// was compiled with, as an erl fun keeps what it captured. The caller
// holds the session's evalMu.
func (t symbols) dropType(name string) (undo func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.main()
	if !m.IsValid() {
		return nil
	}
	key := reflect.ValueOf(name)
	sym := m.MapIndex(key)
	if !sym.IsValid() || sym.IsNil() || kindOf(sym) != yaegiTypeSym {
		return nil
	}
	m.SetMapIndex(key, reflect.Value{})
	return func() {
		// Over what a declaration that failed may have left.
		t.mu.Lock()
		defer t.mu.Unlock()
		m.SetMapIndex(key, sym)
	}
}
