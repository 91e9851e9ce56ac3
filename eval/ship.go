package eval

import (
	"errors"
	"fmt"
	"go/scanner"
	"go/token"
	"path"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"
	"weak"

	"github.com/gerl-dev/gerl/node/cluster"
	"github.com/gerl-dev/gerl/node/term"
)

// Shipping a closure (see rewrite_fun.go for how a literal is tagged, and
// code.go for the receiving side). At the call (spawn(node, f), rpc,
// multicall), the closure becomes a cluster.Code: the literal's text; the
// values of its captured variables, copied now by the rules of
// docs/terms.md, with their types; the declarations typed at the prompt it
// uses (functions, types, constants, and theirs in turn); the packages it
// imports; and the modules it calls, which the other node must have
// loaded. What cannot travel (a channel, a pointer, a struct, a function
// that no tagged literal made) is refused at the call, naming the
// variable. A closure a module made travels another way: as its module's
// literal (ship_module.go).
//
// The registry that maps a function value to what the rewrite learned of
// it never keeps a closure alive: it is keyed by the closure's address,
// holds weak pointers to the captured variables (the closure keeps them),
// and forgets an entry once the closure is collected (runtime.AddCleanup).

// funMeta is what the rewrite learned of one literal of an input.
type funMeta struct {
	lit     funLit
	session *Session // where its input was typed (its declarations), or nil
	// For a literal of a module (ship_module.go): the module, its version
	// and the literal's maker (Index -1: it has none, and why says why).
	made *cluster.Made
	why  string
}

// closureEntry is one closure value made from a tagged literal.
type closureEntry struct {
	meta  *funMeta
	gen   uint64
	vars  []weak.Pointer[byte] // the captured variables, in meta.lit.captures order
	types []reflect.Type       // their types
}

// closures is the registry of closure values (guarded by its mutex).
type closures struct {
	mu    sync.Mutex
	metas []*funMeta // by id
	byLit map[metaKey]int
	byPtr map[uintptr]*closureEntry
	gen   uint64
}

type metaKey struct {
	s    *Session
	src  string
	caps string
	made cluster.Made
}

// registerLit records a literal of an input typed in s, and returns its
// number: the same literal typed again in the same session gets the same.
func (e *Env) registerLit(s *Session, l funLit) int {
	return e.registerMeta(metaKey{s: s, src: l.src, caps: strings.Join(l.captures, ",")}, &funMeta{lit: l, session: s})
}

// registerMeta records the literal meta under key, unless key has one.
func (e *Env) registerMeta(key metaKey, meta *funMeta) int {
	c := &e.funs
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byLit == nil {
		c.byLit, c.byPtr = map[metaKey]int{}, map[uintptr]*closureEntry{}
	}
	if id, ok := c.byLit[key]; ok {
		return id
	}
	c.metas = append(c.metas, meta)
	id := len(c.metas) - 1
	c.byLit[key] = id
	return id
}

// funcPtr is the address of a function value's closure, which tells
// closures apart (reflect's Pointer gives the code's, the same for every
// closure the interpreter makes).
func funcPtr(f any) unsafe.Pointer {
	type eface struct{ typ, data unsafe.Pointer }
	return (*eface)(unsafe.Pointer(&f)).data
}

// tagFun is the helper the rewrite calls (funFunc): it records closure f,
// made from literal id, with the addresses of the variables it captures,
// and returns f.
func (e *Env) tagFun(f any, id int, vars ...any) any {
	rv := reflect.ValueOf(f)
	if rv.Kind() != reflect.Func || rv.IsNil() {
		return f
	}
	p := funcPtr(f)
	c := &e.funs
	c.mu.Lock()
	if id < 0 || id >= len(c.metas) {
		c.mu.Unlock()
		return f
	}
	meta := c.metas[id]
	c.gen++
	entry := &closureEntry{meta: meta, gen: c.gen}
	c.byPtr[uintptr(p)] = entry
	c.mu.Unlock()
	for _, v := range vars {
		pv := reflect.ValueOf(v)
		if pv.Kind() != reflect.Pointer || pv.IsNil() {
			entry.vars = append(entry.vars, weak.Pointer[byte]{})
			entry.types = append(entry.types, nil)
			continue
		}
		entry.vars = append(entry.vars, weak.Make((*byte)(pv.UnsafePointer())))
		entry.types = append(entry.types, pv.Type().Elem())
	}
	e.cleanupClosure(p, entry.gen)
	return f
}

// cleanupClosure makes the registry forget entry gen of the closure at p
// once the closure is collected.
func (e *Env) cleanupClosure(p unsafe.Pointer, gen uint64) {
	runtime.AddCleanup((*byte)(p), func(k uintptr) { e.forgetClosure(k, gen) }, uintptr(p))
}

// forgetClosure drops the entry of a collected closure, unless a newer
// closure took its address meanwhile.
func (e *Env) forgetClosure(key uintptr, gen uint64) {
	c := &e.funs
	c.mu.Lock()
	if en := c.byPtr[key]; en != nil && en.gen == gen {
		delete(c.byPtr, key)
	}
	c.mu.Unlock()
}

// closureOf returns the registry's entry of closure f, if it has one.
func (e *Env) closureOf(f any) *closureEntry {
	if rv := reflect.ValueOf(f); rv.Kind() != reflect.Func || rv.IsNil() {
		return nil
	}
	c := &e.funs
	c.mu.Lock()
	defer c.mu.Unlock()
	en := c.byPtr[uintptr(funcPtr(f))]
	runtime.KeepAlive(f)
	return en
}

// ErrCannotTravel is what a function that cannot be sent to another node
// matches: a function compiled into gerl or Go's library, a method value,
// a closure over something that cannot travel.
var ErrCannotTravel = errors.New("it cannot travel to another node")

// codeOf turns closure f into the Code that runs it on node to, or says
// why it cannot travel. what names the call in errors (spawn, rpc).
func (e *Env) codeOf(what string, to term.Atom, f any) (*cluster.Code, error) {
	en := e.closureOf(f)
	if en == nil {
		return nil, fmt.Errorf("%s: the function %s cannot travel to %s: only closures travel, made by a function literal "+
			"typed at a prompt or written in a module; start a function by name instead: %s(node, \"mod.Fun\", args...) (%w)",
			what, FormatValue(f), to, what, ErrCannotTravel)
	}
	lit := en.meta.lit
	if en.meta.made != nil {
		return e.moduleCode(what, to, en)
	}
	if len(lit.local) > 0 {
		return nil, fmt.Errorf("%s: the closure uses %s, declared in the function around it, and cannot take it to %s; "+
			"declare it at the prompt (%w)", what, strings.Join(lit.local, ", "), to, ErrCannotTravel)
	}
	code := &cluster.Code{Func: lit.src}
	if err := addCaptures(code, en, what, to); err != nil {
		return nil, err
	}
	if err := e.addNames(code, en.meta.session, lit.names, what, to); err != nil {
		return nil, err
	}
	return code, nil
}

// addCaptures adds to code copies of the values of the variables closure
// en captures, with their types.
func addCaptures(code *cluster.Code, en *closureEntry, what string, to term.Atom) error {
	for i, name := range en.meta.lit.captures {
		t := en.types[i]
		p := en.vars[i].Value()
		if t == nil || p == nil {
			return fmt.Errorf("%s: the closure's variable %s is gone (%w)", what, name, ErrCannotTravel)
		}
		v := reflect.NewAt(t, unsafe.Pointer(p)).Elem()
		val, err := capturedValue(v)
		if err != nil {
			return fmt.Errorf("%s: the closure captures %s, %s, which cannot travel to %s: %v; "+
				"leave it out, or pass what it needs as an argument (%w)", what, name, kindText(v), to, err, ErrCannotTravel)
		}
		code.Names = append(code.Names, name)
		code.Types = append(code.Types, typeSource(t))
		code.Values = append(code.Values, val)
	}
	return nil
}

// capturedValue copies a captured variable's value for the wire.
func capturedValue(v reflect.Value) (any, error) {
	if (v.Kind() == reflect.Interface || v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.IsNil() {
		return nil, nil
	}
	if !v.CanInterface() {
		return nil, errors.New("gerl cannot read it")
	}
	return term.Copy(v.Interface())
}

// kindText says what a value is, for errors: "a chan int".
func kindText(v reflect.Value) string {
	t := typeSource(v.Type())
	if v.Kind() == reflect.Interface && !v.IsNil() {
		t = typeSource(v.Elem().Type())
	}
	return "a " + t
}

// typeSource is t in Go syntax as interpreted code names it.
func typeSource(t reflect.Type) string {
	return strings.ReplaceAll(typeText(t), "interface {}", "any")
}

// addNames adds to code what the names a closure uses from outside need:
// the declarations typed at the prompt (and theirs in turn), imports, and
// modules. Built-ins and Go's predeclared names need nothing.
func (e *Env) addNames(code *cluster.Code, s *Session, names []string, what string, to term.Atom) error {
	builtins := e.builtinTable()
	seen := map[string]bool{}
	var decls []string
	imports := map[string]string{} // name -> path
	var todo []string
	todo = append(todo, names...)
	var user string // which declaration uses the name being resolved
	users := map[string]string{}
	for len(todo) > 0 {
		name := todo[0]
		todo = todo[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		user = users[name]
		if s != nil {
			if ds := s.declsOf(name); len(ds) > 0 {
				for _, d := range ds {
					if !slices.Contains(decls, d.src) {
						decls = append(decls, d.src)
					}
					for _, u := range d.uses {
						if !seen[u] {
							users[u] = name
							todo = append(todo, u)
						}
					}
				}
				continue
			}
		}
		if _, ok := builtins[name]; ok || isUniverse(name) {
			continue
		}
		if p, ok := e.packageOf(s, name); ok {
			imports[name] = p
			continue
		}
		who := "the closure uses"
		if user != "" {
			who = user + " uses"
		}
		return fmt.Errorf("%s: %s %s, which cannot travel with it to %s: it is not a function, type or constant "+
			"typed at the prompt, a package or a built-in (a variable of the shell travels only as a closure's "+
			"captured variable: pass it as an argument) (%w)", what, who, name, to, ErrCannotTravel)
	}
	// Declarations in the order they were typed: a constant's iota, and
	// readers, see them as the prompt did.
	code.Decls = strings.Join(decls, "\n")
	names = names[:0:0]
	for name := range imports {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := imports[name]
		if e.isModule(p) {
			code.Modules = append(code.Modules, p)
		}
		if path.Base(p) == name {
			code.Imports = append(code.Imports, strconv.Quote(p))
		} else {
			code.Imports = append(code.Imports, name+" "+strconv.Quote(p))
		}
	}
	return nil
}

// packageOf returns the import path of the package a closure calls name:
// one the prompt imported, a standard or gerl package it imports on first
// use, or a module.
func (e *Env) packageOf(s *Session, name string) (string, bool) {
	if name == "gerl" {
		return "", false // always there
	}
	if s != nil {
		if p, ok := s.importedPath(name); ok {
			return p, true
		}
	}
	if e.isModule(name) {
		return name, true
	}
	e.std.once.Do(func() { e.std.byPath, e.std.byName = e.packageFuncs() })
	if p, ok := e.std.byName[name]; ok {
		return p, true
	}
	return "", false
}

// isModule reports whether p is the import path of a loaded module.
func (e *Env) isModule(p string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.packages[p]
	return ok
}

// tagging is how the session's inputs tag their function literals
// (rewrite_fun.go): the prompt's variables are captured by address, and
// each literal is registered with the Env. The caller holds evalMu.
func (s *Session) tagging() *tagging {
	var globals map[string]reflect.Value
	t := &tagging{
		isGlobalVar: func(name string) bool {
			if globals == nil {
				globals = s.globals()
			}
			v, ok := globals[name]
			return ok && v.IsValid() && v.CanAddr()
		},
		globalType: func(name string) reflect.Type {
			if globals == nil {
				globals = s.globals()
			}
			if v, ok := globals[name]; ok && v.IsValid() {
				return v.Type()
			}
			if v, ok := s.env.builtinTable()[name]; ok && v.Kind() == reflect.Func {
				return v.Type() // receive(...).(Tuple) has a type
			}
			return nil
		},
		register: func(l funLit) int { return s.env.registerLit(s, l) },
		declsOf:  s.declsOf,
		used:     s.wasInstantiated,
	}
	t.declared = func(name string) bool {
		if globals == nil {
			globals = s.globals()
		}
		_, ok := globals[name]
		return ok || len(s.declsOf(name)) > 0
	}
	t.declaredFunc = s.declaredFunc
	t.known = func(name string) bool {
		if t.declared(name) || isUniverse(name) || name == "gerl" {
			return true
		}
		if _, ok := s.env.builtinTable()[name]; ok {
			return true
		}
		_, ok := s.env.packageOf(s, name)
		return ok
	}
	return t
}

// declaredAs reports whether an earlier input declared name by src (as
// written, but for spaces). Safe for concurrent use.
func (s *Session) declaredAs(name, src string) bool {
	want := strings.Join(strings.Fields(src), " ")
	for _, d := range s.declsOf(name) {
		if strings.Join(strings.Fields(d.src), " ") == want {
			return true
		}
	}
	return false
}

// declaredFunc reports whether an earlier input declared name as a
// function (func name...; not a method, whose declaration is recorded
// under its receiver's type). Safe for concurrent use.
func (s *Session) declaredFunc(name string) bool {
	for _, d := range s.declsOf(name) {
		var sc scanner.Scanner
		fset := token.NewFileSet()
		sc.Init(fset.AddFile("", -1, len(d.src)), []byte(d.src), nil, 0)
		if _, tok, _ := sc.Scan(); tok != token.FUNC {
			continue
		}
		if _, tok, lit := sc.Scan(); tok == token.IDENT && lit == name {
			return true
		}
	}
	return false
}

// noteInstantiated records the generic names an input that ran used.
func (s *Session) noteInstantiated(names []string) {
	if len(names) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.instantiated == nil {
		s.instantiated = map[string]bool{}
	}
	for _, n := range names {
		s.instantiated[n] = true
	}
}

// wasInstantiated reports whether an input that ran used the generic
// name.
func (s *Session) wasInstantiated(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.instantiated[name]
}

// addDecls records the declarations of an input that ran: a name declared
// again replaces the earlier declaration; methods add to their type's.
func (s *Session) addDecls(ds []declSrc) {
	if len(ds) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.decls == nil {
		s.decls = map[string][]declSrc{}
	}
	for _, d := range ds {
		method := len(d.names) == 1 && strings.HasPrefix(strings.TrimSpace(d.src), "func (")
		for _, name := range d.names {
			if method {
				s.decls[name] = append(s.decls[name], d)
			} else {
				// A new declaration of name replaces it, and its type's
				// methods with it.
				s.decls[name] = []declSrc{d}
			}
		}
	}
}

// declsOf returns the declarations typed at the prompt that declare name.
// Safe for concurrent use.
func (s *Session) declsOf(name string) []declSrc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.decls[name]
}

// importedPath returns the path of the package the prompt imported as
// name. Safe for concurrent use.
func (s *Session) importedPath(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.importsView[name]
	return p, ok
}
